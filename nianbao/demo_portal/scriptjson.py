"""Archetype E (集约化 SPA): the listing exists only as a JS literal and the pager only base64-encoded.

``/nw12344/index.html``, ``index_1.html`` … carry ``var itemObj = [{"aT": title, "aPd": "2024-01-25 10:00",
"aU": "{\\"common\\":\\"/nw12344/20230331/{32hex}.html\\"}"}]`` (a JSON string inside JSON, as on 国家疾控局)
and ``<div id="pages">base64(pager html)</div>`` (decoded by ``window.atob`` in the browser, as on Yunnan
policy pages). Articles have Shanghai-style hex names under dated directories. An HTML parser that only
reads ``<a href>`` finds nothing here.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json

from .content import ColumnSite, Doc, render_body
from .core import DemoRequest, DemoResponse


def hex_path(column: str, date: str, seed: str) -> str:
    return f"{column}{date.replace('-', '')}/{hashlib.md5(seed.encode()).hexdigest()}.html"


class ScriptJsonSite(ColumnSite):
    def __init__(self, *, portal_id: str, host: str, column: str, docs: list[Doc], per_page: int = 10) -> None:
        super().__init__()
        self.portal_id = portal_id
        self.hosts = (host,)
        self.column = column
        self.docs = docs
        self.per_page = per_page

    def page_count(self) -> int:
        return max(1, -(-len(self.listed()) // self.per_page))

    def listing(self, page: int) -> bytes:
        docs = self.listed()[page * self.per_page:(page + 1) * self.per_page]
        items = [{"aT": d.title, "aPd": f"{d.date} 10:00", "aU": json.dumps({"common": d.path})} for d in docs]
        links = " ".join(f'<a href="index{"" if i == 0 else f"_{i}"}.html">{i + 1}</a>' for i in range(self.page_count()))
        pager = base64.b64encode(f'<div class="pager">{links}</div>'.encode()).decode()
        text = (
            '<!DOCTYPE html><html><head><meta charset="utf-8"><title>政府信息公开年报</title></head><body>'
            '<ul id="list"></ul>'
            f"<script>var itemObj = {json.dumps(items, ensure_ascii=False)};\n"
            "itemObj.forEach(function(o){var u=JSON.parse(o.aU).common;"
            "document.getElementById('list').innerHTML+='<li><a href=\"'+u+'\">'+o.aT+'</a></li>'});</script>"
            f'<div id="pages">{pager}</div>'
            "<script>var p=document.getElementById('pages');p.innerHTML=window.atob(p.innerHTML);</script>"
            "</body></html>"
        )
        return text.encode("utf-8")

    def article(self, doc: Doc) -> DemoResponse:
        paras = render_body(doc.paragraphs, sep="")
        return DemoResponse.html(
            f'<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="ArticleTitle" content="{html.escape(doc.title)}">'
            f'<meta name="PubDate" content="{doc.date} 10:00"><title>{html.escape(doc.title)}</title></head>'
            f'<body><div class="Article_content" id="ivs_content">{paras}</div></body></html>'
        )

    def respond(self, req: DemoRequest) -> DemoResponse:
        if req.path in (self.column, self.column + "index.html"):
            return DemoResponse.html(self.listing(0))
        if req.path.startswith(self.column + "index_") and req.path.endswith(".html"):
            num = req.path[len(self.column) + 6:-5]
            if num.isdigit() and 0 < int(num) < self.page_count():
                return DemoResponse.html(self.listing(int(num)))
        found = self.serve_document(req, req.path)
        return found if found is not None else self.not_found()
