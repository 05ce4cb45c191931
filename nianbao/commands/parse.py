"""``nianbao parse FILE``: one document through the whole parser, as the pipeline sees it: in a budgeted
child process (``NIANBAO_PARSE_SECONDS``/``NIANBAO_PARSE_MEMORY_MB``), so a file that crashes or hangs the
parser ends with its ``budget:`` reason instead of killing the command."""

from __future__ import annotations

import argparse
import json
import mimetypes
from pathlib import Path

from . import EXIT_BAD_INPUT, EXIT_NOT_A_REPORT, err, read_input


def cmd_parse(args: argparse.Namespace) -> int:
    path = Path(args.path)
    data = read_input(path)
    if data is None:
        return EXIT_BAD_INPUT
    from pipeline.worker import process_budgeted  # a hostile file costs its budget, not this process

    media_type = mimetypes.guess_type(path.name)[0]
    row = {"url": args.url or path.resolve().as_uri(), "content_type": media_type, "portal_id": None,
           "kind": "report"}
    result = process_budgeted(data, row, None)
    report = result["report"]
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1, default=str))
    elif report.get("parse_status") != "error":  # a crashed or timed-out parse has nothing to summarise
        print(f"{report.get('title')}: {report.get('agency_name')} {report.get('report_year')} "
              f"{report.get('template_generation')} — {len(result['facts'])} facts, "
              f"{report.get('checks_passed')} checks passed, {report.get('checks_failed')} failed")
    if report.get("parse_status") not in ("ok",):
        err(f"{path}: {report.get('parse_status')}: {report.get('parse_reason')}")
        return EXIT_NOT_A_REPORT
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("parse", help="parse one report document (HTML, text, PDF, DOCX, DOC, XLS)")
    p.add_argument("path", help="the saved document")
    p.add_argument("--url", help="the URL the document came from (provenance, region signals)")
    p.add_argument("--json", action="store_true", help='print {"report": …, "facts": […], "checks": […]}')
    p.set_defaults(func=cmd_parse)
