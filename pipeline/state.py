"""The current state of the crawl manifest: one row per URL (its latest manifest row), kept up to date
incrementally so that reading it costs in proportion to what was appended, not to the whole history.

The manifest (``<data>/manifest/<run>.jsonl``) is an append-only history: a year of nightly crawls over
thousands of portals is millions of lines, most of them "unchanged". Readers that only need the latest
row of each URL (the spiders' start, the parse step, coverage, ``nianbao verify``) read this table instead:
``<data>/state/manifest.sqlite`` (SQLite in WAL mode: indexed by URL and by portal, safe for concurrent
readers and one writer at a time, in the standard library).

How it stays current: for every manifest file the byte offset up to which it has been read (always the
end of a complete line) is recorded; each read first ingests the lines appended since, in one
transaction. "Latest row wins" means what :func:`pipeline.manifest.latest_by_url` over
:func:`pipeline.manifest.read_rows` means (files in name order, lines in file order): every row keeps its
position (file name, offset) and replaces the stored one only from a later position, so a run file that
appears late but sorts early does not win. The table is rebuilt from the whole history when it is
missing, unreadable, of another layout version, or when a manifest file shrank or disappeared (history
was rewritten). Rejected lines (see :func:`pipeline.manifest.parse_line`) are kept as problems for
``nianbao verify``; an incomplete last line (a crawl still writing, or a crash) is left for the next read.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import closing
from pathlib import Path

from .manifest import ManifestProblem, manifest_dir, parse_line

log = logging.getLogger(__name__)

STORED_OUTCOMES = ("stored", "unchanged")  # the bytes of the URL's latest fetch are in the raw store
STORED_KINDS = ("report", "attachment")  # documents the parse step reads (listings are not)
LAYOUT = 1  # bump when the tables below change: an older file is rebuilt from the history
_CHUNK = 5000  # rows per executemany while ingesting
_PAGE = 2000  # rows per keyset page when streaming


def state_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / "state" / "manifest.sqlite"


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS files (name TEXT PRIMARY KEY, offset INTEGER NOT NULL, lines INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS current (
    url TEXT PRIMARY KEY, portal_id TEXT, outcome TEXT, kind TEXT, sha256 TEXT,
    file TEXT NOT NULL, pos INTEGER NOT NULL, row TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS current_portal ON current (portal_id);
CREATE TABLE IF NOT EXISTS problems (file TEXT NOT NULL, line INTEGER NOT NULL, problem TEXT NOT NULL,
                                     PRIMARY KEY (file, line)) WITHOUT ROWID;
"""

# A row from a later position (file name, then byte offset) replaces the stored one; an earlier one never does.
_UPSERT = """
INSERT INTO current (url, portal_id, outcome, kind, sha256, file, pos, row) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (url) DO UPDATE SET portal_id = excluded.portal_id, outcome = excluded.outcome, kind = excluded.kind,
    sha256 = excluded.sha256, file = excluded.file, pos = excluded.pos, row = excluded.row
WHERE excluded.file > current.file OR (excluded.file = current.file AND excluded.pos >= current.pos)
"""


