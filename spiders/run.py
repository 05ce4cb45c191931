"""Child-process entry point for one crawl: ``python -m spiders.run --registry FILE --data DIR --run-id ID``.

Scrapy's Twisted reactor cannot restart inside a process, so Dagster (and the tests) launch every crawl
as a fresh process of this module. It runs one crawler per portal (each with its own politeness
settings) and writes the Scrapy stats of every crawler to ``--stats-out`` as JSON.

It prints a progress line per portal every ``--progress-every`` seconds and when the portal finishes
(pages, stored, failures), and, when launched through Dagster Pipes, sends the same lines and every
Scrapy error to the Dagster run. A registry must be named (no default: nothing is contacted by
accident); a data directory that cannot be written stops the crawl before any request (exit 2); a write
that fails during the crawl (disk full) stops it with one line on stderr saying why (exit 3).

The portals come from the named registry merged with the national directory and the discovery results kept
in the data directory (``load_registry``). A portal with no seed, a seed never confirmed, or a column gone
silent in its last crawl is discovered first, in the same run (``discovery_plan``); a portal still without
a seed is skipped and said so.
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

from pipeline.crawl_health import (
    infrastructure_errors,
    portal_figures,
    portal_health,
    run_rows,
    stored_counts,
)
from pipeline.manifest import manifest_dir

from . import discovery, registry
from .families import REGISTRY as FAMILIES

EXIT_REFUSED = 2  # an operator mistake or an unusable data directory: nothing was requested
EXIT_WRITE_FAILED = 3  # a write of the raw store, manifest or frontier failed (disk full): documents are missing
NO_REGISTRY = ("no registry named: pass --registry (or set NIANBAO_REGISTRY) to a portal registry file, e.g. "
               "nianbao/demo_portal/registry.yaml for the demo or spiders/registry/portals.yaml for the real portals")
NO_CONTACT = ("real portals need a contact: set NIANBAO_CONTACT to an e-mail or URL (it goes into the "
              "User-Agent so a site's operator can reach you)")

Emit = Callable[[str, str], None]  # (level, line)


class CrawlRefused(Exception):
    """An operator mistake found before any request: the message is one line that says the fix."""


def load_registry(registry_path: str | Path, data_dir: str | Path | None = None) -> dict[str, registry.Portal]:
    """The registry a crawl works from: the national directory imported into the data directory, the
    named (curated) registry as its overlay, and what discovery found there (``registry.merge``). A demo
    registry never takes in the national directory (its portals are reached through the demo proxy only)."""
    curated = registry.read_records(registry_path)
    ids = [rec.get("id") for rec in curated]
    if len(set(ids)) != len(ids):
        raise registry.RegistryError(f"portal {next(i for i in ids if ids.count(i) > 1)}: duplicate id")
    directory: list[dict] = []
    if data_dir is not None and not all(rec.get("demo") for rec in curated):
        path = registry.directory_file(data_dir)
        directory = registry.read_records(path) if path.is_file() else []
    updates = discovery.load_updates(registry.discovered_dir(data_dir)) if data_dir is not None else []
    return registry.merge(directory, curated, updates)


def select_portals(registry_path: str | None, portal_ids: list[str] | tuple[str, ...] = (), *,
                   contact: str | None = None, sample: int | None = None, seed: int = 0,
                   need_contact: bool = True, data_dir: str | Path | None = None) -> list[registry.Portal]:
    """The portals to crawl, or ``CrawlRefused`` with the fix: no registry named, a registry that is not
    there or not valid, an unknown portal id, or real portals without a contact. With ``data_dir``, the
    national directory and the discovery results kept there are merged in (``load_registry``)."""
    if not registry_path:
        raise CrawlRefused(NO_REGISTRY)
    if not Path(registry_path).is_file():
        raise CrawlRefused(f"registry {registry_path}: no such file")
    try:
        portals = load_registry(registry_path, data_dir)
    except (registry.RegistryError, yaml.YAMLError, ValueError, TypeError, AttributeError, KeyError) as exc:
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


def last_health(data_dir: str | Path, portal_ids: list[str], exclude_run: str | None = None) -> dict[str, dict]:
    """Each portal's row of ``portal_health`` for the last crawl run that touched it (newest manifest file
    first); a portal never crawled has none. Only the runs that wrote some portal's latest rows are opened
    (from the manifest state), not the whole history."""
    from pipeline.state import ManifestState

    want, out = set(portal_ids), {}
    touched = ManifestState(data_dir).files_of(want)
    files = sorted((f for f in manifest_dir(data_dir).glob("*.jsonl") if f.stem in touched),
                   key=lambda f: f.stat().st_mtime, reverse=True)
    for path in files:
        if path.stem == exclude_run or len(out) == len(want):
            continue
        rows = run_rows(data_dir, path.stem)
        present = sorted({row.get("portal_id") for row in rows} & (want - out.keys()))
        if present:
            before = stored_counts(data_dir, exclude_run=path.stem)
            out.update((h["portal_id"], h) for h in portal_health(rows, present, before))
    return out


def discovery_plan(portals: list[registry.Portal], data_dir: str | Path, run_id: str) -> dict[str, str]:
    """portal id → why its column(s) must be discovered before this crawl (no seed, a seed never confirmed,
    a column gone silent in the last crawl); a confirmed seed that answers is crawled as it is."""
    health = last_health(data_dir, [p.id for p in portals], exclude_run=run_id)
    return {p.id: why for p in portals if (why := discovery.rediscover_reason(p.as_dict(), health.get(p.id)))}


def _replaces(portal: registry.Portal, reason: str, data_dir: str | Path) -> list[str]:
    """The confirmed seeds a rediscovery is to replace: the record's own, or those an earlier rediscovery
    (whose seeds the record now carries) replaced."""
    if not reason.startswith("column went silent"):
        return []
    if portal.origin("seed_urls") != "discovered":
        return list(portal.seed_urls)
    earlier = registry.discovered_dir(data_dir) / f"{portal.id}.json"
    return list(json.loads(earlier.read_text(encoding="utf-8")).get("replaces") or []) if earlier.is_file() else []


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
        progress_every: float = 10.0, discover: dict[str, str] | None = None) -> dict[str, dict]:
    """Crawl every portal; a portal in ``discover`` (id → why) is discovered first, in the same reactor:
    its result is written to ``<data>/registry/discovered/<id>.json`` (used by the next crawls too) and its
    columns are crawled right after. A portal left without a seed is skipped: its stats say why
    (``nianbao/skipped``) and the discovery requests it cost."""
    discover = discover or {}
    demo = [p.id for p in portals if p.demo]
    if demo and not proxy:
        raise SystemExit(f"demo portals {demo} are only reachable through the demo portal: pass --proxy")
    if proxy and len(demo) != len(portals):
        real = [p.id for p in portals if not p.demo]
        raise SystemExit(f"--proxy is for demo portals only; refusing to route real portals {real} through it")
    unknown = [p for p in portals if p.id not in discover and p.family not in FAMILIES]
    if unknown:
        raise SystemExit(f"portal {unknown[0].id}: no spider for family '{unknown[0].family}'")
    settings = base_settings(data_dir, run_id, proxy, contact)
    process = CrawlerProcess(settings)
    crawlers: dict[str, Crawler] = {}
    finders: dict[str, Crawler] = {}
    found: dict[str, registry.Portal] = {}
    skipped: dict[str, str] = {}
    done: set[str] = set()

    def start(portal: registry.Portal) -> None:
        spidercls = FAMILIES.get(portal.family)
        if spidercls is None:  # only a family named by discovery can get here
            skipped[portal.id] = f"discovery named family '{portal.family}', which has no spider"
            emit("error", f"skipped {portal.id}: {skipped[portal.id]}")
            return
        own = portal_settings(settings, portal)
        # The first crawler installs the reactor, as CrawlerProcess does for crawlers it creates itself.
        crawler = Crawler(spidercls, own, init_reactor=not (crawlers or finders))
        crawlers[portal.id] = crawler
        crawler.signals.connect(_on_close(portal.id, crawler, emit, done), signal=signals.spider_closed, weak=False)
        process.crawl(crawler, portal=json.dumps(portal.as_dict(), ensure_ascii=False), backfill_to=backfill_to)

    def discovered(_: object, portal: registry.Portal) -> None:
        result = finders[portal.id].spider.result()
        now = registry.updated(portal, result.registry_update(portal.id))
        if not now.seed_urls:
            skipped[portal.id] = (f"no annual-report column found from {result.home_url} ({result.requests} "
                                  f"requests, {result.stopped})")
            emit("warning", f"skipped {portal.id}: {skipped[portal.id]}")
            return
        found[portal.id] = now
        kept = " (kept: discovery found no column)" if now.seed_urls == portal.seed_urls else ""
        emit("info", f"discovered {portal.id} ({discover[portal.id]}): {now.family} {' '.join(now.seed_urls)}{kept}")
        start(now)

    def lost(failure: object, pid: str) -> None:
        skipped[pid] = f"discovery failed: {failure.getErrorMessage()}"  # type: ignore[attr-defined]
        emit("error", f"skipped {pid}: {skipped[pid]}")

    out_dir = registry.discovered_dir(data_dir)
    for portal in portals:
        reason = discover.get(portal.id)
        if reason is None:
            start(portal)
            continue
        finders[portal.id] = discovery.crawler(portal.as_dict(), settings, init_reactor=not (crawlers or finders))
        walk = process.crawl(finders[portal.id], portal=json.dumps(portal.as_dict(), ensure_ascii=False),
                             out=str(out_dir / f"{portal.id}.json"), reason=reason, run_id=run_id,
                             replaces=json.dumps(_replaces(portal, reason, data_dir)))
        walk.addCallback(discovered, portal)
        walk.addErrback(lost, portal.id)
    from twisted.internet import task  # after the first crawler installed the reactor

    ticker = task.LoopingCall(_progress, crawlers, emit, done)
    ticker.start(progress_every, now=False)
    process.start()
    if ticker.running:
        ticker.stop()
    return {p.id: _portal_stats(crawlers.get(p.id), finders.get(p.id), found.get(p.id), discover.get(p.id),
                                skipped.get(p.id)) for p in portals if p.id in crawlers or p.id in finders}


def _portal_stats(crawler: Crawler | None, finder: Crawler | None, found: registry.Portal | None, reason: str | None,
                  skipped: str | None) -> dict:
    """One portal's stats: its crawl's, with the discovery that preceded it added in (every request made
    to the portal counts) and said apart (``nianbao/discovery/*``), and why it was skipped if it was."""
    stats = {k: _jsonable(v) for k, v in crawler.stats.get_stats().items()} if crawler is not None else {}
    if finder is None:
        return stats
    walk = finder.stats.get_stats()
    for key, value in walk.items():
        if key.startswith("downloader/") and isinstance(value, int):
            stats[key] = int(stats.get(key, 0)) + value
    stats.update({"nianbao/discovery/reason": reason, "nianbao/discovery/requests": int(walk.get("downloader/request_count", 0)),
                  "nianbao/discovery/seeds": list(found.seed_urls) if found else []})
    if crawler is None:
        stats["finish_reason"] = _jsonable(walk.get("finish_reason"))
        stats["nianbao/skipped"] = skipped or "not crawled"
    return stats


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
            chosen = select_portals(args.registry, args.portal, contact=args.contact, need_contact=False,
                                    data_dir=args.data)
            check_writable(args.data)
            plan = discovery_plan(chosen, args.data, args.run_id)
        except CrawlRefused as exc:
            print(f"spiders.run: {exc}", file=sys.stderr)
            if pipes is not None:
                pipes.report_custom_message({"refused": str(exc)})
            return EXIT_REFUSED
        if not args.contact and any(not p.demo for p in chosen):
            print(f"spiders.run: warning: {NO_CONTACT}", file=sys.stderr)
        if pipes is not None:
            logging.getLogger().addHandler(_ToPipes(pipes))
        if plan:
            emit("info", f"discovering the columns of {len(plan)} portal(s) first: "
                 + "; ".join(f"{pid} ({why})" for pid, why in list(plan.items())[:10]) + (" …" if len(plan) > 10 else ""))
        stats = run(chosen, data_dir=args.data, run_id=args.run_id, proxy=args.proxy, backfill_to=args.backfill_to,
                    contact=args.contact, emit=emit, progress_every=args.progress_every, discover=plan)
        skipped = {pid: st["nianbao/skipped"] for pid, st in stats.items() if st.get("nianbao/skipped")}
        if skipped:
            emit("warning", f"skipped {len(skipped)} of {len(chosen)} portal(s) with no seed after discovery: "
                 + "; ".join(f"{pid}: {why}" for pid, why in sorted(skipped.items())[:20]))
        if args.stats_out:
            Path(args.stats_out).write_text(json.dumps(stats, ensure_ascii=False, indent=1), encoding="utf-8")
        for problem in infrastructure_errors(stats):
            emit("error", f"crawl failed: {problem}")
        why = write_error(stats)
        if why:
            print(f"spiders.run: crawl failed: {why}", file=sys.stderr, flush=True)
            if pipes is not None:
                pipes.report_custom_message({"write_error": why})
            return EXIT_WRITE_FAILED
    return 0


def write_error(stats: dict[str, dict]) -> str | None:
    """Why the crawl could not write (raw store, manifest or frontier), naming the portal; None if it could."""
    for pid, st in sorted(stats.items()):
        if st.get("nianbao/write_error"):
            return f"{pid}: {st['nianbao/write_error']}"
    return None


if __name__ == "__main__":
    sys.exit(main())
