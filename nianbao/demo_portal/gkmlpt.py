"""Archetype C: Guangdong's 政府信息公开目录管理平台 (gkmlpt), a JSON API over HTTP only.

``/gkmlpt/index`` carries ``window._CONFIG = {SID:'…', TREE:[…]}``; ``/gkmlpt/api/all/{cat}?page=N&sid=SID``
answers ``{"total":…,"articles":[…]}``; articles ``/gkmlpt/content/{id//1e6}/{id//1000}/post_{id}.html``.

Traps: article ``url`` fields given as ``https://`` (the HTTPS side is broken, so a crawler must stay on
HTTP); past the last page one host answers ``articles: []`` and another repeats the last page; epoch
seconds in ``display_publish_time`` that fall on the previous day in UTC; attachments only in the JSON;
the same document under two categories.
"""

from __future__ import annotations

import html
import json
from datetime import datetime, timedelta, timezone

from .content import ColumnSite, Doc, render_body
from .core import DemoRequest, DemoResponse

CST = timezone(timedelta(hours=8))


def post_path(docid: int) -> str:
    return f"/gkmlpt/content/{docid // 1_000_000}/{docid // 1000}/post_{docid}.html"


class GkmlptSite(ColumnSite):
    def __init__(self, *, portal_id: str, host: str, sid: str, categories: dict[int, str], docs: list[Doc],
                 page_size: int = 40, past_end: str = "empty") -> None:
        super().__init__()
        self.portal_id = portal_id
        self.hosts = (host,)
        self.sid = sid
        self.categories = categories
        self.docs = docs
        self.page_size = page_size
        self.past_end = past_end  # empty / repeat

    def publish(self, doc: Doc, category: int | None = None) -> str:
        doc.extra.setdefault("categories", [category or next(iter(self.categories))])
        return super().publish(doc)

    def category_docs(self, cat: int) -> list[Doc]:
        return self.listed([d for d in self.docs if cat in d.extra.get("categories", ())])

    def as_json(self, doc: Doc) -> dict:
        docid = int(doc.extra["id"])
        hh, mm = doc.extra.get("time", "10:00").split(":")
        local = datetime.fromisoformat(doc.date).replace(hour=int(hh), minute=int(mm), tzinfo=CST)
        scheme = "https" if docid % 3 == 0 else "http"
        return {
            "id": docid, "title": doc.title, "url": f"{scheme}://{self.hosts[0]}{doc.path}",
            "post_url": f"{scheme}://{self.hosts[0]}{doc.path}", "identifier": f"007{docid % 1000:03d}/{doc.date[:4]}-{docid % 97:05d}",
            "document_number": "", "publisher": doc.agency or "", "date": int(local.timestamp()),
            "created_at": local.strftime("%Y-%m-%d %H:%M:%S"), "display_publish_time": int(local.timestamp()),
            "classify_main_name": "政府信息公开年报", "is_expired": 0, "is_abolished": 0,
            "attachment": [{"name": a.name, "url": f"http://{self.hosts[0]}{a.path}"} for a in doc.attachments],
        }

    def index_page(self) -> bytes:
        tree = [{"id": cid, "name": name, "parent": 0} for cid, name in self.categories.items()]
        tree.insert(0, {"id": 1, "name": "政策文件", "parent": 0})
        config = "{SID:'" + self.sid + "', TREE:" + json.dumps(tree, ensure_ascii=False) + "}"
        page = (
            '<!DOCTYPE html><html><head><meta charset="utf-8"><title>政府信息公开目录</title></head><body>'
            f'<div id="app"></div><script>window._CONFIG = {config};</script></body></html>'
        )
        return page.encode("utf-8")

    def api(self, cat: int, page: int) -> DemoResponse:
        docs = self.category_docs(cat)
        pages = max(1, -(-len(docs) // self.page_size))
        if page > pages and self.past_end == "repeat":
            page = pages
        chunk = docs[(page - 1) * self.page_size: page * self.page_size] if page >= 1 else []
        body = json.dumps({"total": len(docs), "articles": [self.as_json(d) for d in chunk]}, ensure_ascii=False)
        return DemoResponse(200, body.encode("utf-8"), {"Content-Type": "application/json;charset=UTF-8"})

    def article(self, doc: Doc) -> DemoResponse:
        paras = render_body(doc.paragraphs)
        page = (
            '<!DOCTYPE html><html><head><meta charset="utf-8">'
            f'<meta name="ArticleTitle" content="{html.escape(doc.title)}">'
            f"<title>{html.escape(doc.title)}</title></head><body>"
            f'<div class="classify"><span>发布机构：{html.escape(doc.agency or "")}</span></div>'
            f'<h1 class="title">{html.escape(doc.title)}</h1><div class="article-content">{paras}</div>'
            "<div id=\"attachment\"></div></body></html>"
        )
        return DemoResponse.html(page)

    def respond(self, req: DemoRequest) -> DemoResponse:
        if req.path in ("/gkmlpt/index", "/gkmlpt/", "/gkmlpt"):
            return DemoResponse.html(self.index_page())
        if req.path.startswith("/gkmlpt/api/all/"):
            tail = req.path.rsplit("/", 1)[-1]
            if not tail.isdigit() or int(tail) not in self.categories or req.arg("sid") != self.sid:
                return DemoResponse(200, b'{"total":0,"articles":[]}', {"Content-Type": "application/json"})
            page = req.arg("page", "1") or "1"
            return self.api(int(tail), int(page) if page.isdigit() else 1)
        qs = "&".join(f"{k}={v[0]}" for k, v in req.query.items())
        found = self.serve_document(req, req.path + ("?" + qs if qs else ""))
        return found if found is not None else self.not_found()
