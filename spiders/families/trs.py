"""TRS WCM static sites: ``index.html``, ``index_1.html`` … paged by ``createPageHTML(count, current,
"index", "html")`` (or the older inline ``countPage``/``currentPage`` script), articles ``./YYYYMM/tYYYYMMDD_ID.html``.

The page count in the script is not trusted to be true: a page past the real end answers 404 or a meta
refresh back to ``./`` (followed once, then dropped by the duplicate filter), and either ends the column.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response

from ..base import PortalSpider, Tally, iso_date

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
    retry_listing_callback = "parse_listing"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.portal["seed_urls"]:
            yield self.request(url, self.parse_listing, kind="listing", column=url)
        for request in self.retry_requests():
            yield request

    def parse_listing(self, response: Response) -> Iterator:
        column = response.meta.get("column") or response.url
        tally = Tally()
        for link in response.xpath("//a[@href]"):
            href = link.attrib["href"].strip()
            if not ARTICLE.search(href.split("?")[0]):
                continue
            url = urljoin(response.url, href)
            if urlsplit(url).hostname not in self.allowed_domains:
                self.crawler.stats.inc_value("nianbao/listing/offsite_link")
                continue
            title = (link.attrib.get("title") or "".join(link.xpath(".//text()").getall())).strip()
            date = iso_date(" ".join(link.xpath("following-sibling::*[1]//text() | ../following-sibling::*[1]//text()"
                                                ).getall())) or iso_date(url)
            request = tally.add(self.consider(url, title, response.url, column, date), date)
            if request is not None:
                yield request
        yield self.listed(response, tally, column)
        paging = pager(response.text)
        if paging is not None and self.keep_paging(tally):
            count, current, stem, ext = paging
            max_pages = int(self.params.get("max_pages", 500))
            if current + 1 < min(count, max_pages):
                next_url = urljoin(column, f"{stem}_{current + 1}.{ext}")
                # a page past the real end may be a meta refresh back to ./: read it, do not follow it
                yield self.request(next_url, self.parse_listing, kind="listing", column=column, dont_redirect=True)
                return
        yield from self.column_done(column)
