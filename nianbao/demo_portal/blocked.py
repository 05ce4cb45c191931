"""Archetype E (blocked hosts): sites behind a bot wall. Whatever is asked, they answer a challenge.

* ``412``: 瑞数-like, an inline ``$_ts`` script and an external JS file;
* ``521``: 加速乐-like, a script that sets ``__jsl_clearance`` and reloads;
* ``edgeone``: TencentEdgeOne-like, a small ``WTKkN`` JS page with status 200 (the dangerous one: it looks
  like a page).

The site has reports (truth ``expect: blocked``): a crawler must say "blocked", never "no reports".
"""

from __future__ import annotations

from .content import ColumnSite, Doc
from .core import DemoRequest, DemoResponse

CHALLENGES = {
    "412": (412, '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
                 '<script type="text/javascript">$_ts=window[\'$_ts\'];if(!$_ts)$_ts={};$_ts.nsd=72145;'
                 "$_ts.cd=\"qEhcrrAlqGqcDsAqWnaqcal\";</script>"
                 '<script type="text/javascript" charset="utf-8" src="/4QbVtADbnLVIc/c.FxJzG50F.dfe1675.js"></script>'
                 "</head><body></body></html>"),
    "521": (521, "<html><body><script>document.cookie=('__jsl_clearance=1732700000.123|0|'+'abc%3D')"
                 ";location.href=location.pathname+location.search</script></body></html>"),
    "edgeone": (200, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title></title></head><body>"
                     "<script>var WTKkN='3b1f';(function(){var c=document.cookie;if(c.indexOf('__tst_status')<0)"
                     "{document.cookie='__tst_status=1;EO_Bot_Ssid=38271';location.reload();}})();</script>"
                     "</body></html>"),
}


class BlockedSite(ColumnSite):
    robots_txt = None

    def __init__(self, *, portal_id: str, host: str, kind: str, docs: list[Doc]) -> None:
        super().__init__()
        self.portal_id = portal_id
        self.hosts = (host,)
        self.kind = kind
        self.docs = docs
        for doc in docs:
            doc.expect = "blocked"

    def handle(self, req: DemoRequest) -> DemoResponse:
        status, text = CHALLENGES[self.kind]
        return DemoResponse(status, text.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"})

    def respond(self, req: DemoRequest) -> DemoResponse:
        return self.handle(req)
