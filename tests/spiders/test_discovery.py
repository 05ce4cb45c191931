"""Column discovery: from a home URL to the annual-report column(s), with evidence, within a request budget.

Real captures (the 平潭 column page and one of its report pages, tests/fixtures/real/pingtan) and the demo
portal on loopback (every archetype has a home page; the column is one to three hops away)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from nianbao.demo_portal.core import DemoServer
from nianbao.demo_portal.sites import BLOCKED_HOSTS, build_portal
from spiders import registry
from spiders.discovery import (
    BUDGET,
    annual_label,
    annual_path,
    discover_offline,
    read_page,
    rediscover_reason,
)

from .helpers import ARCHETYPES, ROOT

PINGTAN = ROOT / "tests" / "fixtures" / "real" / "pingtan"
COLUMN = "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/"
ARTICLE = COLUMN + "202202/t20220208_80613.htm"


def test_the_real_pingtan_column_page_says_it_is_a_column_and_which_family_runs_it():
    page = read_page(COLUMN, (PINGTAN / "zfxxgknb-index.html").read_bytes())
    assert page.column_name == "政府信息公开年报"
    assert page.family == "fujian_trs" and "动静结合" in page.family_evidence
    # the static first page of a 动静结合 column lists 10 of its 20 reports; the rest come from the list API
    assert len(page.report_titles) == 10
    assert all("年度报告" in t for t in page.report_titles)
    urls = {link.url for link in page.links}
    assert "https://www.pingtan.gov.cn/zwgk/zfxxgk/fdzdgknr/" in urls  # the sibling 法定主动公开内容 column
    assert not any(u.endswith(("logoutUrl", "el.chnldocurl")) for u in urls), "template attributes are not links"


def test_discovery_from_a_real_report_page_finds_its_column_and_not_the_report():
    pages = {ARTICLE: (PINGTAN / "t20220208_80613.htm").read_bytes(),
             COLUMN: (PINGTAN / "zfxxgknb-index.html").read_bytes()}
    result = discover_offline(ARTICLE, pages, hosts=["www.pingtan.gov.cn"])
    confirmed = [c for c in result.columns if c.confirmed]
    assert [c.url for c in confirmed] == [COLUMN]
    column = confirmed[0]
    assert column.family == "fujian_trs" and result.family == "fujian_trs"
    assert any("link text '政府信息公开年报'" in e for e in column.evidence)
    assert "ColumnName '政府信息公开年报'" in column.evidence
    assert column.reports_seen == 10
    assert result.requests <= BUDGET
    assert all(urlsplit(p["url"]).hostname == "www.pingtan.gov.cn" for p in result.pages), "never leaves the site"


@pytest.mark.parametrize("label", ["政府信息公开年报", "信息公开年报", "政府信息公开年度报告", "政府信息公开工作年度报告", "年报",
                                   "工作年报", "部门年报", "乡镇（街道）年报", "市教育局信息公开年报", "政府信息公开年报专栏"])
def test_annual_report_column_labels(label):
    assert annual_label(label)


@pytest.mark.parametrize("label", ["平潭综合实验区2021年度政府信息公开工作年度报告",  # a report, not its column
                                   "关于做好2020年政府信息公开工作年度报告编制发布工作的通知", "企业年报公示", "统计年报",
                                   "政府信息公开指南", "法定主动公开内容", "政务公开", "政府工作报告", ""])
def test_not_annual_report_column_labels(label):
    assert not annual_label(label)


@pytest.mark.parametrize("url, token", [
    # real column paths of research/real-portals.md §1
    ("https://www.mohrss.gov.cn/xxgk2020/zfxxgknb/", "zfxxgknb"),
    ("http://www.moe.gov.cn/jyb_xxgk/xxgk/nianbao/jiguan/", "nianbao"),
    ("https://www.moj.gov.cn/pub/sfbgw/zwxxgk/zfxxgkgzndbg/", "zfxxgkgzndbg"),
    ("http://www.mof.gov.cn/gkml/zfxxgkbg2016/", "zfxxgkbg2016"),
    ("https://xxgk.mot.gov.cn/2020/ndbg/2021/", "ndbg"),
    ("http://zwgk.mwr.gov.cn/zfxxgkndbg/", "zfxxgkndbg"),
    ("https://zwgk.mct.gov.cn/zfxxgknb/2021n/", "zfxxgknb"),
    ("https://www.beijing.gov.cn/gongkai/zfxxgk/gknb/", "gknb"),
    ("https://www.tj.gov.cn/zwgk/zfxxgkzl/gknb/xxgknb2019/", "gknb"),
    ("http://www.lsz.gov.cn/xxgk-xxgknb", "xxgk-xxgknb"),
    ("https://www.bjmy.gov.cn/zwgk/zfxxgk/zfxxgknb/gknb2017/", "zfxxgknb"),
])
def test_annual_report_path_tokens_of_real_columns(url, token):
    assert annual_path(url) == token


@pytest.mark.parametrize("url", ["https://www.pingtan.gov.cn/zwgk/zfxxgk/fdzdgknr/", "https://www.gov.cn/zhengce/xxgk/",
                                 "http://www.nbjb.gov.cn/col/col1229214366/index.html"])
def test_other_paths_carry_no_annual_report_token(url):
    assert annual_path(url) is None


def test_per_year_sub_columns_and_department_lists_on_a_column_are_columns_too():
    """A synthetic column page in the shape of 天津 (``xxgknb{Y}/``) and 大兴 (per-year ``{Y}n/`` with 街乡镇
    lists): year links and department lists become columns of their own, notices do not."""
    base = "https://www.example.gov.cn/zwgk/zfxxgkzl/gknb/"
    column = ('<html><head><meta name="ColumnName" content="政府信息公开年报"></head><body><ul>'
              '<li><a href="./xxgknb2019/">2019年</a></li><li><a href="./xxgknb2018/">2018年度</a></li>'
              '<li><a href="./2017n/">2017</a></li><li><a href="./bmnb/">部门年报</a></li>'
              '<li><a href="./202001/t20200110_1.html">关于报送2019年政府信息公开工作年度报告的通知</a></li></ul></body></html>')
    year = ('<html><head><meta name="ColumnName" content="2019年"></head><body>'
            '<a href="./202003/t20200301_5.html" title="示例市2019年政府信息公开工作年度报告">示例市2019年…</a></body></html>')
    pages = {base: column, base + "xxgknb2019/": year}
    result = discover_offline(base, pages)
    kinds = {c.url: c.kind for c in result.columns}
    assert kinds[base] == "column"
    assert kinds[base + "xxgknb2019/"] == kinds[base + "xxgknb2018/"] == kinds[base + "2017n/"] == "year"
    assert kinds[base + "bmnb/"] == "organ"
    assert not any("t20200110" in u for u in kinds)
    year_col = next(c for c in result.columns if c.url == base + "xxgknb2019/")
    assert year_col.confirmed and year_col.reports_seen == 1
    update = result.registry_update("100000-example")
    assert base in update["seed_urls"] and base + "xxgknb2018/" in update["seed_urls"]


@pytest.mark.parametrize("portal, health, expect", [
    ({"seed_status": "confirmed", "seed_urls": ["x"]}, None, None),
    ({"seed_status": "conventional", "seed_urls": ["x"]}, None, "never crawled"),
    ({"seed_status": "none", "seed_urls": []}, None, "no seed"),
    ({"seed_status": "discovered", "seed_urls": ["x"]}, {"silent": None, "listing_pages": 2}, None),
    ({"seed_status": "confirmed", "seed_urls": ["x"]},
     {"silent": "listing shows no report although 12 were stored before", "listing_pages": 1}, "went silent"),
    ({"seed_status": "confirmed", "seed_urls": ["x"]},
     {"silent": "no listing page could be read (not_found)", "listing_not_found": 1}, "went silent"),
    ({"seed_status": "confirmed", "seed_urls": ["x"]},
     {"silent": "no listing page could be read (blocked)", "listing_blocked": 1}, None),
])
def test_when_to_discover_again(portal, health, expect):
    reason = rediscover_reason(portal, health)
    assert (reason is None) if expect is None else (expect in reason)


def test_discovered_columns_overlay_the_registry_but_never_a_confirmed_seed():
    base = "https://www.example.gov.cn/zwgk/zfxxgknb/"
    page = '<html><head><meta name="ColumnName" content="政府信息公开年报"></head><body></body></html>'
    update = discover_offline(base, {base: page}).registry_update("100000-a")
    curated = [{"id": "100000-a", "name": "a", "region_code": "100000", "admin_level": "national",
                "home_url": "https://www.example.gov.cn/", "seed_status": "none"},
               {"id": "100000-b", "name": "b", "region_code": "100000", "admin_level": "national", "family": "trs",
                "seed_urls": ["https://www.example.gov.cn/b/"], "seed_status": "confirmed"}]
    merged = registry.merge([], curated, [update, {**update, "id": "100000-b"}])
    assert merged["100000-a"].seed_urls == (base,) and merged["100000-a"].origin("seed_urls") == "discovered"
    assert merged["100000-a"].seed_status == "discovered"
    assert merged["100000-b"].seed_urls == ("https://www.example.gov.cn/b/",)
    assert merged["100000-b"].origin("seed_urls") == "curated"


@pytest.mark.e2e
def test_discovery_finds_every_demo_column_from_the_home_page_within_a_few_dozen_requests(tmp_path):
    portals = registry.load(ARCHETYPES)
    portal = build_portal()
    with DemoServer(portal) as server:
        proc = subprocess.run([sys.executable, "-m", "spiders.discovery", "--registry", ARCHETYPES, "--all", "--out",
                               str(tmp_path), "--proxy", server.proxy_url], cwd=ROOT, capture_output=True, text=True,
                              timeout=240)
        assert proc.returncode == 0, proc.stderr[-3000:]
        asked = list(server.portal.requests)
    for pid, p in portals.items():
        result = json.loads(Path(tmp_path, f"{pid}.json").read_text(encoding="utf-8"))
        per_host = [r for r in asked if r[1] in p.hosts and r[2] != "/robots.txt"]
        assert len(per_host) <= BUDGET, pid
        found = {c["url"] for c in result["columns"] if c["confirmed"]}
        if p.hosts[0] in BLOCKED_HOSTS.values():
            assert result["stopped"] == "blocked" and not found, pid
        elif pid == "demo-510682-oldzhen":  # robots.txt forbids everything: nothing asked, nothing found
            assert not found and not per_host and "robots" in result["pages"][0]["read"]
        else:
            assert set(p.seed_urls) <= found, (pid, found)
            assert result["family"] == p.family, pid
            assert all(c["evidence"] for c in result["columns"])
    assert not [r for r in asked if r[1] in ("www.gov.cn", "www.clone-gov.demo.test")], "off-site links not followed"
