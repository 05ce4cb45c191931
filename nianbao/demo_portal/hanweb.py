"""Archetype B: a Hanweb jcms (大汉版通) county portal with a department sub-site on its own host.

Column pages ``/col/col{columnid}/index.html`` embed the first group of records (45 = 3 pages × 15) in
``<script type="text/xml"><datastore>``; later groups come from ``POST /module/web/jpage/dataproxy.jsp?
startrecord=&endrecord=&perpage=`` with the form fields of the ``<nextgroup>`` template (shape of the
real Dingxi capture). Articles ``/art/YYYY/M/D/art_{col}_{id}.html``, attachments
``/module/download/downfile.jsp?classid=0&filename=….pdf``.

Traps: link text truncated with ``...`` (full title only in ``title=``); a record pointing to the
department host (same portal, keep) and one to another county (not this portal); ``endrecord`` past the
end answers the last group again; ``perpage`` > 100 answers 500; a request without the form fields gets an
empty ``<recordset/>`` with status 200; ``webname`` double-encoded; XML served as ``text/html``; an
article whose first response is truncated; robots.txt answered by a 200 HTML page.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from urllib.parse import parse_qs, quote

from .content import ColumnSite, Doc, render_body
from .core import DemoRequest, DemoResponse

OTHER_COUNTY_HOST = "www.othercounty.demo.test"
GROUP_PAGES = 3


@dataclass
class HanwebColumn:
    host: str
    columnid: int
    unitid: int
    webid: int
    webname: str
    name: str
    per_page: int = 15


class HanwebSite(ColumnSite):
    robots_txt = None  # robots.txt answered below with a soft-404 HTML page

    def __init__(self, *, portal_id: str, columns: list[HanwebColumn], docs: list[Doc], truncate_once: str = "",
                 other_county_record: bool = True) -> None:
        super().__init__()
        self.portal_id = portal_id
        self.columns = columns
        self.hosts = tuple(dict.fromkeys(c.host for c in columns))
        self.docs = docs
        self.truncate_once = truncate_once
        self.other_county_record = other_county_record

    @staticmethod
    def art_path(columnid: int, docid: int, date: str) -> str:
        y, m, d = (int(x) for x in date.split("-"))
        return f"/art/{y}/{m}/{d}/art_{columnid}_{docid}.html"

    def column_docs(self, col: HanwebColumn) -> list[Doc]:
        return self.listed([d for d in self.docs if d.extra.get("columnid") == col.columnid])

    def publish(self, doc: Doc, columnid: int | None = None) -> str:
        doc.extra.setdefault("columnid", columnid or self.columns[0].columnid)
        return super().publish(doc)

    def record(self, col: HanwebColumn, doc: Doc) -> str:
        href = self.url(doc) if (doc.host and doc.host != col.host) else doc.path
        short = doc.title if len(doc.title) <= 20 else doc.title[:20] + "..."
        return (f"<record><![CDATA[\n<li class=\"clearfix\">    <a target=\"_blank\" href=\"{href}\" "
                f"title=\"{html.escape(doc.title)}\">{html.escape(short)}</a>    <b>{doc.date}</b></li>]]></record>")

    def records(self, col: HanwebColumn, start: int, end: int) -> list[str]:
        docs = self.column_docs(col)
        out = [self.record(col, d) for d in docs[start - 1:end]]
        if self.other_county_record and start == 1 and col is self.columns[0]:
            out.insert(2, (
                f"<record><![CDATA[<li><a href=\"http://{OTHER_COUNTY_HOST}/art/2021/1/20/art_999_1.html\" "
                "title=\"邻县人民政府2020年政府信息公开工作年度报告\">邻县人民政府2020年政府信息公开工作年度报告</a>"
                "<b>2021-01-20</b></li>]]></record>"))
        return out

    def nextgroup(self, col: HanwebColumn) -> str:
        webname = quote(quote(col.webname, safe=""), safe="")
        return (f"/module/web/jpage/dataproxy.jsp?page=1&appid=1&webid={col.webid}&path=/&columnid={col.columnid}"
                f"&unitid={col.unitid}&webname={webname}&permissiontype=0")

    def column_page(self, col: HanwebColumn) -> bytes:
        total = len(self.column_docs(col))
        group = col.per_page * GROUP_PAGES
        recs = "\n".join(self.records(col, 1, group))
        page = (
            '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="ColumnName" content="{html.escape(col.name)}">\n<title>{html.escape(col.name)}</title>\n'
            "</head>\n<body>\n<!-- Produced By 大汉网络 大汉版通发布系统 -->\n"
            f'<div class="bt-position"><a href="/">首页</a> &gt; {html.escape(col.name)}</div>\n'
            f'<div id="{col.unitid}"><script type="text/xml"><datastore>\n'
            f"<nextgroup><![CDATA[<a href=\"{self.nextgroup(col)}\"></a>]]></nextgroup>\n"
            f"<recordset>\n{recs}\n</recordset></datastore></script></div>\n"
            f"<script>$('#{col.unitid}').jpage({{dataStore: dataStore, totalRecord:{total}, perPage:{col.per_page}, "
            "groupSize:3, barPosition:'bottom', proxyUrl:'/module/web/jpage/dataproxy.jsp'});</script>\n"
            '<a href="http://www.gov.cn/">中国政府网</a>\n</body>\n</html>\n'
        )
        return page.encode("utf-8")

    def dataproxy(self, req: DemoRequest) -> DemoResponse:
        form = {**req.query, **parse_qs(req.body.decode("utf-8", "replace"), keep_blank_values=True)}

        def arg(name: str) -> str | None:
            values = form.get(name)
            return values[0] if values else None

        col = next((c for c in self.columns if str(c.columnid) == arg("columnid") and str(c.unitid) == arg("unitid")
                    and c.host == req.host), None)
        if col is None:
            return DemoResponse(200, b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><datastore><recordset/></datastore>",
                                {"Content-Type": "text/html;charset=UTF-8"})
        per_page = int(arg("perpage") or col.per_page)
        if per_page > 100:
            return DemoResponse(500, b"java.lang.OutOfMemoryError: Java heap space", {"Content-Type": "text/plain"})
        total = len(self.column_docs(col))
        if arg("startrecord"):
            start, end = int(arg("startrecord") or 1), int(arg("endrecord") or per_page * GROUP_PAGES)
        else:
            page = int(arg("page") or 1)
            start, end = (page - 1) * per_page + 1, page * per_page
        if start > total:  # past the end: the last group again
            group = per_page * GROUP_PAGES
            start = max(1, ((total - 1) // group) * group + 1)
            end = start + group - 1
        recs = "\n".join(self.records(col, start, end))
        body = (f'<?xml version="1.0" encoding="UTF-8"?><datastore><totalrecord>{total}</totalrecord>'
                f"<totalpage>{-(-total // per_page)}</totalpage><recordset>\n{recs}\n</recordset></datastore>")
        return DemoResponse(200, body.encode("utf-8"), {"Content-Type": "text/html;charset=UTF-8"})

    def article(self, doc: Doc) -> DemoResponse:
        links = "".join(
            f'<p><a href="{a.path}" target="_blank">{html.escape(a.name)}</a></p>' for a in doc.attachments
        )
        paras = render_body(doc.paragraphs)
        page = (
            '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="ArticleTitle" content="{html.escape(doc.title)}">\n'
            f'<meta name="PubDate" content="{doc.date} 10:00">\n'
            f'<meta name="ContentSource" content="{html.escape(doc.agency or "")}">\n'
            f"<title>{html.escape(doc.title)}</title>\n</head>\n<body>\n"
            '<table class="xxgk_table"><tr><td>索 引 号：</td><td>11620000/2022-00012</td>'
            f"<td>发布机构：</td><td>{html.escape(doc.agency or '')}</td></tr>"
            f"<tr><td>生成日期：</td><td>{doc.date}</td></tr></table>\n"
            '<!--ZJEG_RSS.content.begin--><meta name="ContentStart">\n'
            f'<div id="zoom">\n{paras}\n{links}\n</div>\n<meta name="ContentEnd"><!--ZJEG_RSS.content.end-->\n'
            "</body>\n</html>\n"
        )
        resp = DemoResponse.html(page)
        if self.truncate_once and doc.path == self.truncate_once and self.count("truncate:" + doc.path) == 1:
            resp.truncate_to = len(resp.body) // 2
        return resp

    def respond(self, req: DemoRequest) -> DemoResponse:
        if req.path == "/robots.txt":
            return DemoResponse.html("<html><head><title>首页</title></head><body>页面不存在</body></html>")
        if req.path.endswith("dataproxy.jsp"):
            return self.dataproxy(req)
        for col in self.columns:
            if req.host == col.host and req.path in (f"/col/col{col.columnid}/index.html", f"/col/col{col.columnid}/"):
                return DemoResponse.html(self.column_page(col))
        qs = "&".join(f"{k}={v[0]}" for k, v in req.query.items())
        found = self.serve_document(req, req.path + ("?" + qs if qs else ""))
        return found if found is not None else self.not_found()

    def handle(self, req: DemoRequest) -> DemoResponse:
        return self.respond(req)
