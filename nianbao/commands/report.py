"""``nianbao report``: a static HTML page of charts over the dataset (opens from disk, no server, no network)."""

from __future__ import annotations

import argparse

from . import EXIT_BAD_INPUT, err


def cmd_report(args: argparse.Namespace) -> int:
    from pipeline.query import resolve_root, tables_present
    from pipeline.report_page import build_report

    root = resolve_root(args.data)
    if "reports" not in tables_present(root):
        err(f"no dataset under {root}: pass --data DIR, the directory holding dataset/ (e.g. --data ./data)")
        return EXIT_BAD_INPUT
    path = build_report(root, args.output)
    print(f"{path} (open it in a browser: file://{path.resolve()})")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="write a static HTML page of charts over the dataset")
    p.add_argument("--output", required=True, help="directory to write index.html into")
    p.add_argument("--data", default="data", help="data directory holding dataset/ (default ./data; the dataset directory itself also works)")
    p.set_defaults(func=cmd_report)
