"""The Dagster UI's GraphQL API shows what the runs did: a real webserver on loopback over a Dagster
instance where the code location's own jobs ran against the demo portal. Asset checks carry their
report year, a year whose blocking check failed shows a failed run with the reason, and the tables'
materializations carry their row counts."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import dagster as dg
import pyarrow.parquet as pq
import pytest

from dagster_project.definitions import defs
from nianbao.cli import demo_registry_path
from nianbao.demo import run_config
from nianbao.demo_portal.core import DemoServer
from nianbao.demo_portal.sites import build_portal

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]

CHECKS = """query($check: String!) {
  assetCheckExecutions(assetKey: {path: ["facts"]}, checkName: $check, limit: 20) {
    runId status partition
    evaluation { success partition metadataEntries { label ... on JsonMetadataEntry { jsonString } } }
  }
}"""
RUNS = """{ runsOrError { ... on Runs { results { runId jobName status tags { key value } } } } }"""
FAILURE = """query($runId: ID!) {
  logsForRun(runId: $runId) { ... on EventConnection { events { __typename
    ... on ExecutionStepFailureEvent { error { message } } } } }
}"""
ROWS = """{ assetOrError(assetKey: {path: ["facts"]}) { ... on Asset {
  assetMaterializations(limit: 20) { partition runId metadataEntries { label ... on IntMetadataEntry { intValue } } } } } }"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _graphql(port: int, query: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=body,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        payload = json.loads(resp.read())
    assert "errors" not in payload, payload.get("errors")
    return payload["data"]


@pytest.fixture(scope="module")
def ui(tmp_path_factory):
    home, data = tmp_path_factory.mktemp("dagster_home"), tmp_path_factory.mktemp("data")
    instance = dg.DagsterInstance.from_config(str(home))
    runs = {}
    with DemoServer(build_portal()) as server:
        conf = run_config(data, demo_registry_path(), server.proxy_url)
        runs["crawl"] = defs.resolve_job_def("nightly_crawl").execute_in_process(run_config=conf, instance=instance)
    publish = defs.resolve_job_def("publish_year")
    runs["2018"] = publish.execute_in_process(run_config=conf, instance=instance, partition_key="2018")
    runs["2021"] = publish.execute_in_process(run_config=conf, instance=instance, partition_key="2021")
    facts_2021 = data / "dataset" / "facts" / "report_year=2021" / "part-0.parquet"
    published = pq.read_table(facts_2021)
    # The catalogue loses a code the 2021 report uses: the blocking check must keep 2021 as it was.
    from pipeline import year_checks

    codes = year_checks.catalogue()
    real = year_checks.catalogue
    year_checks.catalogue = lambda: {c: v for c, v in codes.items() if c != "apply.new"}
    try:
        runs["2021-rejected"] = publish.execute_in_process(run_config=conf, instance=instance, partition_key="2021",
                                                           raise_on_error=False)
    finally:
        year_checks.catalogue = real
    assert pq.read_table(facts_2021).equals(published), "the rejected year left the published one in place"
    instance.dispose()

    port = _free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home), "NIANBAO_DATA": str(data)}
    web = subprocess.Popen([str(Path(sys.executable).with_name("dagster-webserver")), "-w", "workspace.yaml",
                            "-h", "127.0.0.1", "-p", str(port)], cwd=ROOT, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5)
                break
            except OSError:
                assert web.poll() is None and time.monotonic() < deadline, "dagster-webserver did not come up"
                time.sleep(1)
        yield {"port": port, "runs": {k: r.run_id for k, r in runs.items()}}
    finally:
        web.terminate()
        web.wait(timeout=30)


def test_runs_appear_under_the_code_locations_jobs_with_their_status(ui):
    results = _graphql(ui["port"], RUNS)["runsOrError"]["results"]
    by_id = {r["runId"]: r for r in results}
    ids = ui["runs"]
    assert by_id[ids["crawl"]]["jobName"] == "nightly_crawl" and by_id[ids["crawl"]]["status"] == "SUCCESS"
    assert {by_id[ids[k]]["jobName"] for k in ("2018", "2021", "2021-rejected")} == {"publish_year"}
    assert by_id[ids["2021"]]["status"] == "SUCCESS" and by_id[ids["2021-rejected"]]["status"] == "FAILURE"
    tags = {t["key"]: t["value"] for t in by_id[ids["2021-rejected"]]["tags"]}
    assert tags["dagster/partition"] == "2021"


def test_the_rejected_year_says_why(ui):
    events = _graphql(ui["port"], FAILURE, {"runId": ui["runs"]["2021-rejected"]})["logsForRun"]["events"]
    messages = [e["error"]["message"] for e in events if e["__typename"] == "ExecutionStepFailureEvent"]
    assert messages and "indicator_codes_in_catalogue" in messages[0] and "apply.new" in messages[0]
    assert "previous version stays" in messages[0]


def test_asset_checks_carry_their_report_year(ui):
    executions = _graphql(ui["port"], CHECKS, {"check": "indicator_codes_in_catalogue"})["assetCheckExecutions"]
    seen = {(e["runId"], e["partition"], e["evaluation"]["success"]) for e in executions}
    ids = ui["runs"]
    assert {(ids["2018"], "2018", True), (ids["2021"], "2021", True), (ids["2021-rejected"], "2021", False)} <= seen
    failed = next(e for e in executions if e["runId"] == ids["2021-rejected"])
    unknown = next(m for m in failed["evaluation"]["metadataEntries"] if m["label"] == "unknown_codes")
    assert json.loads(unknown["jsonString"]) == ["apply.new"]


def test_table_materializations_carry_row_counts_per_year(ui):
    mats = _graphql(ui["port"], ROWS)["assetOrError"]["assetMaterializations"]
    counts = {m["partition"]: next(e["intValue"] for e in m["metadataEntries"] if e["label"] == "dagster/row_count")
              for m in mats}
    assert set(counts) == {"2018", "2021"} and all(n > 0 for n in counts.values())
