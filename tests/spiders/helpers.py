"""Run a real crawl (``python -m spiders.run`` in a child process) against an in-process demo server."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources
from pathlib import Path

from pipeline.manifest import read_rows

ARCHETYPES = str(resources.files("nianbao.demo_portal").joinpath("archetypes.yaml"))
ROOT = Path(__file__).resolve().parents[2]


def crawl(server, data: Path, run_id: str, *, registry: str = ARCHETYPES, portals: list[str] = (),
          backfill_to: int | None = None, proxy: bool = True) -> dict:
    """One crawl; returns {'stats', 'requests' (demo-server requests made by it), 'rows' (its manifest rows)}."""
    before = len(server.portal.requests)
    stats_out = data / f"{run_id}.stats.json"
    cmd = [sys.executable, "-m", "spiders.run", "--registry", registry, "--data", str(data), "--run-id", run_id,
           "--stats-out", str(stats_out)]
    if proxy:
        cmd += ["--proxy", server.proxy_url]
    for pid in portals:
        cmd += ["--portal", pid]
    if backfill_to:
        cmd += ["--backfill-to", str(backfill_to)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    rows = _run_rows(data, run_id)
    return {"stats": json.loads(stats_out.read_text(encoding="utf-8")), "requests": server.portal.requests[before:],
            "rows": rows, "stderr": proc.stderr, "stdout": proc.stdout}


def _run_rows(data: Path, run_id: str) -> list[dict]:
    path = data / "manifest" / f"{run_id}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def all_rows(data: Path) -> list[dict]:
    return list(read_rows(data))
