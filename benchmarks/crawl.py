"""Crawl benchmark: the full spider stack (every family, middlewares, manifest, raw store) against the demo
portal with politeness off and every trap on, next to ``scrapy bench`` on the same machine in the same run.

It starts the demo portal itself, crawls all archetypes twice (the second crawl measures the incremental
cost), scores the first crawl against the truth manifest and prints, as its last line:

    crawl: recall=<0..1> precision=<0..1> recrawl_ratio=<n> pages_per_s=<n> bench_ratio=<n> peak_rss_mb=<n>
           import_15k_s=<n> discovery_requests=<n> discovery_found=<0..1>

``import_15k_s``: seconds to import a 15,000-row directory (GBK CSV in a zip, the real download's packaging,
rows in the sample file's layout) into registry records and write them. ``discovery_requests``: the most
requests column discovery spent on one demo portal (home page to column); ``discovery_found``: the share of
the demo registry's seed columns it found from the home pages alone.

``pages_per_s`` counts every response the crawl received over the longest crawler's elapsed time (Scrapy's
own clock, as ``scrapy bench`` reports), so interpreter start-up is excluded from both.

Costs that grow with history, not with new work, are timed from process start (the crawl subprocess's
launch to its exit: imports, loading the manifest state, the crawl): ``norecrawl_s`` is a crawl that
finds nothing new; ``norecrawl_1m_s`` the same crawl once 1,000,000 older manifest rows (100,000 report
URLs of 1,000 portals, the crawled ones among them, ten nights each) sit in the data directory, and ``norecrawl_1m_ratio`` their ratio (1.0:
history costs nothing); ``--quick`` uses 200,000 rows (``norecrawl_200k_s``) to stay under a minute. ``state_build_1m_s`` is the one-time cost of bringing the manifest's current
state (``pipeline.state``) up to date with those rows (a nightly crawl pays it for its own rows only).
``parse_docs_per_s``: the parse step (``pipeline.publish.parse_new``: raw store, budgeted children, the
parsed store) over every real fixture document (HTML, text, PDF, DOCX, DOC, XLS(X)), from the step's
start with cold children, with the default pool; ``parse_pool_speedup`` its ratio to one child (full run only).
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


def import_benchmark(n: int = 15_000) -> float:
    """Seconds to import an ``n``-row directory zip (GBK CSV) and write the registry records."""
    import csv
    import io
    import zipfile

    from spiders import directory, registry

    sample = ROOT / "tests" / "spiders" / "fixtures" / "directory" / "directory-sample-layout.csv"
    header, *rows = list(csv.reader(io.StringIO(sample.read_bytes().decode("utf-8-sig"))))
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\r\n")
    out.writerow(header)
    for i in range(n):
        name, url, org, sup, code, icp, police, area, kind = rows[i % len(rows)]
        region = "100000" if code.startswith("bm") else code[:6]
        site = f"{region[:4]}{i:06d}" if not code.startswith("bm") else f"bm{i:08d}"
        out.writerow([f"{name}{i}", f"http://s{i}.{url.split('//')[-1].strip('/')}/", org, sup, site, icp, police,
                      area, kind])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "directory.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("directory.csv", buf.getvalue().encode("gb18030"))
        started = time.perf_counter()
        report = directory.import_files([path])
        registry.write([r.as_registry() for r in report.records], Path(tmp) / "directory.json")
        elapsed = time.perf_counter() - started
    if len(report.records) != n:
        raise RuntimeError(f"import kept {len(report.records)} of {n} rows: {report.rejected[:3]}")
    return elapsed


def discovery_benchmark(server: DemoServer) -> tuple[int, float]:
    """(most requests spent on one portal, share of seed columns found) of discovery over the demo portal."""
    from spiders import registry

    portals = registry.load(ARCHETYPES)
    before = len(server.portal.requests)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "spiders.discovery", "--registry", ARCHETYPES, "--all", "--out", tmp,
                        "--proxy", server.proxy_url], cwd=ROOT, check=True, capture_output=True,
                       env={**os.environ, "NIANBAO_LOG_LEVEL": "WARNING"})
        results = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in Path(tmp).glob("*.json")}
    asked = server.portal.requests[before:]
    most, seeds, found = 0, 0, 0
    for pid, portal in portals.items():
        most = max(most, len([r for r in asked if r[1] in portal.hosts and r[2] != "/robots.txt"]))
        confirmed = {c["url"] for c in results.get(pid, {}).get("columns", []) if c["confirmed"]}
        if results.get(pid, {}).get("stopped") in ("blocked",) or pid.endswith("oldzhen"):
            continue  # bot walls and robots.txt refusals: nothing to find, by design
        seeds += len(portal.seed_urls)
        found += len(set(portal.seed_urls) & confirmed)
    return most, found / seeds


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
    history, label = (200_000, "200k") if args.quick else (1_000_000, "1m")  # --quick stays under a minute
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
                norecrawl, build_s, norecrawl_1m = history_benchmark(server, data, history)
                print(f"no-change recrawl from process start: {norecrawl['wall']:.2f} s ({norecrawl['requests']} "
                      f"requests); with {history:,} history rows: {norecrawl_1m['wall']:.2f} s "
                      f"({norecrawl_1m['requests']} requests), state brought up to date once: {build_s:.1f} s")
        discovery_requests, discovery_found = discovery_benchmark(server)
    peak_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    import_s = import_benchmark()
    bench = scrapy_bench(bench_seconds)
    parse_rate = parse_benchmark(copies=1 if args.quick else 4)
    speedup = "" if args.quick else f" parse_pool_speedup={parse_rate / parse_benchmark(copies=4, workers=1):.2f}"
    ours = max(rates)
    print(f"scrapy bench: {bench:.1f} pages/s; nianbao: {ours:.1f} pages/s (best of {rounds})")
    print(f"crawl: recall={result.recall:.3f} precision={result.precision:.3f} recrawl_ratio={recrawl:.4f} "
          f"pages_per_s={ours:.1f} bench_ratio={ours / bench:.2f} peak_rss_mb={peak_rss_mb:.0f} "
          f"import_15k_s={import_s:.2f} discovery_requests={discovery_requests} discovery_found={discovery_found:.3f} "
          f"norecrawl_s={norecrawl['wall']:.2f} norecrawl_{label}_s={norecrawl_1m['wall']:.2f} "
          f"norecrawl_{label}_ratio={norecrawl_1m['wall'] / norecrawl['wall']:.2f} state_build_{label}_s={build_s:.1f} "
          f"parse_docs_per_s={parse_rate:.1f}{speedup}")
    return 0


def write_history(data: Path, rows: int = 1_000_000, nights: int = 10, portals: int = 1000) -> None:
    """``rows`` older manifest rows: ``rows / nights`` report URLs spread over ``portals`` portals (the
    crawled ones among them, the rest standing for the other portals of a national registry whose rows
    share the data directory), each fetched ``nights`` times (stored once, then unchanged); one run file
    per night, dated then and named to sort before every real run, so the real rows stay the latest. They
    name no column, so no crawl asks for them again."""
    from spiders import registry

    crawled = sorted(registry.load(ARCHETYPES))
    portals = crawled + [f"history-portal-{n:04d}" for n in range(portals - len(crawled))]
    urls = rows // nights
    template = ('{{"change": {change}, "column": null, "content_type": "text/html", "declared_charset": null, '
                '"detected_charset": "utf-8", "extra": {{}}, "fetched_at": "2025-01-{night:02d}T02:00:00Z", '
                '"kind": "report", "listing_date": null, "listing_url": "http://history.{pid}.test/nb/index.htm", '
                '"outcome": "{outcome}", "parent_url": null, "portal_id": "{pid}", "publish_date": "2024-01-20", '
                '"raw_path": "raw/{sha2}/{sha}.html", "reason": null, "sha256": "{sha}", "size": 40000, '
                '"status": 200, "title": null, "url": "http://history.{pid}.test/nb/{i}.htm"}}\n')
    for night in range(nights):
        path = data / "manifest" / f"0000-history-{night:02d}.jsonl"
        change, outcome = ('"new"', "stored") if night == 0 else ("null", "unchanged")
        path.write_text("".join(template.format(change=change, night=night + 1, pid=portals[i % len(portals)],
                                                outcome=outcome, sha2=f"{i:064x}"[:2], sha=f"{i:064x}", i=i)
                                for i in range(urls)), encoding="utf-8")
        written = time.mktime((2025, 1, night + 1, 2, 0, 0, 0, 0, 0))
        os.utime(path, (written, written))  # old runs, written on their nights


def history_benchmark(server: DemoServer, data: Path, rows: int) -> tuple[dict, float, dict]:
    """(a no-change recrawl, seconds to bring the state up to date with ``rows`` history rows, the same
    recrawl with them), each crawl timed from its process's start."""
    from pipeline.state import ManifestState

    norecrawl = crawl(server, data, "third")
    write_history(data, rows)
    started = time.monotonic()
    ManifestState(data).refresh()
    build_s = time.monotonic() - started
    return norecrawl, build_s, crawl(server, data, "fourth")


