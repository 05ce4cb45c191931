"""Item pipeline: raw bytes into the content-addressed store, one manifest row per outcome."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from scrapy import Spider
from scrapy.crawler import Crawler

from pipeline.decode import declared_charsets, decode
from pipeline.manifest import ManifestRow, ManifestWriter
from pipeline.rawstore import RawStore, extension_for

from .items import FetchedDocument, FetchFailure, ListingPage, Unchanged

# Copied from the storing row when a document is confirmed unchanged, so readers of the latest row per
# URL still find its bytes.
_CARRY = ("kind", "status", "content_type", "declared_charset", "detected_charset", "sha256", "raw_path", "size",
          "title", "publish_date", "listing_url", "parent_url", "column")


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# A body over DOWNLOAD_MAXSIZE while it is being decompressed (a gzip bomb) is as too large as one that
# announced its size; Scrapy says so in other words ("… exceeded DOWNLOAD_MAXSIZE … during decompression").
_TOO_LARGE = re.compile(r"max size|DOWNLOAD_MAXSIZE|during decompression", re.I)


def failure_outcome(outcome: str, reason: str | None) -> str:
    """The outcome recorded for a failed fetch: a generic ``failed`` whose reason is the size limit is
    ``too_large``, so a bomb is explained rather than counted as a server error."""
    if outcome == "failed" and reason and _TOO_LARGE.search(reason):
        return "too_large"
    return outcome


class RawStorePipeline:
    def __init__(self, data_dir: str, run_id: str, crawler: Crawler) -> None:
        self.store = RawStore(f"{data_dir}/raw")
        self.manifest = ManifestWriter(data_dir, run_id)
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RawStorePipeline:
        data_dir = crawler.settings.get("NIANBAO_DATA_DIR")
        run_id = crawler.settings.get("NIANBAO_RUN_ID")
        if not data_dir or not run_id:
            raise ValueError("NIANBAO_DATA_DIR and NIANBAO_RUN_ID must be set for a crawl")
        return cls(data_dir, run_id, crawler)

    def close_spider(self, spider: Spider | None = None) -> None:
        self.manifest.close()

    def process_item(self, item: object, spider: Spider | None = None) -> object:
        if isinstance(item, FetchedDocument):
            self._store(item)
        elif isinstance(item, Unchanged):
            carried = {k: item.previous.get(k) for k in _CARRY}
            self.manifest.write(ManifestRow(
                url=item.url, portal_id=item.portal_id, fetched_at=now_iso(), outcome="unchanged",
                listing_date=item.listing_date or item.previous.get("listing_date"), reason=item.reason, **carried,
            ))
            self.stats.inc_value("nianbao/outcome/unchanged")
        elif isinstance(item, ListingPage):
            self.manifest.write(ManifestRow(
                url=item.url, portal_id=item.portal_id, fetched_at=now_iso(), outcome="listed", kind="listing",
                status=item.status, column=item.column, extra={"n_reports": item.n_reports, "n_new": item.n_new},
            ))
            self.stats.inc_value("nianbao/listing/pages")
        elif isinstance(item, FetchFailure):
            item.outcome = failure_outcome(item.outcome, item.reason)
            self.manifest.write(ManifestRow(
                url=item.url, portal_id=item.portal_id, fetched_at=now_iso(), outcome=item.outcome, kind=item.kind,
                status=item.status, reason=item.reason, listing_url=item.listing_url, parent_url=item.parent_url,
                title=item.title, column=item.column, listing_date=item.listing_date, change=item.change,
            ))
            self.stats.inc_value(f"nianbao/outcome/{item.outcome}")
        return item

    def _store(self, item: FetchedDocument) -> None:
        ext = extension_for(item.content_type, item.url)
        sha, path = self.store.put(item.body, ext)
        header, meta = declared_charsets(item.body, item.content_type)
        detected = decode(item.body, item.content_type).detected if ext in (".html", ".txt", ".xml") else None
        self.manifest.write(ManifestRow(
            url=item.url, portal_id=item.portal_id, fetched_at=now_iso(), outcome="stored", kind=item.kind,
            status=item.status, content_type=item.content_type, declared_charset=header or meta,
            detected_charset=detected, sha256=sha, raw_path=str(path), size=len(item.body), title=item.title,
            publish_date=item.publish_date, listing_url=item.listing_url, parent_url=item.parent_url,
            change=item.change, column=item.column, listing_date=item.listing_date, extra=dict(item.extra),
        ))
        self.stats.inc_value("nianbao/outcome/stored")
        if item.change:
            self.stats.inc_value(f"nianbao/change/{item.change}")
