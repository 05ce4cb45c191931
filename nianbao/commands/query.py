"""``nianbao query SQL``: DuckDB over the published dataset."""

from __future__ import annotations

import argparse
from pathlib import Path

from . import EXIT_BAD_INPUT, err


def cmd_query(args: argparse.Namespace) -> int:
    from pipeline.query import connect

    con = connect(Path(args.data) / "dataset")
    try:
        con.sql(args.sql).show(max_rows=args.max_rows)
    except Exception as exc:  # duckdb errors carry a clear message; no traceback for a typo in SQL
        err(str(exc).splitlines()[0])
        return EXIT_BAD_INPUT
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("query", help="run SQL over the dataset with DuckDB (views: reports, facts, checks, sources, documents)")
    p.add_argument("sql", help="the SQL statement")
    p.add_argument("--data", default="data", help="data directory holding dataset/ (default ./data)")
    p.add_argument("--max-rows", type=int, default=40, help="rows to print (default 40)")
    p.set_defaults(func=cmd_query)
