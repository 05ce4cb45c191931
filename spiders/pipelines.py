"""Item pipeline: raw bytes into the content-addressed store, one manifest row per outcome.

A write that fails (disk full, file size limit, I/O error) stops the crawl: the spider is closed with
reason ``write_error``, the one-line cause is kept in the stats (``nianbao/write_error``) for
``spiders.run`` to exit non-zero with, and nothing more is struck off the frontier, so what was not
written is asked again by the next run.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro

from pipeline.decode import declared_charsets, decode
from pipeline.locations import raw_root
from pipeline.manifest import ManifestRow, ManifestWriter
from pipeline.rawstore import RawStore, extension_for

from .base import TOO_LARGE
from .frontier import CrawlFrontier
from .items import FetchedDocument, FetchFailure, ListingPage, Unchanged

WRITE_ERROR = "write_error"  # the finish reason of a crawl that could not write

# Copied from the storing row when a document is confirmed unchanged, so readers of the latest row per
# URL still find its bytes.
_CARRY = ("kind", "status", "content_type", "declared_charset", "detected_charset", "sha256", "raw_path", "size",
          "title", "publish_date", "listing_url", "parent_url", "column")


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def failure_outcome(outcome: str, reason: str | None) -> str:
    """The outcome recorded for a failed fetch: a generic ``failed`` whose reason is the size limit (a gzip
    bomb says "… exceeded DOWNLOAD_MAXSIZE … during decompression") is ``too_large``, so a bomb is
    explained rather than counted as a server error."""
    if outcome == "failed" and reason and TOO_LARGE.search(reason):
        return "too_large"
    return outcome


class RawStorePipeline:
    def __init__(self, data_dir: str, run_id: str, crawler: Crawler) -> None:
        self.crawler = crawler
        self.store = RawStore(raw_root(data_dir))  # <data>/raw, or NIANBAO_RAW_URI (e.g. s3://bucket/raw)
        self.manifest = ManifestWriter(data_dir, run_id)
        self.stats = crawler.stats
        self.failed: str | None = None  # the first write error; nothing is written after it
        self._sync_fd: int | None = None
        frontier = CrawlFrontier.of(crawler)
        frontier.before_flush.append(self.sync_manifest)
        frontier.on_write_error = self.write_failed

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RawStorePipeline:
        data_dir = crawler.settings.get("NIANBAO_DATA_DIR")
        run_id = crawler.settings.get("NIANBAO_RUN_ID")
        if not data_dir or not run_id:
            raise ValueError("NIANBAO_DATA_DIR and NIANBAO_RUN_ID must be set for a crawl")
        return cls(data_dir, run_id, crawler)

    def close_spider(self, spider: Spider | None = None) -> None:
        CrawlFrontier.of(self.crawler).flush()  # while the manifest is open: rows synced, then struck off
        try:
            self.manifest.close()
        except OSError as exc:
            self.write_failed(f"could not write the manifest {self.manifest.path}: {exc}")
        if self._sync_fd is not None:
            os.close(self._sync_fd)
            self._sync_fd = None

    def sync_manifest(self) -> None:
        """The manifest rows written so far onto the disk (before the frontier strikes their requests off)."""
        if self._sync_fd is None:
            self._sync_fd = os.open(self.manifest.path, os.O_RDONLY)
        os.fsync(self._sync_fd)

    def write_failed(self, why: str) -> None:
        """Stop the crawl after a failed write: one line saying why, in the stats and the finish reason."""
        if self.failed is not None:
            return
        self.failed = why
        self.stats.set_value("nianbao/write_error", why)
        CrawlFrontier.of(self.crawler).write_failed(why)
        engine = self.crawler.engine
        if engine is not None and engine.spider is not None:
            deferred_from_coro(engine.close_spider_async(reason=WRITE_ERROR))

    def process_item(self, item: object, spider: Spider | None = None) -> object:
        if self.failed is not None:
            return item  # the crawl is stopping; this item's request stays pending in the frontier
        try:
            self._write(item)
        except OSError as exc:
            what = "manifest" if isinstance(item, (Unchanged, ListingPage, FetchFailure)) else "raw store or manifest"
            data = self.manifest.path.parent.parent
            where = data if self.store.local else f"{data} or {self.store.root}"
            self.write_failed(f"could not write the {what} under {where}: {exc}")
        return item

    def _write(self, item: object) -> None:
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
