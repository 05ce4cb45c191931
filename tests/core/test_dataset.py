"""The Parquet dataset: exact partition replacement, crash safety, versions behind one pointer, streamed
and validated input, and readers that work on the published paths as is."""

from __future__ import annotations

import os
import time

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest

from pipeline import dataset
from pipeline.query import connect


def _reports(*ids: str, region: str = "350128") -> list[dict]:
    return [{"report_id": i, "region_code": region, "agency_name": f"机关{i}", "template_generation": "g3"} for i in ids]


def _facts_batches(report_id: str, n: int, size: int):
    """A stream of fact batches, as the streaming year assembly hands them over."""
    for start in range(0, n, size):
        values = list(range(start, min(n, start + size)))
        yield pa.record_batch({"report_id": [report_id] * len(values), "indicator": ["apply.new"] * len(values),
                               "value": [float(v) for v in values]})


def test_rerunning_a_partition_replaces_it_exactly(tmp_path):
    root = tmp_path / "dataset"
    dataset.write_partition(root, "reports", 2021, _reports("a", "b"))
    dataset.write_partition(root, "reports", 2021, _reports("a", "c"))
    dataset.write_partition(root, "reports", 2020, _reports("z"))
    got = dataset.read_table(root, "reports", 2021).to_pydict()
    assert sorted(got["report_id"]) == ["a", "c"]
    assert dataset.years_present(root, "reports") == [2020, 2021]
    assert [p.name for p in dataset.partition_dir(root, "reports", 2021).iterdir()] == ["part-0.parquet"]


def test_the_root_is_a_symlink_to_the_current_version_and_readers_keep_theirs(tmp_path):
    root = tmp_path / "dataset"
    dataset.write_partition(root, "reports", 2021, _reports("a"))
    assert root.is_symlink() and os.readlink(root) == ".dataset-versions/v000001"
    pinned = dataset.open_dataset(root, "reports")  # resolved once, before the next publish
    dataset.write_year(root, 2021, {"reports": _reports("b"), "facts": [{"report_id": "b", "indicator": "apply.new"}]})
    assert os.readlink(root) == ".dataset-versions/v000002" and dataset.current_version(root) == "v000002"
    assert pinned.to_table()["report_id"].to_pylist() == ["a"], "a reader in flight keeps its version"
    assert dataset.read_table(root, "reports")["report_id"].to_pylist() == ["b"]
    dataset.write_partition(root, "facts", 2021, [])
    before, after = (dataset.partition_dir(tmp_path / ".dataset-versions" / v, "reports", 2021) / "part-0.parquet"
                     for v in ("v000002", "v000003"))
    assert before.stat().st_ino == after.stat().st_ino, "an unchanged file is hard-linked into the new version"
    assert dataset.read_table(root, "facts", 2021).num_rows == 0


def test_a_failing_input_stream_leaves_the_previous_partition_and_no_leftovers(tmp_path):
    root = tmp_path / "dataset"
    dataset.write_partition(root, "facts", 2021, _facts_batches("a", 10, 4))

    def broken():
        yield from _facts_batches("x", 8, 4)
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        dataset.write_partition(root, "facts", 2021, broken())
    assert dataset.read_table(root, "facts", 2021)["report_id"].to_pylist() == ["a"] * 10
    assert dataset.current_version(root) == "v000001"
    assert not list((tmp_path / ".dataset-versions" / ".staging").iterdir())
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(".") and p.name.endswith((".tmp", ".lnk"))]


def test_pandas_pyarrow_and_duckdb_read_the_tree_as_is(tmp_path):
    root = tmp_path / "dataset"
    dataset.write_partition(root, "reports", 2019, _reports("a", region="110105"))
    dataset.write_partition(root, "reports", 2021, _reports("b", region="050000"))
    frame = pd.read_parquet(root / "reports")
    assert sorted(frame["region_code"]) == ["050000", "110105"]  # leading zero kept: codes are strings
    assert sorted(int(y) for y in frame["report_year"]) == [2019, 2021]
    assert pq.read_table(root / "reports").num_rows == 2
    rows = duckdb.sql(
        f"SELECT report_year, region_code FROM read_parquet('{root}/reports/*/*.parquet', hive_partitioning=true) "
        "ORDER BY 1"
    ).fetchall()
    assert rows == [(2019, "110105"), (2021, "050000")]
    assert connect(root).sql("SELECT count(*) FROM reports WHERE report_year = 2021").fetchall() == [(1,)]


