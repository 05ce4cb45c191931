"""Plain text → ExtractedDocument, rebuilding tables that were flattened into text.

Flattened tables come one cell per line (the seed report), or one row per line with cells separated by
spaces, tabs or '|'. Rows are rebuilt as [label, value/unit tokens…]; a bracketed line right after a
label with no value yet continues that label ('（不同渠道和方式公开相同信息计1条）').
"""

from __future__ import annotations

import re

from pipeline.labels import has_cjk
from pipeline.numbers import UNITS, parse_cell
from pipeline.readers.base import ExtractedDocument
from pipeline.tables import GridTable, split_text_row

_UNIT_SET = frozenset(UNITS) | {"万元", "元", "人次"}
_SECTION = re.compile(
    r"^[一二三四五六七八九十]+\s*[、.．]\s*.{0,12}"
    r"(总体情况|主动公开政府信息情况|收到和处理|行政复议.{0,4}行政诉讼.{0,2}情况|存在的主要问题|其他需要报告|概述)"
)
_PROSE_LEN = 60
_GLUED = re.compile(r"^\d{15}$")


def _kind(cell: str) -> str:
    c = cell.strip()
    if c in _UNIT_SET or c.strip("()（）") in _UNIT_SET:
        return "unit"
    status = parse_cell(c).status
    if status in ("reported", "dash"):
        return "value"
    return "label"


def rebuild_rows(lines: list[str]) -> list[list[list[str]]]:
    """Group lines into table regions; each region is a list of rows [label, tokens…]."""
    regions: list[list[list[str]]] = []
    rows: list[list[str]] = []
    cur: list[str] | None = None

    def close() -> None:
        nonlocal rows, cur
        if any(_kind(c) == "value" for r in rows for c in r[1:]):
            regions.append(rows)
        rows = []
        cur = None

    for line in lines:
        cells = split_text_row(line)
        if not cells:
            continue
        first = cells[0]
        if _kind(first) == "label":
            if len(first) > _PROSE_LEN and len(cells) == 1:
                close()
                continue
            if _SECTION.match(first) and len(cells) == 1 and not re.match(r"^[一二三四]、(本年|上年|结转)", first):
                close()
            if (
                cur is not None
                and len(cur) == 1
                and first[:1] in "(（"
                and len(cells) <= 3
                and not re.match(r"^[(（][一二三四五六七八九十\d]+[)）]", first)
            ):
                cur[0] += first
                cur.extend(cells[1:])
                continue
            cur = [first]
            for c in cells[1:]:
                if _GLUED.match(c):
                    cur.extend(c)
                else:
                    cur.append(c)
            rows.append(cur)
        else:
            if cur is None:
                cur = [""]
                rows.append(cur)
            for c in cells:
                if _GLUED.match(c):
                    cur.extend(c)
                else:
                    cur.append(c)
    close()
    return regions


def text_tables(text: str) -> list[GridTable]:
    """Tables rebuilt from flattened text, one GridTable per region (ragged rows padded)."""
    lines = [ln.strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln and ln.strip("\u00a0\u3000 ")]
    out: list[GridTable] = []
    for i, region in enumerate(rebuild_rows(lines)):
        if not any(has_cjk(r[0]) for r in region):
            continue
        width = max(len(r) for r in region)
        grid = [r + [""] * (width - len(r)) for r in region]
        out.append(GridTable(rows=grid, origin=f"text region #{i}", ids=None))
    return out


def read_text(text: str) -> ExtractedDocument:
    """Read decoded plain text (or text extracted from another format)."""
    return ExtractedDocument(text=text, tables=list(text_tables(text)), source_format="text", meta={})
