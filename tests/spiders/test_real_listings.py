"""Real listing pages (sources in tests/spiders/fixtures/SOURCES.md) read by spiders.listing, the code both the
spiders and ``nianbao listing`` run: every report link, the next pages, the family and its evidence."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy import FormRequest
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from spiders.detect import detect_family
from spiders.families.generic import ListingSpider
from spiders.families.trs import TrsSpider
from spiders.listing import gkmlpt_categories, gkmlpt_tree, list_model, read_listing

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
ROOT = HERE.parents[1]
PINGTAN = ROOT / "tests" / "fixtures" / "real" / "pingtan" / "zfxxgknb-index.html"
PINGTAN_URL = "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/"
SANMING = FIXTURES / "real" / "sanming" / "zfxxgkndbg-index-api_p001.json"
SANMING_API = "https://www.sm.gov.cn/fjdzapp/search?channelid=229105&classsql=chnlid%3D1377&page=1&prepage=100"
GJJ = FIXTURES / "real" / "heldout" / "sanming-gjjndbg-api_p001.json"
ZFGZBG = FIXTURES / "real" / "heldout" / "sanming-zfgzbg-api_p001.json"
ORDOS = FIXTURES / "trs-wcm_ordos-egb_xxgknb-column_list.html"
ORDOS_URL = "http://egb.ordos.gov.cn/xxgk/xxgknb/"
DINGXI = FIXTURES / "hanweb-jpage_dingxi-zwgk_dataproxy-response.xml"
DINGXI_URL = "http://zwgk.dingxi.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=45&perpage=15"


def test_pingtan_dynamic_static_page_lists_its_ten_static_reports_and_asks_the_list_api_for_the_rest():
    listing = read_listing(PINGTAN_URL, PINGTAN.read_bytes())
    assert listing.family == "fujian_trs" and "动静结合" in listing.evidence
    reports = listing.reports
    assert len(reports) == 10 and len(listing.entries) == 10
    assert [r.year for r in reports] == list(range(2025, 2015, -1))
    first, last = reports[0], reports[-1]
    assert first.url == "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/202603/t20260313_105587.htm"
    assert first.title == "平潭综合实验区2025年度政府信息公开工作年度报告" and first.date == "2026-03-10"
    assert last.url == "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/201701/t20170118_80485.htm"
    assert reports[4].url.endswith("/202202/t20220208_80613.htm") and reports[4].date == "2022-02-08"
    # recordCount 20, prepage 10, maxStaticIndex 1: page 2 comes from POST /fjdzapp/search
    model = list_model(PINGTAN.read_text(encoding="utf-8"))
    assert model["channelid"] == "200210" and model["classsql"] == "chnlid=1813" and model["recordCount"] == 20
    assert len(listing.next_pages) == 1
    nxt = urlsplit(listing.next_pages[0])
    assert (nxt.netloc, nxt.path) == ("www.pingtan.gov.cn", "/fjdzapp/search")
    assert {k: v[0] for k, v in parse_qs(nxt.query).items()} == {
        "channelid": "200210", "classsql": "chnlid=1813", "sortfield": "-docorderpri,-docreltime", "page": "2",
        "prepage": "10"}
    assert listing.columns == []


def test_sanming_list_api_json_gives_all_thirteen_reports():
    listing = read_listing(SANMING_API, SANMING.read_bytes(), "application/json")
    assert listing.family == "fujian_trs"
    assert len(listing.reports) == 13 == len(listing.entries)
    assert sorted(r.year for r in listing.reports) == list(range(2013, 2026))
    by_year = {r.year: r for r in listing.reports}
    assert by_year[2021].url == "https://www.sm.gov.cn/smsrmzfbgs/smsrmzf/zfxxgkndbg/202203/t20220307_1762786.htm"
    assert by_year[2021].title == "三明市2021年政府信息公开工作年度报告" and by_year[2021].date == "2022-03-07"
    assert by_year[2013].date == "2014-01-13"  # docreltime, not the URL's date
    assert listing.next_pages == []  # page 1 of pageCount 1


def test_sanming_housing_fund_annual_reports_are_not_disclosure_reports():
    listing = read_listing(SANMING_API.replace("1377", "6169"), GJJ.read_bytes(), "application/json")
    assert len(listing.entries) == 14 and listing.reports == [] and listing.next_pages == []


def test_sanming_work_report_column_lists_twenty_six_government_work_reports_and_no_disclosure_report():
    """政府工作报告 titles ("2026年政府工作报告", "…（图解）") carry a year and 报告 but are not annual
    disclosure reports: every entry is read, none is taken, and the one-page list names no next page."""
    listing = read_listing("http://www.sm.gov.cn/fjdzapp/search?page=1&prepage=100", ZFGZBG.read_bytes(),
                           "application/json")
    assert listing.family == "fujian_trs"
    assert len(listing.entries) == 26 and listing.reports == [] and listing.next_pages == []
    assert {e.title for e in listing.entries} >= {"2026年政府工作报告", "2022年政府工作报告（图解）", "2002年政府工作报告"}


def test_ordos_trs_column_reports_among_news_and_its_second_page():
    listing = read_listing(ORDOS_URL, ORDOS.read_bytes())
    assert listing.family == "trs" and "countPage" in listing.evidence
    assert [(r.url.rsplit("/", 2)[-2:], r.year) for r in listing.reports] == [
        (["202009", "t20200903_2748784.html"], 2019), (["202003", "t20200311_2593126.html"], 2019),
        (["201905", "t20190530_2380968.html"], 2018), (["201905", "t20190530_2380967.html"], 2018)]
    assert listing.reports[3].title == "内蒙古自治区2018年政府信息公开工作年度报告"
    assert any("召开2020年度工作会" in e.title for e in listing.entries), "news is listed, just not a report"
    assert listing.next_pages == [ORDOS_URL + "index_1.html"]


def test_dingxi_hanweb_group_has_no_reports_and_names_the_next_group():
    listing = read_listing(DINGXI_URL, DINGXI.read_bytes(), "text/xml")
    assert listing.family == "hanweb"
    assert len(listing.entries) == 45 and listing.reports == []
    assert "2021年度政府网站年度工作报表" in [e.title for e in listing.entries]
    (nxt,) = listing.next_pages
    q = {k: v[0] for k, v in parse_qs(urlsplit(nxt).query).items()}
    assert (q["startrecord"], q["endrecord"], q["perpage"]) == ("46", "90", "15")
    assert (q["columnid"], q["unitid"], q["webid"]) == ("12377", "38486", "110")


@pytest.mark.parametrize("url, path, family", [
    (PINGTAN_URL, PINGTAN, "fujian_trs"), (SANMING_API, SANMING, "fujian_trs"), (ORDOS_URL, ORDOS, "trs"),
    (DINGXI_URL, DINGXI, "hanweb"),
])
def test_family_detected_from_the_real_pages_own_markers(url, path, family):
    found, evidence = detect_family(url, path.read_bytes())
    assert found == family and evidence


@pytest.mark.parametrize("url, family", [
    ("http://www.gd.gov.cn/gkmlpt/index", "gkmlpt"),
    ("https://www.miit.gov.cn/api-gateway/jpaas-publish-server/front/page/build/unit?pageId=1", "hanweb_jpaas"),
    ("http://www.wenzhou.gov.cn/module/xxgk/xxgkAnnualReport.jsp?area=113303000025&fbtime=2021",
     "annual_report_module"),
])
def test_family_detected_from_the_url_alone(url, family):
    assert detect_family(url, b"")[0] == family


def test_nested_gkmlpt_category_tree_is_walked():
    """A constructed TREE in the nested shape (children lists, quoted keys); no real gkmlpt index page was found
    in the public archives (see SOURCES.md)."""
    tree = [{"id": 1, "name": "政策文件", "children": [{"id": 7, "name": "规章"}]},
            {"id": 2, "name": "政府信息公开", "children": [{"id": 2819, "name": "政府信息公开年报", "children": []}]}]
    page = f"<script>window._CONFIG = {{SID: '755031', TREE: {json.dumps(tree, ensure_ascii=False)}, X: 1}};</script>"
    assert (2819, "政府信息公开年报") in gkmlpt_tree(page)
    assert gkmlpt_categories(page) == [2819]
    listing = read_listing("http://jr.sz.gov.cn/gkmlpt/index", page)
    assert listing.family == "gkmlpt"
    assert listing.columns == ["http://jr.sz.gov.cn/gkmlpt/api/all/2819?page=1&sid=755031"]


@pytest.mark.parametrize("spidercls, family", [(ListingSpider, "fujian_trs"), (TrsSpider, "trs")])
def test_spiders_ask_the_fujian_list_api_by_post(spidercls, family):
    portal = {"id": "350128-pingtan", "name": "平潭", "hosts": ["www.pingtan.gov.cn"], "family": family,
              "seed_urls": [PINGTAN_URL]}
    crawler = get_crawler(spidercls)
    spider = spidercls.from_crawler(crawler, portal=json.dumps(portal, ensure_ascii=False))
    response = HtmlResponse(PINGTAN_URL, body=PINGTAN.read_bytes(), encoding="utf-8",
                            request=spider.request(PINGTAN_URL, spider.parse_listing, kind="listing",
                                                   column=PINGTAN_URL))
    out = list(spider.parse_listing(response))
    reports = [r for r in out if getattr(r, "meta", {}).get("kind") == "report"]
    assert len(reports) == 10
    (api,) = [r for r in out if isinstance(r, FormRequest)]
    assert api.method == "POST" and api.url == "https://www.pingtan.gov.cn/fjdzapp/search"
    assert parse_qs(api.body.decode()) == {"channelid": ["200210"], "sortfield": ["-docorderpri,-docreltime"],
                                           "classsql": ["chnlid=1813"], "page": ["2"], "prepage": ["10"]}


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nianbao.cli", "listing", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)


def test_nianbao_listing_prints_what_the_spider_reads():
    proc = _cli(str(PINGTAN), "--url", PINGTAN_URL, "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["family"] == "fujian_trs" and len(out["reports"]) == 10
    assert set(out["reports"][0]) == {"url", "title", "date", "year"}
    assert out["next_pages"] == read_listing(PINGTAN_URL, PINGTAN.read_bytes()).next_pages
    text = _cli(str(ORDOS), "--url", ORDOS_URL)
    assert "family: trs" in text.stdout and "reports: 4 of" in text.stdout


def test_nianbao_listing_missing_file_is_one_line_exit_2(tmp_path):
    proc = _cli(str(tmp_path / "nope.html"), "--url", "http://x.gov.cn/")
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "no such file" in proc.stderr


def test_generic_reader_on_a_real_page_it_has_no_family_code_for():
    """Forced to the generic family, the Ordos page still yields its 4 reports, and its next page from the
    pager's own index_1 link (the 尾页 anchor the page's script wrote)."""
    listing = read_listing(ORDOS_URL, ORDOS.read_bytes(), family="generic")
    assert listing.family == "generic"
    assert [r.url for r in listing.reports] == [r.url for r in read_listing(ORDOS_URL, ORDOS.read_bytes()).reports]
    assert listing.next_pages == [ORDOS_URL + "index_1.html"]


# No real capture of these shapes was found (SOURCES.md); the pages below are constructed after the request
# shapes public crawler code sends, and say only what the reader does with such a page.
def test_constructed_hanweb_server_side_list_pages_by_pagenum():
    page = ('<ul><li><a href="/art/2023/3/1/art_1229_3801.html" title="某县2022年政府信息公开工作年度报告">某县…</a>'
            '<span>2023-03-01</span></li><li><a href="/art/2023/2/1/art_1229_3700.html">关于春节的通知</a></li></ul>'
            '<a href="/col/col1229/index.html?uid=5017&pageNum=2">下一页</a>')
    listing = read_listing("http://www.x.gov.cn/col/col1229/index.html?uid=5017&pageNum=1", page, family="hanweb")
    assert [(r.url, r.year, r.date) for r in listing.reports] == [
        ("http://www.x.gov.cn/art/2023/3/1/art_1229_3801.html", 2022, "2023-03-01")]
    assert listing.next_pages == ["http://www.x.gov.cn/col/col1229/index.html?uid=5017&pageNum=2"]


def test_constructed_jpaas_json_wrapped_fragment_and_its_next_pageno():
    html = ('<li><a href="/zwgk/art/2024/art_0123456789abcdef0123456789abcdef.html">'
            '工业和信息化部政府信息公开工作2023年度报告</a><span>2024-01-30</span></li>')
    body = json.dumps({"success": True, "data": {"html": html}})
    url = ("https://www.miit.gov.cn/api-gateway/jpaas-publish-server/front/page/build/unit?pageId=c52d&"
           'paramJson={"pageNo":1,"pageSize":1}')
    listing = read_listing(url, body)
    assert listing.family == "hanweb_jpaas"
    assert [(r.year, r.date) for r in listing.reports] == [(2023, "2024-01-30")]
    (nxt,) = listing.next_pages
    assert json.loads(parse_qs(urlsplit(nxt).query)["paramJson"][0]) == {"pageNo": 2, "pageSize": 1}


def test_constructed_module_page_names_the_other_years_as_sub_columns():
    base = "http://www.zoucheng.gov.cn/module/xxgk/xxgkAnnualReport.jsp?area=11370883004325769B&fbtime="
    page = f'<a href="{base}2020">2020</a><a href="{base}2019">2019</a>'
    listing = read_listing(base + "2021", page)
    assert listing.family == "annual_report_module"
    assert listing.columns == [base + "2020", base + "2019"]


def test_a_registry_record_saying_trs_still_reaches_the_list_api_of_a_dynamic_static_column():
    """The starter registry calls 平潭 a TRS site; the page's own listModel marker refines that."""
    listing = read_listing(PINGTAN_URL, PINGTAN.read_bytes(), family="trs")
    assert listing.family == "fujian_trs" and len(listing.reports) == 10
    assert urlsplit(listing.next_pages[0]).path == "/fjdzapp/search"
