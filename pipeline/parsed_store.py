"""Parse results kept between runs: columnar Parquet per batch of documents, and a url-keyed SQLite index.

A document is parsed again only when its bytes (sha256) or the parser version changed, so the nightly
run costs in proportion to what is new, and a parser change (code, spec files or division table: see
``pipeline.version``) re-parses the documents it made from the raw store without re-crawling.

Layout under ``<data>/parsed/``:

* ``documents/<batch>.parquet``: one row per document of the batch — ``url``, ``sha256``,
  ``parser_version``, ``report_year``, ``summary`` (the document-log row, JSON) and ``report`` (the report
  record, JSON: its field set varies with the parse status and is small next to the facts);
* ``facts/<batch>.parquet`` and ``checks/<batch>.parquet``: one row per fact / check, typed columns of
  ``pipeline.records.Fact`` / ``Check`` (plus ``source_url`` and ``content_sha256``), keyed by ``url`` and
  ``ord`` (position in the result). A value that does not fit its column, or a key no record names, is
  kept in ``_extra`` (JSON) and ``_absent`` marks keys the result did not have, so a result reads back as
  it was put;
* ``index.sqlite``: url → sha256, parser_version, report_year, summary, batch: "is this current?",
  "which documents belong to year Y?", "what is in the archive?" without opening a result file.

``put`` buffers results; ``commit`` (automatic every ``batch_size`` documents) writes the batch's files
(temporary name, then renamed: ``documents`` last, so a batch without it is never read) and then
records them in the index in one transaction: a process killed mid-run loses at most the batch in flight,
whose documents are simply not current and are parsed again. A re-parsed document's old row stays in its
old batch file but the index points at the new batch; a batch file no index entry points at any more is
deleted. The index is rebuilt from ``documents/*.parquet`` when missing or unreadable (latest batch wins;
a document dropped from the index but still in a batch file with live neighbours comes back from a
rebuild and is dropped again by the next parse run, which checks every URL against the manifest).

Consumers (year assembly):

* ``iter_year(year)`` yields the parse results (``{"report", "facts", "checks"}`` dicts) of one report
  year, batch by batch: only the batch files holding that year's documents are opened, and only one batch
  is in memory at a time. Order: by batch, then URL.
* ``year_tables(year, "facts" | "checks" | "documents")`` yields the same year's live rows as pyarrow
  tables, one per batch (for DuckDB / pyarrow dataset writers: no Python dicts per fact).
* ``results(urls)`` / ``get(url)`` / ``report_of(url)`` read chosen documents; ``summaries(urls)`` the
  document-log rows from the index alone.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import fields
from pathlib import Path
from typing import get_type_hints

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .records import Check, Fact
from .version import parser_version

log = logging.getLogger(__name__)

LAYOUT = 2
TABLES = ("documents", "facts", "checks")
_PAGE = 1000
_TYPES = {str: pa.string(), float: pa.float64(), int: pa.int64(), bool: pa.bool_()}


def _columns(record: type, also: tuple[str, ...]) -> list[tuple[str, pa.DataType]]:
    """(name, Arrow type) of each field of a record type: the first non-None type of its annotation."""
    hints = get_type_hints(record)
    out = []
    for f in fields(record):
        hint = hints[f.name]
        kinds = [t for t in getattr(hint, "__args__", (hint,)) if t is not type(None)]
        out.append((f.name, _TYPES[kinds[0]]))
    return out + [(name, pa.string()) for name in also]


ROW_COLUMNS = {"facts": _columns(Fact, ("source_url", "content_sha256")), "checks": _columns(Check, ())}
DOCUMENTS_SCHEMA = pa.schema([("url", pa.string()), ("sha256", pa.string()), ("parser_version", pa.string()),
                              ("report_year", pa.int32()), ("summary", pa.string()), ("report", pa.string())])
ROW_SCHEMAS = {table: pa.schema([("url", pa.string()), ("ord", pa.int32()), *cols, ("_absent", pa.int64()),
                                 ("_extra", pa.string())]) for table, cols in ROW_COLUMNS.items()}

_INDEX_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS docs (url TEXT PRIMARY KEY, sha256 TEXT, parser_version TEXT, report_year INTEGER,
                                 batch TEXT NOT NULL, summary TEXT) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS docs_year ON docs (report_year);
CREATE INDEX IF NOT EXISTS docs_batch ON docs (batch);
CREATE TABLE IF NOT EXISTS batches (batch TEXT PRIMARY KEY, documents INTEGER NOT NULL) WITHOUT ROWID;
"""
_UPSERT = """
INSERT INTO docs (url, sha256, parser_version, report_year, batch, summary) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (url) DO UPDATE SET sha256 = excluded.sha256, parser_version = excluded.parser_version,
    report_year = excluded.report_year, batch = excluded.batch, summary = excluded.summary
WHERE excluded.batch >= docs.batch
"""


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


