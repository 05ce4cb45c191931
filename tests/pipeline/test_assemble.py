"""The streamed year (pipeline.assemble.stream_year, what publish_year writes) equals the in-memory
reference (assemble_rows → the dict writer) on real pages and their generated clones; stored rows that do
not fit their typed records are rejected; memory does not grow with the number of reports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from pipeline.assemble import Rejected, assemble_rows, enrich_results, stream_year
from pipeline.dataset import file_schema, to_arrow
from pipeline.parsed_store import ParsedStore
from pipeline.process import process_document
from pipeline.publish import document_row

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "real" / "pingtan"
PINGTAN = "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/"
PORTALS = {"350128-pingtan": {"id": "350128-pingtan", "name": "平潭综合实验区党工委管委会", "region_code": "350128",
                              "admin_level": "county"}}
PAGES = ("t20200120_80576.htm", "t20210305_80595.archive.txt", "t20220208_80613.htm", "t20230220_80629.archive.txt",
         "t20240308_87885.archive.txt")
TABLES = ("facts", "checks", "reports", "sources")


def _parse(name: str, url: str) -> dict:
    body = (FIXTURES / name).read_bytes()
    row = {"url": url, "portal_id": "350128-pingtan", "fetched_at": "2026-03-01T00:00:00Z", "kind": "report",
           "sha256": f"{abs(hash(name)):064d}"[-64:], "content_type": "text/html" if name.endswith(".htm") else "text/plain"}
    return process_document(body, row, None, None, enrich=False)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Real 平潭 pages 2019–2023 (consecutive years: cross-year identities), a mirror of one page (same
    bytes, another URL) and a correction re-post, plus national-corpus clones of the pages (other
    agencies, both years) — stored in the columnar parsed store in small batches."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from national_corpus import Template, generate

    results = [_parse(name, PINGTAN + name) for name in PAGES]
    mirror = json.loads(json.dumps(results[2]))
    mirror["report"].update(source_url="https://m.pingtan.gov.cn/nb/2021.htm", source_site="m.pingtan.gov.cn")
    correction = json.loads(json.dumps(results[3]))
    correction["report"].update(source_url=PINGTAN + "fixed-2022.htm", title=correction["report"]["title"] + "（更正）",
                                content_sha256="f" * 64, publish_date="2023-04-01")
    for fact in correction["facts"]:
        fact.update(source_url=PINGTAN + "fixed-2022.htm", content_sha256="f" * 64)
    results += [mirror, correction]
    templates = [Template(f"real/pingtan/{name}", res["report"]["template_generation"], res)
                 for name, res in zip(PAGES, results, strict=False) if res["report"]["parse_status"] == "ok"]
    for year in (2021, 2022):
        results += [res for _, res, _ in generate(year, 40, templates, seed=7, agency_year=2022)]
    data = tmp_path_factory.mktemp("data")
    store = ParsedStore(data, batch_size=23)
    for res in results:
        store.put(res["report"]["source_url"], res["report"]["content_sha256"], res, document_row(res))
    store.commit()
    store.close()
    return {"data": data, "results": results}


def _streamed(data: Path, year: int, **kw) -> dict[str, pa.Table]:
    store = ParsedStore(data)
    streamed = stream_year(store, year, portals=PORTALS, **kw)
    try:
        return {t: pa.Table.from_batches(list(streamed.tables[t]), file_schema(t)) for t in TABLES}
    finally:
        streamed.close()
        store.close()


@pytest.mark.parametrize("year", [2021, 2022, 2023])
def test_the_streamed_year_equals_the_in_memory_rows(corpus: dict, year: int) -> None:
    rows = assemble_rows(enrich_results(corpus["results"], PORTALS), year)
    got = _streamed(corpus["data"], year, docs_per_bucket=7)  # several buckets: their order must hold
    assert len(got["reports"]) >= (40 if year < 2023 else 1)
    for table in TABLES:
        want = to_arrow(table, rows[table])
        assert got[table].num_rows == want.num_rows, table
        assert got[table].equals(want), f"{table} {year}: first difference " + next(
            (f"{name}: {a} != {b}" for name in want.schema.names
             for a, b in zip(got[table][name].to_pylist(), want[name].to_pylist(), strict=True) if a != b), "?")
    if year == 2022:
        assert any(r.startswith("xyear.") for r in got["checks"]["rule_id"].to_pylist())
        assert sum(got["sources"]["is_correction"].to_pylist()) == 1


def test_bucket_size_does_not_change_the_year(corpus: dict) -> None:
    one, many = _streamed(corpus["data"], 2022, docs_per_bucket=10_000), _streamed(corpus["data"], 2022, docs_per_bucket=3)
    assert all(one[t].equals(many[t]) for t in TABLES)


def test_a_stored_fact_with_an_unknown_field_is_rejected(tmp_path: Path, corpus: dict) -> None:
    res = json.loads(json.dumps(corpus["results"][1]))
    res["facts"][0]["colour"] = "red"
    store = ParsedStore(tmp_path)
    store.put(res["report"]["source_url"], res["report"]["content_sha256"], res, document_row(res))
    store.commit()
    with pytest.raises(Rejected, match="colour"):
        _streamed(tmp_path, res["report"]["report_year"])


def test_a_stored_report_without_a_field_is_rejected(tmp_path: Path, corpus: dict) -> None:
    res = json.loads(json.dumps(corpus["results"][1]))
    del res["report"]["template_generation"]
    store = ParsedStore(tmp_path)
    store.put(res["report"]["source_url"], res["report"]["content_sha256"], res, document_row(res))
    store.commit()
    with pytest.raises(Rejected, match="template_generation"):
        _streamed(tmp_path, res["report"]["report_year"])


PEAK_SCRIPT = """
import resource, sys
from pipeline.assemble import stream_year
from pipeline.dataset import stage_year, discard
from pipeline.parsed_store import ParsedStore
store = ParsedStore(sys.argv[1])
streamed = stream_year(store, 2022, docs_per_bucket=30)
staged = stage_year(sys.argv[1] + "/dataset", 2022, {t: streamed.tables[t] for t in ("facts", "checks", "reports", "sources")})
discard(staged)
streamed.close()
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def test_peak_memory_of_assembly_does_not_grow_with_the_reports(tmp_path: Path, corpus: dict) -> None:
    """The same year at two sizes (4× the reports), assembled and staged in a fresh process each: the
    peak RSS (ru_maxrss) stays flat. Holding the year as dicts grew ~1.3 MB per report (issue 12): +230 MB."""
    from national_corpus import Template, generate

    templates = [Template(f"real/pingtan/{name}", res["report"]["template_generation"], res)
                 for name, res in zip(PAGES, corpus["results"], strict=False) if res["report"]["parse_status"] == "ok"]
    peaks = {}
    for n in (60, 240):
        data = tmp_path / f"n{n}"
        store = ParsedStore(data, batch_size=60)  # the same batch size at both sizes: per-batch memory is constant
        for year in (2021, 2022):
            for _, res, _ in generate(year, n, templates, seed=3, agency_year=2022):
                store.put(res["report"]["source_url"], res["report"]["content_sha256"], res, document_row(res))
        store.commit()
        store.close()
        out = subprocess.run([sys.executable, "-c", PEAK_SCRIPT, str(data)], cwd=ROOT, capture_output=True, text=True,
                             check=True)
        peaks[n] = int(out.stdout.split()[-1]) / 1024  # MB
    assert peaks[240] - peaks[60] < 50, peaks  # 180 more reports a year (~40 k facts): flat within noise


