"""One module per ``nianbao`` sub-command. Each defines ``register(sub)`` adding its parser(s) to the
``argparse`` sub-parsers; ``nianbao.cli`` discovers them, so a new command is a new module here."""

from __future__ import annotations

import sys
from pathlib import Path

EXIT_BAD_INPUT = 2
EXIT_NOT_A_REPORT = 1


def err(message: str) -> None:
    """One line on stderr, the way every operator mistake is reported: no traceback."""
    print(f"nianbao: {message}", file=sys.stderr)


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
