"""The Parquet writer and reader of the published dataset.

Layout: ``<root>/<table>/report_year=YYYY/part-0.parquet`` (hive). One file per partition, replaced
atomically: the new files of a year are all written under hidden temporary names first (readers skip
names starting with ``.``) and only then renamed over the old ones, so a reader sees the old partition
or the new one, never a half-written file, and a crash while writing leaves the previous year intact.
Re-running a partition replaces it exactly.

Publishing a year is stage → check → promote (``stage_year``, ``pipeline.year_checks``, ``promote``): the
year's files are written in full under ``<root>/.staging/`` (invisible to readers of the tables), the
blocking checks read the staged files, and only a passing year is renamed over the published one; a
failing year is discarded and the previous version stays published.

``report_year`` lives only in the directory name: pandas' default reader cannot merge a partition
key that is also stored inside the files (it infers the key as a dictionary type), so keeping it out
lets pandas, pyarrow, DuckDB, Polars and Spark all read the tree as is.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from .schema import PARTITION_FIELD, TABLES

PART_FILE = "part-0.parquet"
PARTITIONING = ds.partitioning(pa.schema([PARTITION_FIELD]), flavor="hive")


def file_schema(table: str) -> pa.Schema:
    """The schema stored inside a table's files: its columns without the partition key."""
    schema = TABLES[table]
    return schema.remove(schema.get_field_index(PARTITION_FIELD.name))


def _coerce(value: object, type_: pa.DataType) -> object:
    """JSON-ish values (ISO strings for dates and times, ints for floats) → what the column type takes."""
    if value is None or value == "":
        return None
    if pa.types.is_timestamp(type_) and isinstance(value, str):
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    if pa.types.is_date32(type_) and isinstance(value, str):
        return date.fromisoformat(value[:10])
    if pa.types.is_floating(type_) and isinstance(value, (int, str)) and not isinstance(value, bool):
        return float(value)
    if pa.types.is_integer(type_) and isinstance(value, (float, str)):
        return int(value)
    return value


def rows_to_arrow(rows: Iterable[dict], schema: pa.Schema) -> pa.Table:
    """Rows (dicts) → an Arrow table of ``schema``; unknown keys are ignored, missing ones null."""
    rows = list(rows)
    columns = {f.name: [_coerce(row.get(f.name), f.type) for row in rows] for f in schema}
    return pa.Table.from_pydict(columns, schema=schema)


def to_arrow(table: str, rows: Iterable[dict]) -> pa.Table:
    return rows_to_arrow(rows, file_schema(table))


def partition_dir(root: str | Path, table: str, year: int) -> Path:
    return Path(root) / table / f"{PARTITION_FIELD.name}={int(year)}"


def write_partition(root: str | Path, table: str, year: int, rows: Iterable[dict] | pa.Table) -> Path:
    """Replace one year partition of one table with exactly these rows (zero rows leaves an empty file)."""
    return write_year(root, year, {table: rows})[table]


def write_year(root: str | Path, year: int, tables: dict[str, Iterable[dict] | pa.Table]) -> dict[str, Path]:
    """Replace one year partition of several tables together, unchecked (stage, then promote)."""
    return promote(stage_year(root, year, tables))


@dataclass(frozen=True)
class StagedYear:
    """One year of several tables written in full under ``<root>/.staging/`` and not yet published."""

    root: Path
    year: int
    folder: Path
    files: dict[str, Path]  # table → staged Parquet file


def stage_year(root: str | Path, year: int, tables: dict[str, Iterable[dict] | pa.Table]) -> StagedYear:
    """Write every table of one year (fsynced) under a fresh staging folder; nothing published changes.
    A failure while writing removes the staging folder."""
    root = Path(root)
    folder = root / ".staging" / f"{PARTITION_FIELD.name}={int(year)}.{uuid.uuid4().hex}"
    files: dict[str, Path] = {}
    try:
        for table, rows in tables.items():
            data = rows if isinstance(rows, pa.Table) else to_arrow(table, rows)
            data = data.select(file_schema(table).names).cast(file_schema(table))
            tmp = _stage(folder / table, data)
            files[table] = tmp.rename(tmp.with_name(PART_FILE))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return StagedYear(root, int(year), folder, files)


def promote(staged: StagedYear) -> dict[str, Path]:
    """Rename every staged file over its published partition (atomic per file), then drop the staging folder."""
    out = {table: _commit(path, partition_dir(staged.root, table, staged.year)) for table, path in staged.files.items()}
    discard(staged)
    return out


def discard(staged: StagedYear) -> None:
    """Drop a staged year that must not be published; the published partitions are untouched."""
    shutil.rmtree(staged.folder, ignore_errors=True)


def write_unpartitioned(root: str | Path, name: str, rows: Iterable[dict], schema: pa.Schema) -> Path:
    """Replace a small unpartitioned table (e.g. the document log) with exactly these rows."""
    folder = Path(root) / name
    return _commit(_stage(folder, rows_to_arrow(rows, schema)), folder)


def _stage(folder: Path, data: pa.Table) -> Path:
    """Write ``data`` to a hidden temporary file in ``folder`` (readers skip names starting with '.')."""
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{PART_FILE}.{uuid.uuid4().hex}.tmp"
    try:
        pq.write_table(data, tmp, compression="zstd")
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _commit(tmp: Path, folder: Path) -> Path:
    """Rename a staged file over ``folder/part-0.parquet`` (atomic) and drop any other part file."""
    folder.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, folder / PART_FILE)
    for stray in folder.glob("*.parquet"):
        if stray.name != PART_FILE:
            stray.unlink()
    return folder / PART_FILE


def open_dataset(root: str | Path, table: str) -> ds.Dataset:
    """A pyarrow dataset of one table with the partition key typed explicitly (int16)."""
    return ds.dataset(Path(root) / table, format="parquet", partitioning=PARTITIONING,
                      schema=file_schema(table).append(PARTITION_FIELD))


def read_table(root: str | Path, table: str, year: int | None = None) -> pa.Table:
    dataset = open_dataset(root, table)
    flt = ds.field(PARTITION_FIELD.name) == year if year is not None else None
    return dataset.to_table(filter=flt)


def years_present(root: str | Path, table: str) -> list[int]:
    folder = Path(root) / table
    if not folder.is_dir():
        return []
    prefix = f"{PARTITION_FIELD.name}="
    return sorted(int(p.name[len(prefix):]) for p in folder.iterdir() if p.name.startswith(prefix))
