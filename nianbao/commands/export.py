"""``nianbao export``: one table of the dataset (or the wide one-row-per-report form) to CSV, XLSX or Parquet."""

from __future__ import annotations

import argparse
from pathlib import Path

from . import EXIT_BAD_INPUT, add_dataset_options, err, unreadable


def cmd_export(args: argparse.Namespace) -> int:
    from pipeline.export import WIDE, ExportError, fetch, write
    from pipeline.locations import shown
    from pipeline.query import resolve_root, tables_present

    root = resolve_root(args.data, args.dataset)
    try:
        present = tables_present(root)
    except OSError as exc:
        return unreadable(root, exc)
    if not present:
        err(f"no dataset under {shown(root)}: pass --data DIR, the directory holding dataset/ "
            "(e.g. --data ./data), or --dataset URI")
        return EXIT_BAD_INPUT
    fmt = args.format or (Path(args.output).suffix.lstrip(".").lower() or "csv")
    try:
        table = fetch(root, args.table, args.year)
        path = write(table, args.output, fmt, wide=args.table == WIDE)
    except (ExportError, OSError) as exc:
        err(str(exc))
        return EXIT_BAD_INPUT
    print(f"{path}: {table.num_rows} rows, {table.num_columns} columns ({fmt})")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="write one table of the dataset (or the wide form) as CSV, XLSX or Parquet")
    p.add_argument("--table", required=True,
                   help="reports, facts, checks, sources, documents, coverage, indicators, regions, or wide "
                        "(one row per report, one column per indicator, Chinese and English headers)")
    p.add_argument("--year", type=int, help="only this report year (tables with report_year)")
    p.add_argument("--format", choices=("csv", "xlsx", "parquet"),
                   help="output format (default: from the --output suffix, else csv)")
    p.add_argument("--output", required=True, help="file to write")
    add_dataset_options(p)
    p.set_defaults(func=cmd_export)
