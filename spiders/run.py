"""Child-process entry point for one crawl: ``python -m spiders.run --data DIR --run-id ID [...]``.

Scrapy's Twisted reactor cannot restart inside a process, so Dagster (and the tests) launch every crawl
as a fresh process of this module. It runs one crawler per portal (each with its own politeness
settings) and writes the Scrapy stats of every crawler to ``--stats-out`` as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings

from . import registry
from .families import REGISTRY as FAMILIES


def base_settings(data_dir: str, run_id: str, proxy: str | None) -> Settings:
    settings = Settings()
    settings.setmodule("spiders.settings", priority="project")
    settings.set("NIANBAO_DATA_DIR", data_dir, priority="cmdline")
    settings.set("NIANBAO_RUN_ID", run_id, priority="cmdline")
    if proxy:
        settings.set("NIANBAO_PROXY", proxy, priority="cmdline")
    return settings


def portal_settings(settings: Settings, portal: registry.Portal) -> Settings:
    """The project settings with this portal's politeness overrides from the registry applied."""
    own = settings.copy()
    for key, value in portal.politeness.items():
        own.set(key, value, priority="cmdline")
    return own


def _jsonable(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    return str(value)


def run(portals: list[registry.Portal], *, data_dir: str, run_id: str, proxy: str | None = None,
        backfill_to: int | None = None) -> dict[str, dict]:
    demo = [p.id for p in portals if p.demo]
    if demo and not proxy:
        raise SystemExit(f"demo portals {demo} are only reachable through the demo portal: pass --proxy")
    if proxy and len(demo) != len(portals):
        real = [p.id for p in portals if not p.demo]
        raise SystemExit(f"--proxy is for demo portals only; refusing to route real portals {real} through it")
    settings = base_settings(data_dir, run_id, proxy)
    process = CrawlerProcess(settings, install_root_handler=True)
    crawlers: dict[str, Crawler] = {}
    for portal in portals:
        spidercls = FAMILIES.get(portal.family)
        if spidercls is None:
            raise SystemExit(f"portal {portal.id}: no spider for family '{portal.family}'")
        own = portal_settings(settings, portal)
        # The first crawler installs the reactor, as CrawlerProcess does for crawlers it creates itself.
        crawler = Crawler(spidercls, own, init_reactor=not crawlers)
        crawlers[portal.id] = crawler
        process.crawl(crawler, portal=json.dumps(portal.as_dict(), ensure_ascii=False), backfill_to=backfill_to)
    process.start()
    return {pid: {k: _jsonable(v) for k, v in c.stats.get_stats().items()} for pid, c in crawlers.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m spiders.run", description=__doc__)
    parser.add_argument("--registry", help="registry YAML (default: the shipped registry of real portals)")
    parser.add_argument("--portal", action="append", default=[], help="portal id (repeatable; default all)")
    parser.add_argument("--data", required=True, help="data directory (raw store, manifest)")
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--proxy", help="demo portal address, for demo registries only")
    parser.add_argument("--backfill-to", type=int, help="page whole columns back to this report year")
    parser.add_argument("--stats-out", help="write per-portal Scrapy stats here as JSON")
    args = parser.parse_args(argv)
    portals = registry.load(args.registry)
    chosen = [portals[p] for p in args.portal] if args.portal else list(portals.values())
    stats = run(chosen, data_dir=args.data, run_id=args.run_id, proxy=args.proxy, backfill_to=args.backfill_to)
    if args.stats_out:
        Path(args.stats_out).write_text(json.dumps(stats, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
