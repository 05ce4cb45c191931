"""Grid helpers: expand HTML tables (rowspan/colspan) to rectangular grids, and rebuild rows from flat text.

Real pages nest tables, repeat header rows, put `&nbsp;` in blank cells and over-declare spans; the
expansion below is linear in the number of cells and never trusts a span beyond sane bounds.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import combinations

from lxml import etree

from pipeline.numbers import parse_cell
from pipeline.readers.base import Table

_WS = re.compile(r"\s+")
_MAX_SPAN = 60  # Word exports sometimes declare rowspan=9999; clamp to keep grids small.
_MAX_COLS = 80


def cell_text(el, nested: bool = True) -> str:
    """Visible text of a cell, whitespace collapsed, nested tables excluded (they are read on their own)."""
    if not nested or next(el.iterdescendants("table"), None) is None:
        return " ".join(_TEXT(el).split())
    parts: list[str] = []
    _collect(el, parts, top=True)
    return _WS.sub(" ", "".join(parts)).strip()


def _TEXT(el) -> str:  # noqa: N802 - stands for the compiled XPath string() it replaced
    """All text under an element (lxml's C text serialiser: several times faster per cell than XPath)."""
    return etree.tostring(el, method="text", encoding=str, with_tail=False)


def _collect(el, parts: list[str], top: bool) -> None:
    tag = el.tag if isinstance(el.tag, str) else ""
    if not top and tag == "table":
        return
    if tag in ("script", "style"):
        if el.tail:
            parts.append(el.tail)
        return
    if tag == "br" or tag == "p" or tag == "div":
        parts.append(" ")
    if el.text:
        parts.append(el.text)
    for child in el:
        _collect(child, parts, top=False)
    if not top and el.tail:
        parts.append(el.tail)


_SPAN_HEAD = re.compile(r"\s*(\d+)")


@lru_cache(maxsize=1024)
def _span(value: str | None) -> int:
    """A rowspan/colspan attribute as a slot count (a page prints the same few values: cached)."""
    if not value:
        return 1
    if value.isdigit():
        n = int(value)
    else:
        m = _SPAN_HEAD.match(value)
        if not m:
            return 1
        n = int(m.group(1))
    return min(max(n, 1), _MAX_SPAN)


def own_rows(table) -> list:
    """<tr> elements of this table (thead/tbody/tfoot included), not those of nested tables."""
    rows = []
    for child in table:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "tr":
            rows.append(child)
        elif tag in ("tbody", "thead", "tfoot"):
            rows.extend(c for c in child if isinstance(c.tag, str) and c.tag == "tr")
    return rows


def expand_table(table) -> Table:
    """Span-expanded grid of one lxml <table>: a merged cell's text repeats in every slot it covers."""
    grid: list[list[str]] = []
    ids: list[list[int]] = []
    # carry[r] = {column: (text, id)} for slots of row r covered by a rowspan from above
    carry: dict[int, dict[int, tuple[str, int]]] = {}
    next_id = 0
    nested = next(table.iterdescendants("table"), None) is not None
    tostring = etree.tostring
    for r, tr in enumerate(own_rows(table)):
        row: list[str] = []
        rid: list[int] = []
        above = carry.pop(r, None) if carry else None
        c = 0
        for td in tr.iterchildren("td", "th"):
            if above:
                while c in above:
                    text, cid = above.pop(c)
                    row.append(text)
                    rid.append(cid)
                    c += 1
            if c >= _MAX_COLS:
                break  # cells carried from above already fill the clamp: the rest of the row is dropped
            if nested:
                text = cell_text(td, True)
            elif len(td):
                text = " ".join(tostring(td, method="text", encoding=str, with_tail=False).split())
            else:  # no child element: the cell's text is its own text node (no serialiser call)
                text = td.text
                text = " ".join(text.split()) if text else ""
            rs = td.get("rowspan")
            cs = td.get("colspan")
            cid = next_id
            next_id += 1
            if (rs is None or rs == "1") and (cs is None or cs == "1"):  # most cells: one slot
                row.append(text)
                rid.append(cid)
                c += 1
                continue
            rs = 1 if rs is None or rs == "1" else _span(rs)
            cs = 1 if cs is None or cs == "1" else _span(cs)
            if cs == 1:
                row.append(text)
                rid.append(cid)
            else:
                if c + cs > _MAX_COLS:
                    cs = max(1, _MAX_COLS - c)
                row.extend([text] * cs)
                rid.extend([cid] * cs)
            if rs > 1:
                for dr in range(1, rs):
                    below = carry.setdefault(r + dr, {})
                    for dc in range(cs):
                        below[c + dc] = (text, cid)
            c += cs
        while above and c in above:
            text, cid = above.pop(c)
            row.append(text)
            rid.append(cid)
            c += 1
        grid.append(row)
        ids.append(rid)
    # Rows spanned past the last <tr> are dropped: they carry no new cells.
    width = max((len(r) for r in grid), default=0)
    for row, rid in zip(grid, ids, strict=True):
        pad = width - len(row)
        if pad:
            row.extend([""] * pad)
            rid.extend([-1] * pad)
    return Table(rows=grid, ids=ids)


def run_expansions(cells: list[str], n: int, check=None, limit: int = 5000) -> list[tuple[int, ...]]:
    """Every way to read k printed cells as n cells where each printed cell stands for a run of equal
    neighbours (an export that drops a line equal to the one before it prints '0' once for fifteen zero
    cells), keeping those whose numbers pass the row's own identity ``check``. Each reading is the index
    of the printed cell behind every one of the n slots."""
    k = len(cells)
    if k == 0 or k > n or any(cells[i] == cells[i + 1] for i in range(k - 1)):
        return []  # two equal printed neighbours: the export did not collapse runs here
    vals = [parse_cell(x).value for x in cells]
    out: list[tuple[int, ...]] = []
    for cuts in combinations(range(1, n), k - 1):
        bounds = (0, *cuts, n)
        idx = tuple(i for i in range(k) for _ in range(bounds[i + 1] - bounds[i]))
        if check is not None:
            nums = [vals[i] for i in idx]
            if any(v is None for v in nums) or not check(nums):
                continue
        out.append(idx)
        if len(out) > limit:
            break
    return out


def expand_runs(cells: list[str], n: int, check=None) -> list[int | None] | None:
    """For each of the n slots, the printed cell it reads (see run_expansions); None for a slot whose
    value the valid readings disagree on; None overall when no reading passes the check."""
    sols = run_expansions(cells, n, check)
    if not sols:
        return None
    out: list[int | None] = []
    for j in range(n):
        vals = {cells[s[j]] for s in sols}
        out.append(sols[0][j] if len(vals) == 1 else None)
    return out


_SPLIT = re.compile(r"\s*\|\s*|\t+|\s{2,}|(?<=[\d\-—–])\s+(?=[\d\-—–+])")


def split_text_row(line: str) -> list[str]:
    """Split one flattened row ('label | 1 | 2', 'label  1  2', 'label 1 2 3') into cells."""
    line = line.strip().strip("|")
    if not line:
        return []
    cells = [c for c in _SPLIT.split(line) if c != ""]
    out: list[str] = []
    for cell in cells:
        # 'label 12' → ['label', '12'] when a label is followed by a single space and numbers.
        m = _TRAILING_NUMS.match(cell)
        if m and m.group(1).strip() and re.search(r"[\u4e00-\u9fff]", m.group(1)):
            out.append(m.group(1).strip())
            out.extend(m.group(2).split())
        else:
            out.append(cell)
    return out


# Possessive quantifiers: a number token never gives digits back, so a tail that fails to end the cell
# ('1,2,3,…,13条') fails once instead of trying every way to cut its digit groups (exponential before).
_TRAILING_NUMS = re.compile(r"^(.*?[^\d\s.,+\-—])\s++((?:[+\-]?[\d.,]++\s*+)++)$")