def test_reports_enriched_in_worker_processes_give_the_same_year(corpus: dict) -> None:
    here, there = _streamed(corpus["data"], 2022, workers=1), _streamed(corpus["data"], 2022, workers=2)
    assert all(here[t].equals(there[t]) for t in TABLES)


def test_bucket_folders_of_a_dead_assembly_are_removed(corpus: dict, tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f".assemble-2022-{int(dead.stdout)}-abc"
    (stale / "x").mkdir(parents=True)
    store = ParsedStore(corpus["data"])
    streamed = stream_year(store, 2022, work_dir=tmp_path)
    assert not stale.exists() and streamed.work.exists()
    streamed.close()
    store.close()
    assert not streamed.work.exists()


def test_publish_year_leaves_out_a_withdrawn_document(corpus: dict, tmp_path: Path) -> None:
    import shutil

    import pyarrow.parquet as pq

    from pipeline.manifest import ManifestRow, ManifestWriter
    from pipeline.publish import publish_year

    data = tmp_path / "data"
    shutil.copytree(corpus["data"], data)
    year_2022 = [r["report"] for r in corpus["results"] if r["report"]["report_year"] == 2022]
    gone = year_2022[-1]["source_url"]
    writer = ManifestWriter(data, "night")
    for rep in year_2022:
        withdrawn = rep["source_url"] == gone
        writer.write(ManifestRow(url=rep["source_url"], portal_id=rep["portal_id"], fetched_at="2026-03-01T00:00:00Z",
                                 outcome="withdrawn" if withdrawn else "stored", status=404 if withdrawn else 200,
                                 sha256=None if withdrawn else rep["content_sha256"], kind="report"))
    writer.close()
    pub = publish_year(data, 2022, PORTALS)
    assert pub.published, pub.reason
    sources = pq.read_table(pub.paths["sources"])["source_url"].to_pylist()
    assert gone not in sources and len(sources) == len(year_2022) - 1 == len(pub.rows["sources"])
    assert len(list(pub.rows["reports"])) == pub.counts["reports"] == pq.read_metadata(pub.paths["reports"]).num_rows
