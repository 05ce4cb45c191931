"""Parse the new documents of the crawl manifest, and assemble one report year's dataset rows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .assemble import DOCS_PER_BUCKET, YEAR_TABLES, assemble_rows, enrich_results, stream_year
from .dataset import discard, promote, stage_year
from .locations import dataset_root as dataset_location
from .locations import raw_root as raw_location
from .parsed_store import ParsedStore
from .rawstore import CorruptRawDocument, RawStore, ext_of
from .state import ManifestState, is_stored
from .version import changed_parts, parser_version
from .worker import Budget, BudgetedWorker, ParsePool  # children with a time/memory budget per document
from .year_checks import CheckOutcome, run_checks

# Documents that are reports (even if their tables could not be read) go to the reports table;
# everything else only to the document log.
REPORT_STATUSES = frozenset({"ok", "no_tables", "unreadable"})


@dataclass
class ParseRun:
    parsed: int = 0
    unchanged: int = 0
    reparsed: Counter = field(default_factory=Counter)  # parser part that changed (code/spec/divisions) → documents
    missing_raw: int = 0
    corrupt_raw: int = 0  # bytes in the raw store that no longer hash to their name (``nianbao verify --repair``)
    withdrawn: int = 0
    statuses: Counter = field(default_factory=Counter)
    years_changed: set[int] = field(default_factory=set)
    failures: list[dict] = field(default_factory=list)  # url, status, reason


def stored_documents(data_dir: str | Path) -> list[dict]:
    """The latest manifest row of every URL that is currently stored (reports before attachments), from the
    manifest's current-state table (``pipeline.state``), not its history."""
    state = ManifestState(data_dir)
    return [*state.stored("report"), *state.stored("attachment")]


@dataclass(frozen=True)
class _Job:
    row: dict
    parent: dict | None  # the parent page's parse result (its report), for an attachment
    old: dict | None  # the document's index entry before this run


def parse_new(data_dir: str | Path, workers: int | None = None, batch_size: int = 200, *,
              raw_root: str | Path | None = None) -> ParseRun:
    """Parse every stored document whose bytes or parser version changed since the last run.

    ``workers`` children (default ``NIANBAO_PARSE_WORKERS``, 2) parse at once, each document within the
    budget of ``pipeline.worker``; results are committed every ``batch_size`` documents, so a killed run
    loses at most the batch in flight and the next run parses only what is not committed. Reports are
    parsed before attachments, which read their parent page's report from the store. Nothing of a document
    is kept once it is committed: memory does not grow with the run. The cached result is registry-free
    (``enrich=False``): who/where is added at assembly. The bytes are read from ``raw_root`` (a folder or
    an ``s3://`` URI; default ``NIANBAO_RAW_URI``, else ``<data>/raw``)."""
    run = ParseRun()
    data_dir = Path(data_dir)
    state, raw = ManifestState(data_dir), RawStore(raw_location(data_dir, raw_root and str(raw_root)))
    parsed = ParsedStore(data_dir, batch_size)
    try:
        state.refresh()
        _drop_withdrawn(run, parsed, state)
        with ParsePool(workers) as pool:
            for kind in ("report", "attachment"):
                batches = parsed.batch_ids()
                jobs = _jobs(run, parsed, state.stored(kind), batches)
                for job, (status, result) in pool.imap_unordered(lambda w, j: _parse_one(raw, w, j), jobs):
                    _record(run, parsed, job, status, result)
                parsed.commit()  # the attachments' parent pages are read from the store
        _slow_lane(run, parsed, state, raw)
        parsed.compact()  # batches left mostly superseded by re-parses are rewritten: the store stays bounded
    finally:
        parsed.close()
    return run


