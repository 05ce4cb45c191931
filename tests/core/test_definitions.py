"""The Dagster code location loads, and its schedule and partitions are what operators expect."""

from datetime import UTC, datetime

from dagster_project.definitions import defs
from dagster_project.jobs import years_to_publish
from dagster_project.partitions import report_years


def test_definitions_load_with_the_nightly_schedule_and_checks():
    repo = defs.get_repository_def()
    assert {"nightly_crawl", "publish_year"} <= {j.name for j in repo.get_all_jobs()}
    assert repo.get_schedule_def("nightly_crawl_schedule").cron_schedule == "0 2 * * *"
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"crawl", "parsed_documents", "reports", "facts", "checks", "sources"} <= keys


def test_report_years_start_in_2008_and_end_with_the_last_complete_year():
    keys = report_years.get_partition_keys(current_time=datetime(2026, 11, 27, tzinfo=UTC))
    assert keys[0] == "2008" and keys[-1] == "2025"


def test_a_crawl_republishes_changed_years_and_last_year():
    valid = set(report_years.get_partition_keys(current_time=datetime(2026, 11, 27, tzinfo=UTC)))
    assert years_to_publish([2011, 2030], datetime(2026, 2, 1, tzinfo=UTC), valid) == ["2011", "2025"]


def test_dagster_cli_validates_the_workspace(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    dagster = Path(sys.executable).with_name("dagster")
    proc = subprocess.run([str(dagster), "definitions", "validate", "-w", "workspace.yaml"], cwd=root,
                          capture_output=True, text=True, env={**os.environ, "DAGSTER_HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "All code locations passed validation" in proc.stderr + proc.stdout
