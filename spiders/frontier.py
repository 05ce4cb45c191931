"""The durable crawl frontier: every request a portal spider makes is written down before it is issued and
struck off only once its manifest row is written, so a crawl killed at any moment (``kill -9``, OOM, a
reboot) resumes where it stopped on the next run and no discovered document is left behind.

Why not Scrapy's ``JOBDIR``: its disk queue holds only requests not yet *dequeued* (a request in flight at
the kill is gone), its ``requests.seen`` marks a fingerprint as done when it is *enqueued* (a resumed run
filters the very requests that never finished), the queue's head/tail are saved only on a clean close,
nothing is fsynced, and "done" there is "handed to the downloader", not "its manifest row is on disk".
So the frontier is its own: one SQLite database per portal (``<data>/frontier/<portal>.sqlite``, WAL).

* **add** (autocommit, WAL): a request yielded by a callback, an errback or ``start`` is inserted when the
  spider hands it over, before the scheduler sees it. It survives the process dying at once; a power cut
  loses at most the last transactions, and WAL recovery keeps a prefix, so a child is never lost while
  its parent's "done" survives.
* **done**: a request is done when its callback (or errback) has run to the end, so every request it
  yielded was added, *and* every item it yielded has been through the item pipeline (``item_scraped`` /
  ``item_dropped``). Dones are batched: the manifest is fsynced, then one transaction deletes them.
* **resume**: the next run of the portal first re-issues what is still there, with its callback, errback,
  body and meta (an attachment keeps its parent page, title and column; a listing page its paging state),
  marked ``meta['resumed']``.
* After a write error (disk full) nothing more is struck off: what was not written stays pending.
"""

from __future__ import annotations

import base64
import json
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response

log = logging.getLogger(__name__)

KEY = "frontier_key"  # request.meta: the frontier row this request (and its redirects and retries) finishes
RESUMED = "resumed"  # request.meta: re-issued from the frontier of an interrupted run
FLUSH_EVERY = 0.5  # seconds between batches of "done" marks
# Meta keys Scrapy and its middlewares set for one download: never carried over to a resumed request.
_TRANSIENT = frozenset({"depth", "download_slot", "download_latency", "download_timeout", "proxy", "redirect_times",
                        "redirect_ttl", "redirect_urls", "redirect_reasons", "retry_times", "is_start_request",
                        "handle_httpstatus_list", RESUMED, KEY})

Failer = Callable[[str], None]


