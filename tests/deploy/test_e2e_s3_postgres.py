"""The demo pipeline deployed beyond one machine: Dagster's runs and events in a real PostgreSQL server, the
raw store and the published dataset on an S3 endpoint (moto server), both on loopback.

One small demo portal (张家界市永定区, its real 2018 report) is crawled by the project's own crawl asset (a
real Scrapy process over HTTP to the demo portal), parsed, published as report year 2018 and its coverage
refreshed — the asset selections of the code location's jobs ``nightly_crawl``, ``publish_year`` and
``refresh_coverage``, in the order ``nianbao demo`` runs them on local disk — configured as an operator
would: ``deploy/dagster.yaml`` unchanged, ``NIANBAO_RAW_URI`` / ``NIANBAO_DATASET_URI`` bound with
``dg.EnvVar`` and AWS credentials in the environment. The tests then look where a user would."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from .conftest import S3_KEYS

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
PORTAL = "demo-430802-yongding"
YEAR = 2018
CRAWLED_AT = {"reports", "sources", "documents"}  # tables with fetched_at: when each crawl ran, so not equal


def _pipeline(instance, **config) -> dict:
    """The demo portal crawled, parsed, 2018 published and coverage refreshed: the asset selections of the jobs
    ``nightly_crawl``, ``publish_year`` and ``refresh_coverage``, in the order ``nianbao demo`` runs them."""
    import dagster as dg

    from dagster_project.assets.crawl import crawl
    from dagster_project.assets.dataset import dataset
    from dagster_project.assets.parse import coverage, documents, parsed_documents
    from dagster_project.jobs import nightly, publish, refresh_coverage
    from dagster_project.resources import NianbaoResource
    from nianbao.cli import demo_registry_path
    from nianbao.demo_portal.core import DemoServer
    from nianbao.demo_portal.sites import build_portal

    assets = [crawl, parsed_documents, documents, dataset, coverage]
    with DemoServer(build_portal()) as server:
        resources = {"nianbao": NianbaoResource(registry_path=demo_registry_path(), portal_ids=[PORTAL],
                                                proxy=server.proxy_url, **config)}
        return {
            "first": dg.materialize(assets, selection=nightly.selection, resources=resources, instance=instance),
            "year": dg.materialize(assets, selection=publish.selection, partition_key=str(YEAR), resources=resources,
                                   instance=instance),
            "coverage": dg.materialize(assets, selection=refresh_coverage.selection, resources=resources,
                                       instance=instance),
        }


@pytest.fixture(scope="module")
def deployed(postgres, s3_server, tmp_path_factory):
    import dagster as dg

    s3, template = s3_server
    endpoint = template.split("?", 1)[1]
    raw_uri, dataset_uri = (f"s3://nianbao/e2e/{name}?{endpoint}" for name in ("raw", "dataset"))  # keys from env
    home, data = tmp_path_factory.mktemp("dagster_home"), tmp_path_factory.mktemp("data")
    shutil.copy(ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    with pytest.MonkeyPatch.context() as env:
        for key, value in {**postgres, **S3_KEYS, "NIANBAO_RAW_URI": raw_uri, "NIANBAO_DATASET_URI": dataset_uri}.items():
            env.setenv(key, value)
        with dg.DagsterInstance.from_config(str(home)) as instance:
            runs = _pipeline(instance, data_dir=str(data), raw_uri=dg.EnvVar("NIANBAO_RAW_URI"),
                             dataset_uri=dg.EnvVar("NIANBAO_DATASET_URI"))
            storage = (type(instance.run_storage).__name__, type(instance.event_log_storage).__name__)
        yield {"s3": s3, "data": data, "home": home, **runs, "storage": storage, "postgres": postgres,
               "dataset_uri": dataset_uri}


@pytest.fixture(scope="module")
def on_local_disk(tmp_path_factory):
    """The same runs on local disk with Dagster's default SQLite storage: what the S3 deployment must equal."""
    import dagster as dg

    home, data = tmp_path_factory.mktemp("dagster_home_local"), tmp_path_factory.mktemp("data_local")
    with pytest.MonkeyPatch.context() as env:
        for key in ("NIANBAO_RAW_URI", "NIANBAO_DATASET_URI"):
            env.delenv(key, raising=False)
        with dg.DagsterInstance.from_config(str(home)) as instance:
            runs = _pipeline(instance, data_dir=str(data))
            storage = type(instance.run_storage).__name__
    return {"data": data, **runs, "storage": storage}


def _files(s3, base: str) -> dict[str, bytes]:
    from pyarrow.fs import FileSelector, FileType

    out = {}
    for info in s3.get_file_info(FileSelector(base, recursive=True, allow_not_found=True)):
        if info.type == FileType.File:
            with s3.open_input_stream(info.path) as fh:
                out[info.path[len(base) + 1:]] = fh.read()
    return out


def test_the_runs_succeed_on_postgres_storage(deployed):
    assert deployed["storage"] == ("PostgresRunStorage", "PostgresEventLogStorage")
    assert deployed["first"].success and deployed["year"].success and deployed["coverage"].success
    crawled = deployed["first"].asset_materializations_for_node("crawl")[0].metadata
    assert crawled["documents_stored"].value >= 1


