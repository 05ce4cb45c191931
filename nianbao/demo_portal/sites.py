"""The demo portal's sites: all five archetypes of portals.md §5, built from real report pages (``site/``),
real listing titles (Ordos TRS column, Dingxi Hanweb group) and generated reports for volume.

Everything is deterministic: the same call builds the same sites, so the truth manifest is stable.
"""

from __future__ import annotations

from urllib.parse import quote

from .blocked import BlockedSite
from .content import (
    DINGXI_NEWS,
    ORDOS_NEWS,
    ORDOS_REPORTS,
    Attachment,
    ColumnSite,
    Doc,
    filler_bytes,
    generated_report,
    real_paragraphs,
    report_attachment,
)
from .content import (
    site_bytes as site_file,
)
from .core import DemoPortal, DemoRequest, DemoResponse, Site
from .gkmlpt import GkmlptSite, post_path
from .hanweb import HanwebColumn, HanwebSite
from .legacy import LegacySite
from .scriptjson import ScriptJsonSite, hex_path
from .trs import CLONE_HOST, TrsColumn, TrsSite, article_page

PINGTAN_HOST = "www.pingtan.demo.test"
YONGDING_HOST = "www.yongding.demo.test"
MOCKCITY_HOST = "www.mockcity.demo.test"
COUNTY_HOST = "www.mockcounty.demo.test"
COUNTY_DEPT_HOST = "scjgj.mockcounty.demo.test"
PROV_HOST = "www.mockprov.demo.test"
SHI_HOST = "www.mockshi.demo.test"
OLDXIAN_HOST = "www.oldxian.demo.test"
OLDZHEN_HOST = "www.oldzhen.demo.test"
JYH_HOST = "www.mockjyh.demo.test"
BLOCKED_HOSTS = {"412": "rs.mockdept.demo.test", "521": "jsl.mockdept.demo.test", "edgeone": "eo.mockdept.demo.test"}
TOO_LARGE = 3 * 1024 * 1024  # above the demo registry's DOWNLOAD_MAXSIZE (2 MiB)

CITY_DEPTS = ["鄂尔多斯市教育局", "鄂尔多斯市财政局", "鄂尔多斯市民政局", "鄂尔多斯市交通运输局", "鄂尔多斯市卫生健康委员会",
              "鄂尔多斯市生态环境局", "鄂尔多斯市自然资源局", "鄂尔多斯市住房和城乡建设局", "鄂尔多斯市农牧局",
              "鄂尔多斯市审计局", "鄂尔多斯市统计局", "鄂尔多斯市应急管理局"]
TOWNSHIPS = ["城关镇", "巉口镇", "西巩驿镇", "宁远镇", "李家堡镇", "团结镇", "内官营镇", "馋口镇", "鲁家沟镇", "新集乡",
             "葛家岔镇", "石峡湾乡", "白碌乡", "青岚山乡", "香泉镇", "称钩驿镇"]
PROV_DEPTS = ["广东省发展和改革委员会", "广东省教育厅", "广东省科学技术厅", "广东省工业和信息化厅", "广东省公安厅", "广东省民政厅",
              "广东省司法厅", "广东省财政厅", "广东省人力资源和社会保障厅", "广东省自然资源厅", "广东省生态环境厅",
              "广东省住房和城乡建设厅", "广东省交通运输厅", "广东省水利厅", "广东省农业农村厅", "广东省商务厅",
              "广东省文化和旅游厅", "广东省卫生健康委员会", "广东省退役军人事务厅", "广东省应急管理厅"]


def _date_for(year: int, i: int) -> str:
    """Publication date of a report for ``year``: January–March of the next year (the legal deadline)."""
    return f"{year + 1}-{1 + i % 3:02d}-{1 + (i * 7) % 27:02d}"


