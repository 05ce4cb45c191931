"""The crawl: one child process per run (Scrapy's reactor cannot restart inside Dagster's process)."""


import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import dagster as dg

from pipeline.crawl_health import portal_health, run_rows, stored_counts

from ..resources import NianbaoResource


def summarise(stats: dict[str, dict]) -> dict[str, object]:
    """Scrapy stats of every portal → the figures an operator looks at."""
    total: Counter = Counter()
    by_status: Counter = Counter()
    rows = []
    for pid, st in stats.items():
        stored = int(st.get("nianbao/outcome/stored", 0))
        errors = int(st.get("log_count/ERROR", 0))
        failures = sum(int(v) for k, v in st.items() if k.startswith("nianbao/outcome/") and k != "nianbao/outcome/stored")
        total.update(items=int(st.get("item_scraped_count", 0)), stored=stored, errors=errors, failures=failures,
                     requests=int(st.get("downloader/request_count", 0)))
        for key, value in st.items():
            if key.startswith("downloader/response_status_count/"):
                by_status[key.rsplit("/", 1)[1]] += int(value)
        rows.append(f"| {pid} | {st.get('finish_reason')} | {st.get('downloader/request_count', 0)} | {stored} | {failures} | {errors} |")
    table = "| portal | finish reason | requests | stored | failures | errors |\n|---|---|---|---|---|---|\n" + "\n".join(rows)
    return {
        "portals": len(stats),
        "requests": total["requests"],
        "items": total["items"],
        "documents_stored": total["stored"],
        "failures": total["failures"],
        "errors": total["errors"],
        "responses_by_status": dict(sorted(by_status.items())),
        "finish_reasons": sorted({str(st.get("finish_reason")) for st in stats.values()}),
        "per_portal": dg.MetadataValue.md(table),
    }


@dg.asset(group_name="crawl", pool="crawl", kinds={"scrapy"}, check_specs=[
    dg.AssetCheckSpec("no_silent_portal", asset="crawl",
                      description="Every portal's listing was read, and none that had reports now lists none "
                                  "(blocked hosts and empty columns are findings, never 'no new reports')."),
])
def crawl(context: dg.AssetExecutionContext, nianbao: NianbaoResource):
    """Fetch new report pages and attachments of every registry portal into the raw store and manifest."""
    portals = nianbao.portals()
    with tempfile.TemporaryDirectory() as tmp:
        stats_path = Path(tmp) / "stats.json"
        cmd = [sys.executable, "-m", "spiders.run", "--data", str(nianbao.data), "--run-id", context.run.run_id,
               "--stats-out", str(stats_path)]
        if nianbao.registry_path:
            cmd += ["--registry", nianbao.registry_path]
        for pid in portals:
            cmd += ["--portal", pid]
        if nianbao.proxy:
            cmd += ["--proxy", nianbao.proxy]
        if nianbao.backfill_to:
            cmd += ["--backfill-to", str(nianbao.backfill_to)]
        context.log.info("crawling %d portal(s): %s", len(portals), " ".join(cmd))
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0 or not stats_path.exists():
            raise dg.Failure(
                description=f"crawl process exited with {proc.returncode}",
                metadata={"stderr_tail": dg.MetadataValue.text(proc.stderr[-4000:])},
            )
        stats = json.loads(stats_path.read_text(encoding="utf-8"))
    health = portal_health(run_rows(nianbao.data, context.run.run_id), portals,
                           stored_counts(nianbao.data, exclude_run=context.run.run_id))
    silent = {h["portal_id"]: h["silent"] for h in health if h["silent"]}
    yield dg.MaterializeResult(metadata={**summarise(stats), "silent_portals": len(silent)})
    yield dg.AssetCheckResult(check_name="no_silent_portal", passed=not silent, severity=dg.AssetCheckSeverity.WARN,
                              metadata={"silent": silent})
