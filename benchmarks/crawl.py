"""Crawl benchmark: the full spider stack (every family, middlewares, manifest, raw store) against the demo
portal with politeness off and every trap on, next to ``scrapy bench`` on the same machine in the same run.

It starts the demo portal itself, crawls all archetypes twice (the second crawl measures the incremental
cost), scores the first crawl against the truth manifest and prints, as its last line:

    crawl: recall=<0..1> precision=<0..1> recrawl_ratio=<n> pages_per_s=<n> bench_ratio=<n> peak_rss_mb=<n>

``pages_per_s`` counts every response the crawl received over the longest crawler's elapsed time (Scrapy's
own clock, as ``scrapy bench`` reports), so interpreter start-up is excluded from both.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

from nianbao.demo_portal.core import DemoServer
from nianbao.demo_portal.score import score
from nianbao.demo_portal.sites import build_portal
from pipeline.manifest import read_rows

ROOT = Path(__file__).resolve().parents[1]
ARCHETYPES = str(resources.files("nianbao.demo_portal").joinpath("archetypes.yaml"))


def crawl(server: DemoServer, data: Path, run_id: str) -> dict:
    stats_out = data / f"{run_id}.stats.json"
    before = len(server.portal.requests)
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "spiders.run", "--registry", ARCHETYPES, "--data", str(data),
                    "--run-id", run_id, "--proxy", server.proxy_url, "--stats-out", str(stats_out)],
                   cwd=ROOT, check=True, capture_output=True, env={**os.environ, "NIANBAO_LOG_LEVEL": "WARNING"})
    stats = json.loads(stats_out.read_text(encoding="utf-8"))
    responses = sum(int(st.get("response_received_count", 0)) for st in stats.values())
    elapsed = max(float(st.get("elapsed_time_seconds", 0)) for st in stats.values())
    return {"requests": len(server.portal.requests) - before, "responses": responses, "elapsed": elapsed,
            "wall": time.monotonic() - started}


def scrapy_bench(seconds: int) -> float:
    """Pages per second of ``scrapy bench`` (its own local server and link-following spider)."""
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run([sys.executable, "-m", "scrapy", "bench", "-s", f"CLOSESPIDER_TIMEOUT={seconds}",
                               "-s", "LOG_LEVEL=INFO"], cwd=tmp, capture_output=True, text=True, timeout=seconds + 60)
    log = proc.stderr + proc.stdout
    count = re.search(r"'response_received_count': (\d+)", log)
    elapsed = re.search(r"'elapsed_time_seconds': ([\d.]+)", log)
    if not (count and elapsed):
        raise RuntimeError(f"scrapy bench gave no stats:\n{log[-2000:]}")
    return int(count.group(1)) / float(elapsed.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one timed crawl and a 5 s scrapy bench (< 1 min)")
    args = parser.parse_args(argv)
    rounds, bench_seconds = (1, 5) if args.quick else (3, 10)
    portal = build_portal()
    rates = []
    with DemoServer(portal) as server, tempfile.TemporaryDirectory() as tmp:
        for i in range(rounds):
            data = Path(tmp) / f"round{i}"
            first = crawl(server, data, "first")
            rates.append(first["responses"] / first["elapsed"])
            if i == 0:
                result = score(portal.truth(), list(read_rows(data)))
                second = crawl(server, data, "second")
                recrawl = second["requests"] / first["requests"]
                print(f"first crawl: {first['requests']} requests, {first['responses']} responses in "
                      f"{first['elapsed']:.1f} s ({first['wall']:.1f} s wall); second crawl: {second['requests']} requests")
    peak_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    bench = scrapy_bench(bench_seconds)
    ours = max(rates)
    print(f"scrapy bench: {bench:.1f} pages/s; nianbao: {ours:.1f} pages/s (best of {rounds})")
    print(f"crawl: recall={result.recall:.3f} precision={result.precision:.3f} recrawl_ratio={recrawl:.4f} "
          f"pages_per_s={ours:.1f} bench_ratio={ours / bench:.2f} peak_rss_mb={peak_rss_mb:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
