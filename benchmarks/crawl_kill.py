"""Kill-and-resume benchmark: crawl the demo portal once cleanly, then crawl it again into a fresh data
directory ``--cycles`` times with a ``SIGKILL`` at a random moment of each run (``kill -9``: no handler,
no flush), then once to the end, and compare what was stored with the clean crawl.

A document is a (URL, sha256) whose latest manifest row is ``stored`` or ``unchanged``; a URL is explained
when it has any manifest row. Prints, as its last line:

    crawl_kill: cycles=<n> killed=<n> missing_documents=<n> unexplained_urls=<n> pending_after=<n>
                clean_documents=<n> clean_s=<n> resume_s=<n>

Each kill comes at a random moment within ``--kill-within`` seconds (default 4) after the run wrote its
first manifest row, so it lands in the crawl rather than in interpreter start-up. ``killed`` counts the
runs that were still crawling when the kill came (a run that finished first is not a kill); ``pending_after`` is what the frontier still holds after the final run (0: nothing left behind);
``resume_s`` is the wall time of the final, uninterrupted run.

The frontier's crash-loop rule (a request in flight at ``NIANBAO_FRONTIER_MAX_ATTEMPTS`` deaths is given up
as ``abandoned`` and asked again a night later) is switched off here by setting that maximum above the
number of kills: every death in this loop is an outside kill, and an innocent request that happened to be
alone in flight at three of them is indistinguishable from one whose response kills the crawler (a CI run
lost one document that way). The rule has its own tests in tests/spiders/test_frontier.py.

The demo registry is used with its download timeout raised to 10 s, so a loaded machine's slow answer is
not taken for a lost document (the slow-response trap is covered by tests/spiders/test_archetypes_e2e.py).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

import yaml

from nianbao.demo_portal.core import DemoServer
from nianbao.demo_portal.sites import build_portal
from pipeline.manifest import DONE_OUTCOMES, latest_by_url, read_rows

ROOT = Path(__file__).resolve().parents[1]
ARCHETYPES = str(resources.files("nianbao.demo_portal").joinpath("archetypes.yaml"))


def patient_registry(path: Path, timeout: float = 10.0, portals: list[str] | None = None) -> Path:
    """The demo archetypes registry with a longer download timeout (and only ``portals``, if given)."""
    data = yaml.safe_load(Path(ARCHETYPES).read_text(encoding="utf-8"))
    data["portals"] = [p for p in data["portals"] if not portals or p["id"] in portals]
    for portal in data["portals"]:
        portal["politeness"] = {**(portal.get("politeness") or {}), "DOWNLOAD_TIMEOUT": timeout}
    data.pop("x-fast", None)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def command(server: DemoServer, registry: Path, data: Path, run_id: str) -> list[str]:
    return [sys.executable, "-m", "spiders.run", "--registry", str(registry), "--data", str(data), "--run-id", run_id,
            "--proxy", server.proxy_url, "--stats-out", str(data / f"{run_id}.stats.json")]


def env(**extra: str) -> dict[str, str]:
    return {**os.environ, "NIANBAO_LOG_LEVEL": "WARNING", **extra}


def complete(server: DemoServer, registry: Path, data: Path, run_id: str, environ: dict[str, str] | None = None
             ) -> float:
    """One crawl to its end; its wall time."""
    started = time.monotonic()
    proc = subprocess.run(command(server, registry, data, run_id), cwd=ROOT, capture_output=True, text=True,
                          env=environ or env(), timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"crawl {run_id} exited {proc.returncode}: {proc.stderr[-2000:]}")
    return time.monotonic() - started


def killed(server: DemoServer, registry: Path, data: Path, run_id: str, after: float,
           environ: dict[str, str] | None = None) -> bool:
    """One crawl, SIGKILLed ``after`` seconds after it wrote its first manifest row (so the kill lands in
    the crawl, not in interpreter start-up); True if it was still running when killed."""
    proc = subprocess.Popen(command(server, registry, data, run_id), cwd=ROOT, env=environ or env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    manifest = data / "manifest" / f"{run_id}.jsonl"
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline and not (manifest.exists() and manifest.stat().st_size):
        time.sleep(0.02)
    try:
        proc.wait(timeout=after)
        return False
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        return True


def documents(data: Path) -> dict[str, str]:
    """URL → sha256 of every document the data directory holds."""
    return {url: row["sha256"] for url, row in latest_by_url(read_rows(data)).items()
            if row.get("outcome") in DONE_OUTCOMES and row.get("sha256")}


def explained(data: Path) -> set[str]:
    return {row["url"] for row in read_rows(data)}


def pending(data: Path) -> int:
    total = 0
    for path in sorted((data / "frontier").glob("*.sqlite")):
        with sqlite3.connect(path) as db:
            total += db.execute("SELECT count(*) FROM pending").fetchone()[0]
    return total


def kill_loop(cycles: int, seed: int = 0, portals: list[str] | None = None, work: Path | None = None,
              kill_between: tuple[float, float] | None = None) -> dict:
    """Clean crawl, ``cycles`` killed crawls, one final crawl; the comparison."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        base = work or Path(tmp)
        registry = patient_registry(base / "registry.yaml", portals=portals)
        with DemoServer(build_portal()) as server:
            clean_dir, kill_dir = base / "clean", base / "killed"
            outside_kills = env(NIANBAO_FRONTIER_MAX_ATTEMPTS=str(cycles + 2))  # see the module docstring
            clean_s = complete(server, registry, clean_dir, "clean")
            low, high = kill_between or (0.0, 4.0)
            kills = sum(killed(server, registry, kill_dir, f"k{i:02d}", rng.uniform(low, high), outside_kills)
                        for i in range(cycles))
            resume_s = complete(server, registry, kill_dir, "final", outside_kills)
            clean, after = documents(clean_dir), documents(kill_dir)
            missing = sorted(url for url, sha in clean.items() if after.get(url) != sha)
            unexplained = sorted(explained(clean_dir) - explained(kill_dir))
            return {"cycles": cycles, "killed": kills, "missing_documents": len(missing),
                    "unexplained_urls": len(unexplained), "pending_after": pending(kill_dir),
                    "clean_documents": len(clean), "clean_s": round(clean_s, 1), "resume_s": round(resume_s, 1),
                    "missing": missing[:20], "unexplained": unexplained[:20]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--portal", action="append", default=[], help="portal id (repeatable; default all)")
    parser.add_argument("--kill-within", type=float, default=4.0,
                        help="kill at a random moment this many seconds after the run's first manifest row")
    parser.add_argument("--work", type=Path, help="keep the data directories here (default: a temporary one)")
    parser.add_argument("--quick", action="store_true", help="3 cycles, each killed within 2 s (under a minute)")
    args = parser.parse_args(argv)
    if args.quick:
        args.cycles, args.kill_within = min(args.cycles, 3), min(args.kill_within, 2.0)
    if args.work:
        args.work.mkdir(parents=True, exist_ok=True)
    result = kill_loop(args.cycles, args.seed, args.portal or None, work=args.work,
                       kill_between=(0.0, args.kill_within))
    if result["missing"] or result["unexplained"]:
        print(json.dumps({"missing": result["missing"], "unexplained": result["unexplained"]}, ensure_ascii=False))
    figures = {k: v for k, v in result.items() if k not in ("missing", "unexplained")}
    print("crawl_kill: " + " ".join(f"{k}={v}" for k, v in figures.items()))
    return 0 if not (result["missing_documents"] or result["unexplained_urls"] or result["pending_after"]) else 1


if __name__ == "__main__":
    sys.exit(main())
