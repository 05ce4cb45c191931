"""The crawl: one child process per run (Scrapy's reactor cannot restart inside Dagster's process),
driven through Dagster Pipes so its progress lines and errors stream into the run as they happen."""


import json
import os
import subprocess
import sys
import tempfile
import warnings
from collections import Counter
from datetime import timedelta
from pathlib import Path

import dagster as dg

from pipeline.crawl_health import (
    infrastructure_errors,
    portal_failures,
    portal_figures,
    portal_health,
    run_rows,
    stored_counts,
)
from pipeline.locations import RAW_ENV
from pipeline.version import folder_version

from ..resources import NianbaoResource

SPIDERS = Path(__file__).resolve().parents[2] / "spiders"
OWNERS = ["team:nianbao-data"]


def summarise(stats: dict[str, dict]) -> dict[str, object]:
    """Scrapy stats of every portal → the figures an operator looks at."""
    total: Counter = Counter()
    by_status: Counter = Counter()
    rows = []
    for pid, st in stats.items():
        fig = portal_figures(st)
        errors = int(st.get("log_count/ERROR", 0))
        total.update(items=int(st.get("item_scraped_count", 0)), stored=fig["stored"], errors=errors,
                     failures=fig["failures"], requests=fig["requests"], pages=fig["pages"])
        for key, value in st.items():
            if key.startswith("downloader/response_status_count/"):
                by_status[key.rsplit("/", 1)[1]] += int(value)
        rows.append(f"| {pid} | {st.get('finish_reason')} | {fig['requests']} | {fig['pages']} | {fig['stored']} | "
                    f"{fig['failures']} | {errors} |")
    table = ("| portal | finish reason | requests | pages | stored | failures | errors |\n|---|---|---|---|---|---|---|\n"
             + "\n".join(rows))
    return {
        "portals": len(stats),
        "requests": total["requests"],
        "pages": total["pages"],
        "items": total["items"],
        "documents_stored": total["stored"],
        "failures": total["failures"],
        "errors": total["errors"],
        "responses_by_status": dict(sorted(by_status.items())),
        "finish_reasons": sorted({str(st.get("finish_reason")) for st in stats.values()}),
        "per_portal": dg.MetadataValue.md(table),
    }


@dg.asset(
    group_name="crawl", pool="crawl", kinds={"scrapy"}, owners=OWNERS, tags={"layer": "raw", "network": "external"},
    code_version=folder_version(SPIDERS),
    # the nightly crawl runs every 24 h: a crawl older than 26 h means the schedule stopped or runs fail
    freshness_policy=dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=26), warn_window=timedelta(hours=25)),
    description="New report pages and attachments of every registry portal, fetched byte-exact into the raw "
                "store (data/raw) with one crawl-manifest row per URL (data/manifest). Nothing is crawled "
                "until a registry (NIANBAO_REGISTRY) and, for real portals, a contact (NIANBAO_CONTACT) are named.",
    check_specs=[dg.AssetCheckSpec(
        "no_silent_portal", asset="crawl",
        description="Every portal's listing was read, and none that had reports now lists none (blocked hosts, "
                    "unreachable portals and empty columns are findings, never 'no new reports')."),
    ],
)
def crawl(context: dg.AssetExecutionContext, nianbao: NianbaoResource):
    """Fetch new report pages and attachments of every registry portal into the raw store and manifest."""
    portals = nianbao.portals()
    run_id = context.run.run_id
    with tempfile.TemporaryDirectory() as tmp:
        stats_path = Path(tmp) / "stats.json"
        cmd = [sys.executable, "-m", "spiders.run", "--registry", str(nianbao.registry_path), "--data", str(nianbao.data),
               "--run-id", run_id, "--stats-out", str(stats_path)]
        for pid in portals:
            cmd += ["--portal", pid]
        if nianbao.proxy:
            cmd += ["--proxy", nianbao.proxy]
        if nianbao.backfill_to:
            cmd += ["--backfill-to", str(nianbao.backfill_to)]
        if nianbao.contact:
            cmd += ["--contact", nianbao.contact]
        context.log.info("crawling %d portal(s): %s", len(portals), " ".join(cmd))
        with warnings.catch_warnings():  # Dagster 1.13 flags its own Pipes reader internals as preview
            warnings.simplefilter("ignore", dg.PreviewWarning)
            with dg.open_pipes_session(context=context, context_injector=dg.PipesTempFileContextInjector(),
                                       message_reader=dg.PipesTempFileMessageReader()) as session:
                # the spider's item pipeline stores the bytes where the resource says (pipeline.locations)
                env = {**os.environ, RAW_ENV: str(nianbao.raw_root), **session.get_bootstrap_env_vars()}
                proc = subprocess.run(cmd, env=env)
        messages = [m for m in session.get_custom_messages() if isinstance(m, dict)]
        refused = [m[key] for m in messages for key in ("refused", "write_error") if key in m]
        if refused or proc.returncode != 0 or not stats_path.exists():
            raise dg.Failure(description=refused[0] if refused else f"crawl process exited with {proc.returncode}")
        stats = json.loads(stats_path.read_text(encoding="utf-8"))
    failures = portal_failures(stats)
    health = portal_health(run_rows(nianbao.data, run_id), portals, stored_counts(nianbao.data, exclude_run=run_id))
    silent = {h["portal_id"]: failures.get(h["portal_id"]) or h["silent"] for h in health
              if h["silent"] or h["portal_id"] in failures}
    check = dg.AssetCheckResult(check_name="no_silent_portal", passed=not silent, severity=dg.AssetCheckSeverity.WARN,
                                metadata={"silent": silent, "n_silent": len(silent)})
    problems = infrastructure_errors(stats)
    if problems:
        yield check
        raise dg.Failure(description="crawl failed: " + "; ".join(problems),
                         metadata={**summarise(stats), "silent": silent})
    yield dg.MaterializeResult(metadata={**summarise(stats), "silent_portals": len(silent)})
    yield check
