"""The demo portal's sites, built from real report pages (``site/``) and their real listing titles."""

from __future__ import annotations

from .core import DemoPortal, Site
from .trs import Article, TrsSite, article_page, site_file

PINGTAN_HOST = "www.pingtan.demo.test"
YONGDING_HOST = "www.yongding.demo.test"


def pingtan_site() -> TrsSite:
    """平潭综合实验区's 政府信息公开年报 column: four real report pages plus two news items."""
    agency = "平潭综合实验区"
    real = [
        (80613, "2022-02-08", 2021, "t20220208_80613.htm"),
        (80576, "2020-01-20", 2019, "t20200120_80576.htm"),
        (80485, "2017-01-18", 2016, "t20170118_80485.htm"),
    ]
    articles = [
        Article(docid, date, f"{agency}{year}年度政府信息公开工作年度报告", site_file("pingtan", name), year, agency)
        for docid, date, year, name in real
    ]
    articles.append(
        Article(80716, "2012-04-18", "平潭县人民政府2011年政府信息公开工作年度报告",
                site_file("pingtan", "t20120418_80716.htm"), 2011, "平潭县人民政府")
    )
    news = [
        (80620, "2022-03-02", "平潭综合实验区召开2022年政务公开工作推进会"),
        (80580, "2020-04-15", "关于开展2020年度政务公开第三方评估工作的通知"),
    ]
    for docid, date, title in news:
        body = article_page(site_name="平潭综合实验区党工委管委会", site_domain=PINGTAN_HOST, column="政府信息公开年报",
                            title=title, date=date, paragraphs=[title, "会议要求，各部门要进一步做好政务公开工作。"],
                            site_id_code="3590000001")
        articles.append(Article(docid, date, title, body))
    return TrsSite(portal_id="demo-350128-pingtan", host=PINGTAN_HOST, site_name="平潭综合实验区党工委管委会",
                   column_path="/zwgk/zfxxgk/zfxxgknb/", column_name="政府信息公开年报", articles=articles, per_page=3)


def yongding_site() -> TrsSite:
    """张家界市永定区: the seed report (a flattened 2018 统计表), one cell per paragraph."""
    lines = [ln.strip() for ln in site_file("yongding", "yongding-2018.txt").decode("utf-8").splitlines()]
    paragraphs = [ln for ln in lines if ln]
    title = "张家界市永定区政府2018年度政府信息公开工作年度报告"
    body = article_page(site_name="张家界市永定区人民政府", site_domain=YONGDING_HOST, column="政府信息公开年度报告",
                        title=title, date="2019-03-05", paragraphs=paragraphs)
    articles = [Article(1001, "2019-03-05", title, body, 2018, "张家界市永定区政府", ext=".html")]
    return TrsSite(portal_id="demo-430802-yongding", host=YONGDING_HOST, site_name="张家界市永定区人民政府",
                   column_path="/zw/zfxxgkndbg/", column_name="政府信息公开年度报告", articles=articles, per_page=10)


def all_sites() -> list[Site]:
    return [pingtan_site(), yongding_site()]


def build_portal() -> DemoPortal:
    return DemoPortal(all_sites())