# -- meta as JSON ----------------------------------------------------------------------------------
def _tag(value: Any) -> Any:
    """JSON for the values spiders put in meta: sets and frozensets (paging state) keep their type."""
    if isinstance(value, frozenset):
        return {"__frozenset__": [_tag(v) for v in value]}
    if isinstance(value, set):
        return {"__set__": [_tag(v) for v in value]}
    if isinstance(value, (list, tuple)):
        return [_tag(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _tag(v) for k, v in value.items()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"meta value of type {type(value).__name__} cannot be kept in the frontier")


def _untag(value: Any) -> Any:
    if isinstance(value, list):
        return [_untag(v) for v in value]
    if isinstance(value, dict):
        if "__frozenset__" in value:
            return frozenset(_untag(v) for v in value["__frozenset__"])
        if "__set__" in value:
            return {_untag(v) for v in value["__set__"]}
        return {k: _untag(v) for k, v in value.items()}
    return value


def encode(request: Request) -> str:
    """Everything needed to issue ``request`` again in another process."""
    callback, errback = request.callback, request.errback
    record = {
        "url": request.url, "method": request.method, "body": base64.b64encode(request.body).decode("ascii"),
        "headers": {k.decode("latin-1"): [v.decode("latin-1") for v in vs] for k, vs in request.headers.items()},
        "callback": getattr(callback, "__name__", None), "errback": getattr(errback, "__name__", None),
        "priority": request.priority,
        "meta": _tag({k: v for k, v in request.meta.items() if k not in _TRANSIENT and not k.startswith("_")}),
    }
    return json.dumps(record, ensure_ascii=False, sort_keys=True)


def decode(text: str, spider: Spider, key: str) -> Request:
    """The request ``encode`` wrote, bound to this run's spider, marked resumed."""
    record = json.loads(text)
    meta = _untag(record["meta"])
    meta.update({KEY: key, RESUMED: True})
    callback = getattr(spider, record["callback"]) if record.get("callback") else None
    errback = getattr(spider, record["errback"]) if record.get("errback") else None
    return Request(record["url"], method=record["method"], body=base64.b64decode(record["body"]),
                   headers=record["headers"], callback=callback, errback=errback, meta=meta,
                   priority=int(record.get("priority") or 0))


# -- the store ---------------------------------------------------------------------------------------
def frontier_path(data_dir: str | Path, portal_id: str) -> Path:
    return Path(data_dir) / "frontier" / f"{portal_id}.sqlite"


class FrontierStore:
    """The pending requests of one portal, in SQLite (WAL). A write that fails raises ``sqlite3.Error``."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=5.0)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS pending (key TEXT PRIMARY KEY, url TEXT NOT NULL, kind TEXT, "
                        "request TEXT NOT NULL, added_run TEXT, added_at TEXT, issued INTEGER NOT NULL DEFAULT 0)")

    def add(self, key: str, url: str, kind: str | None, request: str, run_id: str | None) -> bool:
        """Write one pending request (a key already pending keeps its first record); True when new."""
        cur = self.db.execute("INSERT OR IGNORE INTO pending (key, url, kind, request, added_run, added_at) "
                              "VALUES (?, ?, ?, ?, ?, ?)",
                              (key, url, kind, request, run_id, datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")))
        return cur.rowcount == 1

    def done(self, keys: Iterable[str]) -> None:
        """Strike off finished requests, in one transaction."""
        keys = list(keys)
        if not keys:
            return
        self.db.execute("BEGIN")
        try:
            self.db.executemany("DELETE FROM pending WHERE key = ?", [(k,) for k in keys])
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def pending(self) -> list[tuple[str, str, str | None, str, int]]:
        """(key, url, kind, request, times issued before) of every pending request, oldest first."""
        return list(self.db.execute("SELECT key, url, kind, request, issued FROM pending ORDER BY rowid"))

    def mark_issued(self, keys: Iterable[str]) -> None:
        self.db.executemany("UPDATE pending SET issued = issued + 1 WHERE key = ?", [(k,) for k in keys])

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM pending").fetchone()[0]

    def close(self) -> None:
        self.db.close()


# -- the crawl side ----------------------------------------------------------------------------------
@dataclass
class _Open:
    """One request whose callback/errback output is being handed on: items not yet through the pipeline."""

    items: int = 0
    finished: bool = False  # the callback ran to its end (every request it yielded was added)


@dataclass
class CrawlFrontier:
    """The frontier of one portal's crawl: adds, done tracking, resume. One per crawler (``of``)."""

    crawler: Crawler
    store: FrontierStore | None = None
    run_id: str | None = None
    open: dict[str, _Open] = field(default_factory=dict)
    items: dict[int, str] = field(default_factory=dict)  # id(item) → key of the request that yielded it
    finished: list[str] = field(default_factory=list)  # done, not yet struck off
    done_this_run: set[str] = field(default_factory=set)
    written: set[str] = field(default_factory=set)  # keys pending in the store (added or resumed in this run)
    frozen: str | None = None  # why nothing may be struck off any more (a write failed)
    before_flush: list[Callable[[], None]] = field(default_factory=list)  # e.g. fsync the manifest
    on_write_error: Failer | None = None

    @classmethod
    def of(cls, crawler: Crawler) -> CrawlFrontier:
        existing = getattr(crawler, "_nianbao_frontier", None)
        if existing is None:
            existing = cls(crawler)
            crawler._nianbao_frontier = existing  # type: ignore[attr-defined]
        return existing

    @property
    def enabled(self) -> bool:
        return self.store is not None

    def open_for(self, spider: Spider) -> None:
        data_dir = self.crawler.settings.get("NIANBAO_DATA_DIR")
        if not (data_dir and getattr(spider, "frontier_enabled", False)):
            return
        self.run_id = self.crawler.settings.get("NIANBAO_RUN_ID")
        self.store = FrontierStore(frontier_path(data_dir, spider.portal_id))  # type: ignore[attr-defined]

    def write_failed(self, why: str) -> None:
        """A write of the crawl failed: strike nothing off any more, and let the crawl stop."""
        if self.frozen is None:
            self.frozen = why
        if self.on_write_error is not None:
            self.on_write_error(why)

    def key_of(self, request: Request) -> str:
        return self.crawler.request_fingerprinter.fingerprint(request).hex()

    def add(self, request: Request) -> bool:
        """Write ``request`` down before it is issued (False: the write failed, do not issue it)."""
        if self.store is None:
            return True
        key = self.key_of(request)
        request.meta[KEY] = key
        if key in self.written or key in self.done_this_run:
            return True  # pending already, or finished earlier in this run (the duplicate filter drops it)
        try:
            self.store.add(key, request.url, request.meta.get("kind"), encode(request), self.run_id)
        except (sqlite3.Error, TypeError) as exc:
            self.write_failed(f"frontier {self.store.path}: {exc}")
            return False
        self.written.add(key)
        self.crawler.stats.inc_value("nianbao/frontier/added")
        return True

    def resumed(self, spider: Spider) -> Iterator[Request]:
        """The requests an interrupted run left pending, to issue first."""
        if self.store is None:
            return
        rows = self.store.pending()
        if rows:
            self.store.mark_issued(k for k, *_ in rows)
        for key, url, _kind, text, _issued in rows:
            try:
                request = decode(text, spider, key)
            except (ValueError, KeyError, AttributeError, TypeError) as exc:
                log.error("frontier: pending request %s cannot be re-issued (%s); dropped", url, exc)
                self.finished.append(key)
                continue
            self.written.add(key)
            self.crawler.stats.inc_value("nianbao/frontier/resumed")
            yield request

    # done tracking
    def track(self, request: Request | None, outputs: Iterable[Any], spider: Spider) -> Iterator[Any]:
        """Hand on a callback's (or errback's) output, adding its requests; the request is done when the
        output ended and all its items went through the pipeline."""
        key = request.meta.get(KEY) if request is not None and self.store is not None else None
        if key is not None and key in self.open:
            key = None  # an outer wrapper of the same output tracks it
        if key is not None:
            self.open[key] = _Open()
        it = iter(outputs)
        error: Exception | None = None
        while True:
            spider.frontier_request = request  # type: ignore[attr-defined]
            try:
                out = next(it)
            except StopIteration:
                break
            except Exception as exc:  # a spider bug: the URL still ends with a row, and the error goes on
                error = exc
                break
            finally:
                spider.frontier_request = None  # type: ignore[attr-defined]
            if isinstance(out, Request):
                if not self.add(out):
                    return  # not written down: not issued, and this request stays pending
                yield out
            else:
                yield self._item(key, out)
        if error is not None:
            failure = self._spider_error(request, spider, error)
            if failure is not None:
                yield self._item(key, failure)
            self._finish(key)
            raise error
        self._finish(key)

    async def track_async(self, request: Request | None, outputs: AsyncIterator[Any], spider: Spider
                          ) -> AsyncIterator[Any]:
        key = request.meta.get(KEY) if request is not None and self.store is not None else None
        if key is not None and key in self.open:
            key = None
        if key is not None:
            self.open[key] = _Open()
        it = aiter(outputs)
        error: Exception | None = None
        while True:
            spider.frontier_request = request  # type: ignore[attr-defined]
            try:
                out = await anext(it)
            except StopAsyncIteration:
                break
            except Exception as exc:
                error = exc
                break
            finally:
                spider.frontier_request = None  # type: ignore[attr-defined]
            if isinstance(out, Request):
                if not self.add(out):
                    return
                yield out
            else:
                yield self._item(key, out)
        if error is not None:
            failure = self._spider_error(request, spider, error)
            if failure is not None:
                yield self._item(key, failure)
            self._finish(key)
            raise error
        self._finish(key)

    def _spider_error(self, request: Request | None, spider: Spider, exc: Exception) -> Any:
        make = getattr(spider, "failure_item", None)
        if request is None or make is None:
            return None
        return make(request, "failed", f"spider error: {type(exc).__name__}: {exc}"[:500])

    def _item(self, key: str | None, item: Any) -> Any:
        if key is not None and item is not None:
            self.items[id(item)] = key
            self.open[key].items += 1
        return item

    def _finish(self, key: str | None) -> None:
        if key is None:
            return
        self.open[key].finished = True
        self._maybe_done(key)

    def _maybe_done(self, key: str) -> None:
        state = self.open.get(key)
        if state is not None and state.finished and state.items == 0:
            del self.open[key]
            if self.frozen is None:
                self.finished.append(key)
                self.done_this_run.add(key)
                self.written.discard(key)

    def item_passed(self, item: Any) -> None:
        """An item went through the pipeline (its manifest row is written)."""
        key = self.items.pop(id(item), None)
        if key is not None and key in self.open:
            self.open[key].items -= 1
            self._maybe_done(key)

    def item_failed(self, item: Any) -> None:
        """The pipeline raised on an item: its request is never done in this run."""
        key = self.items.pop(id(item), None)
        if key is not None:
            self.open.pop(key, None)

    def flush(self) -> None:
        """Strike off the finished requests: manifest rows to disk first, then one transaction."""
        if self.store is None or not self.finished or self.frozen is not None:
            return
        batch, self.finished = self.finished, []
        try:
            for hook in self.before_flush:
                hook()
            self.store.done(batch)
        except (OSError, sqlite3.Error) as exc:
            self.write_failed(f"frontier {self.store.path}: {exc}")
            return
        self.crawler.stats.inc_value("nianbao/frontier/done", len(batch))

    def close(self) -> None:
        if self.store is None:
            return
        self.flush()
        try:
            left = self.store.count()
        except sqlite3.Error:
            left = -1
        self.crawler.stats.set_value("nianbao/frontier/pending_at_close", left)
        self.store.close()


class FrontierMiddleware:
    """Spider middleware (closest to the engine): writes every request the spider yields (and its start
    requests) to the frontier before the scheduler sees it, issues an interrupted run's pending requests
    first, and strikes requests off when their output has gone through the pipeline."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.frontier = CrawlFrontier.of(crawler)
        self._loop: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FrontierMiddleware:
        mw = cls(crawler)
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(mw.item_passed, signal=signals.item_scraped)
        crawler.signals.connect(mw.item_passed, signal=signals.item_dropped)
        crawler.signals.connect(mw.item_failed, signal=signals.item_error)
        return mw

    def spider_opened(self, spider: Spider) -> None:
        self.frontier.open_for(spider)
        if self.frontier.enabled:
            from twisted.internet import task

            self._loop = task.LoopingCall(self.frontier.flush)
            self._loop.start(FLUSH_EVERY, now=False)

    def spider_closed(self, spider: Spider) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self.frontier.close()

    def item_passed(self, item: Any) -> None:
        self.frontier.item_passed(item)

    def item_failed(self, item: Any) -> None:
        self.frontier.item_failed(item)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        spider = self.crawler.spider
        for request in self.frontier.resumed(spider):
            mark = getattr(spider, "resuming", None)
            if mark is not None:
                mark(request)
            yield request
        async for out in start:
            if isinstance(out, Request) and not self.frontier.add(out):
                return
            yield out

    async def process_spider_output(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for out in self.frontier.track_async(getattr(response, "request", None), result, self.crawler.spider):
            yield out
