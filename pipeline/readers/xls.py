"""Spreadsheet reports (xls, xlsx, ods) via python-calamine: every table a sheet stacks becomes a Table.

Calamine gives numbers as floats (70.0) and leaves the covered cells of a merged range empty; both
would mislead the mapper (a "70.0" value_raw, a blank label), so numbers are printed as the sheet
shows them and merged ranges are filled with their top-left value.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from io import BytesIO

from pipeline.numbers import parse_cell
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


def _fill_merged(grid: list[list[str]], ranges) -> list[list[int]]:
    """Copy each merged range's top-left value over the range. Returns each slot's source-cell id: a range's
    slots share its top-left cell's id, so the mapper tells a merged cell from equal neighbours as it does
    with HTML spans, and the text prints the cell once (_copies)."""
    width = max((len(r) for r in grid), default=0)
    ids = [[i * width + j for j in range(len(r))] for i, r in enumerate(grid)]
    for (top, left), (bottom, right) in ranges or []:
        if not (0 <= top < len(grid)) or not (0 <= left < len(grid[top])):
            continue
        value, source = grid[top][left], ids[top][left]
        for i in range(top, min(bottom, len(grid) - 1) + 1):
            for j in range(left, min(right, len(grid[i]) - 1) + 1):
                grid[i][j] = value
                ids[i][j] = source
    return ids


def _copies(ids: list[list[int]]) -> list[list[bool]]:
    """The slots that repeat a merged cell: every slot of a range but the first in reading order."""
    seen: set[int] = set()
    out = []
    for row in ids:
        mask = []
        for x in row:
            mask.append(x in seen)
            seen.add(x)
        out.append(mask)
    return out


def _used_width(rows: list[list[str]]) -> int:
    """Columns up to the last non-empty cell of any row."""
    return max((max((j + 1 for j, c in enumerate(r) if c), default=0) for r in rows), default=0)


def _blocks(grid: list[list[str]]) -> list[tuple[int, int]]:
    """Row ranges of the tables one sheet stacks (table 三, an empty row, table 四): split at empty rows.
    A block with no number (a header band above a spacer row) stays with the block below it."""
    runs: list[tuple[int, int]] = []
    start = None
    for i, row in enumerate([*grid, []]):
        if any(row) and start is None:
            start = i
        elif not any(row) and start is not None:
            runs.append((start, i))
            start = None
    out: list[tuple[int, int]] = []
    pending = None
    for a, b in runs:
        a = pending if pending is not None else a
        if not any(parse_cell(c).status == "reported" for row in grid[a:b] for c in row):
            pending = a
            continue
        pending = None
        out.append((a, b))
    if pending is not None:
        out.append((pending, runs[-1][1]))
    return out


def _trim(grid: list[list[str]], ids: list[list[int]]) -> tuple[list[list[str]], list[list[int]]]:
    """Drop trailing empty rows and columns; keep leading ones so positions match the sheet (padding: id -1)."""
    while grid and not any(grid[-1]):
        grid.pop()
    width = _used_width(grid)
    grid = [r[:width] + [""] * (width - len(r)) for r in grid]
    ids = [m[:width] + [-1] * (width - len(m)) for m in ids[: len(grid)]]
    return grid, ids


# calamine allocates a dense grid for the declared <dimension> and for the span of the real cells before
# returning anything: A1:XFD1048576 (2^34 cells) aborts the process. Both are checked on the XML first.
_MAX_SHEET_CELLS = 5_000_000  # statistics sheets have a few hundred cells
_MAX_SHEET_XML = 64 * 1024 * 1024  # decompressed bytes of one sheet
_CELL_REF = re.compile(rb"<(?:\w+:)?c\b[^>]*?\br=\"([A-Z]{1,3})([0-9]{1,7})\"")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*?\bref=\"([^\"]*)\"")


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _column_letters(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def bounded_xlsx(data: bytes) -> bytes:
    """XLSX bytes calamine can load within bounds: a sheet whose real cells span more than
    ``_MAX_SHEET_CELLS`` (or whose XML inflates past ``_MAX_SHEET_XML``) is refused as unreadable; a
    declared dimension larger than that is replaced by the span of the real cells. Other formats pass."""
    if not data.startswith(b"PK\x03\x04"):
        return data
    try:
        archive = zipfile.ZipFile(BytesIO(data))
        sheets = [i for i in archive.infolist() if i.filename.startswith("xl/worksheets/") and i.filename.endswith(".xml")]
    except (zipfile.BadZipFile, ValueError):
        return data  # calamine reports its own error
    fixed: dict[str, bytes] = {}
    for info in sheets:
        with archive.open(info) as fh:
            xml = fh.read(_MAX_SHEET_XML + 1)
        if len(xml) > _MAX_SHEET_XML:
            raise UnreadableDocument(f"spreadsheet {info.filename} inflates past {_MAX_SHEET_XML} bytes")
        rows = cols = 0
        for m in _CELL_REF.finditer(xml):
            cols, rows = max(cols, _column_number(m.group(1))), max(rows, int(m.group(2)))
        if rows * cols > _MAX_SHEET_CELLS:
            raise UnreadableDocument(f"spreadsheet {info.filename} spans A1:{_column_letters(cols)}{rows} "
                                     f"({rows * cols} cells, over {_MAX_SHEET_CELLS})")
        dim = _DIMENSION.search(xml)
        refs = re.findall(rb"([A-Z]{1,3})([0-9]{1,7})", dim.group(1)) if dim else []
        if refs and max(_column_number(c) for c, _ in refs) * max(int(r) for _, r in refs) > _MAX_SHEET_CELLS:
            real = f"A1:{_column_letters(max(cols, 1))}{max(rows, 1)}".encode()
            fixed[info.filename] = xml[: dim.start(1)] + real + xml[dim.end(1):]
    if not fixed:
        return data
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as rewritten:
        for info in archive.infolist():
            rewritten.writestr(info, fixed.get(info.filename) or archive.read(info))
    return out.getvalue()


def read_spreadsheet(data: bytes) -> ExtractedDocument:
    """Every table of every sheet (a sheet may stack several, see _blocks), text = sheet name + one line per row."""
    from python_calamine import CalamineWorkbook

    data = bounded_xlsx(data)
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
        grid, ids = _trim(grid, _fill_merged(grid, merged))
        if not grid:
            continue
        blocks = _blocks(grid)
        for a, b in blocks:
            origin = f"sheet {name}" if len(blocks) == 1 else f"sheet {name} rows {a + 1}-{b}"
            # A narrower table than the sheet's widest has empty columns on its right: not its cells.
            width = _used_width(grid[a:b])
            tables.append(Table(rows=[r[:width] for r in grid[a:b]], origin=origin,
                                ids=[r[:width] for r in ids[a:b]]))
        lines.append(name)
        lines.extend(grid_lines(grid, _copies(ids)))
    workbook.close()
    if not tables and warnings:
        raise UnreadableDocument("; ".join(warnings))
    return ExtractedDocument(text="\n".join(lines), tables=tables, source_format="xls", warnings=warnings)
