"""``nianbao query SQL``: DuckDB over the published dataset (a local folder or object storage)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import unicodedata
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from . import EXIT_BAD_INPUT, add_dataset_options, err, unreadable

VIEWS = "reports, facts, checks, sources, documents, coverage, indicators, regions"


def _json_default(value: object) -> object:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def _width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def render(columns: list[str], rows: list[tuple], fmt: str, max_rows: int | None) -> str:
    """The result as an aligned text table, CSV (text quoted) or a JSON array of objects."""
    if fmt == "json":
        return json.dumps([dict(zip(columns, r, strict=True)) for r in rows], ensure_ascii=False,
                          default=_json_default, indent=1) + "\n"
    if fmt == "csv":
        from pipeline.export import csv_text, csv_value

        lines = [",".join(csv_text(c) for c in columns)]
        lines += [",".join(csv_text(v) if isinstance(v, str) else csv_value(v) for v in r) for r in rows]
        return "\r\n".join(lines) + "\r\n"
    shown = rows if max_rows is None or len(rows) <= max_rows else rows[:max_rows]
    cells = [[("" if v is None else str(v)) for v in r] for r in shown]
    widths = [max([_width(c), *(_width(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    out = ["  ".join(_pad(c, w) for c, w in zip(columns, widths, strict=True)).rstrip(),
           "  ".join("-" * w for w in widths)]
    out += ["  ".join(_pad(v, w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    out.append(f"({len(rows)} rows{f', {len(shown)} shown: --max-rows or --output for all' if len(shown) < len(rows) else ''})")
    return "\n".join(out) + "\n"


def cmd_query(args: argparse.Namespace) -> int:
    from pipeline.locations import DATASET_ENV, is_uri, shown
    from pipeline.query import NoDataset, connect, resolve_root

    root = resolve_root(args.data, args.dataset)
    try:
        con = connect(root, require=True)
    except NoDataset:
        where = shown(root) if is_uri(root) else Path(root).resolve()
        hint = " (NIANBAO_DATASET_URI is set: leave out --data to read it)" if args.data and os.environ.get(DATASET_ENV) else ""
        err(f"no dataset under {where}: pass --data DIR, the directory holding dataset/ "
            f"(e.g. --data ./data), or --dataset URI, or run `nianbao demo` to make one{hint}")
        return EXIT_BAD_INPUT
    except OSError as exc:
        return unreadable(root, exc)
    try:
        cursor = con.execute(args.sql)
        columns = [d[0] for d in cursor.description or []]
        rows = cursor.fetchall() if columns else []
    except Exception as exc:  # duckdb's message and hints, in full; no traceback for a typo in SQL
        lines = str(exc).splitlines() or [type(exc).__name__]
        err(lines[0])
        for line in lines[1:]:
            print(line, file=sys.stderr)
        return EXIT_BAD_INPUT
    text = render(columns, rows, args.format, None if args.output else args.max_rows)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"{args.output}: {len(rows)} rows", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("query", help=f"run SQL over the dataset with DuckDB (views: {VIEWS})")
    p.add_argument("sql", help=f"the SQL statement; the views are {VIEWS}")
    add_dataset_options(p)
    p.add_argument("--format", choices=("table", "csv", "json"), default="table",
                   help="table (aligned text, default), csv (text quoted, so codes stay text) or json (array of objects)")
    p.add_argument("--output", help="write the whole result to this file instead of printing it")
    p.add_argument("--max-rows", type=int, default=40, help="rows to print in table format (default 40)")
    p.set_defaults(func=cmd_query)
