"""One module per ``nianbao`` sub-command. Each defines ``register(sub)`` adding its parser(s) to the
``argparse`` sub-parsers; ``nianbao.cli`` discovers them, so a new command is a new module here."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_BAD_INPUT = 2
EXIT_NOT_A_REPORT = 1


def err(message: str) -> None:
    """One line on stderr, the way every operator mistake is reported: no traceback."""
    print(f"nianbao: {message}", file=sys.stderr)


def add_dataset_options(p: argparse.ArgumentParser) -> None:
    """``--data`` / ``--dataset`` of the commands that read the published dataset (query, report, export)."""
    p.add_argument("--data", help="data directory holding dataset/ (default ./data, or $NIANBAO_DATASET_URI when set; "
                                  "the dataset directory itself also works)")
    p.add_argument("--dataset", help="the dataset itself: a folder or an object-storage URI such as "
                   "s3://bucket/nianbao/dataset?endpoint_override=host:9000&scheme=http (default "
                   "$NIANBAO_DATASET_URI, else <data>/dataset)")


def unreadable(root: object, exc: OSError) -> int:
    """One line for a dataset that cannot be read (object storage unreachable, no such bucket, credentials
    refused, an output not writable); the exit code of an operator mistake."""
    from pipeline.locations import shown

    err(f"cannot read the dataset at {shown(root)}: {str(exc).splitlines()[0]}")
    return EXIT_BAD_INPUT


def read_input(path: Path) -> bytes | None:
    """The bytes of a saved document, or None after a one-line error (missing or empty file)."""
    if not path.is_file():
        err(f"{path}: no such file")
        return None
    data = path.read_bytes()
    if not data:
        err(f"{path}: empty file")
        return None
    return data