def test_raw_documents_are_objects_on_s3_under_their_sha256_and_none_on_local_disk(deployed):
    import hashlib

    from pipeline.state import ManifestState

    objects = _files(deployed["s3"], "nianbao/e2e/raw")
    assert objects, "the crawl stored its documents on S3"
    for rel, body in objects.items():
        sha = hashlib.sha256(body).hexdigest()
        assert rel == f"{sha[:2]}/{sha}{Path(rel).suffix}", f"{rel} is not named by its content's hash"
    stored = list(ManifestState(deployed["data"]).stored("report"))
    assert stored, "the manifest (local working state) lists the stored report"
    for row in stored:
        assert row["raw_path"] == f"s3://nianbao/e2e/raw/{row['sha256'][:2]}/{Path(row['raw_path']).name}"
        assert Path(row["raw_path"]).name in {Path(rel).name for rel in objects}
    local = deployed["data"] / "raw"
    assert not [p for p in local.rglob("*") if p.is_file()], "no raw bytes on local disk"
    assert not (deployed["data"] / "dataset").exists(), "no dataset on local disk"


def test_the_published_year_is_read_from_s3_by_plain_pyarrow(deployed):
    import pyarrow.dataset as ds

    s3, root = deployed["s3"], "nianbao/e2e/dataset"
    with s3.open_input_stream(f"{root}/_current") as fh:  # what an external reader does: the pointer first
        pointer = json.loads(fh.read())

    def table(name: str):
        return ds.dataset(f"{root}/{pointer['path']}/{name}", filesystem=s3, format="parquet",
                          partitioning="hive").to_table().to_pylist()

    reports = table("reports")
    assert [(r["report_year"], r["region_code"], r["template_generation"]) for r in reports] == [(YEAR, "430802", "g1")]
    facts = {f["indicator"]: f["value"] for f in table("facts")}
    assert facts["proactive.items_total"] == 29009  # the figures printed in 永定区's 2018 report
    assert facts["org.staff"] == 159 and facts["org.staff.full_time"] == 32
    raw = _files(s3, "nianbao/e2e/raw")
    assert {f["content_sha256"] for f in table("facts")} <= {Path(rel).name.split(".")[0] for rel in raw}, \
        "every fact traces back to bytes in the S3 raw store"
    documents = table("documents")
    assert {d["parse_status"] for d in documents if d["kind"] == "report"} == {"ok"}


def _current_version(s3, root: str) -> str:
    with s3.open_input_stream(f"{root}/_current") as fh:
        return f"{root}/{json.loads(fh.read())['path']}"


def test_coverage_and_the_description_are_on_s3_and_read_by_plain_pyarrow(deployed):
    import pyarrow.dataset as ds

    s3 = deployed["s3"]
    base = _current_version(s3, "nianbao/e2e/dataset")

    def table(name: str) -> list[dict]:
        return ds.dataset(f"{base}/{name}", filesystem=s3, format="parquet").to_table().to_pylist()

    rows = {(r["portal_id"], r["report_year"]): r for r in table("coverage")}
    ours = rows[(PORTAL, YEAR)]
    assert (ours["status"], ours["published"], ours["region_code"], ours["province"]) == ("published", 1, "430802", "湖南省")
    assert [y for (p, y), r in sorted(rows.items()) if p == PORTAL and r["published"]] == [YEAR], "only 2018 published"
    meta = deployed["coverage"].asset_materializations_for_node("coverage")[0].metadata
    assert meta["dagster/row_count"].value == len(rows) and meta["path"].value.startswith(base)
    assert {r["code"] for r in table("indicators")} >= {"proactive.items_total", "org.staff"}
    assert [r["name"] for r in table("regions") if r["code"] == "430802"][:1] == ["永定区"]
    with s3.open_input_stream(f"{base}/datapackage.json") as fh:
        package = json.loads(fh.read())
    assert {r["name"] for r in package["resources"]} == {"reports", "facts", "checks", "sources", "documents",
                                                          "coverage", "indicators", "regions"}
    assert {"reports/report_year=2018/part-0.parquet"} == set(next(r for r in package["resources"]
                                                                    if r["name"] == "reports")["path"])
    with s3.open_input_stream(f"{base}/README.md") as fh:
        assert "## `coverage`" in fh.read().decode("utf-8")
    assert not (deployed["data"] / "dataset").exists(), "nothing of the dataset on local disk"


def test_nianbao_query_reads_the_year_from_the_s3_uri(deployed, capsys, monkeypatch):
    from nianbao.cli import main

    sql = ("SELECT r.region_code, f.value FROM facts f JOIN reports r USING (report_id) "
           "WHERE f.indicator = 'proactive.items_total' AND f.report_year = 2018")
    assert main(["query", "--dataset", deployed["dataset_uri"], "--format", "json", sql]) == 0
    assert json.loads(capsys.readouterr().out) == [{"region_code": "430802", "value": 29009.0}]
    monkeypatch.setenv("NIANBAO_DATASET_URI", deployed["dataset_uri"])  # as the pipeline was configured
    coverage = "SELECT status FROM coverage WHERE portal_id = 'demo-430802-yongding' AND report_year = 2018"
    assert main(["query", "--format", "csv", coverage]) == 0
    assert capsys.readouterr().out.splitlines() == ['"status"', '"published"']
    assert main(["query", "--data", str(deployed["data"]), coverage]) == 2  # an explicit folder wins: none there
    assert "NIANBAO_DATASET_URI is set" in capsys.readouterr().err


