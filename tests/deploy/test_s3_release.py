"""The same release on local disk and on S3 (moto in server mode on loopback), built by the same code from the
same crawl: the document log (unparsed documents read back from the raw store), the coverage table, the
dictionaries and the description files are equal, and ``nianbao query`` / ``export`` / ``report`` give the same
answers from the S3 URI as from the local folder.

The inputs are five of the researcher tests' real fixtures (``tests/dataset/conftest.py``: Pingtan 2011 and
2021 and its listing page, Shanghai 2019, 永定区 2018 — the demo's year) and the failures a crawl records there
(a bot wall, robots.txt, a too-large attachment, a 404), parsed once; the raw bytes are put in a local raw
store and an S3 one, and three documents the parser has not read are left intact, deleted and overwritten
with other bytes in both. (Four years, not all ten: every publish on S3 copies the version's objects.)"""

from __future__ import annotations

import csv
import io
import json

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from tests.dataset.conftest import AS_OF, DOCUMENTS, FIXTURES, PINGTAN, PORTALS, _failures

DEMO_YEAR = 2018
CHOSEN = [DOCUMENTS[i] for i in (0, 4, 9, 10, 11)]  # Pingtan 2011, 2021, its listing; Shanghai 2019; 永定区 2018
UNPARSED = {"queued": b"%PDF-1.4 queued", "gone": b"%PDF-1.4 gone", "damaged": b"%PDF-1.4 damaged"}
TABLES = ("reports", "facts", "checks", "sources", "documents", "coverage", "indicators", "regions")


@pytest.fixture(scope="module")
def release(s3_server, tmp_path_factory):
    from pipeline.coverage import write_documents
    from pipeline.dataset import write_year
    from pipeline.manifest import ManifestRow, ManifestWriter
    from pipeline.process import process_document
    from pipeline.publish import assemble_year, document_row
    from pipeline.rawstore import RawStore
    from pipeline.release import write_release

    s3, template = s3_server
    data = tmp_path_factory.mktemp("data")
    raws = {"local": data / "raw", "s3": template.format("parity/raw")}
    roots = {"local": data / "dataset", "s3": template.format("parity/dataset")}
    stores = {where: RawStore(root) for where, root in raws.items()}
    writer = ManifestWriter(data, "night-1")
    results = []
    for fixture, url, media, portal in CHOSEN:
        body = (FIXTURES / fixture).read_bytes()
        ext = ".html" if media == "text/html" else ".txt"
        sha, path = stores["local"].put(body, ext)
        stores["s3"].put(body, ext)
        row = ManifestRow(url=url, portal_id=portal, fetched_at="2026-03-01T00:00:00Z", outcome="stored",
                          content_type=media, sha256=sha, raw_path=str(path), size=len(body))
        writer.write(row)
        results.append(process_document(body, row.__dict__, PORTALS[portal]))
    for name, body in UNPARSED.items():
        sha, path = stores["local"].put(body, ".pdf")
        stores["s3"].put(body, ".pdf")
        key = f"nianbao/parity/raw/{sha[:2]}/{sha}.pdf"
        if name == "gone":
            path.unlink()
            s3.delete_file(key)
        elif name == "damaged":
            path.write_bytes(b"%PDF-1.4 other bytes")
            with s3.open_output_stream(key) as fh:
                fh.write(b"%PDF-1.4 other bytes")
        writer.write(ManifestRow(url=f"{PINGTAN}202603/{name}.pdf", portal_id="350128-pingtan",
                                 fetched_at="2026-03-01T00:00:06Z", outcome="stored", kind="attachment", sha256=sha,
                                 raw_path=str(path), content_type="application/pdf", parent_url=CHOSEN[1][1],
                                 title="平潭综合实验区2025年度政府信息公开工作年度报告"))
    _failures(writer)
    writer.close()
    years = sorted({r["report"]["report_year"] for r in results if r["report"].get("report_year")})
    for where, root in roots.items():
        for year in years:
            rows = assemble_year(results, year)
            write_year(root, year, {t: rows[t] for t in ("reports", "facts", "checks", "sources")})
        write_documents(data, root, [document_row(r) for r in results], raw_root=raws[where])
        write_release(root, data, PORTALS, AS_OF)
    return {"s3": s3, "data": data, "roots": roots, "base": "nianbao/parity/dataset"}


def _s3_version(release) -> str:
    with release["s3"].open_input_stream(f"{release['base']}/_current") as fh:
        return f"{release['base']}/{json.loads(fh.read())['path']}"


def _s3_table(release, name: str):
    """What an external reader does: follow ``_current``, then read the table with plain pyarrow."""
    return ds.dataset(f"{_s3_version(release)}/{name}", filesystem=release["s3"], format="parquet",
                      partitioning="hive").to_table()


def test_the_s3_version_holds_every_table(release):
    from pyarrow.fs import FileSelector

    listed = {i.base_name for i in release["s3"].get_file_info(FileSelector(_s3_version(release)))}
    assert set(TABLES) | {"datapackage.json", "README.md"} <= listed


@pytest.mark.parametrize("name", ["coverage", "documents", "indicators", "regions"])
def test_the_unpartitioned_tables_are_equal_on_s3_and_on_disk(release, name):
    local = pq.read_table(release["roots"]["local"] / name / "part-0.parquet")
    on_s3 = _s3_table(release, name)
    assert on_s3.num_rows > 0
    assert on_s3.equals(local), f"{name}/ differs between S3 and local disk"


