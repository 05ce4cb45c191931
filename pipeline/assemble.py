"""One report year of the dataset assembled from the parse results: in memory for small inputs, and
streamed from the columnar parsed store in bounded memory for a publish.

``assemble_rows`` is the reference: parse results (dicts) in, the four tables' rows (dicts) out. Several
documents of one (agency, year) — mirrors, corrections, a page and its attachment — become one report
row (the chosen version) and one source row each; facts and checks come from the chosen version only, so
nothing is double-counted. The cross-year identities (``xyear.*``) are evaluated against the same
agency's chosen report of the previous year and replace the report's own "needs two years" rows.

``stream_year`` gives the same rows as Arrow record batches per table, for ``pipeline.dataset.stage_year``,
without holding the year in memory (a national year is 150,000 reports and 35–40 M facts):

1. **Reports** of the year and the year before (``ParsedStore.year_tables(·, "documents")``): each report
   record is checked against ``pipeline.records.Report``, enriched with who/where (the registry record
   enters here) and reduced to a key row (``pipeline.dedup.KEY_SCHEMA`` plus the few columns sources and
   timeliness need). The year's full report rows are spilled to bucket files, the key rows of both years to
   one Arrow file each (read back for step 3, after the enrichment workers have exited: what the main
   process holds while they run does not grow with the year beyond a url → doc map).
2. **Facts and checks** (``year_tables(·, "facts" | "checks")``, typed Arrow columns, no dict per fact):
   rejected when a row lacks a field of its record or has one no record names (``_absent`` / ``_extra``);
   counted per document; the few facts the cross-year rules read (``pipeline.xyear.read_mask``) are kept,
   those of the year before in memory (dictionary-encoded), the year's own with its rows in bucket files.
3. **Versions** are chosen per year over the key columns (``pipeline.dedup.rank_versions``), and each
   chosen report is paired with the same agency's chosen report of the year before.
4. **Per bucket**, in report_id order, the chosen rows are filtered, typed and sorted, the cross-year
   checks evaluated, and the batches handed on.

A bucket holds the rows of the documents whose own report key falls in one slice of the key space (Arrow
IPC files, lz4): the chosen document's key is the report_id, so every bucket is one report_id range and
the tables come out in the same order as ``assemble_rows``; memory is bounded by the bucket size
(``docs_per_bucket``) and the key columns, not by the year.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import shutil
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import MISSING, dataclass, fields
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc

from .dedup import KEY_SCHEMA, choose_versions, rank_versions, report_fields, source_row, version_key
from .numbers import CANONICAL_MONEY
from .records import Report
from .schema import FACTS, MONEY_DECIMAL, REPORTS, SOURCES, exact_money
from .who import enrich_report
from .xyear import _plan as _xyear_plan
from .xyear import evaluate as evaluate_xyear
from .xyear import evaluate_values, read_mask

# Documents that are reports (even if their tables could not be read) go to the reports table;
# everything else only to the document log.
REPORT_STATUSES = frozenset({"ok", "no_tables", "unreadable"})
YEAR_TABLES = ("reports", "facts", "checks", "sources")
DOCS_PER_BUCKET = 1000  # documents whose rows are sorted together in memory (~200 facts each)
SPILL_BYTES = 192 << 20  # rows held before they are written to their buckets (see _Buckets)
PARALLEL_FROM = 2000  # documents in a year from which reports are enriched in worker processes

# What a stored report record may hold besides the Report fields: the crawl's provenance
# (pipeline.process) and the registry-free aggregate flag computed at parse.
PROVENANCE = frozenset({"source_site", "portal_id", "fetched_at", "kind", "parent_url", "raw_path",
                        "is_regional_aggregate"})
REPORT_FIELDS = frozenset(f.name for f in fields(Report))
REQUIRED_REPORT = frozenset(f.name for f in fields(Report) if f.default is MISSING)
ALLOWED_REPORT = REPORT_FIELDS | PROVENANCE
# Columns of the key table of one year's candidates (besides KEY_SCHEMA): what sources and timeliness read.
SLIM = pa.schema([("doc", pa.int64()), ("source_url", pa.string()), ("source_site", pa.string()),
                  ("portal_id", pa.string()), ("content_sha256", pa.string()), ("title", pa.string()),
                  ("publish_date", pa.string()), ("fetched_at", pa.string()), ("report_year", pa.int64()),
                  ("agency_name_norm", pa.string()), ("agency_type", pa.string()),
                  ("is_regional_aggregate", pa.bool_())])
# Report columns decided at assembly (by all copies, or by the checks), not read from the chosen record.
DECIDED = ("report_id", "n_sources", "source_site", "first_publish_date", "days_late", "n_facts",
           "checks_passed", "checks_failed")


# --- in memory: the reference ----------------------------------------------------------------------------


def enrich_results(results: Iterable[dict], portals: dict[str, dict]) -> list[dict]:
    """Cached parse results → the same with region, agency type and deadline resolved (``who``)."""
    out = []
    for res in results:
        rep = res["report"]
        if rep.get("parse_status") in REPORT_STATUSES:
            res = {**res, "report": enrich_report(rep, portal=portals.get(rep.get("portal_id")))}
        out.append(res)
    return out


def chosen_results(results: Iterable[dict], year: int) -> tuple[list[dict], list[dict], list[dict]]:
    """(report rows, source rows, the parse result of each report row) for one report year."""
    candidates = []
    by_source: dict[tuple[str, str], dict] = {}
    for res in results:
        rep = res["report"]
        if rep.get("report_year") != year or rep.get("parse_status") not in REPORT_STATUSES:
            continue
        rep = {**rep, "n_facts": len(res.get("facts") or [])}
        candidates.append(rep)
        by_source[(rep.get("source_url"), rep.get("content_sha256"))] = res
    reports, sources = choose_versions(candidates)
    return reports, sources, [by_source[(r.get("source_url"), r.get("content_sha256"))] for r in reports]


def assemble_rows(results: Iterable[dict], year: int) -> dict[str, list[dict]]:
    """Rows of the reports, facts, checks and sources tables for one report year (see the module docstring)."""
    results = list(results)
    reports, sources, parsed = chosen_results(results, year)
    prev_reports, _, prev_parsed = chosen_results(results, year - 1) if reports else ([], [], [])
    previous = {rep.get("agency_name_norm"): res for rep, res in zip(prev_reports, prev_parsed, strict=True)}
    facts: list[dict] = []
    checks: list[dict] = []
    for rep, res in zip(reports, parsed, strict=True):
        for fact in res.get("facts") or []:
            facts.append({**fact, "report_id": rep["report_id"], "report_year": year, "value_decimal": exact_money(fact)})
        own_checks = with_cross_year(res.get("checks") or [], previous.get(rep.get("agency_name_norm")),
                                     res.get("facts") or [])
        # The counts agree with the checks table: every row published, the cross-year ones included.
        rep["checks_passed"] = sum(1 for c in own_checks if c.get("status") == "passed")
        rep["checks_failed"] = sum(1 for c in own_checks if c.get("status") == "failed")
        for check in own_checks:
            checks.append({**check, "report_id": rep["report_id"], "report_year": year})
    return {"reports": reports, "facts": facts, "checks": checks, "sources": sources}


def with_cross_year(own: list[dict], previous: dict | None, facts: list[dict]) -> list[dict]:
    """A report's checks with the cross-year results against ``previous`` (the year before's parse result),
    which replace the report's own rows of the same rules ("needs two years": skipped)."""
    if previous is None:
        return list(own)
    cross = evaluate_xyear(previous.get("facts") or [], facts)
    done = {c["rule_id"] for c in cross}
    return [c for c in own if c["rule_id"] not in done] + cross


