"""Every archetype of the demo portal, traps switched on, crawled by a real Scrapy process: the crawl must find
every report of the truth manifest (recall 100%), store nothing else (precision 100%), explain every URL it
could not store, and stay on the registered hosts. A second crawl of the unchanged portal is nearly free."""

from __future__ import annotations

import collections

import pytest

from nianbao.demo_portal.core import DemoServer
from nianbao.demo_portal.hanweb import OTHER_COUNTY_HOST
from nianbao.demo_portal.score import score
from nianbao.demo_portal.sites import BLOCKED_HOSTS, OLDXIAN_HOST, build_portal
from nianbao.demo_portal.trs import CLONE_HOST
from pipeline.manifest import latest_by_url
from spiders import registry

from .helpers import ARCHETYPES, all_rows, crawl

PORTALS = registry.load(ARCHETYPES)
STORING = sorted(pid for pid in PORTALS if "blocked" not in pid and pid != "demo-510682-oldzhen")


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    portal = build_portal()
    with DemoServer(portal) as server:
        first = crawl(server, data, "night-1")
        first_rows = all_rows(data)
        second = crawl(server, data, "night-2")
        yield {"portal": portal, "data": data, "first": first, "second": second, "first_rows": first_rows,
               "latest": latest_by_url(all_rows(data))}


@pytest.mark.parametrize("portal_id", STORING)
def test_every_true_report_is_stored_and_nothing_else(crawled, portal_id):
    result = score(crawled["portal"].truth(), crawled["first_rows"], [portal_id])
    assert result.missing == [] and result.recall == 1.0
    assert result.unexpected == [] and result.precision == 1.0


def test_all_archetypes_together_score_full_recall_and_precision(crawled):
    result = score(crawled["portal"].truth(), crawled["first_rows"])
    assert (result.recall, result.precision, result.attachment_recall) == (1.0, 1.0, 1.0)
    assert result.wrong_outcomes == []


def test_attachments_point_back_to_their_report_page(crawled):
    truth = {a["url"]: t["url"] for t in crawled["portal"].truth() for a in t["attachments"]}
    stored = [r for r in crawled["first_rows"] if r["kind"] == "attachment" and r["outcome"] == "stored"]
    assert stored and all(r["parent_url"] == truth[r["url"]] for r in stored)
    sha = {a["url"]: a["sha256"] for t in crawled["portal"].truth() for a in t["attachments"]}
    assert all(r["sha256"] == sha[r["url"]] for r in stored), "attachment bytes arrive intact"


def test_blocked_hosts_are_recorded_as_blocked_not_as_empty(crawled):
    for kind, host in BLOCKED_HOSTS.items():
        rows = [r for r in crawled["first_rows"] if r["portal_id"] == f"demo-100000-blocked-{kind}"]
        assert [r["outcome"] for r in rows] == ["blocked"], kind
        assert host in rows[0]["url"]
    challenge_stored = [r for r in crawled["first_rows"] if r["outcome"] == "stored" and "mockdept" in r["url"]]
    assert challenge_stored == []


def test_robots_disallow_is_obeyed_and_recorded(crawled):
    rows = [r for r in crawled["first_rows"] if r["portal_id"] == "demo-510682-oldzhen"]
    assert [r["outcome"] for r in rows] == ["robots"]
    asked = [path for _, host, path in crawled["first"]["requests"] if host == "www.oldzhen.demo.test"]
    assert asked == ["/robots.txt"]


def test_failures_carry_their_reason(crawled):
    by_outcome = collections.defaultdict(list)
    for row in crawled["first_rows"]:
        by_outcome[row["outcome"]].append(row)
    too_large = by_outcome["too_large"]
    assert len(too_large) == 1 and too_large[0]["kind"] == "attachment" and "max size" in too_large[0]["reason"]
    not_found = {(r["kind"], r["reason"].split(":")[0]) for r in by_outcome["not_found"]}
    assert ("attachment", "HTTP 404") in not_found  # a dead attachment link
    assert ("report", "soft 404") in not_found  # a 200 page saying "页面不存在"
    assert ("listing", "HTTP 404") in not_found  # a pager that claims one page too many


def test_flaky_slow_and_truncated_responses_were_retried_into_success(crawled):
    stats = crawled["first"]["stats"]
    retried = collections.Counter()
    for st in stats.values():
        for key, value in st.items():
            if key.startswith("retry/reason_count/"):
                retried[key.rsplit("/", 1)[1]] += value
    assert retried["500 Internal Server Error"] >= 1
    assert retried["scrapy.exceptions.DownloadTimeoutError"] >= 1
    assert retried["scrapy.exceptions.ResponseDataLossError"] >= 1


def test_the_crawl_never_left_the_registered_hosts(crawled):
    registered = {h for p in PORTALS.values() for h in p.hosts}
    asked = {host for _, host, _ in crawled["first"]["requests"] + crawled["second"]["requests"]}
    assert asked <= registered
    assert CLONE_HOST not in asked and OTHER_COUNTY_HOST not in asked


def test_gbk_pages_under_a_gb2312_label_and_a_wrong_header_decode(crawled):
    rows = [r for r in crawled["first_rows"] if r["outcome"] == "stored" and r["kind"] == "report"
            and OLDXIAN_HOST in r["url"]]
    titles = {r["title"] for r in rows}
    assert "旧县堃山乡2010年政府信息公开工作年度报告" in titles
    assert "旧县镕城镇2012年政府信息公开工作年度报告" in titles
    assert {r["detected_charset"] for r in rows} == {"gb18030"}


def test_publish_dates_are_read_in_china_time(crawled):
    truth = {t["url"]: t for t in crawled["portal"].truth()}
    rows = [r for r in crawled["first_rows"] if r["outcome"] == "stored" and r["kind"] == "report"
            and r["portal_id"] == "demo-440000-mockprov"]
    assert rows and all(r["publish_date"] == truth[r["url"]]["publish_date"] for r in rows)
    assert any(r["publish_date"] == "2021-01-01" for r in rows)  # published 00:30 CST, 2020-12-31 in UTC


def test_second_crawl_of_an_unchanged_portal_costs_listing_pages_only(crawled):
    first, second = len(crawled["first"]["requests"]), len(crawled["second"]["requests"])
    ratio = second / first
    print(f"recrawl ratio {second}/{first} = {ratio:.3f}")
    assert ratio <= 0.05
    assert [r for r in crawled["second"]["rows"] if r["outcome"] == "stored"] == []
    assert score(crawled["portal"].truth(), all_rows(crawled["data"])).recall == 1.0
