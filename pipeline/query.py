"""DuckDB views over the dataset with the partition key typed explicitly (hive_types)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from .dataset import PART_FILE
from .schema import TABLES, UNPARTITIONED


class NoDataset(LookupError):
    """No table of the dataset under the given root (wrong directory or nothing published yet)."""


def tables_present(dataset_root: str | Path) -> list[str]:
    root = Path(dataset_root)
    partitioned = [t for t in TABLES if any((root / t).glob(f"*/{PART_FILE}"))]
    return partitioned + [t for t in UNPARTITIONED if (root / t / PART_FILE).exists()]


def resolve_root(data: str | Path) -> Path:
    """The dataset root of a data directory (``<data>/dataset``), or ``data`` itself when it already is one."""
    data = Path(data)
    return data if not tables_present(data / "dataset") and tables_present(data) else data / "dataset"


def connect(dataset_root: str | Path, *, require: bool = False) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with one view per table present under ``dataset_root``.

    ``require``: raise ``NoDataset`` when there is no table at all, instead of an empty catalogue.
    The root is resolved once (``<data>/dataset`` is a symlink to the current version), so every view
    of one connection reads the same version even while a publish switches to the next.
    """
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
