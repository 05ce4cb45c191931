"""What every family spider shares: the portal record, the incremental state read from the manifest,
the decision about each listing entry (new / changed / re-issued / already stored), when to stop paging,
article pages into FetchedDocument items, attachments, and a failure row for every request that did not land.

Incremental rules (the manifest is the memory):
* a URL stored before is never downloaded again, unless its listing shows a newer date than when it was
  stored (then it is asked again: new bytes → ``changed``, same bytes → ``unchanged``);
* a column is paged until a page whose report links are all known (nightly), or back to a report year
  (backfill), so an unchanged portal costs its first listing pages only;
* a known URL that should have shown up in the part of a column just walked but did not is asked once:
  404 → ``withdrawn``;
* every URL whose last outcome was a failure is asked again; a URL that timed out (or was ``abandoned``:
  issued in several runs that all died with it in flight) night after night waits ever longer between asks
  (``backed_off``; the streak is written into the row's reason, since the crawl reads only each URL's latest
  row); ``too_large``, ``url_too_long`` and ``offsite_redirect`` are final (asked again only once the size
  or URL length limit is raised);
* what an interrupted crawl left in flight is asked first (``spiders.frontier``), and a listing page it
  left half walked is paged on past known reports;
* a portal's first frontier over stored report pages re-visits them once (``revisit_candidates``): their
  attachments may have been lost before the frontier existed; unchanged bytes are recorded ``unchanged``.
  That run also walks its columns to their end, past known reports, once: a walk killed before the
  frontier existed left reports behind pages whose reports are all known.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import scrapy
from scrapy.exceptions import (
    DownloadCancelledError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import TimeoutError as TwistedTimeoutError
from twisted.python.failure import Failure

from pipeline.manifest import DONE_OUTCOMES, RETRY_OUTCOMES, latest_by_url
from pipeline.state import current_rows
from pipeline.titles import is_correction, is_report_title, report_year

from .frontier import RESUMED, REVISIT, CrawlFrontier
from .items import FetchedDocument, FetchFailure, ListingPage, Unchanged
from .listing import iso_date
from .middlewares import AddressRefused, Blocked, OffsiteRedirect, Truncated

ATTACHMENT_EXT = re.compile(r"\.(pdf|docx?|xlsx?|wps|et|rtf|zip|rar|jpe?g|png)(?:$|[?&#])", re.I)
SCRIPT_ATTACHMENT = re.compile(r"""['"]([^'"\s<>]+?\.(?:pdf|docx?|xlsx?|wps|et|rtf|zip|rar))['"]""", re.I)
SOFT_404 = re.compile("页面不存在|页面已删除|找不到(?:该|您要的)?页面|404 Not Found|信息不存在|该信息已被删除|文章不存在")
SOFT_404_MAX_BYTES = 8 * 1024
_SPACE = re.compile(r"\s+")
# A body over the size limit, announced or while it streamed in ("… larger than download max size (N) …") or
# while it was decompressed (a gzip bomb: "… exceeded DOWNLOAD_MAXSIZE (N B) during decompression").
TOO_LARGE = re.compile(r"max size|DOWNLOAD_MAXSIZE|during decompression", re.I)
_LIMIT = re.compile(r"(?:max size|DOWNLOAD_MAXSIZE) \((\d+)")
# Outcomes that explain a URL for good: a listing or page that shows it again does not ask it again.
EXPLAINED_OUTCOMES = frozenset({"too_large", "offsite_redirect", "url_too_long"})
# Failures that back off: outcome → the streak (nights running) from which a URL is skipped. A URL that timed
# out n nights running is skipped for 2**(n-1) - 1 nights (capped), then asked once more; an abandoned one
# (it already cost several runs) from its first streak: 2**n - 1 nights.
BACKOFF_FROM = {"timeout": 2, "abandoned": 1}
TIMEOUT_BACKOFF_CAP_NIGHTS = 32
# The streak a back-off failure row carries at the end of its reason: "… [timeout 3 nights running]".
_STREAK = re.compile(r"\[(?:timeout|abandoned) (\d+) nights? running\]$")
REVISIT_PRIORITY = -1  # one-time re-visits wait behind the night's own requests
# list APIs asked by POST: which query keys stay in the URL (the rest is the form)
POST_KEEP_IN_QUERY = {"/fjdzapp/search": frozenset(),
                      "/dataproxy.jsp": frozenset({"startrecord", "endrecord", "perpage"})}


def norm_title(title: str | None) -> str:
    return _SPACE.sub("", title or "")


def is_soft_404(response: Response) -> bool:
    """A 200 page that says "not found" (legacy CMSs never answer 404)."""
    if response.status != 200 or len(response.body) > SOFT_404_MAX_BYTES:
        return False
    text = response.text if hasattr(response, "text") else ""
    return bool(SOFT_404.search(text))


@dataclass
class Tally:
    """What one listing page held: its report links, how many were not stored yet, and their dates."""

    n_reports: int = 0
    n_new: int = 0
    dates: list[str] = field(default_factory=list)

    def add(self, decision: tuple[bool, scrapy.Request | None], date: str | None) -> scrapy.Request | None:
        """Count one ``PortalSpider.consider`` decision; returns its request (None when nothing to fetch)."""
        is_report, request = decision
        if is_report:
            self.n_reports += 1
            if date:
                self.dates.append(date)
        if request is not None:
            self.n_new += 1
        return request


@dataclass
class Walk:
    """What one column showed in this crawl: report URLs and the oldest listing date reached."""

    urls: set[str] = field(default_factory=set)
    oldest: str | None = None


class PortalSpider(scrapy.Spider):
    """Base class; subclasses implement ``start`` and the listing callbacks of their CMS family."""

    custom_settings: dict = {}
    retry_listing_callback: str | None = None  # families whose listing pages are plain GETs re-ask them
    frontier_enabled = True  # every request goes through the durable frontier (spiders.frontier)

    def __init__(self, portal: str, backfill_to: str | int | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.portal = json.loads(portal) if isinstance(portal, str) else dict(portal)
        self.portal_id: str = self.portal["id"]
        self.allowed_domains = list(self.portal["hosts"])
        self.params: dict = self.portal.get("params") or {}
        self.backfill_to = int(backfill_to) if backfill_to not in (None, "", "None") else None
        self.stored: dict[str, dict] = {}  # URL → the manifest row that holds its bytes
        self.retry_rows: list[dict] = []
        self.explained: dict[str, dict] = {}  # URL → its too_large / offsite_redirect row: not asked again
        self.titles: dict[str, str] = {}  # stored report title → URL (re-issue under a new URL)
        self.seen: set[str] = set()  # URLs asked (or decided) in this crawl
        self.walks: dict[str, Walk] = {}
        self.fail_streak: dict[str, int] = {}  # URL → nights in a row its last outcomes were back-off failures
        self.resumed_columns: set[str] = set()  # columns whose walk an interrupted run left half done
        self.frontier_request: scrapy.Request | None = None  # the request whose callback is running (frontier)
        self.walk_whole_columns = False  # the first run with a frontier over stored pages: no stop at known
        self.row_written_at: dict[str, str] = {}  # URL → fetched_at of its latest manifest row

    @property
    def known(self) -> set[str]:
        return set(self.stored)

    @classmethod
    def from_crawler(cls, crawler: scrapy.crawler.Crawler, *args: object, **kwargs: object) -> PortalSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        data_dir = crawler.settings.get("NIANBAO_DATA_DIR")
        if data_dir:
            spider.load_state(current_rows(data_dir, spider.portal_id))  # the current state, not the history
        return spider

    def load_state(self, rows: Iterator[dict]) -> None:
        rows = list(rows)
        for row in rows:
            if row.get("outcome") in BACKOFF_FROM:
                m = _STREAK.search(row.get("reason") or "")
                counted = self.fail_streak.get(row["url"], 0) + 1
                self.fail_streak[row["url"]] = max(counted, int(m.group(1)) if m else 0)
            else:
                self.fail_streak.pop(row["url"], None)
        for url, row in latest_by_url(rows).items():
            outcome = row.get("outcome")
            if row.get("fetched_at"):
                self.row_written_at[url] = row["fetched_at"]
            if outcome in DONE_OUTCOMES and row.get("sha256"):
                self.stored[url] = row
                if row.get("kind") == "report" and row.get("title"):
                    self.titles.setdefault(norm_title(row["title"]), url)
            elif (outcome in RETRY_OUTCOMES or (outcome == "too_large" and self.size_limit_raised(row))
                  or (outcome == "url_too_long" and self.url_limit_raised(url))):
                self.retry_rows.append(row)
            elif outcome in EXPLAINED_OUTCOMES:
                self.explained[url] = row

    def size_limit_raised(self, row: dict) -> bool:
        """A ``too_large`` URL is asked again only once the size limit is above the one it was refused at."""
        m = _LIMIT.search(row.get("reason") or "")
        crawler = getattr(self, "crawler", None)
        limit = crawler.settings.getint("DOWNLOAD_MAXSIZE") if crawler is not None else 0
        return bool(m and limit and limit > int(m.group(1)))

    def last_row_at(self, url: str) -> str | None:
        """When the latest manifest row of ``url`` was written (the frontier's test for an answer)."""
        return self.row_written_at.get(url)

    def url_limit_raised(self, url: str) -> bool:
        """A ``url_too_long`` URL is asked again only once ``URLLENGTH_LIMIT`` is off or above its length."""
        crawler = getattr(self, "crawler", None)
        if crawler is None:
            return False
        limit = crawler.settings.getint("URLLENGTH_LIMIT")
        return not limit or len(url) <= limit

    def backed_off(self, row: dict, now: datetime | None = None) -> bool:
        """A URL that timed out n nights running waits 2**(n-1) - 1 nights before it is asked again, so a
        slow-loris page costs one timeout on ever rarer nights instead of minutes every night; an abandoned
        one (a crash loop) waits 2**n - 1 nights."""
        first = BACKOFF_FROM.get(row.get("outcome") or "")
        streak = self.fail_streak.get(row["url"], 0)
        if first is None or streak < first:
            return False
        try:
            last = datetime.strptime(row.get("fetched_at") or "", "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            return False
        nights = min(2 ** (streak - first + 1) - 1, TIMEOUT_BACKOFF_CAP_NIGHTS)
        return (now or datetime.now(UTC)) < last + timedelta(days=nights + 1, hours=-6)

    def resuming(self, request: scrapy.Request) -> None:
        """A request an interrupted run left pending is about to be issued again (``spiders.frontier``)."""
        self.seen.add(request.url)
        if request.meta.get("kind") == "listing" and request.meta.get("column"):
            self.resumed_columns.add(request.meta["column"])

    # -- requests ----------------------------------------------------------------------------------
    def request(self, url: str, callback: object, *, kind: str, column: str | None = None, **meta: object
                ) -> scrapy.Request:
        """A request whose meta carries everything a failure row needs to be retried later."""
        return scrapy.Request(url, callback=callback, errback=self.failed,
                              meta={"kind": kind, "column": column, **meta})

    def follow(self, url: str, callback: object, *, kind: str = "listing", column: str | None = None,
               **meta: object) -> scrapy.Request:
        """A request for a listing URL named by ``spiders.listing``: list APIs that take a POST form (Fujian
        ``/fjdzapp/search``, Hanweb ``dataproxy.jsp``) get their query moved into the form, as their pages send it."""
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        keep = next((k for suffix, k in POST_KEEP_IN_QUERY.items() if parts.path.endswith(suffix)), None)
        if keep is None:
            return self.request(url, callback, kind=kind, column=column, **meta)
        meta["listing_as"] = url  # the reader needs the form too, to name the page after this one
        target = urlunsplit(parts._replace(query=urlencode({k: v for k, v in query.items() if k in keep})))
        form = {k: v for k, v in query.items() if k not in keep}
        return scrapy.FormRequest(target, formdata=form, callback=callback, errback=self.failed,
                                  meta={"kind": kind, "column": column, **meta})

    def retry_requests(self) -> Iterator[scrapy.Request]:
        """Ask again every URL whose last outcome was a failure (nothing discovered is ever dropped)."""
        seeds = set(self.portal["seed_urls"])
        for row in self.retry_rows:
            url, kind = row["url"], row.get("kind")
            if url in self.seen or url in seeds:
                continue
            if self.backed_off(row):
                self.crawler.stats.inc_value("nianbao/retry/backed_off")
                if row.get("outcome") == "abandoned":
                    self.seen.add(url)  # a crash loop is not asked by a listing that shows it either
                continue
            self.seen.add(url)
            self.crawler.stats.inc_value("nianbao/retry")
            # a URL that timed out (or was abandoned) last night is asked once, without retries
            once = {"max_retry_times": 0} if row.get("outcome") in BACKOFF_FROM else {}
            common = {"column": row.get("column"), "listing_url": row.get("listing_url"), "title": row.get("title"),
                      "listing_date": row.get("listing_date"), "change": row.get("change") or "new", **once}
            if kind == "report":
                yield self.request(url, self.parse_article, kind="report", **common)
            elif kind == "attachment":
                yield self.request(url, self.parse_attachment, kind="attachment", parent_url=row.get("parent_url"),
                                   title=row.get("title"), column=row.get("column"), **once)
            elif kind == "listing" and self.retry_listing_callback and row.get("outcome") != "not_found":
                yield self.follow(url, getattr(self, self.retry_listing_callback), kind="listing",
                                  column=row.get("column") or url, **once)

    def revisit_candidates(self) -> Iterator[tuple[str, dict]]:
        """(URL, manifest row) of every stored HTML report page, newest first: what a portal's first frontier
        queues for one re-visit (``spiders.frontier``), so attachments lost before the frontier are found."""
        pages = [(url, row) for url, row in self.stored.items() if row.get("kind") == "report"
                 and ("html" in (row.get("content_type") or "").lower()
                      or (row.get("raw_path") or "").lower().endswith((".html", ".htm")))]
        pages.sort(key=lambda item: item[1].get("fetched_at") or "", reverse=True)
        return iter(pages)

    def revisits_queued(self, queued: int) -> None:
        """The frontier was just created over ``queued`` stored report pages: walk every column to its end
        once, too (what a walk killed before the frontier existed skipped is behind known reports)."""
        self.walk_whole_columns = queued > 0

    def revisit_request(self, row: dict) -> scrapy.Request | None:
        """The one-time re-visit of a stored report page (None: already asked in this crawl)."""
        url = row["url"]
        if url in self.seen:
            return None
        self.seen.add(url)
        request = self.request(url, self.parse_article, kind="report", column=row.get("column"),
                               listing_url=row.get("listing_url"), title=row.get("title"),
                               listing_date=row.get("listing_date"), change="verify", **{REVISIT: True})
        request.priority = REVISIT_PRIORITY
        return request

    @staticmethod
    def page_url(response: Response) -> str:
        """The URL a listing page is read as: a POSTed list API page keeps its form in the query."""
        return response.meta.get("listing_as") or response.url

    # -- listing decisions -------------------------------------------------------------------------
    def consider(self, url: str, title: str, listing_url: str, column: str | None = None, date: str | None = None,
                 **meta: object) -> tuple[bool, scrapy.Request | None]:
        """Decide about one listing entry: (is it a report, the request to fetch it or None)."""
        if not is_report_title(title):
            self.crawler.stats.inc_value("nianbao/listing/not_report")
            return False, None
        column = column or listing_url
        walk = self.walks.setdefault(column, Walk())
        walk.urls.add(url)
        if date and (walk.oldest is None or date < walk.oldest):
            walk.oldest = date
        year = report_year(title)
        if self.backfill_to and year and year < self.backfill_to:
            self.crawler.stats.inc_value("nianbao/listing/before_backfill_year")
            return True, None
        if url in self.seen:
            return True, None
        if url in self.explained:
            self.crawler.stats.inc_value("nianbao/listing/explained")
            return True, None
        previous = self.stored.get(url)
        if previous is not None:
            stored_date = previous.get("listing_date")
            if not (date and stored_date and date > stored_date):
                self.crawler.stats.inc_value("nianbao/listing/already_stored")
                return True, None
            change = "changed"
        elif is_correction(title) or self.titles.get(norm_title(title), url) != url:
            change = "reissued"
        else:
            change = "new"
        self.seen.add(url)
        return True, self.request(url, self.parse_article, kind="report", column=column, listing_url=listing_url,
                                  title=title, listing_date=date, change=change, **meta)

    def listed(self, response: Response, tally: Tally, column: str) -> ListingPage:
        """The manifest row of one listing page walked."""
        return ListingPage(response.url, self.portal_id, response.status, tally.n_reports, tally.n_new, column)

    def keep_paging(self, tally: Tally) -> bool:
        """After one listing page: go on to the next page?"""
        if self.backfill_to:
            if tally.dates and max(tally.dates)[:4] < str(self.backfill_to):
                self.crawler.stats.inc_value("nianbao/listing/backfill_reached")
                return False
            return True
        if self.walk_whole_columns:
            self.crawler.stats.inc_value("nianbao/listing/first_frontier_walk")
            return True
        current = self.frontier_request
        if current is not None and current.meta.get(RESUMED):
            # an interrupted run was walking past this page: its reports being stored now says nothing
            self.crawler.stats.inc_value("nianbao/listing/resumed_walk")
            return True
        if tally.n_reports and not tally.n_new:
            self.crawler.stats.inc_value("nianbao/listing/stopped_at_known")
            return False
        return True

    def column_done(self, column: str) -> Iterator[scrapy.Request]:
        """A column walk ended: ask once for known reports that should have been listed but were not."""
        walk = self.walks.get(column)
        if walk is None or walk.oldest is None or column in self.resumed_columns:
            return  # a walk resumed half way has gaps: absence from it says nothing
        for url, row in self.stored.items():
            if (row.get("kind") == "report" and row.get("column") == column and url not in walk.urls
                    and url not in self.seen and (row.get("listing_date") or "") > walk.oldest):
                self.seen.add(url)
                self.crawler.stats.inc_value("nianbao/listing/missing_known")
                yield self.request(url, self.parse_article, kind="report", column=column,
                                   listing_url=row.get("listing_url"), title=row.get("title"),
                                   listing_date=row.get("listing_date"), change="verify")

    # -- article pages -----------------------------------------------------------------------------
    @staticmethod
    def original_url(response: Response) -> str:
        """The URL as listed (before redirects): the key the next crawl will look up."""
        return (response.meta.get("redirect_urls") or [response.url])[0]

    def parse_article(self, response: Response) -> Iterator:
        meta = response.meta
        url = self.original_url(response)
        if is_soft_404(response):
            yield self.failure_item(response.request, "withdrawn" if url in self.stored else "not_found",
                                    "soft 404: a 200 page saying the page does not exist", response.status, url=url)
            return
        # attachment requests first: they are in the frontier before the page's row says it was stored
        yield from self.attachments(response, url)
        previous = self.stored.get(url)
        if previous is not None and previous.get("sha256") == hashlib.sha256(response.body).hexdigest():
            reason = "re-visited once for attachments lost before the frontier" if meta.get(REVISIT) else None
            yield Unchanged(url, self.portal_id, previous, listing_date=meta.get("listing_date"), reason=reason)
            return
        meta_title = response.xpath('//meta[@name="ArticleTitle"]/@content').get()
        pub = response.xpath('//meta[@name="PubDate"]/@content').get()
        title = (meta_title or meta.get("title") or response.xpath("//title/text()").get() or "").strip()
        yield FetchedDocument(
            url=url, portal_id=self.portal_id, kind="report", status=response.status, body=response.body,
            content_type=response.headers.get("Content-Type", b"").decode("latin-1") or None, title=title,
            publish_date=iso_date(pub) or meta.get("publish_date") or meta.get("listing_date") or iso_date(url),
            listing_url=meta.get("listing_url"), column=meta.get("column"), listing_date=meta.get("listing_date"),
            change="changed" if previous is not None else (meta.get("change") or "new"),
            extra={"final_url": response.url} if response.url != url else {},
        )

    def attachments(self, response: Response, page_url: str | None = None) -> Iterator[scrapy.Request]:
        """Attachment links of a report page: <a href>, links only written by scripts, and links the listing
        API gave (``meta['attachments']``, e.g. gkmlpt JSON)."""
        page_url = page_url or response.url
        found: list[tuple[str, str]] = []
        for link in response.xpath("//a[@href]"):
            href = link.attrib.get("href", "").strip()
            if href and not href.startswith(("javascript:", "mailto:", "#")) and ATTACHMENT_EXT.search(href):
                found.append((href, "".join(link.xpath(".//text()").getall()).strip()))
        for script in response.xpath("//script[not(@src)]/text()").getall():
            found.extend((m.group(1), "") for m in SCRIPT_ATTACHMENT.finditer(script))
        found.extend((u, n) for u, n in response.meta.get("attachments") or ())
        for href, label in found:
            url = urljoin(response.url, href)
            if urlsplit(url).hostname not in self.allowed_domains:
                self.crawler.stats.inc_value("nianbao/attachment/offsite")
                continue
            if url in self.seen or url in self.stored or url in self.explained:
                continue
            self.seen.add(url)
            yield self.request(url, self.parse_attachment, kind="attachment", parent_url=page_url, title=label or None,
                               column=response.meta.get("column"))

    def parse_attachment(self, response: Response) -> Iterator:
        meta = response.meta
        yield FetchedDocument(
            url=self.original_url(response), portal_id=self.portal_id, kind="attachment", status=response.status,
            body=response.body, content_type=response.headers.get("Content-Type", b"").decode("latin-1") or None,
            title=meta.get("title"), parent_url=meta.get("parent_url"), column=meta.get("column"),
        )

    # -- failures ----------------------------------------------------------------------------------
    def failure_item(self, request: scrapy.Request, outcome: str, reason: str, status: int | None = None,
                     url: str | None = None) -> FetchFailure | Unchanged:
        meta = request.meta
        url = url or (meta.get("redirect_urls") or [request.url])[0]
        previous = self.stored.get(url)
        if previous is not None and outcome != "withdrawn":
            # a stored document re-asked because its listing changed; a transient failure keeps the old
            # bytes and the old listing date, so the next crawl asks again
            return Unchanged(url, self.portal_id, previous, reason=f"recheck failed: {reason}")
        if outcome in BACKOFF_FROM:
            streak = self.fail_streak.get(url, 0) + 1
            reason = f"{reason[:440]} [{outcome} {streak} night{'s' if streak > 1 else ''} running]"
        return FetchFailure(
            url=url, portal_id=self.portal_id, kind=meta.get("kind", "report"), outcome=outcome, reason=reason,
            status=status, listing_url=meta.get("listing_url"), parent_url=meta.get("parent_url"),
            title=meta.get("title"), column=meta.get("column"), listing_date=meta.get("listing_date"),
            change="withdrawn" if outcome == "withdrawn" else meta.get("change"),
        )

    def failed(self, failure: Failure) -> Iterator:
        """The errback of every request: its failure row (and, for a listing page, the end of its walk),
        handed on through the frontier like a callback's output (errback output skips spider middlewares)."""
        return CrawlFrontier.of(self.crawler).track(failure.request, self._failed(failure), self)

    def _failed(self, failure: Failure) -> Iterator:
        request = failure.request
        url = request.meta.get("listing_as") or (request.meta.get("redirect_urls") or [request.url])[0]
        status = None
        if failure.check(HttpError):
            status = failure.value.response.status
            if status in (404, 410):
                outcome = "withdrawn" if url in self.stored else "not_found"
            else:
                outcome = "failed"
            reason = f"HTTP {status}"
        else:
            reason = f"{failure.type.__name__}: {failure.getErrorMessage()}"[:500]
            text = reason.lower()
            if failure.check(Blocked):
                outcome = "blocked"
            elif failure.check(AddressRefused):
                outcome = "refused"
            elif failure.check(OffsiteRedirect):
                outcome = "offsite_redirect"
            elif failure.check(Truncated):
                outcome = "truncated"
            elif failure.check(ResponseDataLossError):
                outcome = "truncated"
                reason = "ResponseDataLossError: the connection closed before the announced Content-Length arrived"
            elif failure.check(DownloadTimeoutError, TwistedTimeoutError):
                outcome = "timeout"
            elif failure.check(DownloadCancelledError, IgnoreRequest) and TOO_LARGE.search(reason):
                outcome = "too_large"
            elif failure.check(IgnoreRequest) and "robots.txt" in text:
                outcome = "robots"
            elif failure.check(IgnoreRequest) and "offsite" in text:
                outcome = "offsite"
            elif TOO_LARGE.search(reason):
                outcome = "too_large"
            else:
                outcome = "failed"
        yield self.failure_item(request, outcome, reason, status, url=url)
        if request.meta.get("kind") == "listing" and request.meta.get("column"):
            yield from self.column_done(request.meta["column"])  # a listing page that failed ends the walk
