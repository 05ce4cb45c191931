"""Hanweb jcms (大汉版通): ``/col/col{id}/index.html`` column pages whose first group of records sits in
``<script type="text/xml"><datastore>``; later groups come from ``dataproxy.jsp`` as XML, asked by POST
with the form fields of the ``<nextgroup>`` template and ``startrecord/endrecord/perpage`` in the query.

Loop guards: stop at ``totalRecord``, and stop when a group repeats records already seen (servers answer
the last group again past the end). ``perpage`` stays at the site's own value (big values answer 500).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import scrapy
from parsel import Selector
from scrapy.http import Response

from ..base import PortalSpider, Tally, iso_date

RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S)
NEXTGROUP = re.compile(r"<nextgroup>\s*<!\[CDATA\[.*?href=[\"']([^\"']+)[\"']", re.S)
TOTAL = re.compile(r"totalRecord\s*:\s*(\d+)|<totalrecord>\s*(\d+)\s*</totalrecord>")
PER_PAGE = re.compile(r"perPage\s*:\s*(\d+)")
GROUP_PAGES = 3
FORM_FIELDS = ("col", "appid", "webid", "path", "columnid", "sourceContentType", "unitid", "webname", "permissiontype")


def records(text: str) -> list[tuple[str, str, str | None]]:
    """(href, full title, date) of every record in a datastore (column page or dataproxy XML)."""
    out = []
    for chunk in RECORD.findall(text):
        sel = Selector(text=chunk)
        link = sel.xpath("//a[@href]")
        if not link:
            continue
        a = link[0]
        title = (a.attrib.get("title") or "".join(a.xpath(".//text()").getall())).strip()
        out.append((a.attrib["href"].strip(), title, iso_date(" ".join(sel.xpath("//text()").getall()))))
    return out


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
        for href, title, date in records(response.text):
            url = urljoin(response.url, href)
            urls.append(url)
            if urlsplit(url).hostname not in self.allowed_domains:
                self.crawler.stats.inc_value("nianbao/listing/offsite_link")
                continue
            request = tally.add(self.consider(url, title, response.url, column, date), date)
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
        parts = urlsplit(template)
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        form = {k: query[k] for k in FORM_FIELDS if k in query}
        form.setdefault("col", "1")
        form.setdefault("sourceContentType", "1")
        end = start + per_page * GROUP_PAGES - 1
        url = f"{parts.scheme}://{parts.netloc}{parts.path}?" + urlencode(
            {"startrecord": start, "endrecord": end, "perpage": per_page})
        return scrapy.FormRequest(
            url, formdata=form, callback=self.parse_group, errback=self.failed,
            meta={"kind": "listing", "column": column, "template": template, "start": start, "per_page": per_page,
                  "total": total, "group_seen": seen},
        )

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
