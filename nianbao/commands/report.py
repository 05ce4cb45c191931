"""``nianbao report``: a static HTML page of charts over the dataset (opens from disk, no server, no network)."""

from __future__ import annotations

import argparse

from . import EXIT_BAD_INPUT, err


def cmd_report(args: argparse.Namespace) -> int:
    from pipeline.locations import shown
    from pipeline.query import resolve_root, tables_present
    from pipeline.report_page import build_report

    root = resolve_root(args.data, args.dataset)
    try:
        if "reports" not in tables_present(root):
            err(f"no dataset under {shown(root)}: pass --data DIR, the directory holding dataset/ "
                "(e.g. --data ./data), or --dataset URI")
            return EXIT_BAD_INPUT
        path = build_report(root, args.output)
    except OSError as exc:  # object storage unreachable, no such bucket, credentials refused; output not writable
        err(f"{shown(root)}: {str(exc).splitlines()[0]}")
        return EXIT_BAD_INPUT
    print(f"{path} (open it in a browser: file://{path.resolve()})")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="write a static HTML page of charts over the dataset")
    p.add_argument("--output", required=True, help="directory to write index.html into")
    p.add_argument("--data", help="data directory holding dataset/ (default ./data, or $NIANBAO_DATASET_URI when set; "
                                  "the dataset directory itself also works)")
    p.add_argument("--dataset", help="the dataset itself: a folder or an object-storage URI such as "
                   "s3://bucket/nianbao/dataset?endpoint_override=host:9000&scheme=http (default "
                   "$NIANBAO_DATASET_URI, else <data>/dataset)")
    p.set_defaults(func=cmd_report)