def pingtan_site() -> TrsSite:
    """平潭综合实验区's 政府信息公开年报 column: four real report pages plus two news items (truth unchanged)."""
    col = "/zwgk/zfxxgk/zfxxgknb/"
    agency = "平潭综合实验区"
    docs = []
    real = [(80613, "2022-02-08", 2021, "t20220208_80613.htm"), (80576, "2020-01-20", 2019, "t20200120_80576.htm"),
            (80485, "2017-01-18", 2016, "t20170118_80485.htm")]
    for _docid, date, year, name in real:
        docs.append(Doc(f"{col}{date[:7].replace('-', '')}/{name}", f"{agency}{year}年度政府信息公开工作年度报告", date, [],
                        year, agency, generated=False, raw=site_file("pingtan", name)))
    docs.append(Doc(f"{col}201204/t20120418_80716.htm", "平潭县人民政府2011年政府信息公开工作年度报告", "2012-04-18", [],
                    2011, "平潭县人民政府", generated=False, raw=site_file("pingtan", "t20120418_80716.htm")))
    for docid, date, title in [(80620, "2022-03-02", "平潭综合实验区召开2022年政务公开工作推进会"),
                               (80580, "2020-04-15", "关于开展2020年度政务公开第三方评估工作的通知")]:
        body = article_page(site_name="平潭综合实验区党工委管委会", site_domain=PINGTAN_HOST, column="政府信息公开年报",
                            title=title, date=date, paragraphs=[title, "会议要求，各部门要进一步做好政务公开工作。"],
                            site_id_code="3590000001")
        ym = date[:7].replace("-", "")
        docs.append(Doc(f"{col}{ym}/t{date.replace('-', '')}_{docid}.htm", title, date, [], raw=body))
    return TrsSite(portal_id="demo-350128-pingtan", host=PINGTAN_HOST, site_name="平潭综合实验区党工委管委会",
                   site_id_code="3590000001",
                   columns=[TrsColumn(col, "政府信息公开年报", per_page=3, extra_pages=1, past_end="404", docs=docs)])


def yongding_site() -> TrsSite:
    """张家界市永定区: the seed report (a flattened 2018 统计表), one cell per paragraph."""
    title = "张家界市永定区政府2018年度政府信息公开工作年度报告"
    paragraphs = list(real_paragraphs("yongding/yongding-2018.txt"))
    doc = Doc("/zw/zfxxgkndbg/201903/t20190305_1001.html", title, "2019-03-05", paragraphs, 2018, "张家界市永定区政府",
              generated=False)
    return TrsSite(portal_id="demo-430802-yongding", host=YONGDING_HOST, site_name="张家界市永定区人民政府",
                   columns=[TrsColumn("/zw/zfxxgkndbg/", "政府信息公开年度报告", per_page=10, docs=[doc])])


def trs_doc(col: str, docid: int, date: str, title: str, paragraphs: list[str], year: int | None,
             agency: str | None, attach: list[tuple[str, str, int]] = (), **kw: object) -> Doc:
    ymd = date.replace("-", "")
    atts = [Attachment(f"{col}{ymd[:6]}/P0{ymd}{docid:013d}{i}.{kind}", name,
                       filler_bytes(kind, f"{docid}-{i}", size) if size else report_attachment(kind, paragraphs),
                       kind, "too_large" if size > 2 * 1024 * 1024 else "stored")
            for i, (kind, name, size) in enumerate(attach)]
    return Doc(f"{col}{ymd[:6]}/t{ymd}_{docid}.html", title, date, paragraphs, year, agency, atts, **kw)