def test_an_empty_rerun_empties_the_partition(tmp_path):
    dataset.write_partition(tmp_path / "d", "facts", 2018, [{"report_id": "a", "indicator": "apply.new", "value": 3.0}])
    dataset.write_partition(tmp_path / "d", "facts", 2018, [])
    assert dataset.read_table(tmp_path / "d", "facts", 2018).num_rows == 0


def test_a_year_of_several_tables_is_replaced_all_or_nothing(tmp_path):
    root = tmp_path / "dataset"
    dataset.write_year(root, 2021, {"reports": _reports("a"), "facts": [{"report_id": "a", "indicator": "apply.new"}]})

    def fails_midway():
        yield from _facts_batches("b", 4, 2)
        raise OSError("disk full")

    with pytest.raises(OSError):
        dataset.write_year(root, 2021, {"reports": _reports("b"), "facts": fails_midway()})
    assert dataset.read_table(root, "reports", 2021).to_pydict()["report_id"] == ["a"]
    assert dataset.read_table(root, "facts", 2021).num_rows == 1


def test_streamed_batches_and_readers_are_written_in_bounded_row_groups(tmp_path, monkeypatch):
    monkeypatch.setattr(dataset, "ROW_GROUP_ROWS", 1000)
    root = tmp_path / "dataset"
    schema = pa.schema([("report_id", pa.string()), ("indicator", pa.string()), ("value", pa.float64())])
    reader = pa.RecordBatchReader.from_batches(schema, _facts_batches("r", 2500, 300))
    dataset.write_year(root, 2022, {"facts": reader, "checks": (b for b in [])})
    path = dataset.partition_dir(root, "facts", 2022) / "part-0.parquet"
    meta = pq.ParquetFile(path).metadata
    assert meta.num_rows == 2500 and meta.num_row_groups == 3, "buffered up to ROW_GROUP_ROWS, not one group"
    assert pq.read_schema(path).metadata[b"nianbao.schema_version"]
    facts = dataset.read_table(root, "facts", 2022)
    assert facts["value"].to_pylist() == [float(v) for v in range(2500)]
    assert facts["unit"].null_count == 2500, "a nullable column not given is written as nulls"
    assert dataset.read_table(root, "checks", 2022).num_rows == 0


def test_unknown_missing_and_wrong_year_columns_are_rejected(tmp_path):
    root = tmp_path / "dataset"
    typo = pa.table({"report_id": ["a"], "indicater": ["apply.new"]})
    with pytest.raises(ValueError, match=r"facts 2021: unknown column\(s\) \['indicater'\]"):
        dataset.write_year(root, 2021, {"facts": typo})
    with pytest.raises(ValueError, match="report_year=2020 in report year 2021"):
        dataset.write_year(root, 2021, {"facts": [{"report_id": "a", "report_year": 2020}]})
    with pytest.raises(ValueError, match="unknown table"):
        dataset.write_year(root, 2021, {"fact": []})
    strict = pa.schema([pa.field("code", pa.string(), nullable=False), ("label", pa.string())])
    with pytest.raises(ValueError, match=r"required column\(s\) \['code'\] missing"):
        dataset.write_unpartitioned(root, "codes", pa.table({"label": ["x"]}), strict)
    with pytest.raises(ValueError, match="required column 'code' has 1 null"):
        dataset.write_unpartitioned(root, "codes", [{"code": "a"}, {"label": "x"}], strict)
    assert not root.exists(), "nothing was published"
    dataset.write_year(root, 2021, {"facts": [{"report_id": "a", "report_year": 2021, "parse_note": "kept out"}]})
    assert dataset.read_table(root, "facts", 2021)["report_id"].to_pylist() == ["a"]


def test_a_real_directory_is_migrated_and_old_leftovers_dropped(tmp_path):
    root = tmp_path / "dataset"
    old = dataset.partition_dir(root, "reports", 2019)
    old.mkdir(parents=True)
    pq.write_table(dataset.to_arrow("reports", _reports("old")), old / "part-0.parquet")
    (old / ".part-0.parquet.abc.tmp").write_bytes(b"half")
    (root / ".staging" / "report_year=2019.x").mkdir(parents=True)
    (root / "README.md").write_text("readme", encoding="utf-8")
    dataset.write_partition(root, "reports", 2020, _reports("new"))
    assert root.is_symlink()
    assert dataset.years_present(root, "reports") == [2019, 2020]
    assert (root / "README.md").read_text(encoding="utf-8") == "readme"
    assert not [p for p in root.rglob(".*")], "temporary files of the old writer are gone"


