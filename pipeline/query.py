"""DuckDB views over the dataset with the partition key typed explicitly (hive_types)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from .schema import TABLES


def connect(dataset_root: str | Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with one view per table present under ``dataset_root``."""
    root = Path(dataset_root)
    con = duckdb.connect()
    for table in TABLES:
        if any((root / table).glob("*/*.parquet")):
            glob = (root / table / "*" / "*.parquet").as_posix()
            con.execute(
                f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{glob}', hive_partitioning = true, "
                "hive_types = {'report_year': SMALLINT})"
            )
    if (root / "documents" / "part-0.parquet").exists():
        con.execute(f"CREATE VIEW documents AS SELECT * FROM read_parquet('{(root / 'documents' / 'part-0.parquet').as_posix()}')")
    return con
