"""``nianbao export``: one table of the dataset (or the wide one-row-per-report form) to CSV, XLSX or Parquet."""

from __future__ import annotations

import argparse
from pathlib import Path

from . import EXIT_BAD_INPUT, err


def cmd_export(args: argparse.Namespace) -> int:
    from pipeline.export import WIDE, ExportError, fetch, write
    from pipeline.locations import shown
    from pipeline.query import resolve_root, tables_present

    root = resolve_root(args.data, args.dataset)
    try:
        present = tables_present(root)
    except OSError as exc:  # object storage unreachable, no such bucket, credentials refused
        err(f"cannot read the dataset at {shown(root)}: {str(exc).splitlines()[0]}")
        return EXIT_BAD_INPUT
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
    p.add_argument("--data", help="data directory holding dataset/ (default ./data, or $NIANBAO_DATASET_URI when set; "
                                  "the dataset directory itself also works)")
    p.add_argument("--dataset", help="the dataset itself: a folder or an object-storage URI such as "
                   "s3://bucket/nianbao/dataset?endpoint_override=host:9000&scheme=http (default "
                   "$NIANBAO_DATASET_URI, else <data>/dataset)")
    p.set_defaults(func=cmd_export)
