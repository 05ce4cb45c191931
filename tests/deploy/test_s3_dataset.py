"""The dataset on S3-compatible object storage: moto in server mode on loopback, pyarrow's S3 filesystem.

The first test proves the storage side works here today (a hive-partitioned year written with the
dataset's own schema and partitioning, read back by pyarrow and DuckDB-style hive discovery). The second
is written against the API the dataset writer needs (a ``filesystem=`` argument on ``write_year`` /
``read_table`` / ``years_present``) and is skipped until ``pipeline.dataset`` takes one."""

from __future__ import annotations

import inspect

import pytest

YEAR = 2021


@pytest.fixture(scope="module")
def s3():
    """An S3 endpoint on 127.0.0.1 (moto server) and a pyarrow S3FileSystem with a fresh bucket."""
    server_mod = pytest.importorskip("moto.server", reason="moto[server] not installed: pip install -e '.[deploy]'")
    from pyarrow import fs

    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    s3fs = fs.S3FileSystem(access_key="testing", secret_key="testing", region="us-east-1",
                           endpoint_override=f"{host}:{port}", scheme="http", allow_bucket_creation=True)
    s3fs.create_dir("nianbao")
    try:
        yield s3fs
    finally:
        server.stop()


def _rows() -> dict[str, list[dict]]:
    """Two reports of one year with a few facts: the shape publish_year hands to the writer."""
    reports = [{"report_id": f"r{i}", "title": f"平潭综合实验区{i}局{YEAR}年政府信息公开工作年度报告",
                "agency_name": f"平潭综合实验区{i}局", "region_code": "350128", "template_generation": "g3",
                "parse_status": "ok", "n_facts": 2} for i in range(2)]
    facts = [{"report_id": f"r{i}", "indicator": "apply.new", "applicant_type": "total", "value": 10.0 * (i + 1),
              "unit": "count"} for i in range(2)]
    facts += [{"report_id": f"r{i}", "indicator": "apply.carried_in", "applicant_type": "total", "value": 1.0,
               "unit": "count"} for i in range(2)]
    return {"reports": reports, "facts": facts}


def test_hive_partitioned_year_on_s3_round_trips(s3):
    import pyarrow.dataset as ds
    from pyarrow.fs import FileSelector, FileType

    from pipeline.dataset import PARTITION_FIELD, PARTITIONING, file_schema, to_arrow

    for table, rows in _rows().items():
        data = to_arrow(table, rows).append_column(PARTITION_FIELD.name, [[YEAR] * len(rows)])
        data = data.cast(data.schema.set(data.schema.get_field_index(PARTITION_FIELD.name), PARTITION_FIELD))
        ds.write_dataset(data, f"nianbao/dataset/{table}", filesystem=s3, format="parquet",
                         partitioning=PARTITIONING, existing_data_behavior="delete_matching",
                         basename_template="part-{i}.parquet")
    listed = sorted(info.path for info in s3.get_file_info(FileSelector("nianbao/dataset", recursive=True))
                    if info.type == FileType.File)
    assert listed == [f"nianbao/dataset/facts/report_year={YEAR}/part-0.parquet",
                      f"nianbao/dataset/reports/report_year={YEAR}/part-0.parquet"]
    facts = ds.dataset("nianbao/dataset/facts", filesystem=s3, format="parquet", partitioning=PARTITIONING,
                       schema=file_schema("facts").append(PARTITION_FIELD)).to_table()
    assert facts.num_rows == 4
    assert set(facts[PARTITION_FIELD.name].to_pylist()) == {YEAR}
    new = [v for i, v in zip(facts["indicator"].to_pylist(), facts["value"].to_pylist(), strict=True) if i == "apply.new"]
    assert sorted(new) == [10.0, 20.0]


def _takes_filesystem() -> bool:
    from pipeline import dataset

    return all("filesystem" in inspect.signature(getattr(dataset, name)).parameters
               for name in ("write_year", "read_table", "years_present"))


@pytest.mark.skipif(not _takes_filesystem(), reason="dataset writer not yet filesystem-agnostic")
def test_dataset_writer_publishes_a_year_to_s3(s3):
    from pipeline.dataset import read_table, write_year, years_present

    write_year("nianbao/dataset", YEAR, _rows(), filesystem=s3)
    assert years_present("nianbao/dataset", "facts", filesystem=s3) == [YEAR]
    facts = read_table("nianbao/dataset", "facts", YEAR, filesystem=s3)
    assert facts.num_rows == 4
    reports = read_table("nianbao/dataset", "reports", YEAR, filesystem=s3)
    assert sorted(reports["report_id"].to_pylist()) == ["r0", "r1"]
    write_year("nianbao/dataset", YEAR, {"facts": _rows()["facts"][:1]}, filesystem=s3)  # a rerun replaces
    assert read_table("nianbao/dataset", "facts", YEAR, filesystem=s3).num_rows == 1
