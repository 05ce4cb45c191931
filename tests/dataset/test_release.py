"""The written release: dictionaries, coverage, documents, README and datapackage.json."""

from __future__ import annotations

import json

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.indicators import SPEC_DIR, catalogue
from pipeline.query import connect
from pipeline.schema import SCHEMA_VERSION


def test_indicators_csv_reads_in_pandas_and_duckdb() -> None:
    path = SPEC_DIR / "indicators.csv"
    frame = pd.read_csv(path, dtype=str)
    assert len(frame) == len(catalogue()) and frame["code"].is_unique
    assert frame["label_en"].notna().all()
    assert frame.loc[frame.code == "apply.new.channel.letter_fax", "notes"].str.contains("Fujian, 2015").all()
    con = duckdb.connect()
    n, labelled = con.execute(f"SELECT count(*), count(label_en) FROM read_csv('{path}', header = true, all_varchar = true)").fetchone()
    assert n == labelled == len(frame)


def test_reposted_report_is_on_time_from_its_first_appearance(release) -> None:
    con = connect(release["root"])
    row = con.execute("SELECT first_publish_date::VARCHAR, publish_date::VARCHAR, days_late, n_sources FROM reports "
                      "WHERE agency_name_norm LIKE '%永定区%' AND report_year = 2018").fetchall()
    assert row == [("2019-03-05", "2019-05-20", -26, 2)]


def test_report_check_counts_match_the_checks_table(release) -> None:
    con = connect(release["root"])
    bad = con.execute("""SELECT r.report_id FROM reports r LEFT JOIN (SELECT report_id, count(*) FILTER (status = 'passed') p,
                         count(*) FILTER (status = 'failed') f FROM checks GROUP BY ALL) c USING (report_id)
                         WHERE r.checks_passed != coalesce(c.p, 0) OR r.checks_failed != coalesce(c.f, 0)""").fetchall()
    assert bad == []
    assert con.execute("SELECT count(*) FROM checks WHERE rule_id LIKE 'xyear.%'").fetchone()[0] > 0


def test_dictionaries_label_every_fact(release) -> None:
    con = connect(release["root"])
    unlabelled = con.execute("""SELECT DISTINCT f.indicator FROM facts f JOIN reports r USING (report_id)
                                LEFT JOIN indicators i ON i.code = f.indicator AND i.generation = r.template_generation
                                WHERE i.label_en IS NULL AND f.indicator NOT LIKE 'local.%'""").fetchall()
    assert unlabelled == []
    assert con.execute("SELECT name, level FROM regions WHERE code = '350128' AND valid_to >= 2021").fetchall() == [("平潭县", "county")]


def test_coverage_says_what_is_missing(release) -> None:
    cov = pd.read_parquet(release["root"] / "coverage")
    status = {(r.portal_id, r.report_year): r.status for r in cov.itertuples()}
    assert status[("350128-pingtan", 2021)] == "published"
    assert status[("350128-pingtan", 2011)] == "late"  # 2012-04-18, after 31 March
    assert status[("310000-shanghai", 2019)] == "published"
    assert status[("310000-shanghai", 2021)] == "robots"
    assert status[("310000-shanghai", 2025)] == "not_yet_due"  # as of 2026-03-20
    assert status[("350000-fujian", 2023)] == "too_large"
    assert status[("350000-fujian", 2022)] == "blocked"  # 404 for the page, and the listing is walled off
    assert status[("350128-pingtan", 2018)] == "not_found"
    fj = cov[(cov.portal_id == "350000-fujian") & (cov.report_year == 2022)].iloc[0]
    assert (fj.not_found, fj.blocked, fj.province) == (1, 1, "福建省")
    assert cov.groupby(["portal_id", "report_year"]).size().max() == 1


def test_documents_hold_every_stored_document_with_relative_paths(release) -> None:
    docs = pd.read_parquet(release["root"] / "documents")
    assert len(docs) == 14  # 12 fixtures, the re-post and the queued attachment
    assert set(docs.parse_status) >= {"ok", "not_a_report", "not_parsed"}
    assert docs.raw_path.str.match(r"^raw/[0-9a-f]{2}/[0-9a-f]{64}\.\w+$").all()
    assert all((release["data"] / p).is_file() for p in docs.raw_path)


def test_release_is_self_describing(release) -> None:
    root = release["root"]
    package = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    assert package["schema_version"] == SCHEMA_VERSION
    names = {r["name"]: r for r in package["resources"]}
    assert set(names) == {"reports", "facts", "checks", "sources", "documents", "coverage", "indicators", "regions"}
    assert all(f.get("description") for r in package["resources"] for f in r["schema"]["fields"])
    fields = {f["name"]: f for f in names["reports"]["schema"]["fields"]}
    assert fields["first_publish_date"]["type"] == "date" and "description" in fields["days_late"]
    for res in package["resources"]:
        for path in res["path"]:
            assert pq.read_schema(root / path).metadata[b"nianbao.schema_version"] == SCHEMA_VERSION.encode()
            assert pq.read_schema(root / path).names == [f["name"] for f in res["schema"]["fields"]
                                                          if f["name"] != "report_year" or res["name"] not in (
                                                              "reports", "facts", "checks", "sources")]
    text = (root / "README.md").read_text(encoding="utf-8")
    assert SCHEMA_VERSION in text and "`value_decimal`" in text and "CC-BY-4.0" in text


def test_dates_and_money_have_proper_types(release) -> None:
    reports = pq.read_table(release["root"] / "reports").schema
    assert str(reports.field("publish_date").type) == "date32[day]"
    facts = pq.read_table(release["root"] / "facts")
    assert str(facts.schema.field("value_decimal").type) == "decimal128(38, 8)"
    money = facts.filter(pc.is_in(facts["unit"], pa.array(["cny", "cny_10k"]))).to_pylist()
    assert money and all(f["value_decimal"] is not None for f in money if f["value"] is not None)


def test_rebuilding_coverage_refreshes_the_description(release, tmp_path) -> None:
    import shutil

    from pipeline.coverage import write_coverage

    root = tmp_path / "dataset"
    shutil.copytree(release["root"], root)
    for name in ("README.md", "datapackage.json"):
        (root / name).unlink()
    shutil.rmtree(root / "indicators")
    write_coverage(release["data"], root)  # what the Dagster coverage asset calls
    package = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    assert {"coverage", "indicators", "regions"} <= {r["name"] for r in package["resources"]}
    assert (root / "README.md").is_file() and not list(root.glob(".*.tmp"))
