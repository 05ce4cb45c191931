"""What every family spider shares: the portal record, the incremental "already stored" set, article
pages into FetchedDocument items, attachments, and a failure row for every request that did not land."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from pipeline.manifest import DONE_OUTCOMES, latest_by_url, read_rows
from pipeline.titles import is_report_title, report_year

from .items import FetchedDocument, FetchFailure

ATTACHMENT_EXT = re.compile(r"\.(pdf|docx?|xlsx?|wps|et|rtf|jpe?g|png)(?:$|\?)", re.I)
_DATE = re.compile(r"((?:19|20)\d{2})[-/年.](\d{1,2})[-/月.](\d{1,2})")


def iso_date(text: str | None) -> str | None:
    m = _DATE.search(text or "")
    if not m:
        return None
    y, mo, d = (int(g) for g in m.groups())
    return f"{y:04d}-{mo:02d}-{d:02d}"


class PortalSpider(scrapy.Spider):
    """Base class; subclasses implement ``start`` and the listing callbacks of their CMS family."""

    custom_settings: dict = {}

    def __init__(self, portal: str, backfill_to: str | int | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.portal = json.loads(portal) if isinstance(portal, str) else dict(portal)
        self.portal_id: str = self.portal["id"]
        self.allowed_domains = list(self.portal["hosts"])
        self.params: dict = self.portal.get("params") or {}
        self.backfill_to = int(backfill_to) if backfill_to not in (None, "", "None") else None
        self.known: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: scrapy.crawler.Crawler, *args: object, **kwargs: object) -> PortalSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        data_dir = crawler.settings.get("NIANBAO_DATA_DIR")
        if data_dir:
            latest = latest_by_url(r for r in read_rows(data_dir) if r.get("portal_id") == spider.portal_id)
            spider.known = {u for u, r in latest.items() if r.get("outcome") in DONE_OUTCOMES}
        return spider

    # -- listing helpers ---------------------------------------------------------------------------
    def consider(self, url: str, title: str, listing_url: str) -> tuple[bool, scrapy.Request | None]:
        """Decide about one listing entry: (is_report, request to fetch it or None when already stored)."""
        if not is_report_title(title):
            self.crawler.stats.inc_value("nianbao/listing/not_report")
            return False, None
        year = report_year(title)
        if self.backfill_to and year and year < self.backfill_to:
            self.crawler.stats.inc_value("nianbao/listing/before_backfill_year")
            return True, None
        if url in self.known:
            self.crawler.stats.inc_value("nianbao/listing/already_stored")
            return True, None
        self.known.add(url)
        request = scrapy.Request(
            url, callback=self.parse_article, errback=self.failed,
            cb_kwargs={"listing_title": title, "listing_url": listing_url},
            meta={"kind": "report", "listing_url": listing_url},
        )
        return True, request

    # -- article pages -----------------------------------------------------------------------------
    def parse_article(self, response: Response, listing_title: str = "", listing_url: str | None = None) -> Iterator:
        meta_title = response.xpath('//meta[@name="ArticleTitle"]/@content').get()
        pub = response.xpath('//meta[@name="PubDate"]/@content').get()
        title = (meta_title or listing_title or response.xpath("//title/text()").get() or "").strip()
        yield FetchedDocument(
            url=response.url, portal_id=self.portal_id, kind="report", status=response.status, body=response.body,
            content_type=response.headers.get("Content-Type", b"").decode("latin-1") or None,
            title=title, publish_date=iso_date(pub) or iso_date(response.url), listing_url=listing_url,
        )
        yield from self.attachments(response)

    def attachments(self, response: Response) -> Iterator[scrapy.Request]:
        for link in response.xpath("//a[@href]"):
            href = link.attrib.get("href", "").strip()
            if not href or href.startswith(("javascript:", "mailto:", "#")):
                continue
            if not ATTACHMENT_EXT.search(href):
                continue
            url = urljoin(response.url, href)
            if urlsplit(url).hostname not in self.allowed_domains or url in self.known:
                continue
            self.known.add(url)
            yield scrapy.Request(
                url, callback=self.parse_attachment, errback=self.failed,
                cb_kwargs={"parent_url": response.url, "label": "".join(link.xpath(".//text()").getall()).strip()},
                meta={"kind": "attachment"},
            )

    def parse_attachment(self, response: Response, parent_url: str, label: str = "") -> Iterator:
        yield FetchedDocument(
            url=response.url, portal_id=self.portal_id, kind="attachment", status=response.status,
            body=response.body, content_type=response.headers.get("Content-Type", b"").decode("latin-1") or None,
            title=label or None, parent_url=parent_url,
        )

    # -- failures ----------------------------------------------------------------------------------
    def failed(self, failure: Failure) -> Iterator:
        request = failure.request
        status = None
        if failure.check(HttpError):
            status = failure.value.response.status
            outcome = "not_found" if status in (404, 410) else "failed"
            reason = f"HTTP {status}"
        else:
            reason = f"{failure.type.__name__}: {failure.getErrorMessage()}"[:500]
            text = reason.lower()
            if "robots.txt" in text:
                outcome = "robots"
            elif "max size" in text or "maxsize" in text:
                outcome = "too_large"
            else:
                outcome = "failed"
        yield FetchFailure(
            url=request.url, portal_id=self.portal_id, kind=request.meta.get("kind", "report"), outcome=outcome,
            reason=reason, status=status, listing_url=request.meta.get("listing_url"),
        )
