"""The columnar parsed store and the parallel parse step, as the nightly run and year assembly see them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline.manifest import ManifestRow, ManifestWriter
from pipeline.parsed_store import ParsedStore
from pipeline.publish import parse_new
from pipeline.rawstore import RawStore

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
PAGES = {  # url → (fixture, media type)
    "http://www.pingtan.demo.test/nb/2021.htm": ("real/pingtan/t20220208_80613.htm", "text/html"),
    "http://www.pingtan.demo.test/nb/2019.htm": ("real/pingtan/t20200120_80576.htm", "text/html"),
    "http://www.pingtan.demo.test/nb/2016.htm": ("real/pingtan/t20170118_80485.htm", "text/html"),
    "http://www.pingtan.demo.test/nb/2013.htm": ("real/pingtan/t20140225_80774.htm", "text/html"),
}
ATTACHMENT = ("http://www.pingtan.demo.test/nb/2021.pdf", "office/pingtan-2021.pdf", "application/pdf",
              "http://www.pingtan.demo.test/nb/2021.htm")


def _crawl(data: Path, run: str = "night") -> dict[str, Path]:
    """The fixtures stored in the raw store and the manifest as a crawl leaves them; url → raw path."""
    store, writer, paths = RawStore(data / "raw"), ManifestWriter(data, run), {}
    docs = [(url, name, media, None) for url, (name, media) in PAGES.items()] + [ATTACHMENT]
    for url, name, media, parent in docs:
        sha, path = store.put((FIXTURES / name).read_bytes(), Path(name).suffix)
        writer.write(ManifestRow(url=url, portal_id="pingtan", fetched_at="2026-12-05T00:00:00Z", outcome="stored",
                                 kind="attachment" if parent else "report", parent_url=parent, sha256=sha,
                                 raw_path=str(path), content_type=media))
        paths[url] = path
    writer.close()
    return paths


def _all(data: Path) -> dict[str, dict]:
    """url → stored result, with the raw path made relative to the data directory (two directories compared)."""
    store = ParsedStore(data)
    out = {}
    for res in store.results(store.urls()):
        rep = res["report"]
        out[rep["source_url"]] = {**res, "report": {**rep, "raw_path": Path(rep["raw_path"]).relative_to(data)}}
    return out


def test_a_result_reads_back_exactly_as_it_was_put(tmp_path):
    odd = {"report": {"source_url": "u", "report_year": 2021, "anything": {"nested": [1, "二"]}},
           "facts": [{"indicator": "apply.new", "applicant_type": "total", "value": 70, "unit": "件"},
                     {"indicator": "x", "value": True, "row_idx": "3", "extra_key": [1, 2]},
                     {"indicator": "y", "value": None, "match_score": 0.5, "source_url": None}],
           "checks": [{"rule_id": "t3.total", "status": "passed", "passed": True, "expected": 1.0}]}
    store = ParsedStore(tmp_path, batch_size=2)
    store.put("u", "s" * 64, odd, {"url": "u", "n_facts": 3})
    assert store.get("u") == odd  # pending: visible before the commit
    store.commit()
    again = ParsedStore(tmp_path)
    assert again.get("u") == odd
    assert [type(f.get("value")) for f in again.get("u")["facts"]] == [float, bool, type(None)]
    assert again.summaries(["u"]) == [{"url": "u", "n_facts": 3}]
    assert again.is_current("u", "s" * 64) and not again.is_current("u", "t" * 64)


def test_iter_year_reads_only_that_years_batches(tmp_path):
    store = ParsedStore(tmp_path, batch_size=1000)
    for year in (2020, 2021):
        for i in range(3):
            store.put(f"http://a.test/{year}/{i}", f"{i}" * 64, {"report": {"report_year": year, "i": i},
                      "facts": [{"indicator": "apply.new", "applicant_type": "total", "value": float(i)}],
                      "checks": []})
        store.commit()  # one batch per year
    batches = sorted((tmp_path / "parsed" / "facts").glob("*.parquet"))
    assert len(batches) == 2
    for table in ("documents", "facts", "checks"):  # the 2020 batch becomes unreadable
        (tmp_path / "parsed" / table / batches[0].name).write_bytes(b"not parquet")
    got = list(ParsedStore(tmp_path).iter_year(2021))
    assert [(r["report"]["report_year"], r["report"]["i"], r["facts"][0]["value"]) for r in got] == [
        (2021, 0, 0.0), (2021, 1, 1.0), (2021, 2, 2.0)]
    facts = list(ParsedStore(tmp_path).year_tables(2021, "facts"))
    assert sum(t.num_rows for t in facts) == 3 and facts[0].column("value").to_pylist() == [0.0, 1.0, 2.0]


def test_a_superseded_batch_is_deleted_and_a_lost_index_is_rebuilt(tmp_path):
    store = ParsedStore(tmp_path)
    result = {"report": {"report_year": 2021}, "facts": [], "checks": []}
    store.put("http://a.test/1", "a" * 64, result)
    store.commit()
    store.put("http://a.test/1", "b" * 64, {**result, "report": {"report_year": 2022}})
    store.commit()
    assert len(list((tmp_path / "parsed" / "documents").glob("*.parquet"))) == 1, "the old batch is gone"
    store.close()
    for path in (tmp_path / "parsed").glob("index.sqlite*"):
        path.unlink()
    rebuilt = ParsedStore(tmp_path)
    assert rebuilt.entry("http://a.test/1")["sha256"] == "b" * 64 and rebuilt.urls({2022}) == ["http://a.test/1"]


@pytest.mark.e2e
def test_pool_and_serial_parse_agree_and_a_rerun_parses_nothing(tmp_path):
    serial, pooled = tmp_path / "serial", tmp_path / "pooled"
    for data in (serial, pooled):
        _crawl(data)
    one = parse_new(serial, workers=1)
    two = parse_new(pooled, workers=2, batch_size=2)
    assert (one.parsed, two.parsed) == (5, 5) and one.statuses == two.statuses and one.years_changed == two.years_changed
    assert _all(serial) == _all(pooled)
    pdf = _all(pooled)[ATTACHMENT[0]]["report"]
    assert pdf["agency_name"] and pdf["report_year"] == 2021, "the attachment inherits from its page, read from the store"
    again = parse_new(pooled)
    assert (again.parsed, again.unchanged, again.years_changed) == (0, 5, set())
    ManifestWriter(pooled, "night2").write(ManifestRow(
        url=list(PAGES)[1], portal_id="pingtan", fetched_at="2026-12-06T00:00:00Z", outcome="withdrawn", status=404))
    gone = parse_new(pooled)
    assert (gone.parsed, gone.withdrawn, gone.years_changed) == (0, 1, {2019})
    assert list(PAGES)[1] not in _all(pooled)


_KILL_AFTER_FIRST_BATCH = """
import os, signal, sys
from pipeline import parsed_store, publish
real = parsed_store.ParsedStore.commit
def commit(self):
    real(self)
    if len(list((self.root / "documents").glob("*.parquet"))) >= 1:
        os.kill(os.getpid(), signal.SIGKILL)  # killed right after its first batch is committed
