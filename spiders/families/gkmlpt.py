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
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import urljoin, urlsplit, urlunsplit

import scrapy
from scrapy.http import Response

from ..base import PortalSpider, Tally, iso_date

CST = timezone(timedelta(hours=8))
SID = re.compile(r"SID\s*:\s*['\"]?(\d+)")
TREE = re.compile(r"TREE\s*:\s*(\[.*?\])\s*[,}]", re.S)
NODE = re.compile(r"id\s*:\s*['\"]?(\d+)['\"]?\s*,\s*name\s*:\s*['\"]([^'\"]+)")


def china_date(epoch: object) -> str | None:
    """An epoch (seconds or milliseconds) as the calendar date in China, where it was published."""
    try:
        value = float(epoch)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if value > 1e11:
        value /= 1000
    return datetime.fromtimestamp(value, UTC).astimezone(CST).strftime("%Y-%m-%d")


def categories(text: str, match: str) -> list[int]:
    """Ids of the category tree nodes whose name contains ``match``."""
    m = TREE.search(text)
    nodes: list[tuple[int, str]] = []
    if m:
        try:
            nodes = [(int(n["id"]), str(n["name"])) for n in json.loads(m.group(1))]
        except (ValueError, KeyError, TypeError):
            nodes = []
    if not nodes:
        nodes = [(int(i), name) for i, name in NODE.findall(text)]
    return [i for i, name in nodes if match in name]


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
        for art in fresh:
            url = self.fix_scheme(urljoin(response.url, art.get("url") or art.get("post_url") or ""))
            if urlsplit(url).hostname not in self.allowed_domains:
                continue
            date = china_date(art.get("display_publish_time")) or iso_date(str(art.get("created_at") or ""))
            attachments = [(self.fix_scheme(urljoin(url, a["url"])), a.get("name") or "")
                           for a in art.get("attachment") or [] if isinstance(a, dict) and a.get("url")]
            request = tally.add(self.consider(url, str(art.get("title") or ""), response.url, column, date,
                                               attachments=attachments, publish_date=date), date)
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
