"""Family parsers and middlewares on real captured listings and on the traps they must survive."""

from __future__ import annotations

from pathlib import Path

from scrapy import Request
from scrapy.http import HtmlResponse

from nianbao.demo_portal.blocked import CHALLENGES
from nianbao.demo_portal.sites import PINGTAN_HOST
from spiders.base import is_soft_404
from spiders.families.gkmlpt import categories, china_date
from spiders.families.hanweb import NEXTGROUP, records
from spiders.families.trs import pager
from spiders.middlewares import CharsetRepairMiddleware, HtmlAwareRobotParser, challenge_reason

FIXTURES = Path(__file__).parent / "fixtures"
REAL_REPORT = Path(__file__).parents[1] / "fixtures" / "real" / "pingtan" / "t20220208_80613.htm"


def test_trs_pager_reads_the_real_ordos_countpage_script():
    html = (FIXTURES / "trs-wcm_ordos-egb_xxgknb-column_list.html").read_text(encoding="utf-8")
    assert pager(html) == (2, 0, "index", "html")
    assert pager('<script>createPageHTML(67, 3, "index", "shtml");</script>') == (67, 3, "index", "shtml")
    assert pager('<script>createPage(34, 0, "index", "html")</script>') == (34, 0, "index", "html")


def test_hanweb_records_of_the_real_dingxi_group():
    xml = (FIXTURES / "hanweb-jpage_dingxi-zwgk_dataproxy-response.xml").read_text(encoding="utf-8")
    recs = records(xml)
    assert len(recs) == 45
    titles = [t for _, t, _ in recs]
    assert "定西市工信局关于对省级第二轮环保督察反馈第四项第十三项问题整改完成情况的公示" in titles  # full, not "..."
    assert not any(t.endswith("...") for t in titles)
    assert all(d and d.startswith(("2021-", "2022-")) for _, _, d in recs)
    assert any(h.startswith("http://zwgk.dingxi.gov.cn/art/") for h, _, _ in recs)  # the absolute other-column link
    assert "columnid=12377" in NEXTGROUP.search(xml).group(1)


def test_gkmlpt_epoch_dates_are_china_calendar_dates():
    assert china_date(1609432200) == "2021-01-01"  # 2021-01-01 00:30 CST = 2020-12-31 16:30 UTC
    assert china_date(1609432200000) == "2021-01-01"  # milliseconds too
    assert china_date(None) is None
    index = "<script>window._CONFIG = {SID:'2', TREE:[{id:1, name:'政策文件'},{id:28, name:'政府信息公开年报'}]};</script>"
    assert categories(index, "年报") == [28]


def test_every_bot_wall_is_recognised_and_a_report_is_not():
    for status, body in CHALLENGES.values():
        assert challenge_reason(status, body.encode()) is not None
    assert challenge_reason(200, REAL_REPORT.read_bytes()) is None
    assert challenge_reason(404, b"<html>404</html>") is None


def test_robots_txt_answered_by_an_html_page_means_no_robots():
    parser = HtmlAwareRobotParser(b"<!DOCTYPE html><html><body>Disallow: /</body></html>", None)
    assert parser.allowed("http://x.gov.cn/zfxxgknb/", "nianbao")
    strict = HtmlAwareRobotParser(b"User-agent: *\nDisallow: /\n", None)
    assert not strict.allowed("http://x.gov.cn/zfxxgknb/", "nianbao")


def test_gbk_bytes_under_a_utf8_header_are_re_decoded():
    text = "<html><head><meta charset='gb2312'><title>堃山乡2012年政府信息公开工作年度报告</title></head></html>"
    response = HtmlResponse("http://www.oldxian.demo.test/x", body=text.encode("gbk"),
                            headers={"Content-Type": "text/html; charset=utf-8"}, request=Request("http://x/"))
    fixed = CharsetRepairMiddleware().process_response(response.request, response)
    assert "堃山乡" in fixed.xpath("//title/text()").get()


def test_soft_404_pages_are_recognised_and_reports_are_not():
    soft = HtmlResponse(f"http://{PINGTAN_HOST}/x", status=200, encoding="utf-8",
                        body="<html><body>对不起，页面不存在或您访问的页面已删除！</body></html>".encode())
    assert is_soft_404(soft)
    report = HtmlResponse(f"http://{PINGTAN_HOST}/y", status=200, body=REAL_REPORT.read_bytes())
    assert not is_soft_404(report)


def test_script_json_listing_and_base64_pager():
    from nianbao.demo_portal.sites import mockjyh_site
    from spiders.families.scriptjson import items, pager_pages

    site = mockjyh_site()
    page = site.listing(0)
    found = items(page.decode())
    assert len(found) == site.per_page and all(p.startswith("/nw12344/") and p.endswith(".html") for p, _, _ in found)
    response = HtmlResponse("http://www.mockjyh.demo.test/nw12344/", body=page, encoding="utf-8")
    assert response.xpath("//a[@href]") == [], "nothing for a plain HTML link parser"
    assert 1 in pager_pages(response)
