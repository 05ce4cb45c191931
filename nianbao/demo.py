"""``nianbao demo``: the whole machine on the embedded default, end to end.

Serves the demo portal on 127.0.0.1, runs the code location's own jobs — ``nightly_crawl`` (crawl →
parsed documents → document log), ``publish_year`` for every report year and ``refresh_coverage`` —
in a persistent SQLite Dagster instance, so the runs show up under those jobs in ``dagster dev``, then
prints what landed where and how to query it. The crawl prints a progress line per portal while it runs.
"""

from __future__ import annotations

import os
from pathlib import Path


def run_config(data_dir: Path, registry_path: str, proxy: str, log_level: str = "WARNING") -> dict:
    """Run config pointing the code location's resource at the demo portal; console logs at ``log_level``."""
    return {"resources": {"nianbao": {"config": {"data_dir": str(data_dir), "registry_path": registry_path,
                                                  "proxy": proxy}}},
            "loggers": {"console": {"config": {"log_level": log_level}}}}


def run_demo(data_dir: Path, dagster_home: Path, registry_path: str) -> int:
    dagster_home = dagster_home.resolve()
    dagster_home.mkdir(parents=True, exist_ok=True)
    config = dagster_home / "dagster.yaml"
    if not config.exists():
        # SQLite storage (the default) locks under concurrent writers: keep runs few and crawls one at a time.
        config.write_text("telemetry:\n  enabled: false\nconcurrency:\n  runs:\n    max_concurrent_runs: 2\n  pools:\n    default_limit: 1\n")
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    os.environ.setdefault("NIANBAO_LOG_LEVEL", "WARNING")  # Scrapy's own log: the progress lines say enough
    data_dir = data_dir.resolve()

    import dagster as dg

    from dagster_project.definitions import defs
    from dagster_project.partitions import report_years

    from .demo_portal.core import DemoServer
    from .demo_portal.sites import build_portal

    instance = dg.DagsterInstance.get()
    nightly, publish = defs.resolve_job_def("nightly_crawl"), defs.resolve_job_def("publish_year")
    with DemoServer(build_portal()) as server:
        print(f"demo portal serving on {server.proxy_url}; crawling (one progress line per portal) …", flush=True)
        conf = run_config(data_dir, registry_path, server.proxy_url)
        # the crawl's progress lines reach the terminal from its child process (and the run's log via Pipes)
        result = nightly.execute_in_process(run_config=conf, instance=instance, raise_on_error=False)
        if not result.success:
            failure = next((e.step_failure_data.error.message.strip() for e in result.all_events
                            if e.is_step_failure and e.step_failure_data.error), "see the Dagster run logs")
            print(f"nightly_crawl failed: {failure}")
            return 1
        crawl_meta = result.asset_materializations_for_node("crawl")[0].metadata
        parse_meta = result.asset_materializations_for_node("parsed_documents")[0].metadata
        print(f"crawl: {crawl_meta['requests'].value} requests, {crawl_meta['documents_stored'].value} documents stored, "
              f"{crawl_meta['failures'].value} failures")
        for check in result.get_asset_check_evaluations():
            if not check.passed:
                for pid, why in check.metadata["silent"].value.items():
                    print(f"  silent portal (a finding, not 'no reports'): {pid}: {why}")
        print(f"parse: {parse_meta['parsed'].value} parsed, {parse_meta['unchanged'].value} unchanged, "
              f"by status {parse_meta['by_status'].value}")
    failed_years = []
    print(f"publishing {len(report_years.get_partition_keys())} report years (stage → check → promote) …", flush=True)
    for year in report_years.get_partition_keys():
        res = publish.execute_in_process(run_config=conf, instance=instance, partition_key=year, raise_on_error=False)
        if not res.success:
            failed_years.append(year)
            print(f"  {year}: not published (its checks failed; see the run)", flush=True)
            continue
        rows = {m.asset_key.to_user_string(): m.metadata["dagster/row_count"].value
                for m in res.asset_materializations_for_node("dataset")}
        if rows.get("reports"):
            print(f"  {year}: {rows['reports']} reports, {rows.get('facts', 0)} facts", flush=True)
    defs.resolve_job_def("refresh_coverage").execute_in_process(run_config=conf, instance=instance, raise_on_error=False)
    summarise(data_dir, dagster_home, failed_years)
    return 1 if failed_years else 0


def summarise(data_dir: Path, dagster_home: Path, failed_years: list[str] | None = None) -> None:
    """What landed where: per-year counts read back from the dataset the assets wrote (local disk, or
    ``$NIANBAO_DATASET_URI`` when set), and how to query it."""
    from pipeline.locations import dataset_root, is_uri, shown
    from pipeline.query import connect

    root = dataset_root(data_dir)  # $NIANBAO_DATASET_URI when set, as the assets wrote it
    con = connect(root)
    print(f"\ndataset written under {shown(root)} (hive-partitioned Parquet, one partition per report year)")
    print(con.sql("SELECT report_year, count(*) AS reports, "
                  "count(*) FILTER (template_generation = 'g0') AS g0, count(*) FILTER (template_generation = 'g1') AS g1, "
                  "count(*) FILTER (template_generation = 'g2') AS g2, count(*) FILTER (template_generation = 'g3') AS g3, "
                  "count(*) FILTER (parse_status <> 'ok') AS not_parsed, count(DISTINCT region_code) AS regions "
                  "FROM reports GROUP BY ALL ORDER BY report_year"))
    print(con.sql("SELECT kind, parse_status, count(*) AS documents FROM documents GROUP BY ALL ORDER BY ALL"))
    print(con.sql("SELECT count(*) AS facts, count(DISTINCT indicator) AS indicators FROM facts"))
    if failed_years:
        print(f"years not published (their checks failed; the previous version stays): {failed_years}")
    print("Query it:\n"
          "  .venv/bin/nianbao query \"SELECT report_year, indicator, value FROM facts WHERE indicator='apply.new'\"\n"
          + ("" if is_uri(root) else
             f"  python -c \"import pandas as pd; print(pd.read_parquet('{root}/facts').head())\"\n")
          + f"Dagster UI with these runs (under the jobs nightly_crawl and publish_year): "
          f"DAGSTER_HOME={dagster_home} .venv/bin/dagster dev -w workspace.yaml")
