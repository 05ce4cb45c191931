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
* **attempts**: when a pending request is handed to the download handler (on the wire, not merely queued
  behind the host's delay) for the first time in a run, its ``attempts`` is incremented and committed before
  a byte is sent. A request issued in ``NIANBAO_FRONTIER_MAX_ATTEMPTS`` runs (default 3) that never reached
  an outcome is a crash loop (a response that kills the process, or one always in flight at the kill): the
  next run records it ``abandoned`` and drops it, and it is asked again only on the nightly failure schedule.
  A request already issued in a run that died without its answer is a suspect: it is held back until the
  run is otherwise idle and then issued alone, one suspect at a time, so a crash loop takes nothing else down
  with it, and a run that dies is counted against the one request in flight rather than against every
  request that happened to share the kill.
* **revisit**: a frontier created over a data directory that already holds stored report pages of the portal
  (documents lost before the frontier existed: attachments are found only through their parent page, and
  stored pages are never fetched again) queues each stored report page for one re-visit, newest first, at
  most ``NIANBAO_REVISIT_PER_RUN`` (default 500; 0: none) per run; the rest waits in the frontier for the
  next runs. That first run also walks the columns to their end (the spider's ``revisits_queued``).
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
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response

log = logging.getLogger(__name__)

KEY = "frontier_key"  # request.meta: the frontier row this request (and its redirects and retries) finishes
RESUMED = "resumed"  # request.meta: re-issued from the frontier of an interrupted run
REVISIT = "revisit"  # request.meta: a stored report page asked once more for attachments lost before the frontier
FLUSH_EVERY = 0.5  # seconds between batches of "done" marks
MAX_ATTEMPTS = 3  # default NIANBAO_FRONTIER_MAX_ATTEMPTS: runs a request may be issued in without an outcome
REVISIT_PER_RUN = 500  # default NIANBAO_REVISIT_PER_RUN
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
    """The pending requests of one portal, in SQLite (WAL). A write that fails raises ``sqlite3.Error``.

    ``revisit`` holds the stored report pages still to be re-visited once; ``state`` marks that the revisit
    queue was filled (``needs_revisit_seed`` is True only for a frontier that never had it)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=5.0)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS pending (key TEXT PRIMARY KEY, url TEXT NOT NULL, kind TEXT, "
                        "request TEXT NOT NULL, added_run TEXT, added_at TEXT, "
                        "attempts INTEGER NOT NULL DEFAULT 0, attempt_run TEXT, attempt_at TEXT)")
        columns = {name for _, name, *_ in self.db.execute("PRAGMA table_info(pending)")}
        for column, kind in (("attempts", "INTEGER NOT NULL DEFAULT 0"), ("attempt_run", "TEXT"), ("attempt_at", "TEXT")):
            if column not in columns:  # a frontier written before attempts were counted
                self.db.execute(f"ALTER TABLE pending ADD COLUMN {column} {kind}")
        self.db.execute("CREATE TABLE IF NOT EXISTS revisit (url TEXT PRIMARY KEY, row TEXT NOT NULL)")
        self.db.execute("CREATE TABLE IF NOT EXISTS state (name TEXT PRIMARY KEY, value TEXT)")

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
        """(key, url, kind, request, runs it was issued in) of every pending request, oldest first."""
        return list(self.db.execute("SELECT key, url, kind, request, attempts FROM pending ORDER BY rowid"))

    def attempted_at(self, key: str) -> str | None:
        """When ``key`` was last issued (UTC, to the second)."""
        row = self.db.execute("SELECT attempt_at FROM pending WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def issued(self, key: str, run_id: str | None) -> None:
        """Count one more run in which ``key`` was issued (committed before the request goes out)."""
        self.db.execute("UPDATE pending SET attempts = attempts + 1, attempt_run = ?, attempt_at = ? "
                        "WHERE key = ? AND attempt_run IS NOT ?",
                        (run_id, datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), key, run_id))

    def answered(self, key: str) -> None:
        """The last run that issued ``key`` wrote its manifest row before it died (it was not struck off
        yet): that run does not count as one without an answer."""
        self.db.execute("UPDATE pending SET attempts = max(attempts - 1, 0), attempt_at = NULL WHERE key = ?", (key,))

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM pending").fetchone()[0]

    # the one-time revisit of pages stored before the frontier existed
    @property
    def needs_revisit_seed(self) -> bool:
        return self.db.execute("SELECT 1 FROM state WHERE name = 'revisit_seeded'").fetchone() is None

    def seed_revisits(self, rows: Iterable[tuple[str, str]]) -> int:
        """Queue (url, manifest row as JSON) pages for one re-visit, and mark the queue filled, atomically."""
        self.db.execute("BEGIN")
        try:
            cur = self.db.executemany("INSERT OR IGNORE INTO revisit (url, row) VALUES (?, ?)", list(rows))
            self.db.execute("INSERT OR REPLACE INTO state (name, value) VALUES ('revisit_seeded', ?)",
                            (datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return max(cur.rowcount, 0)

    def revisits(self, limit: int) -> list[tuple[str, str]]:
        """The next ``limit`` (url, row) pages to re-visit, in the order they were queued."""
        return list(self.db.execute("SELECT url, row FROM revisit ORDER BY rowid LIMIT ?", (limit,)))

    def revisit_taken(self, url: str) -> None:
        """A re-visit is now a pending request (or needs none): off the revisit queue."""
        self.db.execute("DELETE FROM revisit WHERE url = ?", (url,))

    def revisits_left(self) -> int:
        return self.db.execute("SELECT count(*) FROM revisit").fetchone()[0]

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
    issued_this_run: set[str] = field(default_factory=set)  # keys whose attempt this run is counted
    held: list[Request] = field(default_factory=list)  # crash-loop suspects: issued one by one once idle
    max_attempts: int = MAX_ATTEMPTS
    revisit_per_run: int = REVISIT_PER_RUN

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
        settings = self.crawler.settings
        self.run_id = settings.get("NIANBAO_RUN_ID")
        self.max_attempts = settings.getint("NIANBAO_FRONTIER_MAX_ATTEMPTS", MAX_ATTEMPTS)
        self.revisit_per_run = settings.getint("NIANBAO_REVISIT_PER_RUN", REVISIT_PER_RUN)
        self.store = FrontierStore(frontier_path(data_dir, spider.portal_id))  # type: ignore[attr-defined]
        self._seed_revisits(spider)

    def _seed_revisits(self, spider: Spider) -> None:
        """A frontier that never queued revisits: queue the portal's stored report pages (``revisit_candidates``
        of the spider, newest first) for one re-visit each."""
        candidates = getattr(spider, "revisit_candidates", None)
        if self.store is None or candidates is None or self.revisit_per_run <= 0:
            return  # NIANBAO_REVISIT_PER_RUN=0: no re-visits (a later run with re-visits on still queues them)
        try:
            if not self.store.needs_revisit_seed:
                return
            queued = self.store.seed_revisits((url, json.dumps(row, ensure_ascii=False, sort_keys=True))
                                              for url, row in candidates())
        except sqlite3.Error as exc:
            self.write_failed(f"frontier {self.store.path}: {exc}")
            return
        self.crawler.stats.set_value("nianbao/frontier/revisit_queued", queued)
        seeded = getattr(spider, "revisits_queued", None)
        if seeded is not None:
            seeded(queued)
        if queued:
            log.info("frontier: %d stored report page(s) queued for one re-visit (pages stored before the frontier "
                     "existed may have lost attachments)", queued)

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

    def issued(self, request: Request) -> None:
        """``request`` goes on the wire: the first time in this run, count the run in its ``attempts``."""
        key = request.meta.get(KEY)
        if self.store is None or key is None or key in self.issued_this_run or key not in self.written:
            return
        self.issued_this_run.add(key)
        try:
            self.store.issued(key, self.run_id)
        except sqlite3.Error as exc:
            self.write_failed(f"frontier {self.store.path}: {exc}")

    def resumed(self, spider: Spider) -> Iterator[Any]:
        """What an interrupted run left pending, to issue first: each request (marked by the spider's
        ``resuming``), or, for one already issued in ``max_attempts`` runs without an outcome, its
        ``abandoned`` row instead; one issued in an earlier run at all is held back (``release_held``)."""
        if self.store is None:
            return
        for key, url, _kind, text, attempts in self.store.pending():
            try:
                request = decode(text, spider, key)
            except (ValueError, KeyError, AttributeError, TypeError) as exc:
                log.error("frontier: pending request %s cannot be re-issued (%s); dropped", url, exc)
                self.finished.append(key)
                continue
            self.written.add(key)
            mark = getattr(spider, "resuming", None)
            if mark is not None:
                mark(request)
            if attempts and self._answered_before_death(spider, key, request):
                attempts -= 1
            row = self._abandoned(request, spider, attempts) if attempts >= self.max_attempts else None
            if row is not None:
                log.warning("frontier: %s abandoned: %s", url, row.reason)
                self.crawler.stats.inc_value("nianbao/frontier/abandoned")
                self.open[key] = _Open()
                yield self._item(key, row)
                self._finish(key)
                continue
            self.crawler.stats.inc_value("nianbao/frontier/resumed")
            if attempts and self.max_attempts > 1:
                self.crawler.stats.inc_value("nianbao/frontier/held_back")
                self.held.append(request)
                continue
            yield request

    def release_held(self) -> Request | None:
        """The next held-back request, to issue alone now that the run has nothing else to do."""
        if not self.held or self.frozen is not None:
            return None
        return self.held.pop(0)

    def _answered_before_death(self, spider: Spider, key: str, request: Request) -> bool:
        """Whether the manifest holds a row for ``request`` written since it was last issued (the run died
        after the row, before the batched strike-off): then that run gave it an answer."""
        last_row = getattr(spider, "last_row_at", None)
        if self.store is None or last_row is None:
            return False
        try:
            issued_at = self.store.attempted_at(key)
            written_at = last_row(request.meta.get("listing_as") or request.url)
            if not (issued_at and written_at and written_at >= issued_at):
                return False
            self.store.answered(key)
        except sqlite3.Error as exc:
            self.write_failed(f"frontier {self.store.path}: {exc}")
            return False
        return True

    def _abandoned(self, request: Request, spider: Spider, attempts: int) -> Any:
        make = getattr(spider, "failure_item", None)
        if make is None:
            return None
        return make(request, "abandoned", f"issued in {attempts} runs without an answer (each run ended while it "
                    "was in flight: a response that kills the crawler, or a kill)")

    def revisits(self, spider: Spider) -> Iterator[Request]:
        """This run's share of the one-time re-visits (``revisit_per_run``), each written as a pending
        request before it leaves the revisit queue. The spider's ``revisit_request`` makes the request (None:
        not needed, e.g. already asked in this run)."""
        make = getattr(spider, "revisit_request", None)
        if self.store is None or make is None or self.revisit_per_run <= 0:
            return
        try:
            rows = self.store.revisits(self.revisit_per_run)
        except sqlite3.Error as exc:
            self.write_failed(f"frontier {self.store.path}: {exc}")
            return
        for url, text in rows:
            request = make(json.loads(text))
            if request is not None and not self.add(request):
                return
            try:
                self.store.revisit_taken(url)
            except sqlite3.Error as exc:
                self.write_failed(f"frontier {self.store.path}: {exc}")
                return
            if request is not None:
                self.crawler.stats.inc_value("nianbao/frontier/revisited")
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
        try:
            self.crawler.stats.set_value("nianbao/frontier/revisit_left", self.store.revisits_left())
        except sqlite3.Error:
            pass
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
        crawler.signals.connect(mw.spider_idle, signal=signals.spider_idle)
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

    def spider_idle(self, spider: Spider) -> None:
        request = self.frontier.release_held()
        if request is not None:
            self.crawler.engine.crawl(request)  # type: ignore[union-attr]
            raise DontCloseSpider("frontier: issuing a request held back as a crash-loop suspect")

    def item_passed(self, item: Any) -> None:
        self.frontier.item_passed(item)

    def item_failed(self, item: Any) -> None:
        self.frontier.item_failed(item)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        spider = self.crawler.spider
        for out in self.frontier.resumed(spider):
            yield out
        for request in self.frontier.revisits(spider):
            yield request
        async for out in start:
            if isinstance(out, Request) and not self.frontier.add(out):
                return
            yield out

    async def process_spider_output(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for out in self.frontier.track_async(getattr(response, "request", None), result, self.crawler.spider):
            yield out


class FrontierDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 download handler, which first counts the run in the request's frontier ``attempts``
    (``DOWNLOAD_HANDLERS``). The handler is where a request goes on the wire: downloader middlewares and the
    ``request_reached_downloader`` signal see a request before it waits out its host's download delay, and a
    kill would then count every request queued behind the one in flight."""

    async def download_request(self, request: Request) -> Response:
        CrawlFrontier.of(self._crawler).issued(request)
        return await super().download_request(request)