# --- streamed: bounded memory ----------------------------------------------------------------------------


class Rejected(ValueError):
    """A stored parse result that does not fit its typed record (unknown, missing or mistyped fields)."""


def _report_in_schema() -> pa.Schema:
    """The reports columns as read from the records: dates and times still ISO text, ints wide."""
    out = [pa.field("doc", pa.int64())]
    for f in REPORTS:
        if f.name in DECIDED or f.name == "report_year":
            continue
        type_ = f.type
        if pa.types.is_date(type_) or pa.types.is_timestamp(type_):
            type_ = pa.string()
        elif pa.types.is_integer(type_):
            type_ = pa.int64()
        out.append(pa.field(f.name, type_))
    return pa.schema(out)


REPORT_IN = _report_in_schema()


def check_report(rep: dict) -> None:
    """Schema-level check of one stored report record: every Report field present, nothing but Report
    fields and provenance (``Rejected`` otherwise). Values are typed when the batch becomes Arrow columns."""
    if not REQUIRED_REPORT.issubset(rep.keys()) or not ALLOWED_REPORT.issuperset(rep.keys()):
        missing, unknown = sorted(REQUIRED_REPORT - rep.keys()), sorted(rep.keys() - ALLOWED_REPORT)
        raise Rejected(f"report {rep.get('source_url')}: missing fields {missing}, unknown fields {unknown}")


def check_rows(table: pa.Table, kind: str) -> None:
    """Schema-level check of a batch of stored facts or checks: the store marks a field a row lacked
    (``_absent``) and a key no record names or a value outside its column's type (``_extra``)."""
    absent = pc.max(table["_absent"]).as_py() if table.num_rows else 0
    extra = table.num_rows - table["_extra"].null_count
    if absent or extra:
        bad = pc.filter(table, pc.or_(pc.not_equal(table["_absent"], 0), pc.is_valid(table["_extra"])))
        row = bad.slice(0, 1).to_pylist()[0]
        raise Rejected(f"{kind} of {row['url']}: {bad.num_rows} row(s) with missing fields (mask {row['_absent']}) "
                       f"or unknown/mistyped ones ({row['_extra']})")