def _slow_lane(run: ParseRun, parsed: ParsedStore, state: ManifestState, raw: RawStore) -> None:
    """Documents whose result is a timeout under the normal budget (this run's or an earlier one's) are parsed
    once more, one at a time, with the slow lane's budget: a scanned report of a dozen pages is slow, not
    hostile. One that times out there too keeps that result until its bytes or the parser change."""
    budget = Budget.from_env()
    urls = parsed.timed_out(budget.slow_lane().seconds, budget.slow_per_run)
    if not urls:
        return
    rows, entries = state.get_many(urls), parsed.entries(urls)
    with BudgetedWorker(budget.slow_lane()) as worker:
        for url in urls:
            row = rows.get(url)
            if not is_stored(row) or entries[url]["sha256"] != row["sha256"]:
                continue  # withdrawn or changed since: the normal lane has it
            parent_url = row.get("parent_url")
            report = parsed.report_of(parent_url) if parent_url else None
            job = _Job(row, {"report": report} if report is not None else None, entries[url])
            if any(f["url"] == url for f in run.failures):  # this run's normal-lane timeout is replaced
                run.failures = [f for f in run.failures if f["url"] != url]
                run.parsed -= 1
                run.statuses.subtract({"error": 1})
            status, result = _parse_one(raw, worker, job)
            _record(run, parsed, job, status, result)
    run.statuses += Counter()  # drops the zero counts left by replaced timeouts
    parsed.commit()


def _drop_withdrawn(run: ParseRun, parsed: ParsedStore, state: ManifestState) -> None:
    """Results of documents no longer stored: dropped; their years must be republished without them."""
    urls = parsed.iter_urls()
    while True:
        chunk = list(islice(urls, 1000))
        if not chunk:
            return
        rows = state.get_many(chunk)
        for url in chunk:
            if not is_stored(rows.get(url)):
                run.withdrawn += 1
                year = parsed.year_of(url)
                if year:
                    run.years_changed.add(int(year))
                parsed.drop(url)


def _jobs(run: ParseRun, parsed: ParsedStore, rows: Iterable[dict], batches: set[str]) -> Iterator[_Job]:
    """The documents of ``rows`` that are not current, with what their parse needs (read as they are taken)."""
    version = parser_version()
    pending: list[dict] = []

    def flush() -> Iterator[_Job]:
        entries = parsed.entries(r["url"] for r in pending)
        for row in pending:
            old = entries.get(row["url"])
            if old is not None and old["sha256"] == row["sha256"] and old["parser_version"] == version \
                    and old["batch"] in batches:
                run.unchanged += 1
                continue
            parent_url = row.get("parent_url")
            report = parsed.report_of(parent_url) if parent_url else None
            yield _Job(row, {"report": report} if report is not None else None, old)

    for row in rows:
        pending.append(row)
        if len(pending) >= 500:
            yield from flush()
            pending = []
    yield from flush()


def _parse_one(raw: RawStore, worker: BudgetedWorker, job: _Job) -> tuple[str, dict | None]:
    """(status, result) of one document, in a pool thread: its bytes checked against their hash, then parsed
    by ``worker``'s child. ``missing_raw`` / ``corrupt_raw`` when the bytes are not (intact) in the store."""
    row = job.row
    try:
        data = raw.get(row["sha256"], ext_of(row.get("raw_path")))  # one GET on object storage
    except CorruptRawDocument as exc:
        return "corrupt_raw", {"reason": str(exc)}
    except FileNotFoundError:
        return "missing_raw", {"reason": f"raw document {row['sha256']} not in store"}
    try:
        return "parsed", worker.process(data, row, None, job.parent, enrich=False)
    except Exception as exc:  # one bad document must not stop the night; it is logged and kept
        return "parsed", failed_result(row, f"{type(exc).__name__}: {exc}"[:500])


