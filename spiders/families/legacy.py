"""Legacy sites (2008–2015 templates): table listings paged by a query-string parameter
(``InfoPublic.aspx?…&page=N``, ``iList.jsp?…&cur_page=N``), links as ``javascript:openWin('…')`` or
``../`` paths, GB2312 labels over GBK bytes.

Such servers never say "the end": any page number answers 200 with the last page again, or a soft 404. So
the walk stops at the first page that brings no article URL not already seen in this walk, at a soft 404,
or at ``max_pages``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from urllib.parse import parse_qs, urljoin, urlsplit

import scrapy
from scrapy.http import Response
from w3lib.url import add_or_replace_parameter

from ..base import PortalSpider, Tally, is_soft_404, iso_date

JS_LINK = re.compile(r"""^javascript:\s*\w+\(\s*['"]([^'"]+)['"]""", re.I)
DEFAULT_ARTICLE = r"(?:iInfo\.jsp\?id=\d+|/\d{4}/\d{4}/\d+\.s?html?$|content_\d+\.s?html?$)"


class LegacySpider(PortalSpider):
    name = "legacy"
    retry_listing_callback = "parse_listing"

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.article = re.compile(self.params.get("article_pattern") or DEFAULT_ARTICLE)
        self.page_param = self.params.get("page_param", "page")
        self.max_pages = int(self.params.get("max_pages", 200))

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.portal["seed_urls"]:
            yield self.request(url, self.parse_listing, kind="listing", column=url, walk_seen=frozenset(), n_page=1)
        for request in self.retry_requests():
            yield request

    def page_number(self, url: str) -> int:
        value = parse_qs(urlsplit(url).query).get(self.page_param, ["1"])[0]
        return int(value) if value.isdigit() else 1

    def parse_listing(self, response: Response) -> Iterator:
        meta = response.meta
        column = meta.get("column") or response.url
        walk_seen: frozenset[str] = meta.get("walk_seen") or frozenset()
        if is_soft_404(response):
            self.crawler.stats.inc_value("nianbao/listing/soft_404_end")
            yield from self.column_done(column)
            return
        tally = Tally()
        urls: set[str] = set()
        for link in response.xpath("//a[@href]"):
            href = link.attrib["href"].strip()
            js = JS_LINK.match(href)
            if js:
                href = js.group(1)
            elif href.lower().startswith("javascript:"):
                continue
            if not self.article.search(href):
                continue
            url = urljoin(response.url, href)
            if urlsplit(url).hostname not in self.allowed_domains:
                continue
            urls.add(url)
            title = (link.attrib.get("title") or "".join(link.xpath(".//text()").getall())).strip()
            row = link.xpath("ancestor::tr[1] | ancestor::li[1]")
            date = iso_date(" ".join(row[-1].xpath(".//text()").getall())) if row else None
            request = tally.add(self.consider(url, title, response.url, column, date), date)
            if request is not None:
                yield request
        yield self.listed(response, tally, column)
        fresh = urls - walk_seen
        n_page = int(meta.get("n_page") or 1)
        if not fresh:
            self.crawler.stats.inc_value("nianbao/listing/endless_stopped")
        elif n_page < self.max_pages and self.keep_paging(tally):
            next_url = add_or_replace_parameter(response.url, self.page_param, str(self.page_number(response.url) + 1))
            yield self.request(next_url, self.parse_listing, kind="listing", column=column,
                               walk_seen=walk_seen | urls, n_page=n_page + 1)
            return
        yield from self.column_done(column)