def _blank_to_null(array: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """"" is no value (as the dict writer has it)."""
    if not pa.types.is_string(array.type):
        return array
    return pc.if_else(pc.equal(array, ""), pa.scalar(None, array.type), array)


def _dates(text: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """ISO text (a date or a date-time) → date32, from its first ten characters."""
    return pc.utf8_slice_codeunits(_blank_to_null(text), 0, 10).cast(pa.date32())


def _timestamps(text: pa.ChunkedArray | pa.Array, type_: pa.DataType) -> pa.ChunkedArray | pa.Array:
    """ISO date-times → UTC timestamps; a time without a zone is taken as UTC (as the dict writer has it)."""
    text = _blank_to_null(text)
    zoned = pc.match_substring_regex(text, r"(?:Z|[+-]\d\d:?\d\d)$")
    text = pc.if_else(zoned, text, pc.binary_join_element_wise(text, pa.scalar("Z"), pa.scalar("")))
    return text.cast(pa.timestamp("us", tz="UTC")).cast(type_, safe=False)


def _money(table: pa.Table) -> pa.Array:
    """``value_decimal`` of a batch of facts: only money facts have one, read by ``schema.exact_money``."""
    money = pc.fill_null(pc.and_(pc.is_in(table["unit"], value_set=pa.array(sorted(CANONICAL_MONEY), pa.string())),
                                 pc.is_valid(table["value"])), False)
    out: list = [None] * table.num_rows
    rows = np.flatnonzero(money.to_numpy(zero_copy_only=False))
    if len(rows):
        picked = table.select(["unit", "value", "value_raw", "unit_raw"]).take(pa.array(rows)).to_pylist()
        for i, fact in zip(rows.tolist(), picked, strict=True):
            out[i] = exact_money(fact)
    return pa.array(out, MONEY_DECIMAL)


class _Buckets:
    """Rows spilled to ``n`` bucket files per table (Arrow IPC, lz4), read per bucket. Incoming rows are held
    up to ``budget`` bytes and then written bucket by bucket: each write has a fixed cost, and writing every
    input batch to every bucket would make (batches × buckets) writes, which grows with the square of the year."""

    def __init__(self, folder: Path, n: int, budget: int = SPILL_BYTES) -> None:
        self.folder, self.n, self.budget = folder, n, budget
        self._writers: dict[tuple[str, int], ipc.RecordBatchFileWriter] = {}
        self._pending: dict[str, list[tuple[pa.Table, np.ndarray]]] = {}
        self._held = 0

    def write(self, table: str, rows: pa.Table, bucket: np.ndarray) -> None:
        """Append ``rows`` (``bucket``: each row's bucket) to their buckets (held until the budget is reached):
        sorted by bucket now, as the batch came (one chunk), so a flush only slices."""
        if not rows.num_rows:
            return
        order = np.argsort(bucket, kind="stable")
        rows = rows.take(pa.array(order))
        bounds = np.searchsorted(bucket[order], np.arange(self.n + 1))
        self._pending.setdefault(table, []).append((rows, bounds))
        self._held += rows.nbytes
        if self._held >= self.budget:
            self.flush()

    def flush(self) -> None:
        """Write the held rows, one record batch per bucket, each bucket's rows in arrival order."""
        for table, parts in self._pending.items():
            for b in range(self.n):
                pieces = [rows.slice(bounds[b], bounds[b + 1] - bounds[b]) for rows, bounds in parts
                          if bounds[b + 1] > bounds[b]]
                if not pieces:
                    continue
                key = (table, b)
                if key not in self._writers:
                    self._writers[key] = _spill_writer(self.folder / f"{table}-{b:06d}.arrow", pieces[0].schema)
                self._writers[key].write_table(pa.concat_tables(pieces).combine_chunks())
        self._pending.clear()
        self._held = 0

    def close(self) -> None:
        self.flush()
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()

    def read(self, table: str, bucket: int, schema: pa.Schema) -> pa.Table:
        path = self.folder / f"{table}-{bucket:06d}.arrow"
        if not path.exists():
            return schema.empty_table()
        return _read_spill(path)


def _spill_writer(path: Path, schema: pa.Schema) -> ipc.RecordBatchFileWriter:
    """An Arrow file for rows held out of memory until they are read back once (lz4: the spills are written
    and read at disk speed, not CPU speed)."""
    return ipc.new_file(path, schema, options=ipc.IpcWriteOptions(compression="lz4"))


def _read_spill(path: Path) -> pa.Table:
    with ipc.open_file(path) as reader:
        return reader.read_all().combine_chunks()


def _bucket_of(keys: list[str], n: int) -> np.ndarray:
    """The bucket of report keys (16 hex digits): slices of the key space in order, so buckets are ranges."""
    return np.array([int(k[:8], 16) * n >> 32 for k in keys], dtype=np.int64)


class _Year:
    """One year's candidates: their key rows (spilled to an Arrow file batch by batch as they are made, read
    back once the reading is done: they are ~0.5 KB a report and would otherwise be held while the workers
    and the bucket spills are) and, once counted, facts per document."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.docs: dict[str, int] = {}  # url → doc (position in the key table)
        self.n_facts: list[int] = []
        self._writer: ipc.RecordBatchFileWriter | None = None

    def add_keys(self, rows: pa.Table) -> None:
        if self._writer is None:
            self._writer = _spill_writer(self.path, rows.schema)
        self._writer.write_table(rows)

    def table(self, schema: pa.Schema) -> pa.Table:
        """The key rows of every candidate, in doc order (``schema`` when there are none)."""
        if self._writer is None:
            return schema.empty_table()
        self._writer.close()
        self._writer = None
        table = _read_spill(self.path)
        self.path.unlink()
        return table


def _keep(table: pa.Table, mask: pa.Array | pa.ChunkedArray) -> pa.Table:
    """``table.filter(mask)``, without the copy when every row is kept (the usual case)."""
    return table if pc.all(mask).as_py() else table.filter(mask)


_PORTALS: dict[str, dict] = {}  # the registry records, in an enrichment worker process


def _set_portals(portals: dict[str, dict]) -> None:
    _PORTALS.clear()
    _PORTALS.update(portals)


KEY_ROWS = pa.schema(list(KEY_SCHEMA) + [f for f in SLIM if f.name != "doc"])  # a key row before its doc
# The year before's: choosing its versions and pairing by agency is all it is read for.
PREVIOUS_KEY_ROWS = pa.schema(list(KEY_SCHEMA) + [SLIM.field("agency_name_norm")])


@dataclass
class _Enriched:
    """One batch of stored report records, checked, enriched and reduced in a worker: the positions of the
    year's reports in the batch, their own report keys, key rows and (when asked) full report rows."""

    kept: list[int]
    keys: list[str]
    key_rows: pa.Table
    full: pa.Table | None


def _enriched(texts: list[str | None], year: int, full: bool) -> _Enriched:
    """Stored report records (JSON) of a batch → the year's reports checked (``check_report``), enriched with
    who/where and made into Arrow rows (``KEY_ROWS`` and ``REPORT_IN`` but ``doc`` when ``full``, else only
    ``PREVIOUS_KEY_ROWS``). Runs in
    a worker process: enrichment is the costly Python of assembly (~2 ms a report)."""
    kept, keys, slims, rows = [], [], [], []
    for i, text in enumerate(texts):
        rep = json.loads(text) if text else None
        if not rep or rep.get("parse_status") not in REPORT_STATUSES:
            continue
        check_report(rep)
        rep = enrich_report(rep, portal=_PORTALS.get(rep.get("portal_id")))
        if rep.get("report_year") != year:
            continue
        kept.append(i)
        key = version_key(rep)
        keys.append(key["group_key"])
        slims.append({**key, **{name: rep.get(name) for name in SLIM.names}})
        if full:
            rows.append(rep)
    try:
        return _Enriched(kept, keys, pa.Table.from_pylist(slims, KEY_ROWS if full else PREVIOUS_KEY_ROWS),
                         pa.Table.from_pylist(rows, REPORT_IN.remove(0)) if full else None)
    except (pa.ArrowException, TypeError, ValueError) as exc:
        raise Rejected(f"reports of {year}: a value outside its column's type: {exc}") from None


class _Enricher:
    """``_enriched`` over batches, in ``workers`` processes (in this one when ``workers`` ≤ 1), results in
    input order with at most two batches per worker in flight (bounded memory)."""

    def __init__(self, portals: dict[str, dict], workers: int) -> None:
        self.portals, self.workers, self.pool = portals, workers, None

    def map(self, batches: Iterable[pa.Table], year: int, full: bool) -> Iterator[tuple[pa.Table, _Enriched]]:
        if self.workers <= 1:
            _set_portals(self.portals)
            for docs in batches:
                yield docs, _enriched(docs["report"].to_pylist(), year, full)
            return
        if self.pool is None:
            self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=_set_portals, initargs=(self.portals,))
        window: deque = deque()
        for docs in batches:
            window.append((docs, self.pool.submit(_enriched, docs["report"].to_pylist(), year, full)))
            if len(window) > 2 * self.workers:
                head, future = window.popleft()
                yield head, future.result()
        while window:
            head, future = window.popleft()
            yield head, future.result()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None


def _read_reports(tables: Iterable[pa.Table], year: int, into: _Year, current: Callable[[pa.Array], pa.Array],
                  enricher: _Enricher, full: bool = True) -> Iterator[tuple[pa.Table | None, list[str]]]:
    """Pass 1 over one year's documents: (full report rows — None unless ``full`` —, their own report
    keys) per batch, while the key rows go into ``into``."""
    batches = (_keep(t.select(["url", "report"]), current(t["url"])) for t in tables)
    for docs, done in enricher.map(batches, year, full):
        if not done.kept:
            continue
        first = len(into.docs)
        urls = docs["url"].take(pa.array(done.kept, pa.int64())).to_pylist()
        into.docs.update(zip(urls, range(first, first + len(urls)), strict=True))
        doc = pa.array(np.arange(first, first + len(urls)), pa.int64())
        into.add_keys(done.key_rows.add_column(len(KEY_SCHEMA), "doc", doc))
        yield (done.full.add_column(0, "doc", doc) if full else None), done.keys


def _read_rows(tables: Iterable[pa.Table], kind: str, into: _Year,
               current: Callable[[pa.Array], pa.Array]) -> Iterator[tuple[pa.Table, np.ndarray]]:
    """Pass 2 over one year's facts or checks: (rows of the year's candidates with their doc, doc array)."""
    for rows in tables:
        rows = _keep(rows, current(rows["url"]))
        check_rows(rows, kind)
        # url → doc through the batch's few distinct URLs (a set lookup against the whole year per batch
        # would rebuild a hash of every URL each time)
        distinct = pc.unique(rows["url"])
        docs = pa.array([into.docs.get(u) for u in distinct.to_pylist()], pa.int64())
        doc = docs.take(pc.index_in(rows["url"], value_set=distinct))
        keep = pc.is_valid(doc)
        rows, doc = _keep(rows, keep), pc.drop_null(doc)
        if not rows.num_rows:
            continue
        doc = doc.to_numpy(zero_copy_only=False).astype(np.int64)
        if kind == "facts":
            into.n_facts.extend([0] * (len(into.docs) - len(into.n_facts)))
            counts = np.bincount(doc, minlength=len(into.docs))
            for i in np.flatnonzero(counts).tolist():
                into.n_facts[i] += int(counts[i])
        yield rows.append_column("doc", pa.array(doc, pa.int64())), doc


CHECK_WORK = pa.schema([("doc", pa.int64()), ("ord", pa.int64()), ("part", pa.int8()), ("rank", pa.int64()),
                        ("report_id", pa.string()),
                        ("rule_id", pa.string()), ("applicant_type", pa.string()), ("severity", pa.string()),
                        ("status", pa.string()), ("passed", pa.bool_()), ("expected", pa.float64()),
                        ("observed", pa.float64()), ("detail", pa.string())])
# What is read of the year before's facts: the cross-year values and the schema-level check's markers.
XYEAR_READ = ["indicator", "applicant_type", "value", "_absent", "_extra"]
XYEAR_SCHEMA = pa.schema([("doc", pa.int64()), ("indicator", pa.string()), ("applicant_type", pa.string()),
                          ("value", pa.float64())])


def _xyear_rows(rows: pa.Table) -> pa.Table:
    """The facts of a batch that a cross-year rule reads, with a value (what ``evaluate_pair`` uses)."""
    keep = pc.and_(read_mask(rows["indicator"]), pc.is_valid(rows["value"]))
    return rows.filter(keep).select(XYEAR_SCHEMA.names)


def _encoded(rows: pa.Table) -> pa.Table:
    """Cross-year rows with their indicator and applicant codes as dictionary indices."""
    for name in ("indicator", "applicant_type"):
        rows = rows.set_column(rows.schema.get_field_index(name), name, pc.dictionary_encode(rows[name]))
    return rows


class _ByDoc:
    """The cross-year facts of a year sorted by ``doc``; the rows of a bucket's documents are taken at once
    (one Arrow take)."""

    def __init__(self, table: pa.Table) -> None:
        # stable sort: a document's rows stay in stored order (the last value wins); a few dozen distinct
        # codes: kept as dictionary indices
        self.table = _encoded(table.sort_by("doc")).combine_chunks()
        self._docs = self.table["doc"].to_numpy()

    def rows(self, docs: list[int]) -> pa.Table:
        """The rows of ``docs`` (sorted by doc, each document's in stored order), codes as plain strings."""
        wanted = np.unique(np.asarray(docs, dtype=np.int64))
        lo, hi = np.searchsorted(self._docs, wanted), np.searchsorted(self._docs, wanted + 1)
        counts = hi - lo
        rows = np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))
        out = self.table.take(pa.array(rows, pa.int64()))
        for name in ("indicator", "applicant_type"):
            out = out.set_column(out.schema.get_field_index(name), name, out[name].cast(pa.string()))
        return out

    def values(self, docs: list[int]) -> dict[int, dict[tuple[str, str], float]]:
        """doc → (indicator, applicant type) → value, as ``pipeline.xyear.values`` has it."""
        out: dict[int, dict[tuple[str, str], float]] = {doc: {} for doc in docs}
        cols = self.rows(docs).to_pydict()
        for doc, indicator, applicant, value in zip(cols["doc"], cols["indicator"], cols["applicant_type"],
                                                    cols["value"], strict=True):
            out[doc][(indicator, applicant)] = float(value)
        return out