def test_old_versions_are_collected_but_recent_ones_kept(tmp_path, monkeypatch):
    root = tmp_path / "dataset"
    versions = tmp_path / ".dataset-versions"
    for i in range(5):
        dataset.write_partition(root, "reports", 2021, _reports(f"r{i}"))
    assert sorted(p.name for p in versions.glob("v*")) == [f"v{i:06d}" for i in range(1, 6)], "replaced < 10 min ago"
    monkeypatch.setattr(dataset, "KEEP_SECONDS", 0.0)
    dataset.write_partition(root, "reports", 2021, _reports("last"))
    assert sorted(p.name for p in versions.glob("v*")) == ["v000004", "v000005", "v000006"]


def test_a_staged_year_is_invisible_until_promoted_and_an_abandoned_one_is_cleaned(tmp_path):
    root = tmp_path / "dataset"
    dataset.write_partition(root, "reports", 2021, _reports("a"))
    staged = dataset.stage_year(root, 2021, {"reports": _reports("b")})
    assert staged.read("reports", ["report_id"])["report_id"].to_pylist() == ["b"]
    dataset.write_partition(root, "reports", 2020, _reports("z"))  # another publish meanwhile keeps the stage
    assert staged.folder.exists()
    assert dataset.read_table(root, "reports", 2021)["report_id"].to_pylist() == ["a"]
    assert str(dataset.promote(staged)["reports"]) == str(root / "reports" / "report_year=2021" / "part-0.parquet")
    assert dataset.read_table(root, "reports", 2021)["report_id"].to_pylist() == ["b"]
    assert dataset.years_present(root, "reports") == [2020, 2021], "the publish in between is not lost"
    assert not staged.folder.exists()
    abandoned = dataset.stage_year(root, 2022, {"reports": _reports("c")})
    os.close(abandoned.hold)  # as when its process dies: nobody holds the stage any more
    dataset.write_partition(root, "reports", 2023, _reports("d"))
    assert not abandoned.folder.exists()


def test_write_files_publishes_text_beside_the_tables(tmp_path):
    root = tmp_path / "dataset"
    dataset.write_partition(root, "reports", 2021, _reports("a"))
    dataset.write_files(root, {"README.md": b"# nianbao", "datapackage.json": b"{}"})
    assert (root / "README.md").read_bytes() == b"# nianbao" and dataset.current_version(root) == "v000002"
    assert dataset.read_table(root, "reports")["report_id"].to_pylist() == ["a"]


def test_without_symlinks_a_pointer_object_names_the_version(tmp_path):
    """The object-storage path (pointer object, copies) on any pyarrow filesystem; S3 itself: tests/deploy."""
    fs = pafs.SubTreeFileSystem(str(tmp_path), pafs.LocalFileSystem())
    dataset.write_year("ds", 2021, {"reports": _reports("a"), "facts": _facts_batches("a", 3, 2)}, filesystem=fs)
    dataset.write_year("ds", 2022, {"reports": _reports("b")}, filesystem=fs)
    dataset.write_year("ds", 2021, {"facts": _facts_batches("a", 1, 1)}, filesystem=fs)
    assert dataset.current_version("ds", filesystem=fs) == "v000003"
    assert (tmp_path / "ds" / "_current").is_file() and not (tmp_path / "ds").is_symlink()
    assert dataset.years_present("ds", "reports", filesystem=fs) == [2021, 2022]
    assert dataset.read_table("ds", "facts", 2021, filesystem=fs).num_rows == 1
    assert dataset.read_table("ds", "reports", filesystem=fs).num_rows == 2
    assert pq.read_table(tmp_path / "ds" / "_versions" / "v000002" / "facts").num_rows == 3, "older versions stay"
    assert not list((tmp_path / "ds" / "_staging").iterdir())
    old, young = (tmp_path / "ds" / "_staging" / f"report_year=2020.{stamp}.{hex_}"
                  for stamp, hex_ in ((int(time.time()) - 7200, "aa"), (int(time.time()), "bb")))
    for folder in (old, young):  # a publisher killed an hour ago, and one staging now
        folder.mkdir()
        (folder / "part-0.parquet").write_bytes(b"PAR1")
    dataset.write_year("ds", 2023, {"reports": _reports("c")}, filesystem=fs)
    assert not old.exists() and young.exists(), "stale staging goes, a live one stays (no lock on object storage)"