class ParsedStore:
    def __init__(self, data_dir: str | Path, batch_size: int = 500) -> None:
        self.root = Path(data_dir) / "parsed"
        self.batch_size = batch_size
        self._pending: dict[str, tuple[str, str, dict, dict | None]] = {}  # url → (sha, version, result, summary)
        self._conn: sqlite3.Connection | None = None

    # -- the index ---------------------------------------------------------------------------------------
    @property
    def index_path(self) -> Path:
        return self.root / "index.sqlite"

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = self._open()
        return self._conn

    def _connect(self) -> sqlite3.Connection:
        self.root.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.index_path, timeout=300, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def _open(self) -> sqlite3.Connection:
        """The index, rebuilt from the batch files when it is missing, unreadable or of another layout."""
        fresh = not self.index_path.exists()
        try:
            conn = self._connect()
            conn.executescript(_INDEX_SCHEMA)
            layout = conn.execute("SELECT value FROM meta WHERE key = 'layout'").fetchone()
            if layout is not None and layout[0] == str(LAYOUT):
                return conn
            if layout is not None or not fresh:
                raise sqlite3.DatabaseError(f"layout {layout[0] if layout else None}, expected {LAYOUT}")
        except sqlite3.DatabaseError as exc:
            log.warning("parsed index %s unusable (%s): rebuilt from the batch files", self.index_path, exc)
            try:
                conn.close()
            except (NameError, sqlite3.Error):
                pass
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.index_path}{suffix}").unlink(missing_ok=True)
            conn = self._connect()
            conn.executescript(_INDEX_SCHEMA)
        self._rebuild(conn)
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('layout', ?)", (str(LAYOUT),))
        return conn

    def _rebuild(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        for path in sorted((self.root / "documents").glob("*.parquet")):
            try:
                table = pq.read_table(path, columns=["url", "sha256", "parser_version", "report_year", "summary"])
            except (OSError, pa.ArrowException) as exc:
                log.warning("parsed batch %s unreadable (%s): its documents will be parsed again", path, exc)
                continue
            batch = path.stem
            conn.execute("INSERT OR REPLACE INTO batches VALUES (?, ?)", (batch, table.num_rows))
            conn.executemany(_UPSERT, ((r["url"], r["sha256"], r["parser_version"], r["report_year"], batch, r["summary"])
                                       for r in table.to_pylist()))
        conn.execute("COMMIT")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def entry(self, url: str) -> dict | None:
        """{sha256, parser_version, report_year, summary, batch} of one URL (pending puts included)."""
        if url in self._pending:
            sha, version, result, summary = self._pending[url]
            return {"sha256": sha, "parser_version": version, "report_year": _year(result), "summary": summary,
                    "batch": None}
        return self.entries([url]).get(url)

    def entries(self, urls: Iterable[str]) -> dict[str, dict]:
        """url → index entry for those of ``urls`` in the index (committed entries)."""
        out: dict[str, dict] = {}
        urls = list(urls)
        for i in range(0, len(urls), 500):
            chunk = urls[i:i + 500]
            for url, sha, version, year, batch, summary in self._db().execute(
                    f"SELECT url, sha256, parser_version, report_year, batch, summary FROM docs "
                    f"WHERE url IN ({','.join('?' * len(chunk))})", chunk):
                out[url] = {"sha256": sha, "parser_version": version, "report_year": year,
                            "summary": json.loads(summary) if summary else None, "batch": batch}
        return out

    def is_current(self, url: str, sha256: str) -> bool:
        """The stored result was made from these bytes by this parser version."""
        entry = self.entry(url)
        return (entry is not None and entry["sha256"] == sha256 and entry["parser_version"] == parser_version()
                and (entry["batch"] is None or (self.root / "documents" / f"{entry['batch']}.parquet").exists()))

    def version_of(self, url: str) -> str | None:
        entry = self.entry(url)
        return entry["parser_version"] if entry else None

    def year_of(self, url: str) -> int | None:
        entry = self.entry(url)
        return entry["report_year"] if entry else None

    def iter_urls(self, years: set[int] | None = None) -> Iterator[str]:
        """Parsed URLs in URL order (optionally of some report years), read in pages: bounded memory."""
        last = ""
        cond = f"AND report_year IN ({','.join(str(int(y)) for y in years)})" if years is not None else ""
        while True:
            page = [u for (u,) in self._db().execute(
                f"SELECT url FROM docs WHERE url > ? {cond} ORDER BY url LIMIT {_PAGE}", (last,))]
            yield from page
            if len(page) < _PAGE:
                return
            last = page[-1]

    def urls(self, years: set[int] | None = None) -> list[str]:
        """Parsed URLs, optionally only those whose report year is in ``years``."""
        return list(self.iter_urls(years))

    def summaries(self, urls: Iterable[str]) -> list[dict]:
        """The document-log rows of ``urls`` (in their order), from the index alone."""
        urls = list(urls)
        out: list[dict] = []
        for i in range(0, len(urls), 5000):
            found = self.entries(urls[i:i + 5000])
            out.extend(found[u]["summary"] for u in urls[i:i + 5000] if u in found and found[u]["summary"])
        return out

    def timed_out(self, below_seconds: float, limit: int) -> list[str]:
        """Up to ``limit`` URLs whose stored result is a ``budget: timeout after N s`` with N below
        ``below_seconds`` (by URL): the parse step's slow lane asks them again with more time."""
        if limit <= 0:
            return []
        rows = self._db().execute(
            "SELECT url, json_extract(summary, '$.parse_reason') FROM docs "
            "WHERE json_extract(summary, '$.parse_reason') LIKE 'budget: timeout after %' ORDER BY url")
        out: list[str] = []
        for url, reason in rows:
            try:
                seconds = float(reason.removeprefix("budget: timeout after ").split()[0])
            except (ValueError, IndexError):
                continue
            if seconds < below_seconds:
                out.append(url)
                if len(out) >= limit:
                    break
        return out

    # -- writing -------------------------------------------------------------------------------------
    def put(self, url: str, sha256: str, result: dict, summary: dict | None = None) -> None:
        """Store one result (buffered; committed with its batch). ``summary`` is the small row kept in the
        index (e.g. for the document log)."""
        self._pending[url] = (sha256, parser_version(), result, summary)
        if len(self._pending) >= self.batch_size:
            self.commit()

    def commit(self) -> None:
        """Write the pending results as one batch and record them in the index; a batch file left with no
        live document is deleted."""
        if not self._pending:
            self._db()
            return
        pending, self._pending = self._pending, {}
        docs = [{"url": url, "sha256": sha, "parser_version": version, "report_year": _year(result),
                 "summary": _dumps(summary) if summary is not None else None, "report": _dumps(result.get("report"))}
                for url, (sha, version, result, summary) in pending.items()]
        self._write_batch(docs, {table: _rows_table(table, ((url, result.get(table))
                                                            for url, (_, _, result, _) in pending.items()))
                                 for table in ("facts", "checks")})

    def put_tables(self, documents: list[tuple[str, str, dict, dict | None]], rows: dict[str, pa.Table]) -> None:
        """Store one batch already in columns, committed at once: ``documents`` as (url, sha256, report
        record, summary) and ``rows["facts" | "checks"]`` in ``ROW_SCHEMAS`` (keyed by url and ord) — for a
        writer that makes its rows as Arrow columns (the national corpus), with no dict per fact."""
        self.commit()
        version = parser_version()
        docs = [{"url": url, "sha256": sha, "parser_version": version, "report_year": _year({"report": report}),
                 "summary": _dumps(summary) if summary is not None else None, "report": _dumps(report)}
                for url, sha, report, summary in documents]
        if docs:
            self._write_batch(docs, {t: rows[t].select(ROW_SCHEMAS[t].names).cast(ROW_SCHEMAS[t])
                                     for t in ("facts", "checks")})

    def _write_batch(self, docs: list[dict], rows: dict[str, pa.Table]) -> None:
        """One batch's files (``documents`` last: a batch without it is never read), then its index rows."""
        batch = f"{time.time_ns():020d}-{os.getpid()}"
        for table in ("facts", "checks"):
            _write(self.root / table / f"{batch}.parquet", rows[table])
        _write(self.root / "documents" / f"{batch}.parquet", pa.Table.from_pylist(docs, DOCUMENTS_SCHEMA))
        urls = [d["url"] for d in docs]
        conn = self._db()
        conn.execute("BEGIN IMMEDIATE")
        old = self._batches_of(urls)
        conn.executemany(_UPSERT, ((d["url"], d["sha256"], d["parser_version"], d["report_year"], batch, d["summary"])
                                   for d in docs))
        conn.execute("INSERT OR REPLACE INTO batches VALUES (?, ?)", (batch, len(docs)))
        conn.execute("COMMIT")
        self._delete_if_dead(old - {batch})

    save = commit  # the former name: "write the index after a run of put/drop"

    def drop(self, url: str) -> None:
        """Forget one document (withdrawn): it leaves the index at once."""
        self._pending.pop(url, None)
        old = self._batches_of([url])
        self._db().execute("DELETE FROM docs WHERE url = ?", (url,))
        self._delete_if_dead(old)

    def batch_ids(self) -> set[str]:
        """The batches whose files are on disk (a listing, not a read)."""
        folder = self.root / "documents"
        return {p.name[:-len(".parquet")] for p in os.scandir(folder) if p.name.endswith(".parquet")
                and not p.name.startswith(".")} if folder.is_dir() else set()

    def _batches_of(self, urls: list[str]) -> set[str]:
        return {e["batch"] for e in self.entries(urls).values()}

    def _delete_if_dead(self, batches: set[str]) -> None:
        for batch in batches:
            if self._db().execute("SELECT 1 FROM docs WHERE batch = ? LIMIT 1", (batch,)).fetchone() is None:
                for table in TABLES:
                    (self.root / table / f"{batch}.parquet").unlink(missing_ok=True)
                self._db().execute("DELETE FROM batches WHERE batch = ?", (batch,))

    def compact(self, min_live: float = 0.5) -> int:
        """Rewrite the batches in which fewer than ``min_live`` of the documents are still live (the others
        were re-parsed into later batches or dropped) into new batches, so the store stays within about
        1 / ``min_live`` of its live size and a year's read skips little dead data. Returns the documents moved."""
        self.commit()
        sparse = [batch for batch, in self._db().execute(
            "SELECT b.batch FROM batches b LEFT JOIN docs d ON d.batch = b.batch GROUP BY b.batch "
            "HAVING count(d.url) < b.documents * ?", (min_live,))]
        moved = 0
        for batch in sparse:
            entries = self._batch_entries(batch)
            for url, result in _batch_results(self.root, batch, sorted(entries)):
                e = entries[url]
                self._pending[url] = (e["sha256"], e["parser_version"], result, e["summary"])
                moved += 1
            if len(self._pending) >= self.batch_size:
                self.commit()
        self.commit()
        return moved

    def _batch_entries(self, batch: str) -> dict[str, dict]:
        urls = [u for (u,) in self._db().execute("SELECT url FROM docs WHERE batch = ?", (batch,))]
        return self.entries(urls)

    # -- reading results -----------------------------------------------------------------------------
    def get(self, url: str) -> dict | None:
        """The stored result of one URL (a pending one included), or None."""
        if url in self._pending:
            return self._pending[url][2]
        return next(iter(self._read(self.entries([url]))), (None, None))[1]

    def report_of(self, url: str) -> dict | None:
        """Only the report record of one URL (an attachment's parent page): no facts or checks read."""
        if url in self._pending:
            return self._pending[url][2].get("report")
        entry = self.entry(url)
        if entry is None:
            return None
        docs = _read_live("documents", self.root, entry["batch"], [url], ["url", "report"])
        rows = docs.to_pylist() if docs is not None else []
        return json.loads(rows[0]["report"]) if rows else None

    def results(self, urls: Iterable[str]) -> Iterator[dict]:
        """The results of ``urls`` in their order (those that have one), read a thousand at a time."""
        chunk: list[str] = []
        for url in urls:
            chunk.append(url)
            if len(chunk) >= _PAGE:
                yield from self._in_order(chunk)
                chunk = []
        yield from self._in_order(chunk)

    def _in_order(self, urls: list[str]) -> Iterator[dict]:
        found = dict(self._read(self.entries(u for u in urls if u not in self._pending)))
        for url in urls:
            res = self._pending[url][2] if url in self._pending else found.get(url)
            if res is not None:
                yield res

    def _read(self, entries: dict[str, dict]) -> Iterator[tuple[str, dict]]:
        """(url, result) of indexed documents, one batch file set at a time."""
        by_batch: dict[str, list[str]] = defaultdict(list)
        for url, entry in entries.items():
            by_batch[entry["batch"]].append(url)
        for batch in sorted(by_batch):
            yield from _batch_results(self.root, batch, sorted(by_batch[batch]))

    def _year_batches(self, year: int) -> Iterator[tuple[str, list[str], bool]]:
        """(batch, the year's live URLs in it, whether they are all of its documents) per batch."""
        batch_urls: dict[str, list[str]] = defaultdict(list)
        for url, batch in self._db().execute("SELECT url, batch FROM docs WHERE report_year = ? ORDER BY batch, url",
                                             (int(year),)):
            batch_urls[batch].append(url)
        sizes = dict(self._db().execute("SELECT batch, documents FROM batches"))
        for batch, urls in batch_urls.items():
            yield batch, urls, sizes.get(batch) == len(urls)

    def iter_year(self, year: int) -> Iterator[dict]:
        """Every stored result whose report year is ``year``, batch by batch (see the module docstring);
        the caller filters out documents no longer in the manifest (``pipeline.publish.stored_documents``)."""
        for batch, urls, _ in self._year_batches(year):
            for _, res in _batch_results(self.root, batch, urls):
                yield res

    def year_tables(self, year: int, table: str, columns: list[str] | None = None) -> Iterator[pa.Table]:
        """The live rows of ``table`` (documents / facts / checks) of one report year, one Arrow table per
        batch; only ``columns`` (with ``url``) are read when given. A batch whose documents are all live and
        of the year is read as it is (the usual case), others are filtered by URL. The index is read at the
        call, the files as the tables are taken."""
        if columns is not None and "url" not in columns:
            columns = ["url", *columns]
        return self._read_batches(table, list(self._year_batches(year)), columns)  # the index read now

    def _read_batches(self, table: str, batches: list[tuple[str, list[str], bool]],
                      columns: list[str] | None) -> Iterator[pa.Table]:
        """The files as they are iterated (no index access: another thread may consume them)."""
        for batch, urls, whole in batches:
            found = _read_live(table, self.root, batch, None if whole else urls, columns)
            if found is not None and found.num_rows:
                yield found


def _year(result: dict) -> int | None:
    year = (result.get("report") or {}).get("report_year")
    return int(year) if year not in (None, "") else None


def _write(path: Path, table: pa.Table) -> None:
    """Write atomically: a temporary file renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{path.name}")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


def _rows_table(table: str, results: Iterable[tuple[str, list[dict] | None]]) -> pa.Table:
    """Facts or checks of several results as one typed table (see the module docstring: ``_absent``, ``_extra``)."""
    columns = ROW_COLUMNS[table]
    names = {name for name, _ in columns}
    urls, ords, absent, extra = [], [], [], []
    values: dict[str, list] = {name: [] for name, _ in columns}
    for url, rows in results:
        for i, row in enumerate(rows or []):
            urls.append(url)
            ords.append(i)
            mask = 0
            others = {k: v for k, v in row.items() if k not in names}
            for bit, (name, kind) in enumerate(columns):
                value = row.get(name)
                if isinstance(value, bool) and kind != pa.bool_():  # Arrow would make True 1.0
                    others[name] = value
                    value = None
                if name not in row or name in others:
                    mask |= 1 << bit
                values[name].append(value)
            absent.append(mask)
            extra.append(others or None)
    arrays = {}
    for bit, (name, kind) in enumerate(columns):
        try:
            arrays[name] = pa.array(values[name], kind)
        except (pa.ArrowException, TypeError, ValueError, OverflowError):  # a value outside its column's type
            fitted = []
            for i, v in enumerate(values[name]):
                try:
                    pa.array([v], kind)
                except (pa.ArrowException, TypeError, ValueError, OverflowError):
                    extra[i] = {**(extra[i] or {}), name: v}
                    absent[i] |= 1 << bit
                    v = None
                fitted.append(v)
            arrays[name] = pa.array(fitted, kind)
    return pa.table({"url": pa.array(urls, pa.string()), "ord": pa.array(ords, pa.int32()), **arrays,
                     "_absent": pa.array(absent, pa.int64()),
                     "_extra": pa.array([_dumps(e) if e else None for e in extra], pa.string())},
                    schema=ROW_SCHEMAS[table])


def _read_live(table: str, root: Path, batch: str, urls: list[str] | None,
               columns: list[str] | None = None) -> pa.Table | None:
    """The rows of ``urls`` (all when None) in one batch file of ``table`` (None when the file is gone)."""
    path = root / table / f"{batch}.parquet"
    try:
        data = pq.read_table(path, columns=columns)
    except FileNotFoundError:
        return None
    return data if urls is None else data.filter(pc.is_in(data["url"], value_set=pa.array(urls, pa.string())))


def _rows_of(table: pa.Table | None, name: str) -> dict[str, list[dict]]:
    """url → its facts/checks as dicts, in stored order, exactly as put."""
    out: dict[str, list[dict]] = defaultdict(list)
    if table is None:
        return out
    columns = [n for n, _ in ROW_COLUMNS[name]]
    for row in table.sort_by([("url", "ascending"), ("ord", "ascending")]).to_pylist():
        mask = row["_absent"]
        rec = {n: row[n] for bit, n in enumerate(columns) if not mask >> bit & 1}
        if row["_extra"]:
            rec.update(json.loads(row["_extra"]))
        out[row["url"]].append(rec)
    return out


def _batch_results(root: Path, batch: str, urls: list[str]) -> Iterator[tuple[str, dict]]:
    docs = _read_live("documents", root, batch, urls, ["url", "report"])
    if docs is None:
        log.warning("parsed batch %s is gone: its documents will be parsed again", batch)
        return
    facts = _rows_of(_read_live("facts", root, batch, urls), "facts")
    checks = _rows_of(_read_live("checks", root, batch, urls), "checks")
    for row in sorted(docs.to_pylist(), key=lambda r: r["url"]):
        yield row["url"], {"report": json.loads(row["report"]), "facts": facts.get(row["url"], []),
                           "checks": checks.get(row["url"], [])}