def mockcity_site() -> TrsSite:
    """Archetype A (鄂尔多斯-like TRS city portal): 年报 column mixing superiors' reports and news, a
    department sub-channel with the older countPage pager, PDF/DOCX attachments (one only via script,
    one too large), a 2019 report published 2020-03 and a （更正） re-issue."""
    col, dept = "/zwgk/zfxxgk/zfxxgknb/", "/zwgk/bmxxgk/jyj/zfxxgknb/"
    docs, docid = [], 2748700
    for i, (title, year, agency) in enumerate(ORDOS_REPORTS):
        docid += 1
        docs.append(trs_doc(col, docid, _date_for(year, i), title, generated_report(agency, year, docid), year, agency,
                             [("pdf", f"{title}.pdf", 0)], generated=True))
    for i, agency in enumerate(CITY_DEPTS):
        for year in (2019, 2020, 2021):
            docid += 1
            atts = [("pdf", f"{agency}{year}年报.pdf", 0)]
            if i % 4 == 0:
                atts.append(("docx", f"{agency}{year}年报统计表.docx", 0))
            extra = {}
            if i == 1 and year == 2021:
                atts = [("pdf", "扫描件.pdf", TOO_LARGE)]
            if i == 2 and year == 2020:
                extra = {"script_attachment": True}
            date = "2020-03-31" if year == 2019 and i == 0 else _date_for(year, i)
            d = trs_doc(col, docid, date, f"{agency}{year}年政府信息公开工作年度报告",
                         generated_report(agency, year, docid), year, agency, atts)
            d.extra.update(extra)
            docs.append(d)
    docid += 1
    docs.append(trs_doc(col, docid, "2022-04-20", "鄂尔多斯市教育局2021年政府信息公开工作年度报告（更正）",
                         generated_report("鄂尔多斯市教育局", 2021, docid), 2021, "鄂尔多斯市教育局"))
    for i, title in enumerate(ORDOS_NEWS):
        docid += 1
        docs.append(trs_doc(col, docid, f"20{18 + i % 4}-0{1 + i % 9}-1{i}", title, [title, "会议强调……"], None, None))
    dept_docs = []
    for year in range(2013, 2021):
        docid += 1
        dept_docs.append(trs_doc(dept, docid, _date_for(year, year), f"鄂尔多斯市教育局{year}年政府信息公开工作年度报告",
                                  generated_report("鄂尔多斯市教育局", year, docid), year, "鄂尔多斯市教育局",
                                  [("pdf", f"{year}年报.pdf", 0)]))
    return TrsSite(portal_id="demo-150600-mockcity", host=MOCKCITY_HOST, site_name="鄂尔多斯市人民政府（演示）",
                   site_id_code="1506000001", offsite_links=True, columns=[
                       TrsColumn(col, "政府信息公开年报", per_page=15, extra_pages=1, past_end="refresh", docs=docs),
                       TrsColumn(dept, "信息公开年报", per_page=5, pager="countpage", extra_pages=0, docs=dept_docs)])


def mockcounty_site() -> HanwebSite:
    """Archetype B (定西-like Hanweb county portal) with a 市场监管局 sub-site on its own host."""
    main = HanwebColumn(COUNTY_HOST, 12377, 38486, 110, "演示县人民政府", "政府信息公开年报")
    dept = HanwebColumn(COUNTY_DEPT_HOST, 4039, 446643, 111, "演示县市场监督管理局", "政府信息公开年报")
    docs, docid = [], 1480000
    for i, town in enumerate(TOWNSHIPS):
        for year in range(2016, 2021):
            docid += 1
            date = _date_for(year, i)
            d = Doc(HanwebSite.art_path(main.columnid, docid, date), f"演示县{town}{year}年政府信息公开工作年度报告", date,
                    generated_report(f"演示县{town}", year, docid), year, f"演示县{town}", extra={"columnid": main.columnid})
            if year == 2020:
                kind = "docx" if i == 3 else "pdf"
                d.attachments.append(Attachment(f"/module/download/downfile.jsp?classid=0&filename={docid:x}.{kind}",
                                                f"{town}{year}年报.{kind}", report_attachment(kind, d.paragraphs), kind))
            docs.append(d)
    for i, title in enumerate(DINGXI_NEWS):
        docid += 1
        date = f"2021-{1 + i % 12:02d}-{1 + i:02d}"
        docs.append(Doc(HanwebSite.art_path(main.columnid, docid, date), title, date, [title], extra={"columnid": main.columnid}))
    for year in range(2014, 2022):
        docid += 1
        date = _date_for(year, year)
        docs.append(Doc(HanwebSite.art_path(dept.columnid, docid, date), f"演示县市场监督管理局{year}年政府信息公开工作年度报告",
                        date, generated_report("演示县市场监督管理局", year, docid), year, "演示县市场监督管理局",
                        host=COUNTY_DEPT_HOST, extra={"columnid": dept.columnid}))
    # a department report listed in the county's column, linked absolutely to the department host
    docid += 1
    docs.append(Doc(HanwebSite.art_path(dept.columnid, docid, "2022-01-28"), "演示县市场监督管理局2021年度信息公开工作年度报告（补充）",
                    "2022-01-28", generated_report("演示县市场监督管理局", 2021, docid), 2021, "演示县市场监督管理局",
                    host=COUNTY_DEPT_HOST, extra={"columnid": main.columnid}))
    truncated = docs[5].path
    return HanwebSite(portal_id="demo-621102-mockcounty", columns=[main, dept], docs=docs, truncate_once=truncated)


