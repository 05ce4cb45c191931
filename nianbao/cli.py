"""The ``nianbao`` command. Each sub-command lives in its own module under ``nianbao/commands/``."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from . import commands
from .commands.demo import demo_registry_path

__all__ = ["demo_registry_path", "main"]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    from pipeline.schema import SCHEMA_VERSION

    try:
        own = version("nianbao")
    except PackageNotFoundError:
        own = "unknown"
    return f"nianbao {own} (dataset schema {SCHEMA_VERSION})"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nianbao",
                                     description="China's government information disclosure annual reports as one dataset")
    parser.add_argument("--version", action="version", version=_version(),
                        help="print the nianbao and dataset schema versions and exit")
    sub = parser.add_subparsers(dest="command", required=True)
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