class _CrossYear:
    """The cross-year rules (``pipeline.xyear``) evaluated for all the pairs of a bucket at once: each
    pair's values in a dense matrix (one column per (indicator, applicant) a rule reads), each rule side a
    signed sum of columns in term order — the same floats, rows and order as ``xyear.evaluate_values`` per
    pair. Rules with Σ-over-prefix terms are not in matrix form: ``vectorized`` is then False and the
    caller evaluates pair by pair."""

    def __init__(self) -> None:
        plan = _xyear_plan()
        self.vectorized = not any(t.prefix for _, _, lhs, rhs, _ in plan for t in lhs + rhs)
        columns: dict[tuple[str, str], int] = {}
        self.items = []  # (rule, expression, applicant, lhs, rhs); a side: [(sign, of the year before, column)]
        for rule, expr, lhs, rhs, applicants in plan:
            for app in applicants:
                sides = [[(t.sign, bool(t.year), columns.setdefault((t.code, t.col or app), len(columns)))
                          for t in side] for side in (lhs, rhs)]
                self.items.append((rule, expr, app, *sides))
        self.keys = pa.array([f"{code}\x1f{app}" for code, app in columns], pa.string())

    def matrix(self, rows: pa.Table, row_of: dict[int, int], n: int) -> tuple[np.ndarray, np.ndarray]:
        """(values, present) of ``n`` matrix rows from xyear rows; ``row_of``: doc → matrix row."""
        values = np.zeros((n, len(self.keys)))
        present = np.zeros((n, len(self.keys)), dtype=bool)
        if not rows.num_rows or not row_of:
            return values, present
        key = pc.binary_join_element_wise(rows["indicator"], rows["applicant_type"], "\x1f")
        column = pc.index_in(key, value_set=self.keys)
        doc = rows["doc"].to_numpy()
        lookup = np.full(max(int(doc.max()), *row_of) + 1, -1, dtype=np.int64)
        lookup[list(row_of)] = list(row_of.values())
        row = lookup[doc]
        keep = (row >= 0) & pc.is_valid(column).to_numpy(zero_copy_only=False)
        row, column = row[keep], pc.fill_null(column, 0).to_numpy(zero_copy_only=False)[keep].astype(np.int64)
        value = rows["value"].to_numpy(zero_copy_only=False)[keep]
        cell = row * len(self.keys) + column
        last = len(cell) - 1 - np.unique(cell[::-1], return_index=True)[1]  # a repeated fact: the last one wins
        values[row[last], column[last]] = value[last]
        present[row[last], column[last]] = True
        return values, present

    def evaluate(self, now: tuple[np.ndarray, np.ndarray], before: tuple[np.ndarray, np.ndarray],
                 docs: np.ndarray, report_id: pa.Array, rank: np.ndarray) -> pa.Table:
        """The cross-year check rows (``CHECK_WORK``) of pairs (``docs``: the current year's document of each
        matrix row), pair by pair in rule order, as ``with_cross_year`` appends them."""
        n = len(docs)
        emit = np.zeros((n, len(self.items)), dtype=bool)
        sums = np.zeros((2, n, len(self.items)))
        for j, (_, _, _, lhs, rhs) in enumerate(self.items):
            missing = np.zeros(n, dtype=bool)
            for k, side in enumerate((lhs, rhs)):
                total = np.zeros(n)
                for sign, prev, column in side:
                    values, present = before if prev else now
                    total = total + sign * values[:, column]
                    missing |= ~present[:, column]
                sums[k, :, j] = total
            emit[:, j] = ~missing
        pair, item = np.nonzero(emit)  # pair-major, then rule order
        ords = (np.cumsum(emit, axis=1) - 1)[pair, item]
        observed, expected = sums[0, pair, item], sums[1, pair, item]
        ok = np.abs(expected - observed) < 1e-6
        rules = [self.items[j] for j in item.tolist()]
        detail = [expr if good else f"{expr}: expected {e:g}, printed {o:g}"
                  for (_, expr, _, _, _), good, e, o in zip(rules, ok.tolist(), expected.tolist(), observed.tolist(),
                                                            strict=True)]
        doc = docs[pair]
        return pa.table({
            "doc": pa.array(doc, pa.int64()), "ord": pa.array(ords, pa.int64()),
            "part": pa.array(np.ones(len(pair), dtype=np.int8)), "rank": pa.array(rank[doc], pa.int64()),
            "report_id": report_id.take(pa.array(doc, pa.int64())),
            "rule_id": pa.array([r[0].rule_id for r in rules], pa.string()),
            "applicant_type": pa.array([r[2] for r in rules], pa.string()),
            "severity": pa.array([r[0].severity for r in rules], pa.string()),
            "status": pa.array(np.where(ok, "passed", "failed").tolist(), pa.string()),
            "passed": pa.array(ok, pa.bool_()), "expected": pa.array(expected, pa.float64()),
            "observed": pa.array(observed, pa.float64()), "detail": pa.array(detail, pa.string()),
        }, schema=CHECK_WORK)


