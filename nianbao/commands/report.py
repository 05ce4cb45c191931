"""``nianbao report``: a static HTML page of charts over the dataset (opens from disk, no server, no network)."""

from __future__ import annotations

import argparse

from . import EXIT_BAD_INPUT, add_dataset_options, err, unreadable


def cmd_report(args: argparse.Namespace) -> int:
    from pipeline.locations import shown
    from pipeline.query import resolve_root, tables_present
    from pipeline.report_page import build_report

    root = resolve_root(args.data, args.dataset)
    try:
        present = tables_present(root)
    except OSError as exc:
        return unreadable(root, exc)
    if "reports" not in present:
        err(f"no dataset under {shown(root)}: pass --data DIR, the directory holding dataset/ "
            "(e.g. --data ./data), or --dataset URI")
        return EXIT_BAD_INPUT
    try:
        path = build_report(root, args.output)
    except OSError as exc:  # the output directory is not writable, or the store failed mid-read
        err(f"{args.output}: {str(exc).splitlines()[0]}")
        return EXIT_BAD_INPUT
    print(f"{path} (open it in a browser: file://{path.resolve()})")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="write a static HTML page of charts over the dataset")
    p.add_argument("--output", required=True, help="directory to write index.html into")
    add_dataset_options(p)
    p.set_defaults(func=cmd_report)
