"""``nianbao verify``: check a data directory's raw store and crawl manifest end to end.

Every raw file must hash to its name; every manifest line must be a row; every URL whose latest row says
its bytes are stored must find them intact. The manifest is read through its current-state table
(``pipeline.state``: each line is checked once, when it is first read; rejected lines stay listed). One line per problem, a summary, and exit status 1 when
anything is wrong. ``--repair`` asks the next crawl to download again every document whose bytes are
missing or corrupt (a ``failed`` manifest row; storing the same bytes again replaces the corrupt file)
and removes temporary files a crashed write left behind.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime
from pathlib import Path

from . import EXIT_BAD_INPUT, err

EXIT_PROBLEMS = 1
STALE_TEMP_SECONDS = 3600  # a temporary file younger than this may belong to a crawl still writing it


def cmd_verify(args: argparse.Namespace) -> int:
    from pipeline.locations import raw_root
    from pipeline.manifest import DONE_OUTCOMES
    from pipeline.rawstore import RawStore
    from pipeline.state import ManifestState

    data = Path(args.data)
    if not data.is_dir():
        err(f"{data}: no such data directory")
        return EXIT_BAD_INPUT
    store = RawStore(raw_root(data))  # <data>/raw, or NIANBAO_RAW_URI (object storage)
    store_problems = list(store.check())
    bad_files = {p.path for p in store_problems if p.problem == "corrupt"}
    state = ManifestState(data)  # the latest row per URL, current with every manifest line; rejected lines kept
    manifest_problems = state.problems()
    lost: list[tuple[dict, str]] = []
    n_urls = 0
    for row in state.rows():
        n_urls += 1
        if row.get("outcome") not in DONE_OUTCOMES or not row.get("sha256"):
            continue
        found = store.candidates(row["sha256"])
        if not found:
            lost.append((row, "missing"))
        elif all(path in bad_files for path in found):
            lost.append((row, "corrupt"))
    for problem in store_problems:
        print(f"{problem.problem}\t{problem.path}")
    for mp in manifest_problems:
        print(f"manifest\t{mp}")
    for row, why in lost:
        print(f"{why}\t{row['url']}\t{row['sha256']}")
    n_raw = sum(1 for _ in store.files())
    total = len(store_problems) + len(manifest_problems) + len(lost)
    print(f"verify: {n_raw} raw files, {n_urls} URLs in the manifest; {len(bad_files)} corrupt files, "
          f"{len(manifest_problems)} rejected manifest lines, {len(lost)} stored documents missing or corrupt")
    if args.repair:
        _repair(data, lost, [p.path for p in store_problems if p.problem == "temporary"])
    return EXIT_PROBLEMS if total else 0


def _repair(data: Path, lost: list[tuple[dict, str]], temporary: list[Path]) -> None:
    from pipeline.manifest import ManifestRow, ManifestWriter

    now = datetime.now(UTC)
    if lost:
        writer = ManifestWriter(data, f"verify-{now.strftime('%Y%m%dT%H%M%SZ')}")
        for row, why in lost:
            writer.write(ManifestRow(
                url=row["url"], portal_id=row.get("portal_id") or "", fetched_at=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                outcome="failed", kind=row.get("kind") or "report", reason=f"raw bytes {why}: download again",
                listing_url=row.get("listing_url"), parent_url=row.get("parent_url"), title=row.get("title"),
                column=row.get("column"), listing_date=row.get("listing_date"),
            ))
        writer.close()
        print(f"repair: {len(lost)} documents will be downloaded again by the next crawl")
    removed = 0
    for path in temporary:
        if time.time() - path.stat().st_mtime > STALE_TEMP_SECONDS:
            path.unlink(missing_ok=True)
            removed += 1
    if removed:
        print(f"repair: removed {removed} temporary files left by crashed writes")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("verify", help="check the raw store's hashes and the crawl manifest of a data directory")
    p.add_argument("--data", default=os.environ.get("NIANBAO_DATA", "data"), help="data directory (default ./data)")
    p.add_argument("--repair", action="store_true",
                   help="have the next crawl download missing or corrupt documents again; remove stale temporary files")
    p.set_defaults(func=cmd_verify)
