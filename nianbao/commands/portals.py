"""``nianbao portals import|list|show``: the portal registry — the national directory, the curated
``portals.yaml`` overlay and what column discovery found — and where each value came from."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from . import EXIT_BAD_INPUT, err


def _data() -> Path:
    return Path(os.environ.get("NIANBAO_DATA", "data"))


def default_directory() -> Path:
    """Where ``portals import`` writes the imported directory and ``list``/``show`` and the crawl read it."""
    from spiders.registry import directory_file

    return directory_file(_data())


def default_discovered() -> Path:
    """Where the crawl (and ``python -m spiders.discovery --out``) keeps discovery results."""
    from spiders.registry import discovered_dir

    return discovered_dir(_data())


def cmd_import(args: argparse.Namespace) -> int:
    from spiders import registry
    from spiders.directory import DirectoryError, import_files

    missing = [p for p in args.files if not Path(p).exists()]
    if missing:
        err(f"{missing[0]}: no such file (download the directory from zfwzxx.www.gov.cn, see README 'Crawl real portals')")
        return EXIT_BAD_INPUT
    try:
        report = import_files(args.files)
    except DirectoryError as exc:
        err(str(exc))
        return EXIT_BAD_INPUT
    out = Path(args.output) if args.output else default_directory()
    registry.write([r.as_registry() for r in report.records], out)
    for where, why in report.rejected[:20]:
        err(f"skipped {where}: {why}")
    if len(report.rejected) > 20:
        err(f"… and {len(report.rejected) - 20} more rows skipped")
    print(f"{report.rows} rows → {len(report.records)} portals ({report.duplicates} duplicates merged, "
          f"{len(report.rejected)} rows skipped) → {out}")
    return 0


def _registry(args: argparse.Namespace) -> dict:
    from spiders import registry
    from spiders.discovery import load_updates

    directory = Path(args.directory) if args.directory else default_directory()
    discovered = Path(args.discovered) if args.discovered else default_discovered()
    return registry.merge(registry.read_records(directory) if directory.is_file() else [],
                          registry.read_records(args.registry), load_updates(discovered))


def cmd_list(args: argparse.Namespace) -> int:
    from spiders.registry import RegistryError

    try:
        portals = _registry(args)
    except (RegistryError, OSError, ValueError) as exc:
        err(str(exc))
        return EXIT_BAD_INPUT
    for p in portals.values():
        if args.source and args.source not in (p.source, *p.provenance.values()):
            continue
        print(f"{p.id}\t{p.family or '-'}\t{p.seed_status or '-'}\t{p.source}\t{p.name}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from spiders.registry import RegistryError

    try:
        portals = _registry(args)
    except (RegistryError, OSError, ValueError) as exc:
        err(str(exc))
        return EXIT_BAD_INPUT
    p = portals.get(args.id)
    if p is None:
        err(f"no portal '{args.id}' in the registry; `nianbao portals list` shows the ids (import the directory "
            "with `nianbao portals import FILE…`)")
        return EXIT_BAD_INPUT
    print(f"{p.id}  {p.name}  ({p.source})")
    for label, key, value in [("region", "region_code", f"{p.region_code} {p.admin_level}"),
                              ("home", "home_url", p.home_url), ("organiser", "organiser", p.organiser),
                              ("site code", "site_code", p.site_code),
                              ("family", "family", f"{p.family or '-'} {p.family_evidence}".rstrip()),
                              ("seed status", "seed_status", p.seed_status)]:
        if value.strip("- "):
            print(f"  {label}: {value}  [{p.origin(key)}]")
    for url in p.seed_urls:
        print(f"  column: {url}  [{p.origin('seed_urls')}]")
    if not p.seed_urls:
        print("  column: none yet — run column discovery (python -m spiders.discovery)")
    for col in p.columns:
        state = "confirmed" if col.get("confirmed") else "linked"
        print(f"    found {col.get('kind')} {col.get('url')} ({state}, {col.get('family') or 'family ?'}): "
              + "; ".join(col.get("evidence") or []))
    if p.note:
        print(f"  note: {p.note}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("portals", help="the portal registry: import the national directory, list, show")
    psub = p.add_subparsers(dest="portals_command", required=True)
    imp = psub.add_parser("import", help="import 全国政府网站基本信息数据库 CSV/zip files into registry records")
    imp.add_argument("files", nargs="+", help="CSV files, zip files of CSVs, or directories of them")
    imp.add_argument("--output", help=f"registry file to write (.json or .yaml; default {default_directory()})")
    imp.set_defaults(func=cmd_import)
    for name, func, text in [("list", cmd_list, "one line per portal: id, family, seed status, source, name"),
                             ("show", cmd_show, "one portal: family, column(s) and where each came from")]:
        q = psub.add_parser(name, help=text)
        if name == "show":
            q.add_argument("id", help="portal id")
        else:
            q.add_argument("--source", choices=["directory", "curated", "discovered", "demo"],
                           help="only portals with something from this source")
        q.add_argument("--registry", help="curated registry (default: the shipped spiders/registry/portals.yaml)")
        q.add_argument("--directory", help=f"imported directory (default {default_directory()} if present)")
        q.add_argument("--discovered", help=f"discovery results directory (default {default_discovered()})")
        q.set_defaults(func=func)