def _record(run: ParseRun, parsed: ParsedStore, job: _Job, status: str, result: dict) -> None:
    """Count one finished document and hand its result to the store (committed with its batch)."""
    url, sha = job.row["url"], job.row["sha256"]
    if status != "parsed":
        setattr(run, status, getattr(run, status) + 1)
        run.failures.append({"url": url, "status": status, "reason": result["reason"]})
        return
    if job.old is not None and job.old["sha256"] == sha:
        run.reparsed.update(changed_parts(job.old["parser_version"]))
    result["report"]["parser_version"] = parser_version()
    if job.old is not None and job.old["report_year"]:  # a re-parse that moves a document empties its old year
        run.years_changed.add(int(job.old["report_year"]))
    parsed.put(url, sha, result, document_row(result))
    report = result["report"]
    run.parsed += 1
    run.statuses[report.get("parse_status")] += 1
    if report.get("report_year"):
        run.years_changed.add(int(report["report_year"]))
    if report.get("parse_status") != "ok":
        run.failures.append({"url": url, "status": report.get("parse_status"), "reason": report.get("parse_reason")})


def failed_result(row: dict, reason: str) -> dict:
    """The parse result recorded for a document whose processing raised: kept in the document log and
    re-parsed when the parser version changes (its bytes stay in the raw store)."""
    report = {"source_url": row.get("url"), "portal_id": row.get("portal_id"), "kind": row.get("kind"),
              "parent_url": row.get("parent_url"), "content_sha256": row.get("sha256"), "raw_path": row.get("raw_path"),
              "fetched_at": row.get("fetched_at"), "title": row.get("title"), "parse_status": "error",
              "parse_reason": reason, "parser_version": parser_version()}
    return {"report": report, "facts": [], "checks": []}


def all_results(data_dir: str | Path, years: set[int] | None = None,
                portals: dict[str, dict] | None = None) -> list[dict]:
    """Every parse result of a document that is still stored (withdrawn documents drop out), optionally
    only those of some report years, enriched with who/where using each document's registry record in
    ``portals`` (the registry enters here, not in the cached parse). In memory: for small inputs and tests;
    a year is published from the store by ``pipeline.assemble.stream_year``."""
    current = {r["url"] for r in stored_documents(data_dir)}
    parsed = ParsedStore(data_dir)
    return enrich_results(parsed.results(u for u in parsed.urls(years) if u in current), portals or {})


def document_row(result: dict) -> dict:
    """The document-log row of one parse result."""
    rep = result["report"]
    return {
        "url": rep.get("source_url"), "portal_id": rep.get("portal_id"), "kind": rep.get("kind"),
        "parent_url": rep.get("parent_url"), "content_sha256": rep.get("content_sha256"),
        "raw_path": rep.get("raw_path"), "fetched_at": rep.get("fetched_at"), "title": rep.get("title"),
        "report_year": rep.get("report_year"), "template_generation": rep.get("template_generation"),
        "parse_status": rep.get("parse_status"), "parse_reason": rep.get("parse_reason"),
        "n_facts": len(result.get("facts") or []), "parser_version": rep.get("parser_version"),
    }


def document_log(data_dir: str | Path) -> list[dict]:
    """One row per stored document and what parsing made of it, from the index (no result files read)."""
    current = {r["url"] for r in stored_documents(data_dir)}
    parsed = ParsedStore(data_dir)
    return parsed.summaries(u for u in parsed.urls() if u in current)


assemble_year = assemble_rows  # the in-memory reference (pipeline.assemble), kept under its former name


class TableRows:
    """The rows of one published table of a year, read back from its Parquet file in batches (``len`` from
    the row count, no read): what ``YearPublication.rows`` gives instead of holding the year in memory."""

    def __init__(self, year: int, count: int, path: Path | str | None = None, filesystem=None) -> None:
        self.year, self.count, self.path, self.filesystem = year, count, path, filesystem

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[dict]:
        if self.path is None:
            raise RuntimeError(f"report year {self.year} was not published: its staged rows were discarded")
        for batch in pq.ParquetFile(str(self.path), filesystem=self.filesystem).iter_batches(batch_size=10_000):
            for row in batch.to_pylist():
                yield {**row, "report_year": self.year}


