"""The Parquet dataset: exact partition replacement, crash safety, and readers that work as is."""

from __future__ import annotations

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipeline import dataset
from pipeline.query import connect


def _reports(*ids: str, region: str = "350128") -> list[dict]:
    return [{"report_id": i, "region_code": region, "agency_name": f"机关{i}", "template_generation": "g3"} for i in ids]


def test_rerunning_a_partition_replaces_it_exactly(tmp_path):
    dataset.write_partition(tmp_path, "reports", 2021, _reports("a", "b"))
    dataset.write_partition(tmp_path, "reports", 2021, _reports("a", "c"))
    dataset.write_partition(tmp_path, "reports", 2020, _reports("z"))
    got = dataset.read_table(tmp_path, "reports", 2021).to_pydict()
    assert sorted(got["report_id"]) == ["a", "c"]
    assert dataset.years_present(tmp_path, "reports") == [2020, 2021]


def test_a_crash_mid_write_leaves_the_previous_partition_readable(tmp_path, monkeypatch):
    dataset.write_partition(tmp_path, "reports", 2021, _reports("a", "b"))

    def boom(table, where, **kwargs):
        with open(where, "wb") as fh:
            fh.write(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(dataset.pq, "write_table", boom)
    with pytest.raises(OSError, match="disk full"):
        dataset.write_partition(tmp_path, "reports", 2021, _reports("x"))
    monkeypatch.undo()
    folder = dataset.partition_dir(tmp_path, "reports", 2021)
    assert [p.name for p in folder.iterdir()] == ["part-0.parquet"]
    assert sorted(dataset.read_table(tmp_path, "reports", 2021).to_pydict()["report_id"]) == ["a", "b"]


def test_pandas_pyarrow_and_duckdb_read_the_tree_as_is(tmp_path):
    dataset.write_partition(tmp_path, "reports", 2019, _reports("a", region="110105"))
    dataset.write_partition(tmp_path, "reports", 2021, _reports("b", region="050000"))
    frame = pd.read_parquet(tmp_path / "reports")
    assert sorted(frame["region_code"]) == ["050000", "110105"]  # leading zero kept: codes are strings
    assert sorted(int(y) for y in frame["report_year"]) == [2019, 2021]
    assert pq.read_table(tmp_path / "reports").num_rows == 2
    rows = duckdb.sql(
        f"SELECT report_year, region_code FROM read_parquet('{tmp_path}/reports/*/*.parquet', hive_partitioning=true) "
        "ORDER BY 1"
    ).fetchall()
    assert rows == [(2019, "110105"), (2021, "050000")]
    assert connect(tmp_path).sql("SELECT count(*) FROM reports WHERE report_year = 2021").fetchall() == [(1,)]


def test_an_empty_rerun_empties_the_partition(tmp_path):
    dataset.write_partition(tmp_path, "facts", 2018, [{"report_id": "a", "indicator": "apply.new", "value": 3.0}])
    dataset.write_partition(tmp_path, "facts", 2018, [])
    assert dataset.read_table(tmp_path, "facts", 2018).num_rows == 0


def test_a_year_of_several_tables_is_replaced_all_or_nothing(tmp_path, monkeypatch):
    dataset.write_year(tmp_path, 2021, {"reports": _reports("a"), "facts": [{"report_id": "a", "indicator": "apply.new"}]})
    real = dataset.pq.write_table
    calls = []

    def second_fails(table, where, **kwargs):
        calls.append(where)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(table, where, **kwargs)

    monkeypatch.setattr(dataset.pq, "write_table", second_fails)
    with pytest.raises(OSError):
        dataset.write_year(tmp_path, 2021, {"reports": _reports("b"), "facts": []})
    monkeypatch.undo()
    assert dataset.read_table(tmp_path, "reports", 2021).to_pydict()["report_id"] == ["a"]
    assert dataset.read_table(tmp_path, "facts", 2021).num_rows == 1
    assert not list(tmp_path.rglob(".*.tmp"))
