"""Archetype A: a TRS WCM static-publishing site (``index.html``, ``index_1.html`` … with
``createPageHTML(count, current, "index", "html")`` or the older inline ``countPage`` + ``document.write``
pager, articles at ``./YYYYMM/tYYYYMMDD_ID.htm``, attachments ``./YYYYMM/P0YYYYMMDD….pdf``).

Traps: a pager that claims more pages than exist (the extra page is a 404 or a meta refresh back to
``./`` as on mohrss), the same article linked relative and absolute, off-site links (gov.cn, conac,
cnzz, a clone host carrying a copied report), an attachment link written only by ``document.write``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from .content import ColumnSite, Doc, render_body
from .core import DemoRequest, DemoResponse

CLONE_HOST = "www.clone-gov.demo.test"


def article_page(*, site_name: str, site_domain: str, column: str, title: str, date: str, paragraphs: list[str],
                 site_id_code: str | None = None, source: str = "", extra_html: str = "") -> bytes:
    """A TRS article page with the mandated <meta> tags and the body in ``.TRS_Editor``."""
    metas = [
        ("SiteName", site_name), ("SiteDomain", site_domain), ("ColumnName", column), ("ColumnType", column),
        ("ArticleTitle", title), ("PubDate", f"{date} 09:00"), ("ContentSource", source),
    ]
    if site_id_code:
        metas.insert(2, ("SiteIDCode", site_id_code))
    head = "\n".join(f'<meta name="{k}" content="{html.escape(v)}"/>' for k, v in metas)
    body = render_body(paragraphs)
    page = (
        f'<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8"/>\n{head}\n'
        f"<title>{html.escape(title)}_{html.escape(column)}_{html.escape(site_name)}</title>\n</head>\n<body>\n"
        f'<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="../">{html.escape(column)}</a></div>\n'
        f'<h1 class="artT">{html.escape(title)}</h1>\n<div class="art_infos">发布时间：{date}</div>\n'
        f'<div class="TRS_Editor">\n{body}\n</div>\n{extra_html}</body>\n</html>\n'
    )
    return page.encode("utf-8")


@dataclass
class TrsColumn:
    path: str  # "/zwgk/zfxxgk/zfxxgknb/"
    name: str
    per_page: int = 10
    pager: str = "create"  # create: createPageHTML(...); countpage: var countPage = N + document.write
    extra_pages: int = 0  # the pager claims this many pages more than exist
    past_end: str = "404"  # what a page past the end answers: 404 / refresh
    docs: list[Doc] = field(default_factory=list)


class TrsSite(ColumnSite):
    def __init__(self, *, portal_id: str, host: str, site_name: str, columns: list[TrsColumn],
                 site_id_code: str | None = None, offsite_links: bool = False) -> None:
        super().__init__()
        self.portal_id = portal_id
        self.hosts = (host,)
        self.site_name = site_name
        self.site_id_code = site_id_code
        self.columns = {c.path: c for c in columns}
        self.offsite_links = offsite_links
        for col in columns:
            for doc in col.docs:
                doc.extra["column"] = col.path
            self.docs.extend(col.docs)

    # -- model -------------------------------------------------------------------------------------
    def column_docs(self, col: TrsColumn) -> list[Doc]:
        return self.listed([d for d in self.docs if d.extra.get("column") == col.path])

    def page_count(self, col: TrsColumn) -> int:
        return max(1, -(-len(self.column_docs(col)) // col.per_page))

    def publish(self, doc: Doc, column: str | None = None) -> str:
        doc.extra["column"] = column or next(iter(self.columns))
        return super().publish(doc)

    # -- markup ------------------------------------------------------------------------------------
    def listing(self, col: TrsColumn, page: int) -> bytes:
        docs = self.column_docs(col)
        items = docs[page * col.per_page:(page + 1) * col.per_page]
        lis = []
        for i, d in enumerate(items):
            rel = "./" + d.path[len(col.path):]
            short = d.title if len(d.title) <= 18 else d.title[:17] + "…"
            lis.append(f'<li><a href="{rel}" target="_blank" title="{html.escape(d.title)}">{html.escape(short)}</a>'
                       f"<span>{d.date}</span></li>")
            if self.offsite_links and i == 0:  # the same article again, absolute
                lis.append(f'<li class="hot"><a href="{self.url(d)}">{html.escape(short)}</a></li>')
        offsite = ""
        if self.offsite_links:
            offsite = (
                f'<li><a href="http://{CLONE_HOST}/zwgk/zfxxgknb/202003/t20200311_2593126.html" '
                'title="鄂尔多斯市2019年政府信息公开工作年度报告">转载：鄂尔多斯市2019年政府信息公开工作年度报告</a>'
                "<span>2020-03-11</span></li>\n"
                '<li><a href="http://www.gov.cn/zhengce/xxgk/202001/t20200120_1.html" title="国务院办公厅2019年政府信息公开工作年度报告">'
                "国务院办公厅2019年政府信息公开工作年度报告</a></li>\n"
            )
        count = self.page_count(col) + col.extra_pages
        if col.pager == "create":
            pager = f'<div class="page"><script>createPageHTML({count}, {page}, "index", "html");</script></div>'
        else:
            pager = (
                f"<script>\nvar currentPage = {page};//所在页从0开始\nvar prevPage = currentPage-1//上一页\n"
                f"var nextPage = currentPage+1//下一页\nvar countPage = {count}//共多少页\n"
                f'document.write("共计"+"&nbsp;"+"{count}"+"&nbsp;"+"页");\n'
                "if(countPage>1&&currentPage!=(countPage-1))\n"
                'document.write("&nbsp;<a href=\\"index"+"_" + nextPage + "."+"html\\">下一页</a>&nbsp;");\n'
                "</script>"
            )
        page_html = (
            '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8"/>\n'
            f'<meta name="SiteName" content="{html.escape(self.site_name)}"/>\n'
            f'<meta name="ColumnName" content="{html.escape(col.name)}"/>\n'
            f"<title>{html.escape(col.name)}_{html.escape(self.site_name)}</title>\n</head>\n<body>\n"
            '<div class="header"><a href="https://www.gov.cn/">中国政府网</a></div>\n'
            f'<div class="list"><ul class="rsb_con_rightUl">\n{offsite}{chr(10).join(lis)}\n</ul>\n{pager}\n</div>\n'
            '<div class="footer"><script src="http://s17.cnzz.com/stat.php?id=2896628"></script>'
            '<a href="http://bszs.conac.cn/sitename?method=show&amp;id=1">党政机关</a>'
            f'<span>网站标识码：{self.site_id_code or ""}</span></div>\n</body>\n</html>\n'
        )
        return page_html.encode("utf-8")

    def article(self, doc: Doc) -> DemoResponse:
        if doc.raw is not None:
            return DemoResponse.html(doc.raw)
        links = []
        for att in doc.attachments:
            name = att.path.rsplit("/", 1)[-1]
            if doc.extra.get("script_attachment"):
                links.append(f"<script>var file_appendix='{name}';document.write('<a href=\"./'+file_appendix+'\">"
                             f"{html.escape(att.name)}</a>');</script>")
            else:
                oldsrc = f"/protect/{name[:7]}/{name[:11]}/{name}"
                links.append(f'<a appendix="true" data-appendix="true" needdownload="true" href="./{name}" '
                             f'OLDSRC="{oldsrc}">{html.escape(att.name)}</a>')
        extra = f'<div class="fujian">相关附件：{"".join(links)}</div>\n' if links else ""
        col = self.columns.get(doc.extra.get("column", ""))
        return DemoResponse.html(article_page(
            site_name=self.site_name, site_domain=self.hosts[0], column=col.name if col else "", title=doc.title,
            date=doc.date, paragraphs=doc.paragraphs, site_id_code=self.site_id_code, source=doc.agency or "",
            extra_html=extra,
        ))

    def respond(self, req: DemoRequest) -> DemoResponse:
        path = req.path
        for col in self.columns.values():
            if path == col.path.rstrip("/"):
                return DemoResponse(301, b"", {"Location": col.path})
            if path in (col.path, col.path + "index.html"):
                return DemoResponse.html(self.listing(col, 0))
            if path.startswith(col.path + "index_") and path.endswith(".html"):
                num = path[len(col.path) + 6:-5]
                if num.isdigit() and 0 < int(num) < self.page_count(col):
                    return DemoResponse.html(self.listing(col, int(num)))
                if col.past_end == "refresh":
                    return DemoResponse.html('<html><head><meta http-equiv="refresh" content="0;url=./"></head>'
                                             "<body></body></html>")
                return self.not_found()
        found = self.serve_document(req, path)
        return found if found is not None else self.not_found()