@dataclass
class StreamedYear:
    """The four tables of one year as record-batch iterators (``tables``; consume facts and checks before
    reports: the reports' check counts come from the checks), and what assembly counted."""

    tables: dict[str, Iterator[pa.RecordBatch]]
    counts: dict[str, int]
    work: Path

    def close(self) -> None:
        shutil.rmtree(self.work, ignore_errors=True)


def stream_year(store, year: int, current: Callable[[pa.Array], pa.Array] | None = None,
                portals: dict[str, dict] | None = None, *, docs_per_bucket: int = DOCS_PER_BUCKET,
                work_dir: str | Path | None = None, workers: int | None = None) -> StreamedYear:
    """Read one year (and the year before) from ``store`` (a ``pipeline.parsed_store.ParsedStore``) and
    return its tables as record batches in the order ``assemble_rows`` gives its rows (see the module
    docstring). ``current(urls)`` → a boolean mask of the documents still stored (all when None).
    ``workers`` processes enrich the reports (default ``NIANBAO_ASSEMBLE_WORKERS``, else 2; a year of
    fewer than ``PARALLEL_FROM`` documents is enriched in this process)."""
    current = current or (lambda urls: pa.array(np.ones(len(urls), dtype=bool)))
    n_docs = sum(1 for _ in store.iter_urls({year}))
    if workers is None:
        workers = int(os.environ.get("NIANBAO_ASSEMBLE_WORKERS", "2")) if n_docs >= PARALLEL_FROM else 1
    enricher = _Enricher(portals or {}, workers)
    _drop_stale_work(work_dir)
    work = Path(tempfile.mkdtemp(prefix=f".assemble-{year}-{os.getpid()}-", dir=work_dir))
    try:
        return _stream(store, year, current, enricher, n_docs, docs_per_bucket, work)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    finally:
        enricher.close()


