"""The ``nianbao`` command: run the demo end to end, serve the demo portal, parse one document, query."""

from __future__ import annotations

import argparse
import json
import mimetypes
import os
import sys
import time
from importlib import resources
from pathlib import Path

EXIT_BAD_INPUT = 2
EXIT_NOT_A_REPORT = 1


def _err(message: str) -> None:
    print(f"nianbao: {message}", file=sys.stderr)


def demo_registry_path(full: bool = False) -> str:
    """The demo registry: the two sites made of real report pages, or (``full``) every archetype."""
    name = "archetypes.yaml" if full else "registry.yaml"
    return str(resources.files("nianbao.demo_portal").joinpath(name))


def cmd_demo_portal(args: argparse.Namespace) -> int:
    from .demo_portal.core import DemoServer
    from .demo_portal.sites import build_portal

    portal = build_portal()
    with DemoServer(portal, port=args.port) as server:
        print(f"demo portal on {server.proxy_url} (use it as the HTTP proxy); sites:")
        for host in portal.hosts:
            print(f"  http://{host}/")
        print("Ctrl-C to stop")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return 0


def cmd_parse(args: argparse.Namespace) -> int:
    path = Path(args.path)
    if not path.is_file():
        _err(f"{path}: no such file")
        return EXIT_BAD_INPUT
    data = path.read_bytes()
    if not data:
        _err(f"{path}: empty file")
        return EXIT_BAD_INPUT
    from pipeline.process import process_document

    media_type = mimetypes.guess_type(path.name)[0]
    row = {"url": args.url or path.resolve().as_uri(), "content_type": media_type, "portal_id": None,
           "kind": "report"}
    result = process_document(data, row, None)
    report = result["report"]
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1, default=str))
    else:
        print(f"{report.get('title')}: {report.get('agency_name')} {report.get('report_year')} "
              f"{report.get('template_generation')} — {len(result['facts'])} facts, "
              f"{report.get('checks_passed')} checks passed, {report.get('checks_failed')} failed")
    if report.get("parse_status") not in ("ok",):
        _err(f"{path}: {report.get('parse_status')}: {report.get('parse_reason')}")
        return EXIT_NOT_A_REPORT
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(Path(args.data), Path(args.dagster_home), demo_registry_path(full=not args.small))


def cmd_query(args: argparse.Namespace) -> int:
    from pipeline.query import connect

    con = connect(Path(args.data) / "dataset")
    try:
        con.sql(args.sql).show(max_rows=args.max_rows)
    except Exception as exc:  # duckdb errors carry a clear message; no traceback for a typo in SQL
        _err(str(exc).splitlines()[0])
        return EXIT_BAD_INPUT
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nianbao", description="China's government information disclosure annual reports as one dataset")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="serve the demo portal, crawl it, materialize every report year, print a summary")
    p.add_argument("--data", default="data", help="data directory (default ./data)")
    p.add_argument("--dagster-home", default=os.environ.get("DAGSTER_HOME", ".dagster_home"))
    p.add_argument("--small", action="store_true",
                   help="crawl only the two sites made of real report pages, not every portal archetype")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("demo-portal", help="serve the demo portal on 127.0.0.1 until interrupted")
    p.add_argument("--port", type=int, default=8765)
    p.set_defaults(func=cmd_demo_portal)

    p = sub.add_parser("parse", help="parse one report document (HTML, text, PDF, DOCX, DOC, XLS)")
    p.add_argument("path")
    p.add_argument("--url", help="the URL the document came from (provenance)")
    p.add_argument("--json", action="store_true", help='print {"report": …, "facts": […], "checks": […]}')
    p.set_defaults(func=cmd_parse)

    p = sub.add_parser("query", help="run SQL over the dataset with DuckDB (views: reports, facts, checks, sources, documents)")
    p.add_argument("sql")
    p.add_argument("--data", default="data")
    p.add_argument("--max-rows", type=int, default=40)
    p.set_defaults(func=cmd_query)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