@dataclass
class YearPublication:
    """What publishing one report year did: the checks on the staged files and whether it was promoted."""

    year: int
    published: bool
    checks: list[CheckOutcome]
    counts: dict[str, int]  # table → rows staged
    paths: dict[str, Path | str] = field(default_factory=dict)
    filesystem: object = None

    @property
    def rows(self) -> dict[str, TableRows]:
        """Each table's rows as published (read lazily); only their number when the year was not published."""
        return {t: TableRows(self.year, n, self.paths.get(t), self.filesystem) for t, n in self.counts.items()}

    @property
    def reason(self) -> str | None:
        """Why the year was not published (None when it was)."""
        blocking = [c.reason() for c in self.checks if c.blocks]
        if self.published or not blocking:
            return None
        return f"report year {self.year} not published, the previous version stays: " + "; ".join(blocking)


@contextmanager
def releasing_pool() -> Iterator[None]:
    """Arrow allocations made inside from jemalloc, which Arrow configures to hand freed pages back to the
    OS at once (decay 0); the default mimalloc pool keeps them, so a publish's RSS followed the most it ever
    held in each size class rather than what it holds (40 k reports: 875 → 675 MB in the main process).
    Buffers go back to the pool that made them, so switching back afterwards is safe; the switch is
    process-wide for its duration. Without jemalloc in the build (Windows wheels) nothing changes."""
    try:
        pool = pa.jemalloc_memory_pool()
    except NotImplementedError:
        yield
        return
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pool)
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


def publish_year(data_dir: str | Path, year: int, portals: dict[str, dict] | None = None, *,
                 docs_per_bucket: int = DOCS_PER_BUCKET, dataset_root: str | Path | None = None) -> YearPublication:
    """Stage → check → promote one report year: stream its rows from the parsed store into staging
    (``pipeline.assemble.stream_year``: memory does not grow with the year), run the year checks on the
    staged files, and replace the published year only when no blocking check failed. The dataset is
    ``dataset_root`` (a folder or an ``s3://`` URI; default ``NIANBAO_DATASET_URI``, else ``<data>/dataset``).
    Arrow memory comes from a pool that returns what it frees (``releasing_pool``)."""
    with releasing_pool():
        return _publish_year(Path(data_dir), year, portals, docs_per_bucket, dataset_root)


def _publish_year(data_dir: Path, year: int, portals: dict[str, dict] | None, docs_per_bucket: int,
                  dataset_root: str | Path | None) -> YearPublication:
    store = ParsedStore(data_dir)
    # Documents of the two years no longer stored (withdrawn): looked up in the manifest's current state a
    # thousand at a time; usually none, so the filter per batch is cheap.
    state = ManifestState(data_dir)
    state.refresh()
    gone_urls: list[str] = []
    urls = store.iter_urls({year, year - 1})
    while chunk := list(islice(urls, 1000)):
        rows = state.get_many(chunk)
        gone_urls.extend(u for u in chunk if not is_stored(rows.get(u)))
    gone = pa.array(gone_urls, pa.string())
    counts: dict[str, int] = dict.fromkeys(YEAR_TABLES, 0)

    def counted(table: str, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            counts[table] += batch.num_rows
            yield batch

    streamed = stream_year(store, year, lambda urls: pc.invert(pc.is_in(urls, value_set=gone)), portals,
                           docs_per_bucket=docs_per_bucket, work_dir=data_dir)
    try:
        # Facts and checks first: the reports' check counts come from the checks.
        staged = stage_year(dataset_location(data_dir, dataset_root and str(dataset_root)), year,
                            {t: counted(t, streamed.tables[t]) for t in ("facts", "checks", "reports", "sources")})
    finally:
        streamed.close()
        store.close()
    try:
        outcomes = run_checks(staged)
    except BaseException:
        discard(staged)
        raise
    counts = {t: counts[t] for t in YEAR_TABLES}
    if any(c.blocks for c in outcomes):
        discard(staged)
        return YearPublication(year, False, outcomes, counts)
    return YearPublication(year, True, outcomes, counts, promote(staged), staged.filesystem)
