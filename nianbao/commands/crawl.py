"""``nianbao crawl``: one crawl of the named registry's portals, with a progress line per portal.

Nothing is crawled until a registry is named (``--registry`` or NIANBAO_REGISTRY) and, for real portals,
a contact (``--contact`` or NIANBAO_CONTACT). ``--dry-run`` shows what would be crawled and exits.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from . import EXIT_BAD_INPUT, err


def cmd_crawl(args: argparse.Namespace) -> int:
    from pipeline.crawl_health import infrastructure_errors, portal_failures
    from spiders.run import EXIT_WRITE_FAILED, CrawlRefused, check_writable, select_portals

    try:
        chosen = select_portals(args.registry, args.portal, contact=args.contact, sample=args.sample, seed=args.seed,
                                data_dir=args.data)
        if not args.dry_run:
            check_writable(args.data)
    except CrawlRefused as exc:
        err(str(exc))
        return EXIT_BAD_INPUT
    if args.dry_run:
        for p in chosen:
            print(f"{p.id}\t{p.family or '-'}\t{p.region_code}\t{p.name}\t{(p.seed_urls or ('discover from ' + p.home_url,))[0]}")
        print(f"{len(chosen)} portal(s) would be crawled (dry run: no request made)")
        return 0
    run_id = args.run_id or datetime.now(UTC).strftime("manual-%Y%m%dT%H%M%SZ")
    with tempfile.TemporaryDirectory() as tmp:
        stats_path = Path(tmp) / "stats.json"
        cmd = [sys.executable, "-m", "spiders.run", "--registry", args.registry, "--data", args.data, "--run-id", run_id,
               "--stats-out", str(stats_path), "--progress-every", str(args.progress_every)]
        for p in chosen:
            cmd += ["--portal", p.id]
        for flag, value in (("--proxy", args.proxy), ("--contact", args.contact), ("--backfill-to", args.backfill_to)):
            if value:
                cmd += [flag, str(value)]
        print(f"crawling {len(chosen)} portal(s) into {args.data} (run {run_id}) …", flush=True)
        env = {**os.environ, "NIANBAO_LOG_LEVEL": os.environ.get("NIANBAO_LOG_LEVEL", "WARNING")}
        env.pop("DAGSTER_PIPES_CONTEXT", None)
        proc = subprocess.run(cmd, env=env)
        if proc.returncode != 0 or not stats_path.exists():
            if proc.returncode != EXIT_WRITE_FAILED:  # that one has said why in one line already
                err(f"crawl process exited with {proc.returncode}")
            return proc.returncode or 1
        stats = json.loads(stats_path.read_text(encoding="utf-8"))
    for pid, why in sorted(portal_failures(stats).items()):
        print(f"  failed portal: {pid}: {why}")
    problems = infrastructure_errors(stats)
    if problems:
        err("crawl failed: " + "; ".join(problems))
        return 1
    print(f"done: manifest {Path(args.data) / 'manifest' / (run_id + '.jsonl')}; parse and publish with "
          "`dagster` (nightly_crawl / publish_year) or `nianbao demo`")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("crawl", help="crawl the named registry's portals into the raw store (progress per portal)")
    p.add_argument("--portal", action="append", default=[], metavar="ID", help="portal id (repeatable; default all)")
    p.add_argument("--sample", type=int, help="crawl N portals picked at random (reproducible with --seed)")
    p.add_argument("--seed", type=int, default=0, help="seed for --sample (default 0)")
    p.add_argument("--dry-run", action="store_true", help="list the portals that would be crawled; no request")
    p.add_argument("--registry", default=os.environ.get("NIANBAO_REGISTRY"),
                   help="portal registry YAML (default $NIANBAO_REGISTRY; required)")
    p.add_argument("--contact", default=os.environ.get("NIANBAO_CONTACT"),
                   help="e-mail or URL for the User-Agent (default $NIANBAO_CONTACT; required for real portals)")
    p.add_argument("--data", default=os.environ.get("NIANBAO_DATA", "data"), help="data directory (default ./data)")
    p.add_argument("--proxy", default=os.environ.get("NIANBAO_PROXY"), help="the demo portal's address (demo registries)")
    p.add_argument("--backfill-to", type=int, help="page whole columns back to this report year")
    p.add_argument("--run-id", help="crawl run id (default manual-<UTC time>)")
    p.add_argument("--progress-every", type=float, default=10.0, help="seconds between progress lines (default 10)")
    p.set_defaults(func=cmd_crawl)