def _drop_stale_work(work_dir: str | Path | None) -> None:
    """Remove the bucket folders of assemblies whose process is gone (killed before ``StreamedYear.close``)."""
    folder = Path(work_dir) if work_dir is not None else Path(tempfile.gettempdir())
    for path in folder.glob(".assemble-*-*-*"):
        try:
            pid = int(path.name.split("-")[2])
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except (ValueError, IndexError, PermissionError):
            continue


def _stream(store, year: int, current, enricher: _Enricher, n_docs: int, docs_per_bucket: int,
            work: Path) -> StreamedYear:
    this, before = _Year(work / "keys-year.arrow"), _Year(work / "keys-before.arrow")
    buckets = _Buckets(work, max(1, math.ceil(n_docs / docs_per_bucket)))
    parts: list[np.ndarray] = []  # the year's documents: the bucket of their own report key, by doc
    for full, keys in _read_reports(store.year_tables(year, "documents", ["report"]), year, this, current, enricher):
        parts.append(_bucket_of(keys, buckets.n))
        buckets.write("reports", full, parts[-1])
    doc_bucket = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    del parts

    def previous_year() -> None:
        deque(_read_reports(store.year_tables(year - 1, "documents", ["report"]), year - 1, before, current, enricher,
                            full=False), 0)
        enricher.close()  # the workers' memory is given back before the year's keys are read and ranked

    # The year before's reports are enriched in the workers while this process reads the year's facts and
    # checks (Arrow and Parquet work that leaves a core free); a year without reports needs none of them.
    with ThreadPoolExecutor(1) as background:
        previous_reports = background.submit(previous_year) if this.docs else None
        if previous_reports is None:
            enricher.close()
        for rows, doc in _read_rows(store.year_tables(year, "facts"), "facts", this, current):
            xyear = _xyear_rows(rows)
            buckets.write("xyear", xyear, doc_bucket[xyear["doc"].to_numpy()])
            rows = rows.append_column("value_decimal", _money(rows))
            buckets.write("facts", rows.drop_columns(["url", "_absent", "_extra"]), doc_bucket[doc])
        for rows, doc in _read_rows(store.year_tables(year, "checks"), "checks", this, current):
            buckets.write("checks", rows.drop_columns(["url", "_absent", "_extra"]), doc_bucket[doc])
        buckets.close()
        if previous_reports is not None:
            previous_reports.result()
    del doc_bucket

    keys = this.table(pa.schema(list(KEY_SCHEMA) + list(SLIM)))
    this.n_facts.extend([0] * (len(this.docs) - len(this.n_facts)))
    this.docs.clear()
    keys = keys.set_column(keys.schema.get_field_index("n_facts"), "n_facts", pa.array(this.n_facts, pa.int64()))
    this.n_facts.clear()
    versions = rank_versions(keys)
    previous: dict[str | None, int] = {}
    xyear_before = XYEAR_SCHEMA.empty_table()
    if versions.chosen:
        # kept with the codes dictionary-encoded per batch (~24 bytes a row, not ~65): held for the whole year
        kept = [_encoded(_xyear_rows(rows)) for rows, _ in _read_rows(store.year_tables(year - 1, "facts", XYEAR_READ),
                                                                        "facts", before, current)]
        prev_keys = before.table(pa.schema(list(KEY_SCHEMA) + [SLIM.field("doc"), SLIM.field("agency_name_norm")]))
        before.n_facts.extend([0] * (len(before.docs) - len(before.n_facts)))
        before.docs.clear()
        prev_keys = prev_keys.set_column(prev_keys.schema.get_field_index("n_facts"), "n_facts",
                                         pa.array(before.n_facts, pa.int64()))
        prev = rank_versions(prev_keys)
        agencies = prev_keys["agency_name_norm"].to_pylist()
        for doc in prev.chosen:  # in report_id order: the last report of an agency name stands for it
            previous[agencies[doc]] = doc
        if kept:
            kept_rows = pa.concat_tables(kept).unify_dictionaries().combine_chunks()
            partners = pa.array(sorted(set(previous.values())), pa.int64())
            xyear_before = kept_rows.filter(pc.is_in(kept_rows["doc"], value_set=partners))
    return _Assembled(year, keys, versions, previous, _ByDoc(xyear_before), buckets, work).streamed()