def _gk_docs(prefix: str, agencies: list[str], years: range, first_id: int, categories: list[int]) -> list[Doc]:
    docs, docid = [], first_id
    for year in years:
        for i, agency in enumerate(agencies):
            docid += 1
            date = _date_for(year, i)
            d = Doc(post_path(docid), f"{agency}{year}年政府信息公开工作年度报告", date,
                    generated_report(agency, year, docid), year, agency,
                    extra={"id": docid, "categories": [categories[0]]})
            if i % 4 == 0:
                d.attachments.append(Attachment(f"/attachment/0/{docid // 1000}/{docid}/{docid}.pdf",
                                                f"{agency}{year}年报.pdf", report_attachment("pdf", d.paragraphs)))
            docs.append(d)
    return docs


def mockprov_site() -> GkmlptSite:
    """Archetype C (广东-like gkmlpt province): two categories, one document in both, JSON-only attachments."""
    docs = _gk_docs("prov", PROV_DEPTS, range(2012, 2024), 12_750_000, [2801])
    for d in docs[::40]:
        d.extra["categories"].append(2802)  # the same document under two categories
    for d in docs[-20:]:
        d.extra["categories"] = [2802]
    midnight = docs[len(docs) // 2]
    midnight.date, midnight.extra["time"] = "2021-01-01", "00:30"  # 2020-12-31 in UTC
    nid = 12_760_000
    for i, title in enumerate(["关于做好2020年政府信息公开工作年度报告编制发布工作的通知", "广东省政务公开工作要点",
                               "关于报送2021年政府信息公开工作年度报告的通知"]):
        nid += 1
        docs.append(Doc(post_path(nid), title, f"2021-0{i + 1}-15", [title], extra={"id": nid, "categories": [2801]}))
    return GkmlptSite(portal_id="demo-440000-mockprov", host=PROV_HOST, sid="760001",
                      categories={2801: "政府信息公开年报", 2802: "部门政府信息公开年报"}, docs=docs, page_size=40)


def mockshi_site() -> GkmlptSite:
    """A second gkmlpt host whose API repeats the last page past the end (instead of an empty list)."""
    agencies = [f"演示市{name}" for name in ("发展和改革局", "教育局", "公安局", "民政局", "财政局")]
    docs = _gk_docs("shi", agencies, range(2014, 2024), 755_100_000, [3001])
    return GkmlptSite(portal_id="demo-440300-mockshi", host=SHI_HOST, sid="755001",
                      categories={3001: "政府信息公开年报"}, docs=docs, page_size=20, past_end="repeat")


def oldxian_site() -> LegacySite:
    """Archetype D: a GB2312-labelled county site with GBK-only characters (镕, 堃) and every legacy trap."""
    towns = ["镕城镇", "堃山乡", "旧县镇", "河东乡", "河西乡", "北山乡"]
    real = list(real_paragraphs("pingtan/t20120418_80716.htm"))
    docs, n = [], 100
    for year in range(2008, 2014):
        for i, town in enumerate(towns):
            n += 1
            agency = f"旧县{town}"
            paras = [*real, f"（本报告由{agency}编制，联系人：王堃，审核：李镕）"] if i == 0 else generated_report(agency, year, n)
            d = Doc(f"/info/iInfo.jsp?id={n}", f"{agency}{year}年政府信息公开工作年度报告", _date_for(year, i), paras, year,
                    agency, generated=i != 0)
            if n % 7 == 0:
                d.extra["trap"] = "error500"
            elif n % 11 == 0:
                d.extra["trap"] = "slow"
            if n % 5 == 0:
                d.extra["wrong_header"] = True
            if i == 1:
                kind = "docx" if year % 2 else "pdf"
                name = f"{town}{year}年报.{kind}"
                quoted = quote(name.encode("gbk"))  # GBK percent-encoded file name
                status, expect = (404, "not_found") if year == 2010 else (200, "stored")
                d.attachments.append(Attachment(f"/uploadfiles/{year}/{quoted}", name, report_attachment(kind, paras), kind,
                                                expect, status))
            docs.append(d)
    for i, title in enumerate(["旧县召开政务公开工作会议", "关于开展政府网站普查工作的通知", "旧县2012年春耕生产情况"]):
        n += 1
        docs.append(Doc(f"/info/iInfo.jsp?id={n}", title, f"2012-0{i + 4}-10", [title]))
    n += 1  # a listed report whose page was deleted: 200 + "页面不存在"
    docs.append(Doc(f"/info/iInfo.jsp?id={n}", "旧县人民政府2009年政府信息公开工作年度报告（旧版）", "2010-03-20", [], None,
                    soft_404=True))
    return LegacySite(portal_id="demo-510683-oldxian", host=OLDXIAN_HOST, site_name="旧县人民政府", docs=docs)


def oldzhen_site() -> LegacySite:
    """A legacy site whose robots.txt forbids everything: its reports must end as 'robots', not as absent."""
    docs = [Doc(f"/info/iInfo.jsp?id={i}", f"旧镇{y}年政府信息公开工作年度报告", _date_for(y, 0), generated_report("旧镇", y, i),
                y, "旧镇人民政府", expect="robots") for i, y in enumerate(range(2010, 2013), start=1)]
    return LegacySite(portal_id="demo-510682-oldzhen", host=OLDZHEN_HOST, site_name="旧镇人民政府", docs=docs,
                      robots_txt="User-agent: *\nDisallow: /\n")


def blocked_sites() -> list[BlockedSite]:
    out = []
    for kind, host in BLOCKED_HOSTS.items():
        docs = [Doc(f"/zfxxgknb/202301/t20230120_{i}.html", f"演示部{kind}{y}年政府信息公开工作年度报告", _date_for(y, 0), [], y,
                    "演示部") for i, y in enumerate((2021, 2022), start=1)]
        out.append(BlockedSite(portal_id=f"demo-100000-blocked-{kind}", host=host, kind=kind, docs=docs))
    return out


def mockjyh_site() -> ScriptJsonSite:
    """Archetype E (集约化 SPA): listing only in a JS literal, pager only base64, hex article names."""
    col, docs = "/nw12344/", []
    units = ["市发展和改革委员会", "市经济和信息化委员会", "市商务委员会", "市教育委员会", "市科学技术委员会", "市民族和宗教事务局"]
    for year in range(2019, 2024):
        for i, unit in enumerate(units):
            agency = f"演示市{unit}"
            date = _date_for(year, i)
            docs.append(Doc(hex_path(col, date, f"{agency}{year}"), f"{agency}{year}年政府信息公开工作年度报告", date,
                            generated_report(agency, year, year * 10 + i), year, agency))
    docs.append(Doc(hex_path(col, "2023-05-10", "news"), "演示市2023年政务公开工作要点", "2023-05-10", ["要点"]))
    return ScriptJsonSite(portal_id="demo-310000-mockjyh", host=JYH_HOST, column=col, docs=docs, per_page=8)


class CloneSite(Site):
    """A spam mirror copying a real report; linked from portals, never in the registry, never to be fetched."""

    hosts = (CLONE_HOST,)

    def respond(self, req: DemoRequest) -> DemoResponse:
        return DemoResponse.html(site_file("pingtan", "t20200120_80576.htm"))


class WithHome(Site):
    """A demo site with its home page and 信息公开 hub pages in front (column discovery starts at ``/``);
    every other request, and every attribute, is the wrapped site's."""

    def __init__(self, site: Site, pages: dict[tuple[str, str], str], charset: str = "utf-8") -> None:
        self.site, self.pages, self.charset = site, pages, charset
        self.hosts, self.robots_txt = site.hosts, site.robots_txt

    def __getattr__(self, name: str) -> object:
        return getattr(self.site, name)

    def handle(self, req: DemoRequest) -> DemoResponse:
        page = self.pages.get((req.host, req.path))
        if page is None or req.path == "/robots.txt":
            return self.site.handle(req)
        return DemoResponse.html(page, charset=self.charset)

    def truth(self, base: str) -> object:
        return self.site.truth(base)


def home_page(title: str, links: list[tuple[str, str]], charset: str = "utf-8") -> str:
    """A minimal portal page: navigation links, a news item about reports (not a column) and off-site links."""
    items = "\n".join(f'<li><a href="{href}" title="{text}">{text}</a></li>' for href, text in links)
    return (f'<!DOCTYPE html>\n<html><head><meta charset="{charset}"/><meta name="SiteName" content="{title}"/>'
            f"<title>{title}</title></head><body>\n"
            '<div class="top"><a href="https://www.gov.cn/">中国政府网</a> <a href="http://www.gov.cn/zhengce/xxgk/'
            'zfxxgknb/">国务院政府信息公开年报</a></div>\n'
            f'<ul class="nav"><li><a href="/">首页</a></li>\n{items}\n</ul>\n'
            '<div class="news"><a href="/xwzx/tzgg/202201/t20220105_1.html">关于做好2021年政府信息公开工作年度报告编制发布工作的通知'
            '</a><a href="/hdjl/">互动交流</a></div>\n</body></html>\n')


def with_homes(sites: list[Site]) -> list[Site]:
    """Home pages for discovery: each site's annual-report column is one to three hops from ``/``."""
    county_hub = "/col/col12300/index.html"
    pages = {
        "demo-350128-pingtan": {(PINGTAN_HOST, "/"): home_page("平潭综合实验区党工委管委会", [("/zwgk/", "政务公开"),
                                                                                        ("/jdhy/", "解读回应")]),
                                (PINGTAN_HOST, "/zwgk/"): home_page("政务公开", [
                                    ("./zfxxgk/zfxxgkzn/", "政府信息公开指南"), ("./zfxxgk/zfxxgkzd/", "政府信息公开制度"),
                                    ("./zfxxgk/fdzdgknr/", "法定主动公开内容"), ("./zfxxgk/zfxxgknb/", "政府信息公开年报")])},
        "demo-430802-yongding": {(YONGDING_HOST, "/"): home_page("张家界市永定区人民政府", [
            ("/zw/zfxxgkndbg/", "政府信息公开年度报告"), ("/zw/zcwj/", "政策文件")])},
        "demo-150600-mockcity": {(MOCKCITY_HOST, "/"): home_page("鄂尔多斯市人民政府（演示）", [("/zwgk/", "政务公开")]),
                                 (MOCKCITY_HOST, "/zwgk/"): home_page("政务公开", [
                                     ("/zwgk/zfxxgk/zfxxgkzn/", "政府信息公开指南"), ("/zwgk/zfxxgk/zfxxgknb/", "政府信息公开年报"),
                                     ("/zwgk/bmxxgk/", "部门信息公开")]),
                                 (MOCKCITY_HOST, "/zwgk/bmxxgk/"): home_page("部门信息公开", [
                                     ("/zwgk/bmxxgk/jyj/zfxxgknb/", "市教育局信息公开年报"), ("/zwgk/bmxxgk/czj/", "市财政局")])},
        "demo-621102-mockcounty": {(COUNTY_HOST, "/"): home_page("演示县人民政府", [
            ("/col/col12377/index.html", "政府信息公开年报"), (county_hub, "部门信息公开")]),
                                   (COUNTY_HOST, county_hub): home_page("部门信息公开", [
                                       (f"http://{COUNTY_DEPT_HOST}/col/col4039/index.html", "县市场监管局政府信息公开年报")]),
                                   (COUNTY_DEPT_HOST, "/"): home_page("演示县市场监督管理局", [
                                       ("/col/col4039/index.html", "政府信息公开年报")])},
        "demo-440000-mockprov": {(PROV_HOST, "/"): home_page("广东省人民政府（演示）", [("/gkmlpt/index", "政府信息公开")])},
        "demo-440300-mockshi": {(SHI_HOST, "/"): home_page("演示市人民政府", [("/gkmlpt/index", "政府信息公开")])},
        "demo-510683-oldxian": {(OLDXIAN_HOST, "/"): home_page("旧县人民政府", [
            ("/InfoPublic.aspx?cid=1019&pid=971&page=1&kw=", "信息公开年报")], charset="gb2312")},
        "demo-510682-oldzhen": {(OLDZHEN_HOST, "/"): home_page("旧镇人民政府", [
            ("/InfoPublic.aspx?cid=1019&pid=971&page=1&kw=", "信息公开年报")], charset="gb2312")},
        "demo-310000-mockjyh": {(JYH_HOST, "/"): home_page("演示市人民政府", [("/nw12344/", "政府信息公开年报")])},
    }
    return [WithHome(site, pages[pid], "gb2312" if pid.startswith("demo-51068") else "utf-8")
            if (pid := getattr(site, "portal_id", "")) in pages else site for site in sites]


def all_sites() -> list[Site]:
    return with_homes([pingtan_site(), yongding_site(), mockcity_site(), mockcounty_site(), mockprov_site(),
                       mockshi_site(), oldxian_site(), oldzhen_site(), mockjyh_site(), *blocked_sites(), CloneSite()])


def build_portal() -> DemoPortal:
    return DemoPortal(all_sites())


def site_of(portal: DemoPortal, portal_id: str) -> ColumnSite:
    """The site serving a demo portal id (for time-control calls in tests)."""
    for site in portal.sites:
        if getattr(site, "portal_id", None) == portal_id:
            return site  # type: ignore[return-value]
    raise KeyError(portal_id)
