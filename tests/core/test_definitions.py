"""The Dagster code location loads, and its assets, checks, schedule and partitions are what operators expect."""

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from dagster_project.definitions import defs
from dagster_project.jobs import years_to_publish
from dagster_project.partitions import report_years
from pipeline.version import assembly_version, parser_version

ROOT = Path(__file__).resolve().parents[2]
TABLES = {"reports", "facts", "checks", "sources"}


def test_definitions_load_with_the_nightly_schedule_and_checks():
    repo = defs.get_repository_def()
    assert {"nightly_crawl", "publish_year", "refresh_coverage"} <= {j.name for j in repo.get_all_jobs()}
    schedule = repo.get_schedule_def("nightly_crawl_schedule")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED, "it crawls real portals: ships stopped"
    assert schedule.description and repo.get_sensor_def("publish_after_crawl").description
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"crawl", "parsed_documents", "documents", "coverage"} | TABLES <= keys


def test_every_asset_has_a_description_owner_code_version_and_the_tables_a_column_schema():
    graph = defs.resolve_asset_graph()
    descriptions = set()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        name = key.to_user_string()
        assert node.description and node.owners and node.code_version, name
        descriptions.add(node.description)
        if name in TABLES | {"documents", "coverage"}:
            schema = node.metadata["dagster/column_schema"]
            assert isinstance(schema, dg.TableSchema) and len(schema.columns) > 5, name
    assert len(descriptions) == len(list(graph.get_all_asset_keys())), "one description per asset"
    assert graph.get(dg.AssetKey("parsed_documents")).code_version == parser_version()
    assert graph.get(dg.AssetKey("facts")).code_version == assembly_version()
    assert graph.get(dg.AssetKey("facts")).backfill_policy == dg.BackfillPolicy.multi_run(1)


def test_the_year_checks_are_per_partition_and_the_catalogue_check_blocks():
    graph = defs.resolve_asset_graph()
    specs = {key.name: graph.get_check_spec(key) for key in graph.asset_check_keys if key.asset_key.path[0] in TABLES}
    assert specs["indicator_codes_in_catalogue"].blocking and specs["one_row_per_report"].blocking
    assert all(spec.partitions_def == report_years for spec in specs.values())


def test_report_years_start_in_2008_and_end_with_the_last_complete_year():
    keys = report_years.get_partition_keys(current_time=datetime(2026, 11, 27, tzinfo=UTC))
    assert keys[0] == "2008" and keys[-1] == "2025"


def test_a_crawl_republishes_changed_years_and_last_year():
    valid = set(report_years.get_partition_keys(current_time=datetime(2026, 11, 27, tzinfo=UTC)))
    assert years_to_publish([2011, 2030], datetime(2026, 2, 1, tzinfo=UTC), valid) == ["2011", "2025"]


def test_dagster_cli_validates_the_workspace(tmp_path):
    dagster = Path(sys.executable).with_name("dagster")
    proc = subprocess.run([str(dagster), "definitions", "validate", "-w", "workspace.yaml"], cwd=ROOT,
                          capture_output=True, text=True, env={**os.environ, "DAGSTER_HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "All code locations passed validation" in proc.stderr + proc.stdout