class _Assembled:
    """Step 4: the chosen rows of each bucket, typed and in order, as record batches per table."""

    def __init__(self, year: int, keys: pa.Table, versions, previous: dict, xyear_before: _ByDoc,
                 buckets: _Buckets, work: Path) -> None:
        self.year, self.versions, self.buckets, self.work = year, versions, buckets, work
        self.n = n = keys.num_rows
        self.chosen = np.zeros(n, dtype=bool)
        self.chosen[versions.chosen] = True
        report_id: list[str | None] = [None] * n
        for doc, rid in zip(versions.chosen, versions.report_ids, strict=True):
            report_id[doc] = rid
        self.report_ids = report_id
        self.rank = np.full(n, -1, dtype=np.int64)
        self.rank[versions.chosen] = np.arange(len(versions.chosen))
        self.report_id = pa.array(report_id, pa.string())
        agencies = keys["agency_name_norm"].to_pylist()
        self.partner = np.full(n, -1, dtype=np.int64)  # doc → the year before's report of its agency (-1: none)
        for doc in versions.chosen:
            self.partner[doc] = previous.get(agencies[doc], -1)
        del agencies
        # the key table is read again only for the reports and sources, after the facts and checks: spilled
        # meanwhile (~0.5 KB a report, held while the facts are sorted otherwise)
        self._keys_path = work / "keys-ranked.arrow"
        with _spill_writer(self._keys_path, keys.schema) as out:
            out.write_table(keys)
        self._keys: pa.Table | None = None
        self.xyear_before: _ByDoc | None = xyear_before
        self.passed = np.zeros(n, dtype=np.int64)
        self.failed = np.zeros(n, dtype=np.int64)
        self.checks_done = False

    @property
    def keys(self) -> pa.Table:
        """The year's key table (every candidate, by doc), read back from its spill at first use."""
        if self._keys is None:
            self._keys = _read_spill(self._keys_path)
        return self._keys

    def streamed(self) -> StreamedYear:
        counts = {"reports": len(self.versions.chosen), "sources": len(self.versions.sources)}
        tables = {"facts": self._facts(), "checks": self._checks(), "reports": self._reports(),
                  "sources": self._sources()}
        return StreamedYear(tables, counts, self.work)

    def _chosen_rows(self, table: str, bucket: int, schema: pa.Schema) -> pa.Table:
        rows = self.buckets.read(table, bucket, schema)
        if not rows.num_rows:
            return rows
        rows = rows.filter(pa.array(self.chosen[rows["doc"].to_numpy()]))
        rank = self.rank[rows["doc"].to_numpy()]  # the report's place in report_id order: sorting ints
        return rows.append_column("report_id", self.report_id.take(rows["doc"])).append_column("rank", pa.array(rank))

    def _facts(self) -> Iterator[pa.RecordBatch]:
        schema = FACTS.remove(FACTS.get_field_index("report_year"))
        for b in range(self.buckets.n):
            rows = self._chosen_rows("facts", b, schema)
            if not rows.num_rows:
                continue
            rows = rows.sort_by([("rank", "ascending"), ("ord", "ascending")])
            yield from _typed(rows, schema).to_batches()

    def _checks(self) -> Iterator[pa.RecordBatch]:
        from .dataset import file_schema

        schema = file_schema("checks")
        chosen = np.array(self.versions.chosen, dtype=np.int64)
        chosen_bucket = _bucket_of(self.versions.report_ids, self.buckets.n)
        cross_year = _CrossYear()
        for b in range(self.buckets.n):
            own = self._chosen_rows("checks", b, schema)
            docs = chosen[chosen_bucket == b]
            docs = docs[self.partner[docs] >= 0]
            pairs = list(zip(docs.tolist(), self.partner[docs].tolist(), strict=True))
            if cross_year.vectorized:
                cross = self._cross_rows(cross_year, b, pairs)
            else:
                cross = self._cross_rows_per_pair(b, pairs)
            parts = []
            if own.num_rows:
                if cross.num_rows:  # the cross-year results replace the report's own rows of the same rules
                    drop = cross.select(["doc", "rule_id"]).group_by(["doc", "rule_id"]).aggregate([])
                    drop = drop.append_column("_drop", pa.array(np.ones(drop.num_rows, dtype=bool)))
                    own = own.join(drop, ["doc", "rule_id"], join_type="left outer")
                    own = own.filter(pc.is_null(own["_drop"])).drop_columns(["_drop"])
                own = own.append_column("part", pa.array(np.zeros(own.num_rows, dtype=np.int8)))
                parts.append(own.select(CHECK_WORK.names).cast(CHECK_WORK))
            if cross.num_rows:
                parts.append(cross)
            if not parts:
                continue
            rows = pa.concat_tables(parts).sort_by([("rank", "ascending"), ("part", "ascending"), ("ord", "ascending")])
            doc = rows["doc"].to_numpy()
            np.add.at(self.passed, doc, pc.fill_null(pc.equal(rows["status"], "passed"), False).to_numpy(
                zero_copy_only=False))
            np.add.at(self.failed, doc, pc.fill_null(pc.equal(rows["status"], "failed"), False).to_numpy(
                zero_copy_only=False))
            yield from _typed(rows, schema).to_batches()
        self.checks_done = True
        self.xyear_before = None  # only the checks read the year before

    def _cross_rows(self, cross_year: _CrossYear, bucket: int, pairs: list[tuple[int, int]]) -> pa.Table:
        """The cross-year rows of a bucket's pairs, all at once (``_CrossYear``)."""
        if not pairs:
            return CHECK_WORK.empty_table()
        docs = np.array([doc for doc, _ in pairs], dtype=np.int64)
        now = cross_year.matrix(self.buckets.read("xyear", bucket, XYEAR_SCHEMA),
                                {doc: i for i, (doc, _) in enumerate(pairs)}, len(pairs))
        partners = sorted({prev for _, prev in pairs})
        where = {prev: i for i, prev in enumerate(partners)}
        values, present = cross_year.matrix(self.xyear_before.rows(partners), where, len(partners))
        pick = np.array([where[prev] for _, prev in pairs], dtype=np.int64)
        return cross_year.evaluate(now, (values[pick], present[pick]), docs, self.report_id, self.rank)

    def _cross_rows_per_pair(self, bucket: int, pairs: list[tuple[int, int]]) -> pa.Table:
        """The cross-year rows of a bucket's pairs through ``xyear.evaluate_values``, pair by pair."""
        now = _ByDoc(self.buckets.read("xyear", bucket, XYEAR_SCHEMA)).values([doc for doc, _ in pairs])
        before = self.xyear_before.values(sorted({prev for _, prev in pairs}))
        rows: list[dict] = []
        for doc, prev in pairs:
            rid, rank = self.report_ids[doc], int(self.rank[doc])
            rows.extend({**c, "doc": doc, "ord": i, "part": 1, "report_id": rid, "rank": rank}
                        for i, c in enumerate(evaluate_values(before[prev], now[doc])))
        return pa.Table.from_pylist(rows, CHECK_WORK) if rows else CHECK_WORK.empty_table()

    def _reports(self) -> Iterator[pa.RecordBatch]:
        from .dataset import file_schema

        if not self.checks_done:
            raise RuntimeError("the reports' check counts come from the checks: consume the checks first")
        schema = file_schema("reports")
        decided = self._decided()
        for b in range(self.buckets.n):
            rows = self._chosen_rows("reports", b, REPORT_IN)
            if not rows.num_rows:
                continue
            pick = pa.array(decided["row"][rows["doc"].to_numpy()])
            for name in DECIDED:
                if name == "report_id":
                    continue
                column = decided[name].take(pick)
                if name in rows.schema.names:
                    rows = rows.set_column(rows.schema.get_field_index(name), name, column)
                else:
                    rows = rows.append_column(name, column)
            rows = rows.sort_by("rank")
            yield from _typed(rows, schema).to_batches()

    def _decided(self, chunk: int = 20_000) -> dict:
        """The report columns decided by all copies and by the checks, one row per chosen report; the copies'
        key columns are read as Python values ``chunk`` reports at a time (not for the whole year at once)."""
        names = ("report_year", "agency_type", "is_regional_aggregate", "source_site", "source_url", "publish_date")
        types = {"n_sources": pa.int64(), "source_site": pa.string(), "first_publish_date": pa.string(),
                 "days_late": pa.int64(), "n_facts": pa.int64(), "checks_passed": pa.int64(),
                 "checks_failed": pa.int64()}
        parts: dict[str, list[pa.Array]] = {name: [] for name in types}
        row = np.full(self.n, -1, dtype=np.int64)
        chosen, members = self.versions.chosen, self.versions.members
        for start in range(0, len(chosen), chunk):
            ranked_part = members[start:start + chunk]
            docs = sorted({m for ranked in ranked_part for m in ranked})
            picked = self.keys.select([*names, "n_facts"]).take(pa.array(docs, pa.int64())).to_pylist()
            slim = dict(zip(docs, picked, strict=True))
            out: dict[str, list] = {name: [] for name in types}
            for i, (doc, ranked) in enumerate(zip(chosen[start:start + chunk], ranked_part, strict=True)):
                row[doc] = start + i
                decided = report_fields(slim[doc], [slim[m] for m in ranked])
                for name in ("n_sources", "source_site", "first_publish_date", "days_late"):
                    out[name].append(decided[name])
                out["n_facts"].append(slim[doc]["n_facts"])
                out["checks_passed"].append(int(self.passed[doc]))
                out["checks_failed"].append(int(self.failed[doc]))
            for name, values in out.items():
                parts[name].append(pa.array(values, types[name]))
        return {"row": row, **{name: pa.concat_arrays(arrays) if arrays else pa.array([], types[name])
                               for name, arrays in parts.items()}}

    def _sources(self) -> Iterator[pa.RecordBatch]:
        schema = SOURCES.remove(SOURCES.get_field_index("report_year"))
        k = self.keys
        names = [n for n in SLIM.names if n != "doc"] + ["n_facts"]
        chunk = 20_000
        srcs = self.versions.sources
        for start in range(0, len(srcs), chunk):
            part = srcs[start:start + chunk]
            picked = k.select(names).take(pa.array([pos for _, pos, _ in part], pa.int64())).to_pylist()
            rows = [source_row(c, self.versions.report_ids[r], chosen)
                    for (r, _, chosen), c in zip(part, picked, strict=True)]
            table = pa.Table.from_pylist(rows, pa.schema([f if f.name not in ("publish_date", "fetched_at")
                                                          else pa.field(f.name, pa.string()) for f in SOURCES]))
            yield from _typed(table, schema).to_batches()


def _typed(rows: pa.Table, schema: pa.Schema) -> pa.Table:
    """The columns of ``schema`` from ``rows``: "" as null, dates and times from ISO text, types cast."""
    arrays = []
    for f in schema:
        column = rows[f.name] if f.name in rows.schema.names else pa.nulls(rows.num_rows, f.type)
        if pa.types.is_string(column.type) and pa.types.is_date(f.type):
            column = _dates(column)
        elif pa.types.is_string(column.type) and pa.types.is_timestamp(f.type):
            column = _timestamps(column, f.type)
        else:
            column = _blank_to_null(column)
        arrays.append(column.cast(f.type))
    return pa.Table.from_arrays(arrays, schema=schema)