def parse_benchmark(copies: int, workers: int | None = None) -> float:
    """Documents per second of the parse step over every real fixture document, ``copies`` times under
    distinct URLs (text formats with distinct bytes), from the step's start: children start cold."""
    from pipeline.manifest import ManifestRow, ManifestWriter
    from pipeline.publish import parse_new
    from pipeline.rawstore import RawStore, extension_for

    fixtures = ROOT / "tests" / "fixtures"
    media = {".htm": "text/html", ".html": "text/html", ".txt": "text/plain", ".pdf": "application/pdf",
             ".doc": "application/msword", ".xls": "application/vnd.ms-excel",
             ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
    files = sorted(p for folder in ("real", "real-holdout", "office") for p in (fixtures / folder).rglob("*")
                   if p.suffix in media and not p.name.startswith("zfxxgknb-index"))
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        store, writer, n = RawStore(data / "raw"), ManifestWriter(data, "night"), 0
        for copy in range(copies):
            for path in files:
                body = path.read_bytes()
                if media[path.suffix].startswith("text/"):
                    body += b"\n" * copy
                url = f"http://bench.test/{copy}/{path.parent.name}/{path.name}"
                sha, raw = store.put(body, extension_for(media[path.suffix], url))
                writer.write(ManifestRow(url=url, portal_id="bench", fetched_at="2026-12-05T00:00:00Z",
                                         outcome="stored", sha256=sha, raw_path=str(raw), content_type=media[path.suffix]))
                n += 1
        writer.close()
        started = time.monotonic()
        run = parse_new(data, workers=workers)
        elapsed = time.monotonic() - started
    if run.parsed != n:
        raise RuntimeError(f"parse step parsed {run.parsed} of {n} documents: {run.failures[:3]}")
    print(f"parse step: {n} documents ({len(files)} real fixtures × {copies}) in {elapsed:.1f} s with "
          f"{workers or 'the default'} worker(s): {n / elapsed:.1f} documents/s; {dict(run.statuses)}")
    return n / elapsed


if __name__ == "__main__":
    sys.exit(main())