def test_unparsed_documents_are_read_back_from_the_s3_raw_store(release):
    status = {r["url"].rsplit("/", 1)[-1]: r["parse_status"] for r in _s3_table(release, "documents").to_pylist()}
    assert (status["queued.pdf"], status["gone.pdf"], status["damaged.pdf"]) == \
        ("not_parsed", "missing_raw", "corrupt_raw")


def test_coverage_on_s3_says_what_is_missing(release):
    status = {(r["portal_id"], r["report_year"]): r["status"] for r in _s3_table(release, "coverage").to_pylist()}
    assert status[("430802-yongding", DEMO_YEAR)] == "published"
    assert status[("350128-pingtan", 2011)] == "late"
    assert status[("310000-shanghai", 2021)] == "robots"
    assert status[("350000-fujian", 2023)] == "too_large"
    assert status[("350000-fujian", 2022)] == "blocked"


def test_the_description_files_are_equal_and_list_every_table(release):
    base = _s3_version(release)
    for name in ("datapackage.json", "README.md"):
        with release["s3"].open_input_stream(f"{base}/{name}") as fh:
            assert fh.read() == (release["roots"]["local"] / name).read_bytes(), name
    with release["s3"].open_input_stream(f"{base}/datapackage.json") as fh:
        package = json.loads(fh.read())
    assert {r["name"] for r in package["resources"]} == set(TABLES)
    for res in package["resources"]:  # every path the package names is an object of the version
        for path in res["path"]:
            assert pq.read_schema(f"{base}/{path}", filesystem=release["s3"]).names


def _run(argv: list[str], capsys) -> tuple[int, str, str]:
    from nianbao.cli import main

    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("table", TABLES)
def test_nianbao_query_returns_the_same_rows_from_s3_as_from_disk(release, capsys, table):
    sql = f"SELECT * FROM {table} ORDER BY ALL"
    local = _run(["query", "--data", str(release["data"]), "--format", "json", sql], capsys)
    on_s3 = _run(["query", "--dataset", release["roots"]["s3"], "--format", "json", sql], capsys)
    assert local[0] == on_s3[0] == 0, on_s3[2]
    assert json.loads(local[1]), f"{table} has rows"
    assert on_s3[1] == local[1]


def test_the_demo_year_from_nianbao_dataset_uri_matches_disk_with_types_and_columns(release, capsys, monkeypatch):
    sql = (f"SELECT f.*, r.region_code, r.first_publish_date FROM facts f JOIN reports r USING (report_id, report_year) "
           f"WHERE f.report_year = {DEMO_YEAR} ORDER BY ALL")
    describe = "DESCRIBE SELECT * FROM facts"
    local = [_run(["query", "--data", str(release["data"]), "--format", "csv", q], capsys)[1] for q in (sql, describe)]
    monkeypatch.setenv("NIANBAO_DATASET_URI", release["roots"]["s3"])
    on_s3 = [_run(["query", "--format", "csv", q], capsys)[1] for q in (sql, describe)]
    assert on_s3 == local
    rows = list(csv.DictReader(io.StringIO(on_s3[0])))
    values = {r["indicator"]: float(r["value"]) for r in rows if r["value"]}
    assert values["proactive.items_total"] == 29009 and values["org.staff"] == 159  # printed in 永定区's report
    assert {r["region_code"] for r in rows} == {"430802"}
    assert '"report_year","SMALLINT"' in on_s3[1]


def test_nianbao_export_and_report_read_the_s3_dataset(release, capsys, tmp_path):
    for name, args in {"facts.csv": ["--table", "facts", "--year", str(DEMO_YEAR)], "wide.csv": ["--table", "wide"],
                       "coverage.parquet": ["--table", "coverage"]}.items():
        outputs = {}
        for where, source in {"local": ["--data", str(release["data"])],
                              "s3": ["--dataset", release["roots"]["s3"]]}.items():
            out = tmp_path / where / name
            out.parent.mkdir(exist_ok=True)
            code, _, err = _run(["export", *args, "--output", str(out), *source], capsys)
            assert code == 0, err
            outputs[where] = out.read_bytes()
        assert outputs["s3"] == outputs["local"], name
    pages = {}
    for where, source in {"local": ["--data", str(release["data"])], "s3": ["--dataset", release["roots"]["s3"]]}.items():
        code, _, err = _run(["report", "--output", str(tmp_path / f"page-{where}"), *source], capsys)
        assert code == 0, err
        pages[where] = (tmp_path / f"page-{where}" / "index.html").read_text(encoding="utf-8")
    assert pages["s3"] == pages["local"] and "data-marks" in pages["s3"]


def test_an_empty_s3_prefix_is_one_line_without_credentials(release, capsys):
    empty = release["roots"]["s3"].replace("parity/dataset", "parity/nothing-here")
    for argv in (["query", "--dataset", empty, "SELECT 1"],
                 ["export", "--dataset", empty, "--table", "facts", "--output", "x.csv"],
                 ["report", "--dataset", empty, "--output", "page"]):
        code, out, err = _run(argv, capsys)
        assert code == 2 and out == ""
        assert err.startswith("nianbao: no dataset under s3://nianbao/parity/nothing-here:") and err.count("\n") == 1
        assert "testing" not in err and "endpoint_override" not in err
