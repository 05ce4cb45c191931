"""One spider for every family whose listing pages ``spiders.listing`` reads whole: Fujian 动静结合 pages and
their list API, Hanweb JPAAS unit fragments, NFCMS columns, the annual-report module and the generic
fallback for an unknown CMS. It follows what the reader names: the entries, the next pages (list APIs by
POST, see ``PortalSpider.follow``) and, ``params.column_depth`` levels deep (default 1), the annual-report
sub-columns a page links to (per-year, per-organ, the module's other years).

Loop guards, since an unknown server may answer any page number: a walk stops at a page that brings no
entry not already seen in this walk, at ``params.max_pages`` (default 200) pages per column, and when
``keep_paging`` says so (nightly: everything on the page already stored; backfill: the year reached).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response

from ..base import PortalSpider, Tally
from ..listing import read_listing
from .trs import content_type


class ListingSpider(PortalSpider):
    name = "listing"
    retry_listing_callback = "parse_listing"

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.family: str | None = self.portal.get("family")
        self.max_pages = int(self.params.get("max_pages", 200))
        self.column_depth = int(self.params.get("column_depth", 1))

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.portal["seed_urls"]:
            self.seen.add(url)
            yield self.request(url, self.parse_listing, kind="listing", column=url, walk_seen=frozenset(), n_page=1,
                               depth=0)
        for request in self.retry_requests():
            yield request

    def parse_listing(self, response: Response) -> Iterator:
        meta = response.meta
        column = meta.get("column") or response.url
        walk_seen: frozenset[str] = meta.get("walk_seen") or frozenset()
        listing = read_listing(self.page_url(response), response.body, content_type(response),
                               family=None if self.family == "generic" else self.family)
        self.crawler.stats.inc_value(f"nianbao/listing/family/{listing.family}")
        tally = Tally()
        urls = set()
        for entry in listing.entries:
            urls.add(entry.url)
            if urlsplit(entry.url).hostname not in self.allowed_domains:
                self.crawler.stats.inc_value("nianbao/listing/offsite_link")
                continue
            request = tally.add(self.consider(entry.url, entry.title, response.url, column, entry.date,
                                              attachments=list(entry.attachments)), entry.date)
            if request is not None:
                yield request
        yield self.listed(response, tally, column)
        depth = int(meta.get("depth") or 0)
        if depth < self.column_depth:
            for sub in listing.columns:
                if sub in self.seen or urlsplit(sub).hostname not in self.allowed_domains:
                    continue
                self.seen.add(sub)
                yield self.follow(sub, self.parse_listing, column=sub, walk_seen=frozenset(), n_page=1,
                                  depth=depth + 1)
        n_page = int(meta.get("n_page") or 1)
        fresh = urls - walk_seen
        if not fresh:
            self.crawler.stats.inc_value("nianbao/listing/endless_stopped")
        elif n_page < self.max_pages and self.keep_paging(tally):
            for next_url in listing.next_pages[:1]:
                yield self.follow(next_url, self.parse_listing, column=column, walk_seen=walk_seen | urls,
                                  n_page=n_page + 1, depth=depth)
                return
        yield from self.column_done(column)
