"""Archetype A: a TRS WCM static-publishing site (``index.html``, ``index_1.html`` … with
``createPageHTML(count, current, "index", "html")``, articles at ``./YYYYMM/tYYYYMMDD_ID.htm``)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from importlib import resources

from .core import NOT_FOUND, DemoRequest, DemoResponse, Site


@dataclass
class Article:
    docid: int
    date: str  # YYYY-MM-DD publication date
    title: str
    body: bytes  # the article page as served
    report_year: int | None = None  # None: not an annual report (news in the same column)
    agency: str | None = None
    ext: str = ".htm"

    @property
    def relpath(self) -> str:
        ymd = self.date.replace("-", "")
        return f"{ymd[:6]}/t{ymd}_{self.docid}{self.ext}"


def site_file(*parts: str) -> bytes:
    return resources.files("nianbao.demo_portal").joinpath("site", *parts).read_bytes()


def article_page(*, site_name: str, site_domain: str, column: str, title: str, date: str, paragraphs: list[str],
                 site_id_code: str | None = None, source: str = "") -> bytes:
    """A TRS article page with the mandated <meta> tags and the body in ``.TRS_Editor``."""
    metas = [
        ("SiteName", site_name), ("SiteDomain", site_domain), ("ColumnName", column), ("ColumnType", column),
        ("ArticleTitle", title), ("PubDate", f"{date} 09:00"), ("ContentSource", source),
    ]
    if site_id_code:
        metas.insert(2, ("SiteIDCode", site_id_code))
    head = "\n".join(f'<meta name="{k}" content="{html.escape(v)}"/>' for k, v in metas)
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    page = (
        f'<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8"/>\n{head}\n'
        f"<title>{html.escape(title)}_{html.escape(column)}_{html.escape(site_name)}</title>\n</head>\n<body>\n"
        f'<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="../">{html.escape(column)}</a></div>\n'
        f'<h1 class="artT">{html.escape(title)}</h1>\n<div class="art_infos">发布时间：{date}</div>\n'
        f'<div class="TRS_Editor">\n{body}\n</div>\n</body>\n</html>\n'
    )
    return page.encode("utf-8")


class TrsSite(Site):
    def __init__(self, *, portal_id: str, host: str, site_name: str, column_path: str, column_name: str,
                 articles: list[Article], per_page: int = 3) -> None:
        self.portal_id = portal_id
        self.hosts = (host,)
        self.site_name = site_name
        self.column_path = column_path.rstrip("/") + "/"
        self.column_name = column_name
        self.articles = sorted(articles, key=lambda a: a.date, reverse=True)
        self.per_page = per_page
        self._by_path = {self.column_path + a.relpath: a for a in self.articles}

    @property
    def page_count(self) -> int:
        return max(1, -(-len(self.articles) // self.per_page))

    def listing_url(self, base: str = "") -> str:
        return f"{base or 'http://' + self.hosts[0]}{self.column_path}"

    def listing(self, page: int) -> bytes:
        items = self.articles[page * self.per_page:(page + 1) * self.per_page]
        lis = []
        for a in items:
            short = a.title if len(a.title) <= 18 else a.title[:17] + "…"
            lis.append(
                f'<li><a href="./{a.relpath}" target="_blank" title="{html.escape(a.title)}">{html.escape(short)}</a>'
                f"<span>{a.date}</span></li>"
            )
        page_html = (
            '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8"/>\n'
            f'<meta name="SiteName" content="{html.escape(self.site_name)}"/>\n'
            f'<meta name="ColumnName" content="{html.escape(self.column_name)}"/>\n'
            f"<title>{html.escape(self.column_name)}_{html.escape(self.site_name)}</title>\n</head>\n<body>\n"
            '<div class="header"><a href="https://www.gov.cn/">中国政府网</a></div>\n'
            f'<div class="list"><ul class="rsb_con_rightUl">\n{chr(10).join(lis)}\n</ul>\n'
            f'<div class="page"><script>createPageHTML({self.page_count}, {page}, "index", "html");</script></div>\n'
            "</div>\n</body>\n</html>\n"
        )
        return page_html.encode("utf-8")

    def respond(self, req: DemoRequest) -> DemoResponse:
        path = req.path
        if path == self.column_path.rstrip("/"):
            return DemoResponse(301, b"", {"Location": self.column_path})
        if path in (self.column_path, self.column_path + "index.html"):
            return DemoResponse.html(self.listing(0))
        if path.startswith(self.column_path + "index_") and path.endswith(".html"):
            num = path[len(self.column_path) + 6:-5]
            if num.isdigit() and 0 < int(num) < self.page_count:
                return DemoResponse.html(self.listing(int(num)))
        article = self._by_path.get(path)
        if article is not None:
            return DemoResponse.html(article.body)
        return DemoResponse(404, NOT_FOUND, {"Content-Type": "text/html; charset=utf-8"})

    def truth(self, base: str) -> list[dict]:
        root = f"http://{self.hosts[0]}"
        return [
            {"portal_id": self.portal_id, "url": root + self.column_path + a.relpath, "report_year": a.report_year,
             "agency": a.agency, "title": a.title, "publish_date": a.date, "attachments": []}
            for a in self.articles if a.report_year is not None
        ]
