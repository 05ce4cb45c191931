"""What the dataset holds and what it does not know: the coverage table and the complete document log.

``coverage`` has one row per (portal, report year) — or per agency for reports found outside any
registry portal — and says whether a report was published (on time or late), is not yet due, or why
it is absent: nothing found, a bot wall, robots.txt, a document dropped for its size, a document that
could not be parsed. Its inputs are the crawl manifest (every URL's latest outcome), the document log
and the published reports, so it can be rebuilt at any time without re-parsing.

A URL whose report year is unknown (a listing page, a site's front page behind a bot wall, a document
that failed before its title was read) may hide any year's report: it is counted on every year of its
portal that has no published report.

The dataset and the raw store may be local folders or object storage (``s3://…``, see
``pipeline.locations``): both are read through ``pyarrow.fs`` (the dataset's current version resolved
once, as ``pipeline.dataset`` does) and written by ``pipeline.dataset``'s versioned writer, so the same
code serves both; the manifest stays on local disk.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path, PurePath

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from . import titles
from .dataset import (
    PART_FILE,
    current_tree,
    is_file,
    open_dataset,
    rows_to_arrow,
    write_unpartitioned,
    years_present,
)
from .locations import dataset_root as dataset_location
from .locations import is_uri
from .locations import raw_root as raw_location
from .publish import stored_documents
from .rawstore import CorruptRawDocument, RawStore, ext_of
from .regions import lookup_code
from .schema import COVERAGE, DOCUMENTS
from .state import current_rows
from .timeliness import deadline

FIRST_REPORT_YEAR = 2008  # the first report year of the 2008 条例
# A URL's latest crawl outcome → the coverage column it counts in. ``url_too_long`` (a link over the crawler's
# URLLENGTH_LIMIT) is a document dropped by a size limit like ``too_large``; transient failures (failed,
# timeout, truncated, abandoned: asked again) count in none, so a year without a report is ``not_found``.
_OUTCOME_COLUMN = {"not_found": "not_found", "blocked": "blocked", "refused": "blocked", "robots": "robots",
                   "too_large": "too_large", "url_too_long": "too_large"}
_PARSE_FAILED = frozenset({"error", "unreadable", "missing_raw", "corrupt_raw"})
_PARTIAL = frozenset({"no_tables", "unreadable"})
_COUNTS = ("not_found", "blocked", "robots", "too_large", "parse_failed", "documents")


def relative_raw_path(raw_path: str | None, sha256: str | None = None) -> str | None:
    """``raw/<sha[:2]>/<sha>.<ext>``, relative to the data directory, whatever machine wrote the path."""
    if not raw_path:
        return None
    parts = PurePath(raw_path).parts
    if len(parts) >= 3 and parts[-3] == "raw":
        return "/".join(parts[-3:])
    if sha256 and len(parts) >= 1 and parts[-1].startswith(sha256):
        return f"raw/{sha256[:2]}/{parts[-1]}"
    return PurePath(raw_path).as_posix()


def _raw_status(store: RawStore, sha256: str, raw_path: str | None) -> tuple[str, str]:
    """(parse_status, parse_reason) of a stored document the parser has not read: its bytes are read back
    and hashed exactly as the parse step reads them (``RawStore.get``), on disk or object storage."""
    try:
        store.get(sha256, ext_of(raw_path))
    except CorruptRawDocument:
        return "corrupt_raw", "raw document does not hash to its name"
    except FileNotFoundError:
        return "missing_raw", "raw document not in the store"
    return "not_parsed", "not parsed yet"


def document_rows(data_dir: str | Path, log: list[dict], raw_root: str | Path | None = None) -> list[dict]:
    """Every stored document of the manifest, with what parsing made of it (``log``: the parse log rows).

    A stored document the parser has not seen yet is ``not_parsed``; one whose bytes are gone from the
    raw store (``raw_root``: a folder or an ``s3://`` URI; default ``NIANBAO_RAW_URI``, else ``<data>/raw``)
    is ``missing_raw``, one whose bytes no longer hash to their name ``corrupt_raw`` (only unparsed
    documents are read here). Raw paths are made relative to the data directory.
    """
    data_dir = Path(data_dir)
    store = RawStore(raw_location(data_dir, raw_root))
    by_url = {row["url"]: row for row in log if row.get("url")}
    out = []
    for doc in stored_documents(data_dir):
        row = dict(by_url.get(doc["url"]) or {})
        raw = doc.get("raw_path") or row.get("raw_path")
        if not row:
            status, reason = _raw_status(store, doc["sha256"], raw)
            row = {"url": doc["url"], "portal_id": doc.get("portal_id"), "kind": doc.get("kind"),
                   "parent_url": doc.get("parent_url"), "content_sha256": doc.get("sha256"),
                   "fetched_at": doc.get("fetched_at"), "title": doc.get("title"),
                   "report_year": titles.report_year(doc.get("title")),
                   "parse_status": status, "parse_reason": reason}
        row["raw_path"] = relative_raw_path(raw or row.get("raw_path"), row.get("content_sha256"))
        out.append(row)
    return out


def write_documents(data_dir: str | Path, dataset_root: str | Path, log: list[dict], *,
                    raw_root: str | Path | None = None) -> Path | str:
    """Replace ``documents/`` with every stored document (see ``document_rows``)."""
    return write_unpartitioned(dataset_root, "documents", document_rows(data_dir, log, raw_root), DOCUMENTS)


def _read_unpartitioned(fs: pafs.FileSystem, base: str, name: str, columns: list[str]) -> list[dict]:
    path = f"{base}/{name}/{PART_FILE}"
    return pq.read_table(path, columns=columns, filesystem=fs).to_pylist() if is_file(fs, path) else []


def _read_partitioned(fs: pafs.FileSystem, base: str, name: str, columns: list[str]) -> list[dict]:
    """Every year of a partitioned table, in year order (the partition key typed as the writer types it)."""
    if not years_present(base, name, filesystem=fs):
        return []
    return open_dataset(base, name, filesystem=fs).to_table(columns=columns).to_pylist()


def _key(portal_id: str | None, agency: str | None) -> str | None:
    if portal_id:
        return portal_id
    return f"agency:{agency}" if agency else None


def build_coverage(data_dir: str | Path, dataset_root: str | Path | None = None,
                   portals: dict[str, dict] | None = None, as_of: date | None = None) -> pa.Table:
    """The coverage table (schema ``COVERAGE``) from the manifest, ``documents/`` and ``reports/``.

    ``portals`` (registry records by id) adds the portals that yielded nothing at all and their names
    and regions; ``as_of`` (default today, UTC) decides what is not yet due.
    """
    data_dir = Path(data_dir)
    fs, base = current_tree(dataset_location(data_dir, dataset_root))
    portals = portals or {}
    as_of = as_of or datetime.now(UTC).date()
    last_year = as_of.year - 1  # the latest report year that can exist

    columns = ["portal_id", "agency_name_norm", "agency_name", "region_code", "admin_level", "report_year",
               "days_late", "parse_status"]
    reports = _read_partitioned(fs, base, "reports", columns)
    documents = _read_unpartitioned(fs, base, "documents", ["url", "portal_id", "report_year", "parse_status"])
    doc_year = {d["url"]: d.get("report_year") for d in documents}

    counts: dict[tuple[str, int | None], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    info: dict[str, dict] = {pid: {"portal_name": p.get("name"), "region_code": p.get("region_code"),
                                   "admin_level": p.get("admin_level")} for pid, p in portals.items()}
    for rep in reports:
        key = _key(rep.get("portal_id"), rep.get("agency_name_norm"))
        if key is None:
            continue
        c = counts[(key, int(rep["report_year"]))]
        c["published"] += 1
        c["late"] += int((rep.get("days_late") or 0) > 0)
        c["partial"] += int(rep.get("parse_status") in _PARTIAL)
        if key not in info or not info[key].get("region_code"):
            info[key] = {"portal_name": info.get(key, {}).get("portal_name") or rep.get("agency_name"),
                         "region_code": rep.get("region_code"), "admin_level": rep.get("admin_level")}
    for doc in documents:
        key = _key(doc.get("portal_id"), None)
        if key is None:
            continue
        year = doc.get("report_year")
        c = counts[(key, int(year) if year else None)]
        c["documents"] += 1
        c["parse_failed"] += int(doc.get("parse_status") in _PARSE_FAILED)
    for row in current_rows(data_dir):
        column = _OUTCOME_COLUMN.get(row.get("outcome") or "")
        key = _key(row.get("portal_id"), None)
        if column is None or key is None:
            continue
        year = titles.report_year(row.get("title")) or doc_year.get(row.get("parent_url") or "")
        counts[(key, int(year) if year else None)][column] += 1

    years_of: dict[str, list[int]] = defaultdict(list)
    for k, y in counts:
        if y is not None:
            years_of[k].append(y)
    first_default = min((y for ys in years_of.values() for y in ys), default=FIRST_REPORT_YEAR)
    rows = []
    for key in sorted({k for k, _ in counts} | set(portals)):
        key_years = years_of.get(key, [])
        yearless = counts.get((key, None), {})
        meta = info.get(key, {})
        region = meta.get("region_code")
        for year in range(min(key_years, default=first_default), max(max(key_years, default=last_year), last_year) + 1):
            c = dict(counts.get((key, year), {}))
            published = c.get("published", 0)
            if not published:  # an unattributed failure may be hiding this year's report
                for col in _COUNTS:
                    if col != "documents":
                        c[col] = c.get(col, 0) + yearless.get(col, 0)
            due = deadline(year, "county_gov")  # the latest deadline of any report of that year
            not_yet_due = not published and as_of <= due
            rows.append({
                "portal_id": key, "portal_name": meta.get("portal_name"), "region_code": region,
                "province": _province(region, year), "admin_level": meta.get("admin_level"),
                "report_year": year, "deadline": due, "status": _status(c, published, not_yet_due),
                "published": published, "late": c.get("late", 0), "not_yet_due": not_yet_due,
                "partial": c.get("partial", 0), **{col: c.get(col, 0) for col in _COUNTS},
            })
    return rows_to_arrow(rows, COVERAGE)


@lru_cache(maxsize=65536)
def _province(region_code: str | None, year: int) -> str | None:
    if not region_code or region_code == "100000":
        return None
    div = lookup_code(region_code, year) or lookup_code(region_code[:2] + "0000", year)
    return div.province if div else None


def _status(c: dict, published: int, not_yet_due: bool) -> str:
    """published / late (every report late) / not_yet_due, else the first reason that may hide it."""
    if published:
        return "late" if c.get("late", 0) == published else "published"
    if not_yet_due:
        return "not_yet_due"
    for column in ("parse_failed", "too_large", "blocked", "robots"):
        if c.get(column):
            return column
    return "not_found"


def write_coverage(data_dir: str | Path, dataset_root: str | Path | None = None,
                   portals: dict[str, dict] | None = None, as_of: date | None = None) -> Path | str:
    """Build and replace ``coverage/`` (unpartitioned: one small file for every portal and year), then
    refresh the dataset's description (``indicators/``, ``regions/``, README.md, datapackage.json) so the
    release describes every table as now written. Returns the coverage file: the reader-visible path on
    local disk, its path in the current version (read it with ``current_tree``'s filesystem) on object storage.

    (``release`` imports this module, so its ``write_description`` is imported here, at call time.)"""
    from .release import write_description

    root = dataset_location(data_dir, dataset_root)
    table = build_coverage(data_dir, root, portals, as_of)
    path = write_unpartitioned(root, "coverage", table, COVERAGE)
    write_description(root)
    if is_uri(root):
        return f"{current_tree(root)[1]}/coverage/{PART_FILE}"
    return path
