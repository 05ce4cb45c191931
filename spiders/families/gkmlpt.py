"""Guangdong 政府信息公开目录管理平台 (gkmlpt): ``/gkmlpt/index`` names the site id and category tree in
``window._CONFIG``; ``/gkmlpt/api/all/{category}?page=N&sid=SID`` lists documents as JSON.

Traps handled: HTTPS is broken on these hosts (URLs are rewritten to the registry's ``scheme``); past the
end some hosts repeat the last page (stop when a page brings no unseen ids); dates come as epoch seconds
and are read in China time; attachments exist only in the JSON; a document may sit in two categories.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urljoin, urlsplit, urlunsplit

import scrapy
from scrapy.http import Response

from ..base import PortalSpider, Tally
from ..listing import china_date, gkmlpt_categories, read_listing

__all__ = ["GkmlptSpider", "categories", "china_date"]

SID = re.compile(r"SID\s*:\s*['\"]?(\d+)")


def categories(text: str, match: str) -> list[int]:
    """Ids of the category-tree nodes (nested ones too) whose name contains ``match``."""
    return gkmlpt_categories(text, match)


class GkmlptSpider(PortalSpider):
    name = "gkmlpt"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.portal["seed_urls"]:
            yield self.request(url, self.parse_index, kind="listing", column=url)
        for request in self.retry_requests():
            yield request

    def fix_scheme(self, url: str) -> str:
        scheme = self.params.get("scheme")
        parts = urlsplit(url)
        return urlunsplit(parts._replace(scheme=scheme)) if scheme and parts.scheme != scheme else url

    def parse_index(self, response: Response) -> Iterator:
        sid = str(self.params.get("sid") or (m.group(1) if (m := SID.search(response.text)) else ""))
        cats = [int(c) for c in self.params.get("categories") or categories(response.text, self.params.get("category_match", "年报"))]
        if not sid or not cats:
            self.crawler.stats.inc_value("nianbao/gkmlpt/no_category")
            self.logger.warning("%s: no SID or no 年报 category in %s", self.portal_id, response.url)
        for cat in cats:
            # relative to the index: some sites serve gkmlpt under a department path (/dept/gkmlpt/index)
            column = urljoin(response.url, f"api/all/{cat}?sid={sid}")
            yield self.page_request(column, sid, cat, int(self.params.get("first_page", 1)), set())

    def page_request(self, column: str, sid: str, cat: int, page: int, ids: set[int]) -> scrapy.Request:
        url = urljoin(column, f"{cat}?page={page}&sid={sid}")
        return self.request(url, self.parse_api, kind="listing", column=column, sid=sid, cat=cat, page=page, ids=ids)

    def parse_api(self, response: Response) -> Iterator:
        meta = response.meta
        column = meta["column"]
        try:
            data = json.loads(response.text)
        except ValueError:
            self.crawler.stats.inc_value("nianbao/gkmlpt/bad_json")
            yield from self.column_done(column)
            return
        articles = data.get("articles") or []
        seen_ids: set[int] = meta["ids"]
        fresh = [a for a in articles if a.get("id") not in seen_ids]
        tally = Tally()
        fresh_ids = {a.get("id") for a in fresh}
        by_url = {urljoin(response.url, str(a.get("url") or a.get("post_url") or "")): a.get("id") for a in articles}
        for entry in read_listing(response.url, response.body, family="gkmlpt").entries:
            if by_url.get(entry.url) not in fresh_ids:
                continue
            url = self.fix_scheme(entry.url)
            if urlsplit(url).hostname not in self.allowed_domains:
                continue
            attachments = [(self.fix_scheme(u), n) for u, n in entry.attachments]
            request = tally.add(self.consider(url, entry.title, response.url, column, entry.date,
                                               attachments=attachments, publish_date=entry.date), entry.date)
            if request is not None:
                yield request
        yield self.listed(response, tally, column)
        total = int(data.get("total") or 0)
        ids = seen_ids | {a.get("id") for a in articles}
        more = bool(fresh) and len(ids) < total
        if not fresh and articles:
            self.crawler.stats.inc_value("nianbao/listing/repeated_page")
        if more and self.keep_paging(tally):
            yield self.page_request(column, meta["sid"], meta["cat"], meta["page"] + 1, ids)
            return
        yield from self.column_done(column)