class ManifestState:
    """The url-keyed current-state table of one data directory (see the module docstring)."""

    def __init__(self, data_dir: str | Path) -> None:
        self.data_dir = Path(data_dir)
        self.path = state_path(data_dir)

    # -- keeping it current ----------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=300, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def _open(self) -> sqlite3.Connection:
        """A connection to a usable table of the current layout; a damaged or outdated file is removed."""
        try:
            conn = self._connect()
            conn.executescript(_SCHEMA)
            layout = conn.execute("SELECT value FROM meta WHERE key = 'layout'").fetchone()
            if layout is None:
                if conn.execute("SELECT count(*) FROM files").fetchone()[0]:
                    raise sqlite3.DatabaseError("no layout recorded")
                conn.execute("INSERT OR REPLACE INTO meta VALUES ('layout', ?)", (str(LAYOUT),))
            elif layout[0] != str(LAYOUT):
                raise sqlite3.DatabaseError(f"layout {layout[0]}, expected {LAYOUT}")
            return conn
        except sqlite3.DatabaseError as exc:
            log.warning("manifest state %s unusable (%s): rebuilt from the manifest history", self.path, exc)
            try:
                conn.close()
            except (NameError, sqlite3.Error):
                pass
            self._remove()
            conn = self._connect()
            conn.executescript(_SCHEMA)
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('layout', ?)", (str(LAYOUT),))
            return conn

    def _remove(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def refresh(self) -> int:
        """Ingest the manifest lines appended since the last read; returns how many lines were read."""
        folder = manifest_dir(self.data_dir)
        files = sorted(folder.glob("*.jsonl")) if folder.is_dir() else []
        sizes = {p.name: p.stat().st_size for p in files}
        with closing(self._open()) as conn:
            if _up_to_date(conn, sizes):
                return 0
            conn.execute("PRAGMA cache_size=-65536")  # 64 MB of pages while ingesting (default 2 MB)
            conn.execute("BEGIN IMMEDIATE")  # one writer at a time; a second one then sees the first's work
            try:
                known = {name: (offset, lines) for name, offset, lines in conn.execute("SELECT * FROM files")}
                if any(name not in sizes or sizes[name] < offset for name, (offset, _) in known.items()):
                    log.warning("manifest history rewritten (a file shrank or disappeared): state rebuilt")
                    for table in ("files", "current", "problems"):
                        conn.execute(f"DELETE FROM {table}")
                    known = {}
                read = 0
                for path in files:
                    offset, lines = known.get(path.name, (0, 0))
                    if sizes[path.name] > offset:
                        read += self._ingest(conn, path, offset, lines)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return read

    @staticmethod
    def _ingest(conn: sqlite3.Connection, path: Path, offset: int, lines: int) -> int:
        """Rows of ``path`` from ``offset`` up to its last complete line, into ``current`` and ``problems``."""
        pending: list[tuple] = []
        problems: list[tuple] = []
        read = 0
        with path.open("rb") as fh:
            fh.seek(offset)
            for raw in fh:
                if not raw.endswith(b"\n"):
                    break  # incomplete: a writer is still on it, or it will be closed by the next writer
                pos, offset = offset, offset + len(raw)
                lines += 1
                read += 1
                if not raw.strip():
                    continue
                row, why = parse_line(raw)
                if row is None:
                    log.warning("manifest line rejected: %s:%d: %s", path, lines, why)
                    problems.append((path.name, lines, why))
                    continue
                sha = row.get("sha256")
                pending.append((row["url"], _text(row.get("portal_id")), _text(row.get("outcome")),
                                _text(row.get("kind")), _text(sha), path.name, pos, raw.decode("utf-8").rstrip("\n")))
                if len(pending) >= _CHUNK:
                    conn.executemany(_UPSERT, pending)
                    pending = []
        conn.executemany(_UPSERT, pending)
        conn.executemany("INSERT OR REPLACE INTO problems VALUES (?, ?, ?)", problems)
        conn.execute("INSERT OR REPLACE INTO files VALUES (?, ?, ?)", (path.name, offset, lines))
        return read

    # -- reading -------------------------------------------------------------------------------------
    def _pages(self, where: str = "", args: tuple = ()) -> Iterator[dict]:
        """Current rows matching ``where`` in URL order, fetched in keyset pages (no long transaction)."""
        self.refresh()
        last = ""
        cond = f"url > ? {'AND ' + where if where else ''}"
        with closing(self._connect()) as conn:
            while True:
                page = conn.execute(f"SELECT url, row FROM current WHERE {cond} ORDER BY url LIMIT {_PAGE}",
                                    (last, *args)).fetchall()
                for _, row in page:
                    yield json.loads(row)
                if len(page) < _PAGE:
                    return
                last = page[-1][0]

    def rows(self, portal_id: str | None = None) -> Iterator[dict]:
        """The latest row of every URL (of one portal), in URL order."""
        return self._pages("portal_id = ?", (portal_id,)) if portal_id is not None else self._pages()

    def stored(self, kind: str | None = None) -> Iterator[dict]:
        """Current rows of documents whose bytes are stored (see :func:`is_stored`), or only those of one
        ``kind``, in URL order."""
        outcomes = STORED_OUTCOMES
        kinds = (kind,) if kind else STORED_KINDS
        where = (f"outcome IN ({','.join('?' * len(outcomes))}) AND sha256 IS NOT NULL AND sha256 != '' "
                 f"AND kind IN ({','.join('?' * len(kinds))})")
        return self._pages(where, (*outcomes, *kinds))

    def get(self, url: str) -> dict | None:
        """The latest manifest row of ``url`` (None if it was never in the manifest)."""
        self.refresh()
        with closing(self._connect()) as conn:
            found = conn.execute("SELECT row FROM current WHERE url = ?", (url,)).fetchone()
        return json.loads(found[0]) if found else None

    def get_many(self, urls: Iterable[str]) -> dict[str, dict]:
        """url → latest row for those of ``urls`` that are in the manifest (no refresh: call after one)."""
        out: dict[str, dict] = {}
        urls = list(urls)
        with closing(self._connect()) as conn:
            for i in range(0, len(urls), 500):
                chunk = urls[i:i + 500]
                for url, row in conn.execute(
                        f"SELECT url, row FROM current WHERE url IN ({','.join('?' * len(chunk))})", chunk):
                    out[url] = json.loads(row)
        return out

    def stored_per_portal(self, exclude_run: str | None = None) -> dict[str, int]:
        """portal → URLs whose latest row says their bytes are stored, leaving out the URLs whose latest row
        was written by the run ``exclude_run``."""
        self.refresh()
        with closing(self._connect()) as conn:
            found = conn.execute(
                f"SELECT portal_id, count(*) FROM current WHERE outcome IN ({','.join('?' * len(STORED_OUTCOMES))}) "
                "AND sha256 IS NOT NULL AND file != ? GROUP BY portal_id",
                (*STORED_OUTCOMES, f"{exclude_run}.jsonl" if exclude_run else "")).fetchall()
        return {portal or "": n for portal, n in found if n > 0}

    def files_of(self, portal_ids: Iterable[str]) -> set[str]:
        """Stems of the manifest files holding the latest row of some URL of these portals: the runs that
        last touched them (a portal never crawled has none), so a reader of "the last crawl" opens only those."""
        self.refresh()
        ids = sorted(set(portal_ids))
        out: set[str] = set()
        with closing(self._connect()) as conn:
            for i in range(0, len(ids), 500):
                chunk = ids[i:i + 500]
                out.update(Path(f).stem for (f,) in conn.execute(
                    f"SELECT DISTINCT file FROM current WHERE portal_id IN ({','.join('?' * len(chunk))})", chunk))
        return out

    def count(self) -> int:
        self.refresh()
        with closing(self._connect()) as conn:
            return conn.execute("SELECT count(*) FROM current").fetchone()[0]

    def problems(self) -> list[ManifestProblem]:
        """Rejected manifest lines (file and line number), and an incomplete last line of any file."""
        self.refresh()
        folder = manifest_dir(self.data_dir)
        with closing(self._connect()) as conn:
            found = [ManifestProblem(folder / name, line, why)
                     for name, line, why in conn.execute("SELECT * FROM problems ORDER BY file, line")]
            ends = list(conn.execute("SELECT name, offset, lines FROM files"))
        for name, offset, lines in ends:
            path = folder / name
            if path.exists() and path.stat().st_size > offset:
                found.append(ManifestProblem(path, lines + 1, "not JSON (a partial last line)"))
        return found


def is_stored(row: dict | None) -> bool:
    """A current row whose document's bytes are in the raw store: what the parse step reads."""
    return (row is not None and row.get("outcome") in STORED_OUTCOMES and isinstance(row.get("sha256"), str)
            and bool(row["sha256"]) and row.get("kind") in STORED_KINDS)


def _up_to_date(conn: sqlite3.Connection, sizes: dict[str, int]) -> bool:
    """Every manifest file known and read to its end: nothing to ingest, no write lock taken."""
    known = dict(conn.execute("SELECT name, offset FROM files"))
    return known.keys() == sizes.keys() and all(sizes[name] == offset for name, offset in known.items())


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def current_rows(data_dir: str | Path, portal_id: str | None = None) -> Iterator[dict]:
    """The latest manifest row of every URL (of one portal), in URL order: what
    ``latest_by_url(read_rows(data_dir)).values()`` gives, at the cost of the lines appended since the last read."""
    return ManifestState(data_dir).rows(portal_id)


def get(data_dir: str | Path, url: str) -> dict | None:
    """The latest manifest row of one URL."""
    return ManifestState(data_dir).get(url)
