"""``nianbao listing FILE --url URL``: one saved listing page read as if fetched from URL, by the same code the
spiders run (``spiders.listing.read_listing``): its family, its report links, the next pages, sub-columns."""

from __future__ import annotations

import argparse
import json
import mimetypes
from pathlib import Path

from . import EXIT_BAD_INPUT, read_input


def cmd_listing(args: argparse.Namespace) -> int:
    path = Path(args.path)
    data = read_input(path)
    if data is None:
        return EXIT_BAD_INPUT
    from spiders.listing import read_listing

    content_type = args.content_type or mimetypes.guess_type(path.name)[0]
    listing = read_listing(args.url, data, content_type, family=args.family)
    if args.json:
        print(json.dumps(listing.as_dict(), ensure_ascii=False, indent=1))
        return 0
    print(f"family: {listing.family or 'unknown'} ({listing.evidence})")
    print(f"reports: {len(listing.reports)} of {len(listing.entries)} links")
    for r in listing.reports:
        print(f"  {r.year or '----'}  {r.date or '----------'}  {r.title}\n        {r.url}")
    for label, urls in (("next pages", listing.next_pages), ("columns", listing.columns)):
        print(f"{label}: {len(urls)}")
        for u in urls:
            print(f"  {u}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("listing", help="read one saved listing page (HTML, JSON, XML or JS) as the spiders do")
    p.add_argument("path", help="the saved listing page, exactly as served")
    p.add_argument("--url", required=True, help="the URL the page was fetched from (links resolve against it)")
    p.add_argument("--family", help="force a CMS family instead of detecting it from the page")
    p.add_argument("--content-type", help="the Content-Type it was served with (charset), if known")
    p.add_argument("--json", action="store_true",
                   help='print {"family", "reports": [{"url", "title", "date", "year"}], "next_pages", "columns"}')
    p.set_defaults(func=cmd_listing)
