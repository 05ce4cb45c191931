"""Script-JSON listings (集约化 SPA templates): items only in a JS literal ``var itemObj = [...]`` whose
``aU`` field is itself a JSON string (``{"common": "/path"}``), the pager only base64-encoded in
``<div id="pages">``. Pages ``index.html``, ``index_1.html`` …, followed while the decoded pager links them."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit

import scrapy
from parsel import Selector
from scrapy.http import Response

from ..base import PortalSpider, Tally, iso_date
from ..listing import read_listing
from .trs import content_type

ITEMS = re.compile(r"var\s+itemObj\s*=\s*(\[.*?\])\s*;", re.S)
PAGE_LINK = re.compile(r"index_(\d+)\.s?html")


def items(text: str) -> list[tuple[str, str, str | None]]:
    """(path, title, date) of every item in the page's ``itemObj`` literal."""
    m = ITEMS.search(text)
    if not m:
        return []
    try:
        raw = json.loads(m.group(1))
    except ValueError:
        return []
    out = []
    for item in raw:
        target = item.get("aU") or item.get("url") or ""
        if isinstance(target, str) and target.strip().startswith("{"):
            try:
                target = json.loads(target).get("common") or ""
            except ValueError:
                target = ""
        elif isinstance(target, dict):
            target = target.get("common") or ""
        if target:
            out.append((str(target), str(item.get("aT") or item.get("title") or ""), iso_date(str(item.get("aPd") or ""))))
    return out


def pager_pages(response: Response | Selector) -> set[int]:
    """Page numbers linked by the base64-encoded pager."""
    encoded = "".join(response.xpath('//div[@id="pages"]/text()').getall()).strip()
    try:
        decoded = base64.b64decode(encoded, validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        decoded = encoded
    return {int(n) for n in PAGE_LINK.findall(decoded)}


class ScriptJsonSpider(PortalSpider):
    name = "scriptjson"
    retry_listing_callback = "parse_listing"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.portal["seed_urls"]:
            yield self.request(url, self.parse_listing, kind="listing", column=url, page=0)
        for request in self.retry_requests():
            yield request

    def parse_listing(self, response: Response) -> Iterator:
        column = response.meta.get("column") or response.url
        page = int(response.meta.get("page") or 0)
        listing = read_listing(response.url, response.body, content_type(response), family="scriptjson")
        tally = Tally()
        for entry in listing.entries:
            if urlsplit(entry.url).hostname not in self.allowed_domains:
                continue
            request = tally.add(self.consider(entry.url, entry.title, response.url, column, entry.date), entry.date)
            if request is not None:
                yield request
        yield self.listed(response, tally, column)
        if listing.next_pages and self.keep_paging(tally):
            yield self.request(listing.next_pages[0], self.parse_listing, kind="listing", column=column, page=page + 1)
            return
        yield from self.column_done(column)
