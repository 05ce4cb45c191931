"""The whole machine: demo portal on loopback → real Scrapy process → raw store → Dagster → Parquet."""

from __future__ import annotations

import dagster as dg
import duckdb
import pandas as pd
import pytest

from dagster_project.assets.crawl import crawl
from dagster_project.assets.dataset import dataset
from dagster_project.assets.parse import documents, parsed_documents
from dagster_project.jobs import publish_after_crawl
from dagster_project.resources import NianbaoResource
from nianbao.cli import demo_registry_path
from nianbao.demo_portal.core import DemoServer
from nianbao.demo_portal.sites import build_portal

pytestmark = pytest.mark.e2e

DEMO_REPORT_YEARS = {2011, 2016, 2018, 2019, 2021}


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    portal = build_portal()
    # In-memory run storage: the runs are what is tested here, not SQLite (tests/e2e/test_dagster_ui.py runs on it),
    # whose per-event commits took half of each year's publish.
    with DemoServer(portal) as server, dg.DagsterInstance.ephemeral() as instance:
        resources = {"nianbao": NianbaoResource(data_dir=str(data), registry_path=demo_registry_path(),
                                                proxy=server.proxy_url)}
        first = dg.materialize([crawl, parsed_documents, documents], resources=resources, instance=instance)
        years = sorted(DEMO_REPORT_YEARS | {2020})
        runs = {y: dg.materialize([dataset], partition_key=str(y), resources=resources, instance=instance)
                for y in years}
        # a second run of one year must replace it, not add to it
        rerun = dg.materialize([dataset], partition_key="2021", resources=resources, instance=instance)
        yield {"data": data, "first": first, "runs": runs, "rerun": rerun, "portal": portal, "instance": instance}


def test_the_crawl_reports_its_stats_as_metadata(demo_run):
    assert demo_run["first"].success
    meta = demo_run["first"].asset_materializations_for_node("crawl")[0].metadata
    assert meta["documents_stored"].value >= len(DEMO_REPORT_YEARS)
    assert meta["finish_reasons"].value == ["finished"]
    assert meta["responses_by_status"].value.get("200", 0) >= len(DEMO_REPORT_YEARS)


def test_the_crawl_stayed_on_demo_hosts(demo_run):
    asked = {host for _, host, _ in demo_run["portal"].requests}
    assert asked <= set(demo_run["portal"].hosts)


def test_every_demo_report_lands_once_in_its_year(demo_run):
    assert all(r.success for r in demo_run["runs"].values()) and demo_run["rerun"].success
    reports = pd.read_parquet(demo_run["data"] / "dataset" / "reports")
    years = sorted(int(y) for y in reports["report_year"])
    assert sorted(DEMO_REPORT_YEARS) == sorted(set(years))
    assert len(years) == len(set(years)), "one report per year in the demo"
    assert reports["report_id"].is_unique


def test_the_seed_report_values_are_in_the_facts_table(demo_run):
    root = demo_run["data"] / "dataset"
    rows = duckdb.sql(
        f"""SELECT f.indicator, f.value, r.region_code, r.template_generation
            FROM read_parquet('{root}/facts/*/*.parquet', hive_partitioning=true) f
            JOIN read_parquet('{root}/reports/*/*.parquet', hive_partitioning=true) r USING (report_id)
            WHERE r.report_year = 2018"""
    ).fetchall()
    values = {ind: val for ind, val, _, _ in rows}
    assert values["proactive.items_total"] == 29009
    assert values["proactive.channel.website"] == 25331
    assert values["org.staff"] == 159
    assert values["org.staff.full_time"] == 32
    assert {(code, gen) for _, _, code, gen in rows} == {("430802", "g1")}


def test_facts_trace_back_to_source_url_and_bytes(demo_run):
    root = demo_run["data"] / "dataset"
    facts = pd.read_parquet(root / "facts")
    assert len(facts) > 0
    assert facts["source_url"].str.startswith("http://www.").all()
    assert facts["content_sha256"].str.len().eq(64).all()
    raw = demo_run["data"] / "raw"
    for sha in facts["content_sha256"].unique():
        assert list((raw / sha[:2]).glob(f"{sha}.*")), "every fact's document is in the raw store"


def test_after_a_crawl_the_sensor_asks_to_publish_the_years_it_changed(demo_run):
    first = demo_run["first"]
    context = dg.build_run_status_sensor_context(
        sensor_name="publish_after_crawl", dagster_event=first.get_run_success_event(),
        dagster_instance=demo_run["instance"], dagster_run=first.dagster_run,
    )
    keys = {req.partition_key for req in publish_after_crawl(context)}
    assert {str(y) for y in DEMO_REPORT_YEARS} <= keys
