"""Spreadsheet reports (xls, xlsx, ods) via python-calamine: every non-empty sheet becomes a Table.

Calamine gives numbers as floats (70.0) and leaves the covered cells of a merged range empty; both
would mislead the mapper (a "70.0" value_raw, a blank label), so numbers are printed as the sheet
shows them and merged ranges are filled with their top-left value.
"""

from __future__ import annotations

import datetime as dt
from io import BytesIO

from pipeline.readers.base import ExtractedDocument, Table
from pipeline.readers.docx import grid_lines
from pipeline.readers.office import UnreadableDocument


def format_cell(value: object) -> str:
    """Cell value as text, numbers without a spurious '.0' or binary noise (0.1+0.2 → '0.3')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.15g}"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ") if value.time() != dt.time() else value.date().isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value).strip()


def _fill_merged(grid: list[list[str]], ranges) -> list[list[bool]]:
    """Copy each merged range's top-left value over the range; return the mask of copied cells."""
    copies = [[False] * len(r) for r in grid]
    for (top, left), (bottom, right) in ranges or []:
        if not (0 <= top < len(grid)) or not (0 <= left < len(grid[top])):
            continue
        value = grid[top][left]
        for i in range(top, min(bottom, len(grid) - 1) + 1):
            for j in range(left, min(right, len(grid[i]) - 1) + 1):
                if (i, j) != (top, left):
                    grid[i][j] = value
                    copies[i][j] = True
    return copies


def _trim(grid: list[list[str]], copies: list[list[bool]]) -> tuple[list[list[str]], list[list[bool]]]:
    """Drop trailing empty rows and columns; keep leading ones so positions match the sheet."""
    while grid and not any(grid[-1]):
        grid.pop()
    width = max((max((j + 1 for j, c in enumerate(r) if c), default=0) for r in grid), default=0)
    grid = [r[:width] + [""] * (width - len(r)) for r in grid]
    copies = [m[:width] + [False] * (width - len(m)) for m in copies[: len(grid)]]
    return grid, copies


def read_spreadsheet(data: bytes) -> ExtractedDocument:
    """All sheets as tables (one Table per sheet), text = sheet name + one line per row."""
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(BytesIO(data))
    except Exception as exc:  # calamine raises its own error classes for each container type
        raise UnreadableDocument(f"corrupt spreadsheet: {type(exc).__name__}: {exc}") from exc
    tables: list[Table] = []
    lines: list[str] = []
    warnings: list[str] = []
    for name in workbook.sheet_names:
        try:
            sheet = workbook.get_sheet_by_name(name)
            rows = sheet.to_python(skip_empty_area=False)
        except Exception as exc:  # one chart sheet or broken sheet must not lose the others
            warnings.append(f"sheet {name!r} unreadable ({type(exc).__name__})")
            continue
        grid = [[format_cell(v) for v in row] for row in rows]
        try:
            merged = sheet.merged_cell_ranges
        except Exception:  # not every container (e.g. ods) exposes merged ranges
            merged = None
        copies = _fill_merged(grid, merged)
        grid, copies = _trim(grid, copies)
        if not grid:
            continue
        tables.append(Table(rows=grid, origin=f"sheet {name}"))
        lines.append(name)
        lines.extend(grid_lines(grid, copies))
    workbook.close()
    if not tables and warnings:
        raise UnreadableDocument("; ".join(warnings))
    return ExtractedDocument(text="\n".join(lines), tables=tables, source_format="xls", warnings=warnings)
