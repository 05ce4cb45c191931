"""The crawl manifest: one JSON line per fetch outcome, appended by the crawler, read by the pipeline.

A row records what was asked (url, portal), what came back (status, charsets, sha256, title, publish
date from the page meta) and what became of it (``outcome``: stored, unchanged, failed, blocked,
robots, too_large, not_found, withdrawn, timeout, refused, offsite), and for reports what changed since the last
crawl (``change``: new, changed, reissued, withdrawn). Files are per crawl run (``<data>/manifest/<run>.jsonl``)
so concurrent or crashed runs never corrupt each other; readers take the union.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

# Outcomes after which a URL is not fetched again by an incremental crawl.
DONE_OUTCOMES = frozenset({"stored", "unchanged"})
# Outcomes that the next crawl asks again (every discovered URL must end stored or explained).
RETRY_OUTCOMES = frozenset({"failed", "timeout", "blocked", "robots", "too_large", "not_found", "refused"})


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


def read_rows(data_dir: str | Path) -> Iterator[dict]:
    """Every manifest row of every run, oldest run first; unreadable lines are skipped, not fatal."""
    folder = manifest_dir(data_dir)
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                line = line.strip()
                if not line:
                    continue
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    continue


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

    def write(self, row: ManifestRow) -> None:
        self._fh.write(row.to_json() + "\n")
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()