def test_the_demo_summary_reads_what_the_assets_wrote_on_s3(deployed, capsys, monkeypatch):
    """``nianbao demo`` ends with a summary read back from the dataset: on an S3 deployment that is the
    URI the assets wrote, not a local folder, and no pandas line pointing at a folder that does not exist."""
    from nianbao.demo import summarise
    from pipeline.locations import shown

    monkeypatch.setenv("NIANBAO_DATASET_URI", deployed["dataset_uri"])
    summarise(deployed["data"], deployed["home"])
    out = capsys.readouterr().out
    assert f"dataset written under {shown(deployed['dataset_uri'])}" in out
    year_row = next(line for line in out.splitlines() if line.strip("│ ").startswith("2018"))
    assert year_row.split("│")[2].strip() == "1", year_row  # one report, read from S3
    assert "pd.read_parquet" not in out


def test_the_project_reader_takes_the_same_uri(deployed):
    from pipeline.dataset import read_table, years_present

    assert years_present(deployed["dataset_uri"], "facts") == [YEAR]
    assert read_table(deployed["dataset_uri"], "reports", YEAR).num_rows == 1


def test_duckdb_reads_the_year_from_s3_when_httpfs_is_available(deployed):
    import duckdb

    con = duckdb.connect()
    try:
        con.execute("LOAD httpfs")
    except duckdb.Error as exc:
        pytest.skip(f"DuckDB's httpfs extension is not installed and cannot be downloaded offline: {exc}".split("\n")[0])
    endpoint = deployed["dataset_uri"].split("endpoint_override=")[1].split("&")[0]
    con.execute(f"CREATE SECRET (TYPE s3, KEY_ID 'testing', SECRET 'testing', REGION 'us-east-1', "
                f"ENDPOINT '{endpoint}', URL_STYLE 'path', USE_SSL false)")
    path = con.sql("SELECT path FROM read_json('s3://nianbao/e2e/dataset/_current')").fetchone()[0]
    value = con.sql(f"SELECT value FROM read_parquet('s3://nianbao/e2e/dataset/{path}/facts/*/*.parquet', "
                    "hive_partitioning = true) WHERE indicator = 'proactive.items_total'").fetchone()[0]
    assert value == 29009


def test_the_runs_and_their_materializations_are_in_postgres(deployed):
    import psycopg2

    pg = deployed["postgres"]
    run_ids = [deployed["first"].run_id, deployed["year"].run_id, deployed["coverage"].run_id]
    with psycopg2.connect(host="127.0.0.1", port=int(pg["DAGSTER_PG_PORT"]), user="postgres",
                          dbname="postgres") as con, con.cursor() as cur:
        cur.execute("SELECT run_id, status FROM runs WHERE run_id = ANY(%s)", (run_ids,))
        assert dict(cur.fetchall()) == dict.fromkeys(run_ids, "SUCCESS")
        cur.execute("SELECT DISTINCT asset_key FROM event_logs WHERE run_id = ANY(%s) AND "
                    "dagster_event_type = 'ASSET_MATERIALIZATION'", (run_ids,))
        keys = {json.loads(row[0])[0] for row in cur.fetchall()}
    assert {"crawl", "parsed_documents", "documents", "reports", "facts", "checks", "sources", "coverage"} <= keys
    assert not list(deployed["home"].rglob("*.db")), "no SQLite storage beside the PostgreSQL one"


@pytest.mark.parametrize("table", ["reports", "facts", "checks", "sources", "documents", "coverage", "indicators",
                                   "regions"])
def test_nianbao_query_gives_the_same_rows_as_the_same_runs_on_local_disk_and_sqlite(deployed, on_local_disk, capsys,
                                                                                    table):
    from nianbao.cli import main

    assert on_local_disk["storage"] == "SqliteRunStorage"
    assert all(on_local_disk[k].success for k in ("first", "year", "coverage"))
    assert (on_local_disk["data"] / "dataset" / table).is_dir(), "the local runs wrote to local disk"
    sql = f"SELECT * EXCLUDE (fetched_at) FROM {table} ORDER BY ALL" if table in CRAWLED_AT else \
        f"SELECT * FROM {table} ORDER BY ALL"
    assert main(["query", "--data", str(on_local_disk["data"]), "--format", "json", sql]) == 0
    local = capsys.readouterr().out
    assert main(["query", "--dataset", deployed["dataset_uri"], "--format", "json", sql]) == 0
    on_s3 = capsys.readouterr().out
    assert json.loads(local), f"{table} has rows"
    assert on_s3 == local

