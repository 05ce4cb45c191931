"""DuckDB views over the dataset with the partition key typed explicitly (hive_types).

The dataset root is a local folder or an object-storage URI (``s3://bucket/prefix?endpoint_override=…``,
see ``pipeline.locations``). A folder is read by DuckDB's own Parquet reader; on object storage the
current version (``_current``) is resolved once through ``pyarrow.fs`` and each table is registered with
DuckDB as a ``pyarrow.dataset`` over that filesystem (DuckDB's ``httpfs`` is an extension downloaded at
run time, which an offline or locked-down machine does not have). The views have the same names, columns
and types either way.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pyarrow.dataset as ds
import pyarrow.fs as pafs

from .dataset import PART_FILE, PARTITIONING, current_path, file_schema
from .locations import DATASET_ENV, is_uri
from .locations import dataset_root as dataset_location
from .schema import PARTITION_FIELD, TABLES, UNPARTITIONED


class NoDataset(LookupError):
    """No table of the dataset under the given root (wrong directory or nothing published yet)."""


def _present(fs: pafs.FileSystem, base: str) -> list[str]:
    """The tables with at least one file in the folder ``base`` of ``fs`` (one listing)."""
    selector = pafs.FileSelector(base, recursive=True, allow_not_found=True)
    files = {i.path[len(base) + 1:] for i in fs.get_file_info(selector) if i.type == pafs.FileType.File}
    parts = {tuple(f.split("/")) for f in files}
    partitioned = [t for t in TABLES if any(len(p) == 3 and p[0] == t and p[2] == PART_FILE for p in parts)]
    return partitioned + [t for t in UNPARTITIONED if f"{t}/{PART_FILE}" in files]


def tables_present(dataset_root: str | Path) -> list[str]:
    if is_uri(dataset_root):
        fs, base = current_path(dataset_root)
        return _present(fs, base)
    root = Path(dataset_root)
    partitioned = [t for t in TABLES if any((root / t).glob(f"*/{PART_FILE}"))]
    return partitioned + [t for t in UNPARTITIONED if (root / t / PART_FILE).exists()]


def resolve_root(data: str | Path | None, dataset: str | None = None) -> Path | str:
    """The dataset to read, the most explicit first: ``dataset`` (a folder or a URI); else ``<data>/dataset``,
    or ``data`` itself when it already is one; else ``$NIANBAO_DATASET_URI`` (where the publish step writes
    when it is set); else ``./data/dataset``."""
    if dataset:
        return dataset_location(data or "data", dataset)
    if data is None and os.environ.get(DATASET_ENV):
        return dataset_location("data", os.environ[DATASET_ENV])
    data = Path("data" if data is None else data)
    return data if not tables_present(data / "dataset") and tables_present(data) else data / "dataset"


def connect(dataset_root: str | Path, *, require: bool = False) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with one view per table present under ``dataset_root``.

    ``require``: raise ``NoDataset`` when there is no table at all, instead of an empty catalogue.
    The root is resolved once (``<data>/dataset`` is a symlink to the current version; on object storage
    ``_current`` names it), so every view of one connection reads the same version even while a publish
    switches to the next.
    """
    if is_uri(dataset_root):
        return _connect_store(str(dataset_root), require)
    root = Path(dataset_root).resolve()
    present = tables_present(root)
    if require and not present:
        raise NoDataset(f"no dataset under {root}")
    con = duckdb.connect()
    for table in present:
        if table in TABLES:
            glob = (root / table / "*" / PART_FILE).as_posix().replace("'", "''")
            con.execute(
                f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{glob}', hive_partitioning = true, "
                "hive_types = {'report_year': SMALLINT})"
            )
        else:
            path = (root / table / PART_FILE).as_posix().replace("'", "''")
            con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{path}')")
    return con


def _connect_store(uri: str, require: bool) -> duckdb.DuckDBPyConnection:
    """The views of ``connect`` over object storage: each table a pyarrow dataset of the current version,
    the partition key typed as the writer types it (int16, DuckDB's SMALLINT)."""
    fs, base = current_path(uri)
    present = _present(fs, base)
    if require and not present:
        raise NoDataset(f"no dataset under {uri}")
    con = duckdb.connect()
    for table in present:
        if table in TABLES:
            data = ds.dataset(f"{base}/{table}", filesystem=fs, format="parquet", partitioning=PARTITIONING,
                              schema=file_schema(table).append(PARTITION_FIELD))
        else:
            data = ds.dataset(f"{base}/{table}/{PART_FILE}", filesystem=fs, format="parquet")
        con.register(table, data)  # a view DuckDB scans through pyarrow (projection and filters pushed down)
    return con
