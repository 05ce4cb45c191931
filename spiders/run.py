"""Child-process entry point for one crawl: ``python -m spiders.run --registry FILE --data DIR --run-id ID``.

Scrapy's Twisted reactor cannot restart inside a process, so Dagster (and the tests) launch every crawl
as a fresh process of this module. It runs one crawler per portal (each with its own politeness
settings) and writes the Scrapy stats of every crawler to ``--stats-out`` as JSON.

It prints a progress line per portal every ``--progress-every`` seconds and when the portal finishes
(pages, stored, failures), and, when launched through Dagster Pipes, sends the same lines and every
Scrapy error to the Dagster run. A registry must be named (no default: nothing is contacted by
accident); a data directory that cannot be written stops the crawl before any request (exit 2).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import sys
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

import yaml
from scrapy import signals
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings

from pipeline.crawl_health import infrastructure_errors, portal_figures

from . import registry
from .families import REGISTRY as FAMILIES

EXIT_REFUSED = 2  # an operator mistake or an unusable data directory: nothing was requested
NO_REGISTRY = ("no registry named: pass --registry (or set NIANBAO_REGISTRY) to a portal registry file, e.g. "
               "nianbao/demo_portal/registry.yaml for the demo or spiders/registry/portals.yaml for the real portals")
NO_CONTACT = ("real portals need a contact: set NIANBAO_CONTACT to an e-mail or URL (it goes into the "
              "User-Agent so a site's operator can reach you)")

Emit = Callable[[str, str], None]  # (level, line)


class CrawlRefused(Exception):
    """An operator mistake found before any request: the message is one line that says the fix."""


def select_portals(registry_path: str | None, portal_ids: list[str] | tuple[str, ...] = (), *,
                   contact: str | None = None, sample: int | None = None, seed: int = 0,
                   need_contact: bool = True) -> list[registry.Portal]:
    """The portals to crawl, or ``CrawlRefused`` with the fix: no registry named, a registry that is not
    there or not valid, an unknown portal id, or real portals without a contact."""
    if not registry_path:
        raise CrawlRefused(NO_REGISTRY)
    if not Path(registry_path).is_file():
        raise CrawlRefused(f"registry {registry_path}: no such file")
    try:
        portals = registry.load(registry_path)
    except (registry.RegistryError, yaml.YAMLError, TypeError, AttributeError) as exc:
        raise CrawlRefused(f"registry {registry_path}: {str(exc).splitlines()[0]}") from None
    unknown = [pid for pid in portal_ids if pid not in portals]
    if unknown:
        known = sorted(portals)
        raise CrawlRefused(f"unknown portal {unknown[0]!r} in {registry_path} ({len(known)} portals, e.g. "
                           f"{', '.join(known[:3])}; `nianbao crawl --dry-run` lists them)")
    chosen = [portals[pid] for pid in portal_ids] if portal_ids else list(portals.values())
    if sample is not None:
        if sample < 1:
            raise CrawlRefused(f"--sample {sample}: give a number of portals of at least 1")
        chosen = sorted(random.Random(seed).sample(chosen, min(sample, len(chosen))), key=lambda p: p.id)
    if need_contact and not (contact or "").strip() and any(not p.demo for p in chosen):
        raise CrawlRefused(NO_CONTACT)
    return chosen


def check_writable(data_dir: str) -> None:
    """Refuse a data directory the raw store and manifest cannot be written to, before any request."""
    try:
        for sub in ("raw", "manifest"):
            folder = Path(data_dir) / sub
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / f".probe-{uuid.uuid4().hex}"
            probe.write_bytes(b"")
            probe.unlink()
    except OSError as exc:
        raise CrawlRefused(f"data directory {data_dir} is not writable: {exc}") from None


def base_settings(data_dir: str, run_id: str, proxy: str | None, contact: str | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("spiders.settings", priority="project")
    settings.set("NIANBAO_DATA_DIR", data_dir, priority="cmdline")
    settings.set("NIANBAO_RUN_ID", run_id, priority="cmdline")
    if proxy:
        settings.set("NIANBAO_PROXY", proxy, priority="cmdline")
    if contact:
        settings.set("USER_AGENT", user_agent(contact), priority="cmdline")
    return settings


def user_agent(contact: str) -> str:
    from .settings import USER_AGENT_TEMPLATE

    return USER_AGENT_TEMPLATE.format(contact=contact)


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


def _print(level: str, line: str) -> None:
    print(line, flush=True)


def run(portals: list[registry.Portal], *, data_dir: str, run_id: str, proxy: str | None = None,
        backfill_to: int | None = None, contact: str | None = None, emit: Emit = _print,
        progress_every: float = 10.0) -> dict[str, dict]:
    demo = [p.id for p in portals if p.demo]
    if demo and not proxy:
        raise SystemExit(f"demo portals {demo} are only reachable through the demo portal: pass --proxy")
    if proxy and len(demo) != len(portals):
        real = [p.id for p in portals if not p.demo]
        raise SystemExit(f"--proxy is for demo portals only; refusing to route real portals {real} through it")
    settings = base_settings(data_dir, run_id, proxy, contact)
    process = CrawlerProcess(settings)
    crawlers: dict[str, Crawler] = {}
    done: set[str] = set()
    for portal in portals:
        spidercls = FAMILIES.get(portal.family)
        if spidercls is None:
            raise SystemExit(f"portal {portal.id}: no spider for family '{portal.family}'")
        own = portal_settings(settings, portal)
        # The first crawler installs the reactor, as CrawlerProcess does for crawlers it creates itself.
        crawler = Crawler(spidercls, own, init_reactor=not crawlers)
        crawlers[portal.id] = crawler
        crawler.signals.connect(_on_close(portal.id, crawler, emit, done), signal=signals.spider_closed, weak=False)
        process.crawl(crawler, portal=json.dumps(portal.as_dict(), ensure_ascii=False), backfill_to=backfill_to)
    from twisted.internet import task  # after the first crawler installed the reactor

    ticker = task.LoopingCall(_progress, crawlers, emit, done)
    ticker.start(progress_every, now=False)
    process.start()
    if ticker.running:
        ticker.stop()
    return {pid: {k: _jsonable(v) for k, v in c.stats.get_stats().items()} for pid, c in crawlers.items()}


def _line(pid: str, stats: dict) -> str:
    f = portal_figures(stats)
    return f"{pid}: pages {f['pages']}, stored {f['stored']}, failures {f['failures']}"


def _progress(crawlers: dict[str, Crawler], emit: Emit, done: set[str]) -> None:
    """One line per portal still running."""
    for pid, crawler in crawlers.items():
        if crawler.crawling and pid not in done:
            emit("info", "crawling " + _line(pid, crawler.stats.get_stats()))


def _on_close(pid: str, crawler: Crawler, emit: Emit, done: set[str]) -> Callable[..., None]:
    def closed(spider: object = None, reason: str = "") -> None:
        done.add(pid)
        stats = crawler.stats.get_stats()
        level = "info" if reason == "finished" else "error"
        emit(level, f"done {_line(pid, stats)}, requests {stats.get('downloader/request_count', 0)} ({reason})")
    return closed


class _ToPipes(logging.Handler):
    """Scrapy errors (and the first warnings) of the crawl into the Dagster run's event log."""

    def __init__(self, pipes: object, limit: int = 200) -> None:
        super().__init__(level=logging.WARNING)
        self.pipes, self.left = pipes, limit

    def emit(self, record: logging.LogRecord) -> None:
        if self.left <= 0:
            return
        self.left -= 1
        log = self.pipes.log  # type: ignore[attr-defined]
        (log.error if record.levelno >= logging.ERROR else log.warning)(f"{record.name}: {record.getMessage()}"[:2000])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m spiders.run", description=__doc__)
    parser.add_argument("--registry", default=os.environ.get("NIANBAO_REGISTRY"),
                        help="registry YAML (required; default $NIANBAO_REGISTRY)")
    parser.add_argument("--contact", default=os.environ.get("NIANBAO_CONTACT"),
                        help="e-mail or URL for the User-Agent (default $NIANBAO_CONTACT)")
    parser.add_argument("--portal", action="append", default=[], help="portal id (repeatable; default all)")
    parser.add_argument("--data", required=True, help="data directory (raw store, manifest)")
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--proxy", help="demo portal address, for demo registries only")
    parser.add_argument("--backfill-to", type=int, help="page whole columns back to this report year")
    parser.add_argument("--stats-out", help="write per-portal Scrapy stats here as JSON")
    parser.add_argument("--progress-every", type=float, default=10.0, help="seconds between progress lines")
    args = parser.parse_args(argv)
    with ExitStack() as stack:
        emit: Emit = _print
        pipes = None
        if os.environ.get("DAGSTER_PIPES_CONTEXT"):
            from dagster_pipes import open_dagster_pipes

            pipes = stack.enter_context(open_dagster_pipes())

            def emit(level: str, line: str) -> None:
                print(line, flush=True)
                getattr(pipes.log, level)(line)

        try:
            # the address guard and rebinding tests crawl non-demo records on loopback: a missing contact
            # is refused by the operator commands (`nianbao crawl`, Dagster), and only warned about here
            chosen = select_portals(args.registry, args.portal, contact=args.contact, need_contact=False)
            check_writable(args.data)
        except CrawlRefused as exc:
            print(f"spiders.run: {exc}", file=sys.stderr)
            if pipes is not None:
                pipes.report_custom_message({"refused": str(exc)})
            return EXIT_REFUSED
        if not args.contact and any(not p.demo for p in chosen):
            print(f"spiders.run: warning: {NO_CONTACT}", file=sys.stderr)
        if pipes is not None:
            logging.getLogger().addHandler(_ToPipes(pipes))
        stats = run(chosen, data_dir=args.data, run_id=args.run_id, proxy=args.proxy, backfill_to=args.backfill_to,
                    contact=args.contact, emit=emit, progress_every=args.progress_every)
        if args.stats_out:
            Path(args.stats_out).write_text(json.dumps(stats, ensure_ascii=False, indent=1), encoding="utf-8")
        for problem in infrastructure_errors(stats):
            emit("error", f"crawl failed: {problem}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
