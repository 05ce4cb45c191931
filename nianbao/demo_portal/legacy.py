"""Archetype D: a 2008–2014-era county site, ASP.NET-style query-string paging, GB2312 label on GBK bytes.

Listing ``/InfoPublic.aspx?cid=1019&pid=971&page=N&kw=`` (table layout, links as
``javascript:openWin('…')`` or ``../../info/iInfo.jsp?id=…``), articles ``/info/iInfo.jsp?id=N``,
attachments under ``/uploadfiles/`` with GBK percent-encoded file names.

Traps: pagination never ends (any ``page`` past the last answers 200 with the last page again); a listed
article that is a soft 404 (200 + "页面不存在"); articles that fail once with 500, answer slower than the
crawler's timeout once, or carry ``charset=utf-8`` in the HTTP header over GBK bytes; GBK-only characters
(镕, 堃) under a gb2312 label; an attachment that is a 404; no robots.txt at all (404).
"""

from __future__ import annotations

import html

from .content import ColumnSite, Doc, render_body
from .core import DemoRequest, DemoResponse

CHARSET = "gb2312"  # what the pages declare; the bytes are GBK


class LegacySite(ColumnSite):
    charset = CHARSET
    robots_txt = None

    def __init__(self, *, portal_id: str, host: str, site_name: str, docs: list[Doc], per_page: int = 10,
                 robots_txt: str | None = None, slow_delay: float = 6.0) -> None:
        super().__init__()
        self.portal_id = portal_id
        self.hosts = (host,)
        self.site_name = site_name
        self.docs = docs
        self.per_page = per_page
        self.robots_txt = robots_txt
        self.slow_delay = slow_delay

    def gbk(self, text: str) -> bytes:
        return text.encode("gbk")

    def page_count(self) -> int:
        return max(1, -(-len(self.listed()) // self.per_page))

    def listing(self, page: int) -> bytes:
        page = min(max(page, 1), self.page_count())  # endless: past the end is the last page again
        docs = self.listed()[(page - 1) * self.per_page: page * self.per_page]
        rows = []
        for i, d in enumerate(docs):
            target = d.path.lstrip("/")
            href = f"javascript:openWin('{target}')" if i % 2 == 0 else f"../../{target}"
            rows.append(f'<tr><td class="title"><a href="{html.escape(href)}" title="{html.escape(d.title)}">'
                        f"{html.escape(d.title)}</a></td><td class=\"date\">{d.date}</td></tr>")
        nxt = f"InfoPublic.aspx?cid=1019&amp;pid=971&amp;page={page + 1}&amp;kw="
        text = (
            '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
            f"<title>信息公开年报-{html.escape(self.site_name)}</title></head><body>"
            '<table width="760" border="0" cellpadding="0" cellspacing="0"><tr><td>'
            f'<table class="list">{"".join(rows)}</table>'
            f'<div class="pager">共{self.page_count()}页 第{page}页 <a href="{nxt}">下一页</a></div>'
            '</td></tr></table><script>function openWin(u){window.open(u)}</script></body></html>'
        )
        return self.gbk(text)

    def article(self, doc: Doc) -> DemoResponse:
        links = "".join(f'<p>附件：<a href="{a.path}">{html.escape(a.name)}</a></p>' for a in doc.attachments)
        paras = render_body(doc.paragraphs, sep="")
        text = (
            '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
            f"<title>{html.escape(doc.title)}</title></head><body>"
            f'<table width="760"><tr><td class="bt">{html.escape(doc.title)}</td></tr>'
            f"<tr><td>发布日期：{doc.date}　来源：{html.escape(doc.agency or '')}</td></tr>"
            f'<tr><td class="content">{paras}{links}</td></tr></table></body></html>'
        )
        label = "utf-8" if doc.extra.get("wrong_header") else "gb2312"
        resp = DemoResponse(200, self.gbk(text), {"Content-Type": f"text/html; charset={label}"})
        trap = doc.extra.get("trap")
        if trap and self.count(f"{trap}:{doc.path}") == 1:
            if trap == "error500":
                return DemoResponse(500, self.gbk("<html><body>服务器错误</body></html>"),
                                    {"Content-Type": "text/html; charset=gb2312"})
            if trap == "slow":
                resp.delay = self.slow_delay
        return resp

    def respond(self, req: DemoRequest) -> DemoResponse:
        if req.path.lower() == "/infopublic.aspx":
            page = req.arg("page", "1") or "1"
            body = self.listing(int(page) if page.isdigit() else 1)
            return DemoResponse(200, body, {"Content-Type": "text/html; charset=gb2312"})
        qs = "&".join(f"{k}={v[0]}" for k, v in req.query.items())
        found = self.serve_document(req, req.path + ("?" + qs if qs else ""))
        return found if found is not None else self.not_found()
