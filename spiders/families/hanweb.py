"""Hanweb jcms (大汉版通): ``/col/col{id}/index.html`` column pages whose first group of records sits in
``<script type="text/xml"><datastore>``; later groups come from ``dataproxy.jsp`` as XML, asked by POST
with the form fields of the ``<nextgroup>`` template and ``startrecord/endrecord/perpage`` in the query.
Records and group URLs come from ``spiders.listing`` (the reader ``nianbao listing`` runs).

Loop guards: stop at ``totalRecord``, and stop when a group repeats records already seen (servers answer
the last group again past the end). ``perpage`` stays at the site's own value (big values answer 500).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response

from ..base import PortalSpider, Tally
from ..listing import HANWEB_GROUP_PAGES as GROUP_PAGES
from ..listing import HANWEB_PER_PAGE as PER_PAGE
from ..listing import HANWEB_TOTAL as TOTAL
from ..listing import NEXTGROUP, hanweb_group_url, read_listing, records
from .trs import content_type

__all__ = ["NEXTGROUP", "HanwebSpider", "records"]


class HanwebSpider(PortalSpider):
    name = "hanweb"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.portal["seed_urls"]:
            yield self.request(url, self.parse_column, kind="listing", column=url)
        for request in self.retry_requests():
            yield request

    def entries(self, response: Response, column: str) -> Iterator:
        """Consider every record of a page or group; yields requests, returns (tally, urls)."""
        tally = Tally()
        urls: list[str] = []
        for entry in read_listing(self.page_url(response), response.body, content_type(response), family="hanweb").entries:
            urls.append(entry.url)
            if urlsplit(entry.url).hostname not in self.allowed_domains:
                self.crawler.stats.inc_value("nianbao/listing/offsite_link")
                continue
            request = tally.add(self.consider(entry.url, entry.title, response.url, column, entry.date), entry.date)
            if request is not None:
                yield request
        return tally, urls

    def parse_column(self, response: Response) -> Iterator:
        column = response.meta.get("column") or response.url
        tally, urls = yield from self.entries(response, column)
        yield self.listed(response, tally, column)
        total = TOTAL.search(response.text)
        per_page = int(self.params.get("perpage") or (m.group(1) if (m := PER_PAGE.search(response.text)) else 15))
        nextgroup = NEXTGROUP.search(response.text)
        total_n = int(total.group(1) or total.group(2)) if total else 0
        group = per_page * GROUP_PAGES
        if nextgroup and total_n > group and self.keep_paging(tally):
            template = urljoin(response.url, nextgroup.group(1).replace("&amp;", "&"))
            yield self.group_request(template, column, group + 1, per_page, total_n, set(urls))
            return
        yield from self.column_done(column)

    def group_request(self, template: str, column: str, start: int, per_page: int, total: int,
                      seen: set[str]) -> scrapy.Request:
        return self.follow(hanweb_group_url(template, start, per_page), self.parse_group, column=column,
                           template=template, start=start, per_page=per_page, total=total, group_seen=seen)

    def parse_group(self, response: Response) -> Iterator:
        meta = response.meta
        column = meta["column"]
        tally, urls = yield from self.entries(response, column)
        yield self.listed(response, tally, column)
        seen: set[str] = meta["group_seen"]
        repeated = bool(urls) and set(urls) <= seen
        total = TOTAL.search(response.text)
        total_n = int(total.group(1) or total.group(2)) if total else meta["total"]
        end = meta["start"] + meta["per_page"] * GROUP_PAGES - 1
        if repeated:
            self.crawler.stats.inc_value("nianbao/listing/repeated_group")
        if urls and not repeated and end < total_n and self.keep_paging(tally):
            yield self.group_request(meta["template"], column, end + 1, meta["per_page"], total_n, seen | set(urls))
            return
        yield from self.column_done(column)
