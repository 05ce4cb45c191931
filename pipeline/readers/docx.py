"""DOCX reports: paragraphs and tables in document order, merged cells expanded to a rectangular grid.

The grid is built from the XML (gridBefore, gridSpan, vMerge) rather than python-docx's `row.cells`,
which raises on malformed vertical merges that Word itself tolerates (a `continue` cell under a
row that has no cell at that grid column).
"""

from __future__ import annotations

import re
import zipfile
from io import BytesIO

from docx.oxml.ns import qn
from docx.table import Table as DocxTable
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from pipeline.readers.base import ExtractedDocument, Table
from pipeline.readers.office import UnreadableDocument

_NUMBER = re.compile(r"[-+]?[\d,，.．]+%?")
_MAX_INFLATED = 256 * 1024 * 1024  # a report DOCX inflates to a few MB; a zip bomb to gigabytes
_MAX_GRID_COLS = 128  # Word's limit is 63; gridBefore 10^8 or gridSpan 10^6 must not become a list that long


def _int_attr(el, tag: str, default: int) -> int:
    child = el.find(tag) if el is not None else None
    if child is None:
        return default
    try:
        return int(child.get(qn("w:val")))
    except (TypeError, ValueError):
        return default


def _cell_text(tc, table: DocxTable) -> str:
    lines = [p.strip() for p in _Cell(tc, table).text.splitlines()]
    return "\n".join(line for line in lines if line)


def table_grid(table: DocxTable) -> tuple[list[list[str]], list[list[bool]], list[list[int]]]:
    """Rectangular grid of cell strings, a merged cell repeating its text; a same-shaped mask that is
    True where a cell is such a repeat (so text output can print each real cell once); and the id of
    the Word cell behind every slot (-1 for padding), which lets the mapper tell one merged cell from
    two equal ones."""
    grid: list[list[str]] = []
    copies: list[list[bool]] = []
    ids: list[list[int]] = []
    next_id = 0
    for tr in table._tbl.tr_lst:
        trpr = tr.trPr
        col = min(max(0, _int_attr(trpr, qn("w:gridBefore"), 0)), _MAX_GRID_COLS)
        row: list[str] = [""] * col
        mask: list[bool] = [False] * col
        rid: list[int] = [-1] * col
        for tc in tr.tc_lst:
            tcpr = tc.tcPr
            # Word tables have at most 63 columns: a larger span or offset is clamped before any allocation
            span = min(max(1, _int_attr(tcpr, qn("w:gridSpan"), 1)), _MAX_GRID_COLS - col)
            if span <= 0:
                break
            vmerge = tcpr.find(qn("w:vMerge")) if tcpr is not None else None
            is_continue = vmerge is not None and vmerge.get(qn("w:val"), "continue") == "continue"
            if is_continue and grid:
                above, above_ids = grid[-1], ids[-1]
                texts = [above[c] if c < len(above) else "" for c in range(col, col + span)]
                rid.extend(above_ids[c] if c < len(above_ids) else -1 for c in range(col, col + span))
                mask.extend([True] * span)
            else:
                texts = [_cell_text(tc, table)] * span
                rid.extend([next_id] * span)
                next_id += 1
                mask.extend([False] + [True] * (span - 1))
            row.extend(texts)
            col += span
        grid.append(row)
        copies.append(mask)
        ids.append(rid)
    width = max((len(r) for r in grid), default=0)
    grid = [r + [""] * (width - len(r)) for r in grid]
    copies = [m + [False] * (width - len(m)) for m in copies]
    ids = [i + [-1] * (width - len(i)) for i in ids]
    return grid, copies, ids


def grid_lines(grid: list[list[str]], copies: list[list[bool]] | None = None) -> list[str]:
    """One text line per table row with each real cell once, so the body text reads like the page.

    Without a merge mask, only repeated non-numeric neighbours are collapsed: "0 0 0" are real cells.
    """
    lines = []
    for i, row in enumerate(grid):
        cells: list[str] = []
        for j, cell in enumerate(row):
            flat = cell.replace("\n", " ").strip()
            if not flat:
                continue
            if copies is not None:
                if copies[i][j]:
                    continue
            elif cells and cells[-1] == flat and not _NUMBER.fullmatch(flat):
                continue
            cells.append(flat)
        if cells:
            lines.append(" ".join(cells))
    return lines


def read_docx(data: bytes) -> ExtractedDocument:
    """Body paragraphs and tables in reading order (python-docx)."""
    import docx

    try:
        inflated = sum(i.file_size for i in zipfile.ZipFile(BytesIO(data)).infolist())  # zipfile holds to these
        document = docx.Document(BytesIO(data)) if inflated <= _MAX_INFLATED else None
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise UnreadableDocument(f"corrupt DOCX: {type(exc).__name__}: {exc}") from exc
    except Exception as exc:  # python-docx surfaces lxml/opc errors of many kinds on broken packages
        raise UnreadableDocument(f"corrupt DOCX: {type(exc).__name__}: {exc}") from exc
    if document is None:
        raise UnreadableDocument(f"DOCX inflates to {inflated} bytes, over the {_MAX_INFLATED} byte bound")
    lines: list[str] = []
    tables: list[Table] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            text = block.text.strip()
            if text:
                lines.append(text)
        elif isinstance(block, DocxTable):
            grid, copies, ids = table_grid(block)
            if grid and any(any(c for c in r) for r in grid):
                tables.append(Table(rows=grid, ids=ids, origin=f"docx table #{len(tables) + 1}"))
                lines.extend(grid_lines(grid, copies))
    meta: dict[str, str] = {}
    props = document.core_properties
    for key in ("title", "author", "created", "modified"):
        value = getattr(props, key, None)
        if value:
            meta[f"docx_{key}"] = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return ExtractedDocument(text="\n".join(lines), tables=tables, source_format="docx", meta=meta)
