"""The crawl manifest: one JSON line per fetch outcome, appended by the crawler, read by the pipeline.

A row records what was asked (url, portal), what came back (status, charsets, sha256, title, publish
date from the page meta) and what became of it (``outcome``: stored, unchanged, failed, blocked,
robots, too_large, not_found, withdrawn, timeout, refused, offsite, offsite_redirect, truncated, abandoned,
url_too_long), and for reports what changed since the last
crawl (``change``: new, changed, reissued, withdrawn). Files are per crawl run (``<data>/manifest/<run>.jsonl``)
so concurrent or crashed runs never corrupt each other; readers take the union.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

# Outcomes after which a URL is not fetched again by an incremental crawl.
DONE_OUTCOMES = frozenset({"stored", "unchanged"})
# Outcomes that the next crawl asks again (every discovered URL must end stored or explained). ``too_large``
# is not one: it is asked again only once DOWNLOAD_MAXSIZE is raised above the limit it was refused at;
# ``offsite_redirect`` (a redirect to a host the portal does not own) is explained, not retried; nor is
# ``url_too_long`` (a link over URLLENGTH_LIMIT, never fetched) until the limit is raised. ``abandoned`` (a
# request issued in several runs that each died with it in flight) is retried, backed off like ``timeout``.
RETRY_OUTCOMES = frozenset({"failed", "timeout", "blocked", "robots", "not_found", "refused", "truncated",
                            "abandoned"})


@dataclass
class ManifestRow:
    url: str
    portal_id: str
    fetched_at: str  # ISO 8601 UTC
    outcome: str
    kind: str = "report"  # report / attachment / listing
    status: int | None = None
    content_type: str | None = None
    declared_charset: str | None = None
    detected_charset: str | None = None
    sha256: str | None = None
    raw_path: str | None = None
    size: int | None = None
    title: str | None = None
    publish_date: str | None = None
    listing_url: str | None = None
    parent_url: str | None = None
    change: str | None = None  # new / changed / reissued / withdrawn (incremental crawl)
    column: str | None = None  # the column (seed/listing root) the URL was found in
    listing_date: str | None = None  # the date the listing showed next to it (a newer one means "changed")
    reason: str | None = None
    extra: dict = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)


def manifest_dir(data_dir: str | Path) -> Path:
    return Path(data_dir) / "manifest"


@dataclass(frozen=True)
class ManifestProblem:
    path: Path
    line: int
    problem: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.problem}"


def rows_of(path: Path, problems: list[ManifestProblem] | None = None) -> Iterator[dict]:
    """The rows of one manifest file. A line that is not a JSON object with a string ``url`` is rejected
    (logged with its file and line number, and added to ``problems``), never handed on: a crashed writer
    leaves a partial last line, a hand edit can leave ``[]`` or ``"x"``."""
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            row, why = parse_line(raw)
            if row is not None:
                yield row
                continue
            problem = ManifestProblem(path, number, why)
            log.warning("manifest line rejected: %s", problem)
            if problems is not None:
                problems.append(problem)


def parse_line(raw: bytes) -> tuple[dict | None, str]:
    """(the row, "") of one manifest line, or (None, why it is rejected): shared by :func:`rows_of` and
    the incremental reader of ``pipeline.state``."""
    try:
        row = json.loads(raw)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        return None, "not JSON (a partial last line)" if not raw.endswith(b"\n") else f"not JSON ({exc})"
    if isinstance(row, dict) and isinstance(row.get("url"), str):
        return row, ""
    return None, "not a row (a JSON object with a url)" if isinstance(row, dict) else \
        f"not a JSON object ({type(row).__name__})"


def read_rows(data_dir: str | Path, problems: list[ManifestProblem] | None = None) -> Iterator[dict]:
    """Every manifest row of every run, oldest run first; rejected lines are logged (file and line) and
    skipped, not fatal (see :func:`rows_of`)."""
    folder = manifest_dir(data_dir)
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*.jsonl")):
        yield from rows_of(path, problems)


def latest_by_url(rows: Iterable[dict]) -> dict[str, dict]:
    """The latest row per URL (rows come oldest first)."""
    latest: dict[str, dict] = {}
    for row in rows:
        latest[row["url"]] = row
    return latest


class ManifestWriter:
    """Appends rows to this run's manifest file, flushing each line so a crash loses at most one row."""

    def __init__(self, data_dir: str | Path, run_id: str) -> None:
        folder = manifest_dir(data_dir)
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"{run_id}.jsonl"
        self._fh = self.path.open("a", encoding="utf-8")
        if self._fh.tell() and not _ends_with_newline(self.path):
            self._fh.write("\n")  # a crash left a partial last line: it must not swallow the next row
            self._fh.flush()

    def write(self, row: ManifestRow) -> None:
        self._fh.write(row.to_json() + "\n")
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as fh:
        fh.seek(-1, 2)
        return fh.read(1) == b"\n"
