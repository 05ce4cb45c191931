"""The dataset on S3-compatible object storage: moto in server mode on loopback, pyarrow's S3 filesystem.

The first test proves the storage side (a hive-partitioned year written with the dataset's own schema and
partitioning, read back by pyarrow's hive discovery). The others publish through ``pipeline.dataset`` with
``filesystem=``: every publish is a version under ``_versions/`` and the ``_current`` object names it,
so an external reader that follows the pointer never sees half a year."""

from __future__ import annotations

import pytest

YEAR = 2021


@pytest.fixture(scope="module")
def s3(s3_server):
    return s3_server[0]


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


def test_dataset_writer_publishes_a_year_to_s3(s3):
    from pipeline.dataset import read_table, write_year, years_present

    root = "nianbao/published"
    write_year(root, YEAR, _rows(), filesystem=s3)
    assert years_present(root, "facts", filesystem=s3) == [YEAR]
    facts = read_table(root, "facts", YEAR, filesystem=s3)
    assert facts.num_rows == 4
    reports = read_table(root, "reports", YEAR, filesystem=s3)
    assert sorted(reports["report_id"].to_pylist()) == ["r0", "r1"]
    write_year(root, YEAR, {"facts": _rows()["facts"][:1]}, filesystem=s3)  # a rerun replaces
    assert read_table(root, "facts", YEAR, filesystem=s3).num_rows == 1
    assert read_table(root, "reports", YEAR, filesystem=s3).num_rows == 2, "the other table is carried over"


def test_an_external_reader_follows_the_pointer_and_a_staged_year_stays_invisible(s3):
    import json

    import pyarrow.dataset as ds

    from pipeline.dataset import PARTITIONING, discard, stage_year, write_year

    root = "nianbao/pointer"
    write_year(root, YEAR, _rows(), filesystem=s3)
    write_year(root, YEAR + 1, {"reports": _rows()["reports"][:1]}, filesystem=s3)
    staged = stage_year(root, YEAR, {"facts": []}, filesystem=s3)
    assert staged.read("facts").num_rows == 0

    def external(table: str):  # what a researcher does by hand: read _current, then the hive tree under it
        with s3.open_input_stream(f"{root}/_current") as fh:
            pointer = json.loads(fh.read())
        return ds.dataset(f"{root}/{pointer['path']}/{table}", filesystem=s3, format="parquet",
                          partitioning=PARTITIONING).to_table()

    assert external("facts").num_rows == 4, "the staged (empty) facts are not visible"
    assert sorted(set(external("reports")["report_year"].to_pylist())) == [YEAR, YEAR + 1]
    discard(staged)
    assert external("facts").num_rows == 4


def test_a_plain_tree_on_s3_is_moved_into_the_first_version(s3):
    import pyarrow.dataset as ds
    from pyarrow.fs import FileSelector, FileType

    from pipeline.dataset import (
        PARTITION_FIELD,
        PARTITIONING,
        current_version,
        read_table,
        to_arrow,
        write_year,
    )

    root = "nianbao/legacy"
    rows = _rows()["facts"]
    data = to_arrow("facts", rows).append_column(PARTITION_FIELD.name, [[YEAR] * len(rows)])
    data = data.cast(data.schema.set(data.schema.get_field_index(PARTITION_FIELD.name), PARTITION_FIELD))
    ds.write_dataset(data, f"{root}/facts", filesystem=s3, format="parquet", partitioning=PARTITIONING,
                     basename_template="part-{i}.parquet")
    assert current_version(root, filesystem=s3) is None
    assert read_table(root, "facts", YEAR, filesystem=s3).num_rows == 4, "a plain tree is read as is"
    write_year(root, YEAR + 1, {"reports": _rows()["reports"]}, filesystem=s3)
    assert current_version(root, filesystem=s3) == "v000001"
    assert read_table(root, "facts", YEAR, filesystem=s3).num_rows == 4
    top = {i.base_name for i in s3.get_file_info(FileSelector(root)) if i.type in (FileType.File, FileType.Directory)}
    assert top == {"_current", "_versions", "_staging"}, "the plain tree now lives in the first version"


def test_a_uri_names_the_bucket_prefix_and_its_endpoint(s3_server):
    from pipeline.dataset import current_version, read_table, write_year, years_present

    s3, template = s3_server
    uri = template.format("by-uri")
    write_year(uri, YEAR, _rows())
    assert years_present(uri, "reports") == [YEAR] and current_version(uri) == "v000001"
    assert read_table(uri, "facts", YEAR).num_rows == 4
    assert s3.get_file_info("nianbao/by-uri/_current").size > 0