parsed_store.ParsedStore.commit = commit
publish.parse_new(sys.argv[1], workers=2, batch_size=2)
"""


@pytest.mark.e2e
def test_a_killed_parse_resumes_and_loses_at_most_the_batch_in_flight(tmp_path):
    _crawl(tmp_path)
    proc = subprocess.run([sys.executable, "-c", _KILL_AFTER_FIRST_BATCH, str(tmp_path)], cwd=ROOT, timeout=300)
    assert proc.returncode == -9
    assert len(ParsedStore(tmp_path).urls()) == 2, "the first batch survived the kill"
    resumed = parse_new(tmp_path)
    assert (resumed.unchanged, resumed.parsed) == (2, 3)
    assert len(_all(tmp_path)) == 5


@pytest.mark.e2e
def test_corrupt_raw_bytes_are_reported_as_such_and_parsed_once_repaired(tmp_path):
    paths = _crawl(tmp_path)
    url = list(PAGES)[0]
    good = paths[url].read_bytes()
    paths[url].write_bytes(good.replace(b"2021", b"2031", 1))
    run = parse_new(tmp_path)
    assert run.corrupt_raw == 1 and run.missing_raw == 0 and run.parsed == 4
    assert [(f["url"], f["status"]) for f in run.failures if f["status"] == "corrupt_raw"] == [(url, "corrupt_raw")]
    assert "corrupt" in json.dumps(run.failures)
    RawStore(tmp_path / "raw").put(good, ".htm")  # a re-download repairs the store
    again = parse_new(tmp_path)
    assert (again.parsed, again.corrupt_raw) == (1, 0)


def test_parsed_results_are_parquet_not_one_file_per_document(tmp_path):
    store = ParsedStore(tmp_path, batch_size=50)
    for i in range(120):
        store.put(f"http://a.test/{i}", "a" * 64, {"report": {"report_year": 2021}, "facts": [
            {"indicator": "apply.new", "applicant_type": "total", "value": float(i)}], "checks": []})
    store.commit()
    files = sorted(p.relative_to(tmp_path / "parsed").as_posix() for p in (tmp_path / "parsed").rglob("*.parquet"))
    assert len(files) == 9  # 3 batches × documents/facts/checks
    facts = pq.read_table(tmp_path / "parsed" / "facts")
    assert sorted(facts.column("value").to_pylist()) == [float(i) for i in range(120)]


def test_compaction_rewrites_mostly_superseded_batches_and_keeps_every_result(tmp_path):
    store = ParsedStore(tmp_path, batch_size=10)

    def result(i: int, rev: int) -> dict:
        return {"report": {"report_year": 2021, "rev": rev}, "facts": [
            {"indicator": "apply.new", "applicant_type": "total", "value": float(i)}], "checks": []}

    for i in range(10):
        store.put(f"http://a.test/{i}", "a" * 64, result(i, 0))
    for i in range(7):  # re-parsed later: 7 of the first batch's 10 rows are dead
        store.put(f"http://a.test/{i}", "b" * 64, result(i, 1))
    store.commit()
    assert len(store.batch_ids()) == 2
    assert store.compact() == 3
    assert len(store.batch_ids()) == 2, "the sparse batch was rewritten, not kept beside its copy"
    assert {u: r["report"]["rev"] for u, r in zip(store.urls(), store.results(store.urls()), strict=True)} == {
        f"http://a.test/{i}": int(i < 7) for i in range(10)}
    assert store.entry("http://a.test/9")["sha256"] == "a" * 64
    assert store.compact() == 0


def test_rows_put_as_columns_read_back_as_the_dict_results(tmp_path):
    """``put_tables`` (the national corpus's columnar writer: template rows re-keyed and scaled as Arrow
    columns) stores exactly what ``put`` stores for the same generated results (benchmarks.national_corpus)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from national_corpus import Template, generate, write_parsed_store

    from pipeline.process import process_document
    from pipeline.publish import document_row

    url, (name, media) = next(iter(PAGES.items()))
    row = {"url": url, "portal_id": "pingtan", "sha256": "0" * 64, "kind": "report", "content_type": media}
    res = process_document((FIXTURES / name).read_bytes(), row, None, None, enrich=False)
    templates = [Template(name, res["report"]["template_generation"], res)]
    ref = ParsedStore(tmp_path / "ref")
    for year in (2021, 2022):
        for _, result, _ in generate(year, 12, templates, seed=5, agency_year=2022):
            ref.put(result["report"]["source_url"], result["report"]["content_sha256"], result, document_row(result))
    ref.commit()
    write_parsed_store(tmp_path / "cols", {2021: 12, 2022: 12}, templates, seed=5, batch=5, workers=1)
    cols = ParsedStore(tmp_path / "cols")
    assert len(cols.batch_ids()) == 6  # 12 documents of each year in batches of 5
    for year in (2021, 2022):
        want = sorted(ref.iter_year(year), key=lambda r: r["report"]["source_url"])
        got = sorted(cols.iter_year(year), key=lambda r: r["report"]["source_url"])
        assert len(got) == 12 and got == want
        assert any(f["value_raw"] != t["value_raw"] for g, w in zip(got, want, strict=True)
                   for f, t in zip(g["facts"], res["facts"], strict=True))  # scaled: not the template's figures
    assert cols.summaries(sorted(cols.urls())) == ref.summaries(sorted(ref.urls()))
