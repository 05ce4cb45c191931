"""The parser version: a hash of everything that decides what a parse result contains.

Three parts, each a SHA-256 of file bytes, so that any change to what the parser reads invalidates
every result it made (the parse step then re-parses those documents from the raw store):

- ``code``: the Python modules the per-document step runs (the static import closure of
  ``pipeline.process``, imports inside functions included, so a lazily imported reader counts);
- ``spec``: every file under ``pipeline/spec/`` (the table spec, indicators, checks);
- ``divisions``: every file under ``pipeline/data/`` (the division table, the township codes and other
  lookup data).

The version string names all three (``c1a2b3c4.s5d6e7f8.d9a0b1c2``) so an operator can see which part
changed. The registry is deliberately not part of it: registry-dependent enrichment happens when a year
is assembled (``pipeline.publish.enrich_results``), never inside the cached parse.
"""

from __future__ import annotations

import ast
import hashlib
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ROOT_MODULE = "pipeline.process"


def _module_path(name: str) -> Path | None:
    """File of a ``pipeline.*`` module or package, or None for anything else."""
    parts = name.split(".")
    if parts[0] != "pipeline":
        return None
    base = PACKAGE.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports(path: Path, module: str) -> set[str]:
    """Every module named by an import statement anywhere in ``path`` (relative imports resolved)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_bytes(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            found.add(prefix)
            found.update(f"{prefix}.{alias.name}" for alias in node.names)  # `from . import titles`
    return found


def code_files(root: str = ROOT_MODULE) -> list[Path]:
    """The ``pipeline`` source files the per-document step can run, in a stable order."""
    seen: dict[str, Path] = {}
    todo = [root, "pipeline"]
    while todo:
        name = todo.pop()
        path = _module_path(name)
        if path is None or name in seen:
            continue
        seen[name] = path
        # a module also runs its packages' __init__ files
        todo.extend(".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1))
        todo.extend(_imports(path, name))
    return sorted(set(seen.values()))


def _digest(files: list[Path], base: Path) -> str:
    h = hashlib.sha256()
    for path in files:
        h.update(path.relative_to(base).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def _tree(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts) if folder.is_dir() else []


@cache
def components() -> dict[str, str]:
    """{"code", "spec", "divisions"} → full SHA-256 hex of each part (computed once per process)."""
    return {
        "code": _digest(code_files(), PACKAGE),
        "spec": _digest(_tree(PACKAGE / "spec"), PACKAGE),
        "divisions": _digest(_tree(PACKAGE / "data"), PACKAGE),
    }


def parser_version() -> str:
    """The version stored with every parse result: ``c<code>.s<spec>.d<divisions>`` (8 hex digits each)."""
    parts = components()
    return f"c{parts['code'][:8]}.s{parts['spec'][:8]}.d{parts['divisions'][:8]}"


def changed_parts(old: str | None, new: str | None = None) -> list[str]:
    """Which parts differ between two version strings (all of them for an old-style or missing version)."""
    new = new or parser_version()
    names = ("code", "spec", "divisions")
    a, b = (old or "").split("."), new.split(".")
    if len(a) != 3:
        return list(names)
    return [name for name, x, y in zip(names, a, b, strict=True) if x != y]


@cache
def assembly_version() -> str:
    """Version of a published year's content: the parser version plus the code that assembles, checks
    and writes a year (the import closure of ``pipeline.publish``). Dagster's ``code_version`` of the tables."""
    return f"{parser_version()}.a{_digest(code_files('pipeline.publish'), PACKAGE)[:8]}"


def folder_version(folder: str | Path) -> str:
    """A short hash of every Python file under ``folder`` (e.g. the spiders, for the crawl's code_version)."""
    base = Path(folder)
    return _digest(sorted(base.rglob("*.py")), base)[:12]
