"""TRS WCM static sites: ``index.html``, ``index_1.html`` … paged by ``createPageHTML(count, current,
"index", "html")`` (or the older inline ``countPage``/``currentPage`` script), articles ``./YYYYMM/tYYYYMMDD_ID.html``."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urljoin

import scrapy
from scrapy.http import Response

from ..base import PortalSpider
from ..items import ListingPage

ARTICLE = re.compile(r"(?:^|/)t\d{8}_\d+\.s?html?$")
CREATE_PAGE = re.compile(r"createPage(?:HTML)?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*[\"']([^\"']+)[\"']\s*,\s*[\"']([^\"']+)[\"']")
COUNT_PAGE = re.compile(r"countPage\s*=\s*(\d+)")
CURRENT_PAGE = re.compile(r"currentPage\s*=\s*(\d+)")


def pager(text: str) -> tuple[int, int, str, str] | None:
    """(page count, current page, file stem, extension) from a TRS listing page's paging script."""
    m = CREATE_PAGE.search(text)
    if m:
        return int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
    count, current = COUNT_PAGE.search(text), CURRENT_PAGE.search(text)
    if count:
        return int(count.group(1)), int(current.group(1)) if current else 0, "index", "html"
    return None


class TrsSpider(PortalSpider):
    name = "trs"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.portal["seed_urls"]:
            yield scrapy.Request(url, callback=self.parse_listing, errback=self.failed,
                                 meta={"kind": "listing", "column": url})

    def parse_listing(self, response: Response) -> Iterator:
        column = response.meta.get("column", response.url)
        n_reports = n_new = 0
        for link in response.xpath("//a[@href]"):
            href = link.attrib["href"].strip()
            if not ARTICLE.search(href.split("?")[0]):
                continue
            url = urljoin(response.url, href)
            title = (link.attrib.get("title") or "".join(link.xpath(".//text()").getall())).strip()
            is_report, request = self.consider(url, title, response.url)
            n_reports += is_report
            if request is not None:
                n_new += 1
                yield request
        yield ListingPage(response.url, self.portal_id, response.status, n_reports, n_new)
        if n_reports and not n_new and not self.backfill_to:
            self.crawler.stats.inc_value("nianbao/listing/stopped_at_known")
            return  # incremental: everything from here on is already stored
        paging = pager(response.text)
        if paging is None:
            return
        count, current, stem, ext = paging
        max_pages = int(self.params.get("max_pages", 500))
        if current + 1 < min(count, max_pages):
            next_url = urljoin(column, f"{stem}_{current + 1}.{ext}")
            yield scrapy.Request(next_url, callback=self.parse_listing, errback=self.failed,
                                 meta={"kind": "listing", "column": column})
