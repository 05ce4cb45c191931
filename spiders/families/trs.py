"""TRS WCM static sites: ``index.html``, ``index_1.html`` … paged by ``createPageHTML(count, current,
"index", "html")`` (or the older inline ``countPage``/``currentPage`` script), articles ``./YYYYMM/tYYYYMMDD_ID.html``.
The page is read by ``spiders.listing`` (the same reader ``nianbao listing`` runs).

The page count in the script is not trusted to be true: a page past the real end answers 404 or a meta
refresh back to ``./`` (followed once, then dropped by the duplicate filter), and either ends the column.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response

from ..base import PortalSpider, Tally
from ..listing import INDEX_N, read_listing
from ..listing import trs_pager as pager

__all__ = ["TrsSpider", "pager"]


def content_type(response: Response) -> str | None:
    return response.headers.get("Content-Type", b"").decode("latin-1") or None


class TrsSpider(PortalSpider):
    name = "trs"
    family = "trs"
    retry_listing_callback = "parse_listing"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.portal["seed_urls"]:
            yield self.request(url, self.parse_listing, kind="listing", column=url)
        for request in self.retry_requests():
            yield request

    def parse_listing(self, response: Response) -> Iterator:
        column = response.meta.get("column") or response.url
        listing = read_listing(self.page_url(response), response.body, content_type(response), family=self.family)
        tally = Tally()
        for entry in listing.entries:
            if urlsplit(entry.url).hostname not in self.allowed_domains:
                self.crawler.stats.inc_value("nianbao/listing/offsite_link")
                continue
            request = tally.add(self.consider(entry.url, entry.title, response.url, column, entry.date), entry.date)
            if request is not None:
                yield request
        yield self.listed(response, tally, column)
        max_pages = int(self.params.get("max_pages", 500))
        for next_url in listing.next_pages[:1]:
            m = INDEX_N.search(urlsplit(next_url).path)
            if (m and int(m.group(2)) >= max_pages) or not self.keep_paging(tally):
                break
            # a page past the real end may be a meta refresh back to ./: read it, do not follow it
            yield self.follow(next_url, self.parse_listing, column=column, dont_redirect=True)
            return
        yield from self.column_done(column)
