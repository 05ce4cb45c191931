"""One engine that maps a classified grid to facts by reading the table spec (pipeline/spec/tables/).

A table is read along two axes. The COLUMN axis finds the header band and says what each value cell of a
row is: the applicant of table 三, the code suffix of table 二, the block and column of table 四, the
value / unit / cumulative role of a row table. The ROW axis says what each data row is: a catalogue code
from its printed label (indicators.csv labels, spec aliases and deny words; the spec's positional row
order where a label is missing) or the code prefix of a grid table. common.yaml's `shapes` names the two
strategies of each shape, and every strategy takes its words, orders and identities from the spec, so a
new wording, alias or column order is a data change. The loop is the engine's alone:

    header rows → data lines (labels | value cells) → row keys → cells placed on columns → facts
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from itertools import combinations
from typing import NamedTuple, Protocol

from pipeline.indicators import catalogue, unit_for_local, unit_of
from pipeline.labels import clean_label, has_cjk, head_key, label_key, local_code
from pipeline.numbers import UNITS, parse_cell, to_canonical
from pipeline.readers.base import Table
from pipeline.tables import expand_runs
from pipeline.templates import (
    TableSpec,
    col_key,
    common_spec,
    group_headers,
    match_key,
    row_index,
    t2_template,
    t4_template,
)

_UNIT_SET = frozenset(UNITS)


# ------------------------------------------------------------------------------------------- cells


@lru_cache(maxsize=131072)
def is_value(cell: str) -> bool:
    """A number or a dash: what a value cell prints."""
    return parse_cell(cell).status in ("reported", "dash")


@lru_cache(maxsize=131072)
def is_label(cell: str) -> bool:
    """Chinese text that is not a number and not a bare unit: what a row label prints."""
    return bool(cell) and has_cjk(cell) and parse_cell(cell).status == "text" and cell.strip() not in _UNIT_SET


def _reported(raw: str | None) -> bool:
    return raw is not None and parse_cell(raw).status == "reported"


@lru_cache(maxsize=65536)
def _reading(code: str, raw: str | None, unit_ctx: str | None) -> tuple[float | None, str, str | None, str]:
    """(value in the code's canonical unit, that unit, printed unit, cell status): a corpus repeats the
    same few thousand (code, cell) pairs."""
    cell = parse_cell(raw)
    unit_raw = cell.unit_raw or unit_ctx
    unit = unit_of(code) if code in catalogue() else unit_for_local(unit_raw)
    return to_canonical(cell.value, unit_raw, unit), unit, unit_raw, cell.status


def expand_collapsed(cells: list[tuple[int, str]], n: int, check) -> list[tuple[int, str | None]]:
    """A flattened row that printed fewer than n value cells: read each as a run of equal cells when
    the row's identity settles it (tables.expand_runs). A slot the readings disagree on is None."""
    if not 0 < len(cells) < n or not all(is_value(x) for _, x in cells):
        return cells
    slots = expand_runs([x for _, x in cells], n, check)
    if slots is None:
        return cells
    return [(cells[i][0], cells[i][1]) if i is not None else (cells[0][0], None) for i in slots]


def _last_is_total(vals: list[float]) -> bool:
    """Identity of a table-三 row: the last applicant column (总计) is the sum of the others."""
    return abs(sum(vals[:-1]) - vals[-1]) < 1e-9


def _blocks_close(width: int):
    """Identity of table 四's one row: in every block of `width` columns the last (总计) sums the others."""
    def check(vals: list[float]) -> bool:
        return all(abs(sum(vals[b:b + width - 1]) - vals[b + width - 1]) < 1e-9 for b in range(0, len(vals), width))
    return check


# -------------------------------------------------------------------------------------------- grid


@dataclass
class Grid:
    """A classified table as the engine reads it: cell text, which slots share a source cell (spans)
    and, for flattened text, how many cells each row printed."""

    rows: list[list[str]]
    ids: list[list[int]]
    row_len: list[int] | None
    spans: bool
    _distinct: dict[tuple[int, int, bool], list[tuple[int, str]]] = field(default_factory=dict)

    @classmethod
    def of(cls, table: Table) -> Grid:
        ids = getattr(table, "ids", None)
        spans = ids is not None
        if ids is None:  # without span information every slot is its own cell
            ids = [[r * 1000 + c for c in range(len(row))] for r, row in enumerate(table.rows)]
        return cls(table.rows, ids, table.row_len, spans)

    @property
    def flattened(self) -> bool:
        return self.row_len is not None

    def distinct(self, r: int, start: int = 0, padding: bool = False) -> list[tuple[int, str]]:
        """(column, text) of each source cell of row r from column `start` on, once (a merged cell
        repeats in the grid); reader padding (id -1) only when asked."""
        key = (r, start, padding)
        out = self._distinct.get(key)
        if out is None:
            ids = self.ids[r]
            row = self.rows[r]
            own = ids[start:] if start else ids
            if len(ids) == len(row) and len(set(own)) == len(own) and (padding or -1 not in own):
                out = list(zip(range(start, len(row)), row[start:], strict=True))  # each slot its own cell
                self._distinct[key] = out
                return out
            seen: set[int] = set() if padding else {-1}
            out = []
            for c, x in enumerate(row[start:], start):
                i = ids[c]
                if i not in seen:
                    seen.add(i)
                    out.append((c, x))
            self._distinct[key] = out
        return out

    def printed(self, r: int, cells: list[tuple[int, str]]) -> list[tuple[int, str]]:
        """Cells a flattened row really printed (slots past its length are padding, not blanks)."""
        if self.row_len is None:
            return cells
        return [(c, x) for c, x in cells if c < self.row_len[r]]

    def column_path(self, c: int, upto: int) -> list[str]:
        """Non-empty header cells above row `upto` in column c, top first."""
        return [self.rows[r][c] for r in range(min(upto, len(self.rows))) if c < len(self.rows[r]) and self.rows[r][c]]

    def column_header(self, c: int, upto: int) -> str | None:
        return " / ".join(dict.fromkeys(self.column_path(c, upto))) or None


# --------------------------------------------------------------------------------- lines and slots


@dataclass(slots=True)
class Line:
    """One data row as the column axis split it: label cells, value cells, then the row axis's key."""

    r: int
    i: int  # index among the table's data rows (positional row order)
    labels: list[str]
    cells: list[tuple[int | None, str | None]]
    unit: str | None = None  # a unit printed in the row itself (row tables)
    headers: tuple[tuple[int, str], ...] = ()  # column headers in force for this row (table 二 blocks)
    key: str | None = None  # catalogue code, or code prefix of a row × column grid
    method: str = ""
    score: float = 0.0

    @property
    def row_label(self) -> str | None:
        return " ".join(self.labels) if self.labels else None


class Slot(NamedTuple):
    """One value cell placed on the column axis: what it adds to the row's key, and how sure it is."""

    c: int | None
    raw: str
    suffix: str | None
    applicant: str
    col_label: str | None
    unit: str | None
    method: str
    score: float
    row_label: str | None = None  # the label a row without label cells takes (table 四: the header path)


_slot = tuple.__new__  # Slot(*fields) without the named tuple's Python-level __new__ (one per table-三 cell)


class ColumnAxis(Protocol):
    def frame(self, grid: Grid) -> list[int]: ...
    def header(self, grid: Grid, r: int) -> bool: ...
    def split(self, grid: Grid, r: int, i: int) -> Line | None: ...
    def seen(self, line: Line) -> None: ...
    def place(self, grid: Grid, line: Line) -> list[Slot]: ...


class RowAxis(Protocol):
    def match(self, line: Line) -> None: ...
    def settle(self, lines: list[Line], n_data: int) -> list[Line]: ...


# ------------------------------------------------------------------------------------------- engine


def map_grid(table: Table, spec: TableSpec, generation: str) -> list[dict]:
    """Facts of one classified table: its spec's shape picks the two axis strategies (common.yaml)."""
    grid = Grid.of(table)
    axes = common_spec()["shapes"][spec.shape]
    cols: ColumnAxis = _COLUMN_AXES[axes["columns"]](spec, generation)
    rows: RowAxis = _ROW_AXES[axes["rows"]](spec, generation)
    data_rows = cols.frame(grid)
    lines: list[Line] = []
    for i, r in enumerate(data_rows):
        if cols.header(grid, r):
            continue
        line = cols.split(grid, r, i)
        if line is None:
            continue
        rows.match(line)
        cols.seen(line)
        lines.append(line)
    return _facts(grid, spec, rows.settle(lines, len(data_rows)), cols)


def _facts(grid: Grid, spec: TableSpec, lines: list[Line], cols: ColumnAxis) -> list[dict]:
    """One fact row (pipeline.records 'fact') per placed cell, its value read in the code's canonical
    unit: code = row key + column suffix; first (code, applicant) wins, and a code that is neither in the
    catalogue nor local.* (a row × column pair the template lacks) is dropped. Built here in one loop:
    a report has a few hundred, and a call per fact was a tenth of the mapping."""
    out: list[dict] = []
    seen: set[tuple[str, str]] = set()
    codes = catalogue()
    table_id = spec.table_id
    reading = _reading
    for line in lines:
        key, row_label, r = line.key, line.row_label, line.r
        for c, raw, suffix, applicant, col_label, unit_ctx, method, score, slot_label in cols.place(grid, line):
            code = (f"{key}.{suffix}" if key else suffix) if suffix else key
            k = (code, applicant)
            if k in seen or not (code in codes or code.startswith("local.")):
                continue
            seen.add(k)
            value, unit, unit_raw, status = reading(code, raw, unit_ctx)
            out.append({
                "indicator": code,
                "applicant_type": applicant,
                "value": value,
                "unit": unit,
                "value_raw": raw if raw is not None else "",
                "unit_raw": unit_raw,
                "value_status": status,
                "row_label_raw": row_label or slot_label,
                "col_label_raw": col_label,
                "table_id": table_id,
                "row_idx": r,
                "col_idx": c,
                "match_method": method,
                "match_score": float(score),
                "source_text": None,
            })
    return out


# ----------------------------------------------------------------------------------------- row axes


class CatalogueRows:
    """Row axis of row tables and table 三: a printed label is a catalogue code (indicators.csv labels,
    the spec's aliases and deny words, via templates.row_index); rows that lost their labels take the
    places left free in the spec's `rows` order; an unknown labelled row with a number is a local.* code
    unless common.yaml calls it a group header."""

    def __init__(self, spec: TableSpec, generation: str) -> None:
        self.idx = row_index(spec.kind)
        self.order: list[str] = list(spec.get("rows") or ())
        self.width = len(spec.get("columns") or ())
        self.last = -1

    def match(self, line: Line) -> None:
        """Most specific label first, then the joined path; ties go to the first row after the last one. A
        group header in the path (三、本年度办理结果) names no row: joined to a label cut at a page break
        ('2.没有') it read as 总计."""
        if not line.labels:
            return
        m = self.idx.match(line.labels[-1], self.last)
        if m is None and len(line.labels) > 1:
            path = "".join(x for x in line.labels if label_key(x) not in group_headers())
            m = self.idx.match(path, self.last) if path else None
        if m:
            line.key, line.method, line.score, self.last = m

    def settle(self, lines: list[Line], n_data: int) -> list[Line]:
        gaps = _gap_fill(lines, self.order, self.width)
        out = []
        for k, line in enumerate(lines):
            if line.key is None and k in gaps:
                line.key, line.method, line.score = gaps[k], "positional", 0.5
            elif line.key is None and line.labels and n_data != len(self.order):
                if not _local_row(line):
                    continue
                line.key, line.method, line.score = local_code(line.labels[-1]), "exact", 1.0
            elif line.key is None and line.i < len(self.order):
                line.key, line.method, line.score = self.order[line.i], "positional", 0.5
            elif line.key is None:
                continue
            out.append(line)
        return out


def _local_row(line: Line) -> bool:
    """An unmatched labelled row is a local.* fact only if it prints a number and is no group header."""
    label = line.labels[-1]
    key = label_key(label)
    if key in group_headers() or head_key(label) in group_headers():
        return False
    return 2 <= len(key) <= 60 and any(_reported(x) for _, x in line.cells)


def _gap_fill(lines: list[Line], order: list[str], width: int) -> dict[int, str]:
    """Rows that lost their labels (a converted PDF prints the numbers and the labels apart) take the
    spec rows missing between their labelled neighbours, when the counts agree exactly."""
    pos_of = {code: j for j, code in enumerate(order)}
    if not pos_of:
        return {}
    matched = {ln.key for ln in lines if ln.key is not None}
    out: dict[int, str] = {}
    pending: list[int] = []
    prev = -1

    def flush(end: int) -> None:
        slots = [order[j] for j in range(prev + 1, end) if order[j] not in matched]
        if pending and len(slots) == len(pending):
            out.update(zip(pending, slots, strict=True))

    for k, ln in enumerate(lines):
        if ln.key in pos_of:
            flush(pos_of[ln.key])
            prev, pending = pos_of[ln.key], []
            continue
        if ln.key is not None:
            continue
        values = sum(1 for _, x in ln.cells if x is not None and is_value(x))
        if not ln.labels and values or values == width:
            pending.append(k)  # no label, or a whole row under a fragment of its label a line break cut off
    flush(len(order))
    return out


class PrefixRows:
    """Row axis of row × column grids (table 二): the row label is a code prefix (the row half of
    indicators.csv's 'row × column' labels and the spec's row_aliases); the column axis adds the suffix."""

    def __init__(self, spec: TableSpec, generation: str) -> None:
        self.rows = t2_template().rows

    def match(self, line: Line) -> None:
        hit = match_key(head_key(line.labels[0]), self.rows, 0.8) if line.labels else None
        if hit:
            line.key, line.method, line.score = hit

    def settle(self, lines: list[Line], n_data: int) -> list[Line]:
        return [ln for ln in lines if ln.key is not None]


class HeaderBandRows:
    """Row axis of block × column grids (table 四): the blocks are printed as a header band over one data
    row, so a row has no key of its own; the column axis places block and column together."""

    def __init__(self, spec: TableSpec, generation: str) -> None:
        pass

    def match(self, line: Line) -> None:
        pass

    def settle(self, lines: list[Line], n_data: int) -> list[Line]:
        return lines


# -------------------------------------------------------------------------------------- column axes


_YEAR_HEAD = re.compile(r"(20\d\d|本)年度?(统计数)?")


@cache
def _header_patterns() -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in common_spec()["header_patterns"]))


def is_header_cell(label: str) -> bool:
    """A column header in a label's place ('2011年度', '本年度', '历年累计'): never a fact."""
    return bool(_header_patterns().fullmatch(label_key(label)))


def _role_of(k: str, role_words: dict[str, frozenset[str]]) -> str | None:
    """Role of one header key (common.yaml header_roles): cumulative, unit, value or sequence column."""
    if "累计" in k:
        return "cum"
    if any(w in k for w in role_words["unit"]) and "填报" not in k:
        return "unit"
    if k in role_words["value"] or _YEAR_HEAD.fullmatch(k) or k.endswith("年度") or "统计数" in k:
        return "value"
    return "seq" if k in role_words["seq"] else None


def header_roles(rows: list[list[str]]) -> tuple[int, dict[str, int]]:
    """(first data row, role → column) from the header words of spec/tables/common.yaml."""
    spec = common_spec()
    words = frozenset(spec["header_words"])
    role_words = {role: frozenset(ws) for role, ws in spec["header_roles"].items()}
    roles: dict[str, int] = {}
    start = 0
    for r, row in enumerate(rows[:6]):
        keys = [label_key(c) for c in row]
        if sum(1 for k in keys if k) < 2:
            continue
        if not any(k in words or k.endswith("年度") or "累计" in k for k in keys):
            continue
        start = r + 1
        for c, k in enumerate(keys):
            role = _role_of(k, role_words) if k else None
            if role:
                roles.setdefault(role, c)
    return start, roles


def _bare_unit(x: str) -> str | None:
    x = x.strip()
    return x.strip("()（）") if x in _UNIT_SET or x.strip("()（）") in _UNIT_SET else None


class RoleColumns:
    """Column axis of row tables (g0 regional form, g1 统计表): one value per row. The header row's words
    give each column a role (common.yaml header_roles: value, unit, cumulative, sequence); the value is the
    value column, else the first number right of the label. Flattened text prints one header cell per
    line, so its header positions say nothing and only the right-of-label rule applies."""

    def __init__(self, spec: TableSpec, generation: str) -> None:
        self.start, self.roles = 0, {}

    def frame(self, grid: Grid) -> list[int]:
        self.start, self.roles = header_roles(grid.rows)
        if grid.flattened:
            self.roles = {}
        self.skip = set(self.roles.values())
        return list(range(self.start, len(grid.rows)))

    def header(self, grid: Grid, r: int) -> bool:
        return False

    def split(self, grid: Grid, r: int, i: int) -> Line | None:
        row = grid.rows[r]
        labels: list[tuple[int, str]] = []  # distinct label cells (a rowspan 其中 cell repeats)
        for c, x in enumerate(row):
            if c not in self.skip and is_label(x) and (not labels or labels[-1][1] != x):
                labels.append((c, x))
        if not labels or is_header_cell(labels[-1][1]):
            return None
        unit, val_c = self._value(grid, r, labels[-1][0])
        raw = row[val_c] if val_c is not None else None
        return Line(r, i, [x for _, x in labels], [(val_c, raw)], unit=unit)

    def _value(self, grid: Grid, r: int, lab_c: int) -> tuple[str | None, int | None]:
        """(unit printed in the row, value column) right of the label column."""
        row, roles = grid.rows[r], self.roles
        unit = None
        if "unit" in roles and roles["unit"] < len(row) and _bare_unit(row[roles["unit"]]):
            unit = row[roles["unit"]].strip()
        if "value" in roles and roles["value"] < len(row) and grid.ids[r][roles["value"]] != grid.ids[r][lab_c]:
            return unit, roles["value"]
        for c in range(lab_c + 1, len(row)):
            if c == roles.get("cum") or c == roles.get("unit"):
                continue
            u = _bare_unit(row[c])
            if u:
                unit = unit or u
                continue
            if is_value(row[c].strip()) or (not row[c].strip() and "value" in roles):
                return unit, c
        return unit, None

    def seen(self, line: Line) -> None:
        pass

    def place(self, grid: Grid, line: Line) -> list[Slot]:
        c, raw = line.cells[0]
        col = grid.column_header(c, self.start) if c is not None else None
        return [Slot(c, raw or "", None, "na", col, line.unit, line.method, line.score)]


class ApplicantColumns:
    """Column axis of row × applicant grids (table 三): the header band above the first data row names
    the spec's `columns` (applicant header words, printed order); a band that names fewer than all but
    one of them (generic 数据1 … 数据6 | 总计) places the cells by position. A flattened row that printed
    fewer cells is expanded by the row identity (the last column is the total of the others)."""

    def __init__(self, spec: TableSpec, generation: str) -> None:
        self.apps, self.head_items, self.starts = _applicant_spec(spec)
        self.idx = row_index(spec.kind)

    def _first_data(self, grid: Grid) -> int | None:
        """First row with a row label and numbers, or one the spec names as a first row (本年新收 …)."""
        for r, row in enumerate(grid.rows):
            if sum(map(is_value, row)) >= 2 and any(map(is_label, row)):
                return r
            if any(label_key(x).startswith(self.starts) for x in row if x):
                return r
            if any(is_value(x) for x in row) and any(is_label(x) and self.idx.match(x) is not None for x in row[:2]):
                return r
        return None

    def frame(self, grid: Grid) -> list[int]:
        first = self._first_data(grid)
        if first is None:
            return []
        width = max((len(r) for r in grid.rows), default=0)
        band = tuple(tuple(row) for row in grid.rows[:first])
        self.col_app, self.col_hdr, self.first_app = _applicant_band(band, width, self.head_items, len(self.apps))
        self._layouts: dict[tuple[int, ...], list[tuple[str | None, str | None, int]]] = {}
        return [r for r in range(first, len(grid.rows)) if any(map(str.strip, grid.rows[r]))]

    def header(self, grid: Grid, r: int) -> bool:
        return False

    def _boundary(self, row: list[str]) -> int:
        """First value column: the first applicant column, else the first number (or blank) in the row."""
        b = self.first_app
        if b is None or any(map(is_label, row[b:])) and not any(map(is_value, row[:b])):
            # Blank cells left of the row's last label (before its first number) are label cells a page
            # break emptied (a PDF's part of a table repeats no rowspan label): not the first value column.
            first_value = next((c for c, x in enumerate(row) if is_value(x)), len(row))
            after = max((c for c, x in enumerate(row[:first_value]) if is_label(x)), default=0)
            b = next((c for c, x in enumerate(row[after:], after) if is_value(x) or (x == "" and c > 0)), len(row))
        return b

    def split(self, grid: Grid, r: int, i: int) -> Line | None:
        row = grid.rows[r]
        b = self._boundary(row)
        labels: list[str] = []
        for x in row[:b]:
            if x and (not labels or labels[-1] != x) and is_label(x):
                labels.append(x)
        if not labels and b < len(row) and is_label(row[b]):
            return None
        cells = grid.distinct(r, b)
        if grid.flattened:
            cells = expand_collapsed(grid.printed(r, cells), len(self.apps), _last_is_total)
        if not cells or all(x is not None and not is_value(x) and x.strip() for _, x in cells):
            return None
        return Line(r, i, labels, cells)

    def seen(self, line: Line) -> None:
        pass

    def place(self, grid: Grid, line: Line) -> list[Slot]:
        out = []
        by_how = ((line.method, line.score), ("positional", min(line.score, 0.9)))
        for (c, raw), (app, hdr, how) in zip(line.cells, self._placed(line.cells), strict=False):
            if app is None or raw is None:
                continue
            method, score = by_how[how]
            out.append(_slot(Slot, (c, raw, None, app, hdr, None, method, score, None)))
        return out

    def _placed(self, cells: list[tuple[int, str]]) -> list[tuple[str | None, str | None, int]]:
        """(applicant, printed header, 0 by header / 1 by position) of each value cell: _assign, read once
        per column layout of the table (its rows print the same columns; phantom columns go by value)."""
        cols = tuple(c for c, _ in cells)
        hit = self._layouts.get(cols)
        if hit is None:
            hdr = self.col_hdr
            hit = [(app, hdr[c] or None, 0 if how == "header" else 1)
                   for c, (app, how) in zip(cols, self._assign(cells), strict=False)]
            if len(cells) <= len(self.apps):
                self._layouts[cols] = hit
        return hit

    def _assign(self, cells: list[tuple[int, str]]) -> list[tuple[str | None, str]]:
        """Applicant of each value cell: header when consistent, else printed order, else the identity."""
        n = len(self.apps)
        col_app = self.col_app
        by_header = [col_app[c] if c < len(col_app) else None for c, _ in cells]
        if len(cells) == n:
            how = "header" if by_header == self.apps else "position"
            return [(a, how) for a in self.apps]
        if len(cells) == n - 1 and all(by_header) and len(set(by_header)) == n - 1:
            return [(a, "header") for a in by_header]
        if len(cells) > n:
            return self._phantoms(cells)
        if len(cells) == n - 1:
            return [(a, "position") for a in self.apps[:-1]]
        return [(a, "header") for a in by_header]

    def _phantoms(self, cells: list[tuple[int, str]]) -> list[tuple[str | None, str]]:
        """More cells than columns (phantom columns of a Word page): the last is the total, and the body
        columns are the cells whose sum closes the identity (else the first ones)."""
        vals = [parse_cell(x).value for _, x in cells]
        body = list(range(len(cells) - 1))
        keep = body[:len(self.apps) - 1]
        if vals[-1] is not None:
            for combo in combinations(body, len(self.apps) - 1):
                if all(vals[j] is not None for j in combo) and abs(sum(vals[j] for j in combo) - vals[-1]) < 1e-9:
                    keep = list(combo)
                    break
        out: list[tuple[str | None, str]] = [(None, "position")] * len(cells)
        for a, j in zip(self.apps[:-1], keep, strict=True):
            out[j] = (a, "position")
        out[-1] = (self.apps[-1], "position")
        return out


_APPLICANT_SPECS: dict[int, tuple[TableSpec, list[str], tuple[tuple[str, str], ...], tuple[str, ...]]] = {}


def _applicant_spec(spec: TableSpec) -> tuple[list[str], tuple[tuple[str, str], ...], tuple[str, ...]]:
    """(applicants in printed order, (header key, applicant) pairs, first-row words) of a table-三 spec,
    read once per spec object (specs are loaded once; a spec holds a dict, so it is not hashable)."""
    hit = _APPLICANT_SPECS.get(id(spec))
    if hit is None or hit[0] is not spec:
        cols = spec.get("columns") or ()
        heads = {label_key(h): col["applicant"] for col in cols for h in col["headers"]}
        hit = (spec, [col["applicant"] for col in cols], tuple(heads.items()), tuple(spec.get("first_rows") or ()))
        _APPLICANT_SPECS[id(spec)] = hit
    return hit[1], hit[2], hit[3]


@lru_cache(maxsize=1024)
def _applicant_band(band: tuple[tuple[str, ...], ...], width: int, heads: tuple[tuple[str, str], ...],
                    n_apps: int) -> tuple[list[str | None], list[str], int | None]:
    """(applicant, printed header path) of each column under a header band, and the first applicant column
    (None: generic or partial headers such as 数据1 … 数据6 | 总计, so columns go by position). A corpus
    prints the same few bands, so each is read once. Callers only read the lists."""
    col_app: list[str | None] = [None] * width
    col_hdr: list[str] = [""] * width
    for c in range(width):
        labels = list(dict.fromkeys(row[c] for row in band if c < len(row) and row[c]))
        col_hdr[c] = " / ".join(labels)
        col_app[c] = next((a for a in (_applicant_of(x, heads) for x in reversed(labels)) if a), None)
    first_app = next((c for c in range(width) if col_app[c]), None)
    if len({a for a in col_app if a}) < n_apps - 1:
        first_app = None
    return col_app, col_hdr, first_app


@lru_cache(maxsize=16384)
def _applicant_of(header: str, heads: tuple[tuple[str, str], ...]) -> str | None:
    k = label_key(header)
    for name, app in heads:
        if k == name:
            return app
    for name, app in heads:
        if len(name) >= 3 and name in k:
            return app
    return None


@cache
def _header_unit_re(units: tuple[str, ...]) -> re.Pattern:
    alts = "|".join(map(re.escape, sorted(units, key=len, reverse=True)))
    return re.compile(r"(?:单位\s*[:：]?\s*|[(（])(" + alts + r")")


class HeaderColumns:
    """Column axis of row × column grids (table 二): each block of rows sits under its own header row
    (the spec's `header_row` word, e.g. 信息内容, possibly with its headers on the following lines; a
    `reset_row` title line such as 第二十条 ends the block). A row's cells take the headers in force by
    count, else by the reader's spans, else the spec's `column_order` for that row. A unit printed in a
    header (the spec's `units`) applies to its cells."""

    def __init__(self, spec: TableSpec, generation: str) -> None:
        self.cols = t2_template().cols
        self.order = {k: tuple(v) for k, v in (spec.get("column_order") or {}).items()}
        if spec.generation != generation:
            self.order = {}
        self.header_word = label_key(spec.raw["header_row"])
        self.reset_word = label_key(spec.raw["reset_row"])
        self.units = _header_unit_re(tuple(spec.get("units") or ()))
        self.headers: list[tuple[int, str]] = []
        self.collecting = False

    def frame(self, grid: Grid) -> list[int]:
        return list(range(len(grid.rows)))

    def header(self, grid: Grid, r: int) -> bool:
        """Consume a header row (or a blank one); the headers stay in force for the rows below."""
        cells = grid.distinct(r)
        nonempty = [(c, x) for c, x in cells if x.strip()]
        if not nonempty:
            return True
        first = label_key(nonempty[0][1])
        if self.reset_word in first and len({x for _, x in nonempty}) == 1:
            self.headers, self.collecting = [], False
            return True
        if first.startswith(self.header_word):
            self.headers = [(c, x) for c, x in cells[1:] if x.strip()]
            self.collecting = not self.headers
            return True
        if self.collecting and len(nonempty) == 1 and is_label(nonempty[0][1]) and match_key(
                col_key(nonempty[0][1]), self.cols, 0.8):
            self.headers.append(nonempty[0])
            return True
        return False

    def split(self, grid: Grid, r: int, i: int) -> Line | None:
        cells = grid.distinct(r)
        label = cells[0][1]
        return Line(r, i, [label] if label else [], grid.printed(r, cells[1:]), headers=tuple(self.headers))

    def seen(self, line: Line) -> None:
        if line.key is not None:
            self.collecting = False  # a data row ends the header lines of its block

    def place(self, grid: Grid, line: Line) -> list[Slot]:
        out = []
        for c, raw, suffix, h, how in self._assign(grid, line):
            if not suffix:
                continue
            if how == "positional":
                method, score = "positional", 0.6
            else:
                method, score = ("exact" if how == "exact" and line.method == "exact" else "fuzzy"), line.score
            out.append(Slot(c, raw, suffix, "na", h, self._unit(h), method, score))
        return out

    def _unit(self, header: str | None) -> str | None:
        """Unit printed in a column header: 本年收费金额（单位：万元）, 采购总金额（元）."""
        m = self.units.search(clean_label(header)) if header else None
        return m.group(1) if m else None

    def _assign(self, grid: Grid, line: Line) -> list[tuple[int, str, str | None, str | None, str]]:
        """(column, cell, code suffix, header, how) of each value cell."""
        values, headers = line.cells, line.headers
        hits = [(match_key(col_key(h), self.cols, 0.8), h) for _, h in headers]
        if headers and len(values) == len(headers):
            return [(c, raw, hit[0] if hit else None, h, hit[1] if hit else "exact")
                    for (c, raw), (hit, h) in zip(values, hits, strict=True)]
        if headers and grid.spans:
            out = []
            for c, raw in values:
                h = next((hh for hc, hh in reversed(headers) if hc <= c), None)
                hit = match_key(col_key(h), self.cols, 0.8) if h else None
                out.append((c, raw, hit[0] if hit else None, h, "positional"))
            return out
        order = self.order.get(line.key, ())
        if grid.flattened and 0 < len(values) < len(order):
            values = expand_collapsed(values, len(order), None)
        unit_of_col = {hit[0]: h for hit, h in hits if hit}
        return [(c, raw, suffix, unit_of_col.get(suffix), "positional")
                for (c, raw), suffix in zip(values, order, strict=False) if raw is not None]


class BlockColumns:
    """Column axis of block × column grids (table 四): one data row (the one with most value cells) under
    a header band whose path names a block (the spec's `blocks`) and a column (its `columns`) for each
    cell. When the path does not settle every cell, a row of exactly blocks × columns cells is read in
    the spec's printed order; a flattened row that printed fewer cells is expanded by the block
    identities (each block's last column is the total of the others)."""

    def __init__(self, spec: TableSpec, generation: str) -> None:
        tmpl = t4_template()
        self.blocks, self.cols = tmpl.rows, tmpl.cols
        columns = [c["suffix"] for c in spec.get("columns") or ()]
        self.order = tuple(f"{b['prefix']}.{s}" for b in spec.get("blocks") or () for s in columns)
        self.check = _blocks_close(len(columns))

    def frame(self, grid: Grid) -> list[int]:
        best_r, best = None, []
        for r, row in enumerate(grid.rows):
            filled = any(is_value(y) for y in row)
            cells = [(c, x) for c, x in grid.distinct(r, padding=True) if is_value(x) or (x == "" and filled)]
            if len(cells) > len(best):
                best_r, best = r, cells
        self.cells = best
        return [] if best_r is None else [best_r]

    def header(self, grid: Grid, r: int) -> bool:
        return False

    def split(self, grid: Grid, r: int, i: int) -> Line | None:
        return Line(r, i, [], self.cells)

    def seen(self, line: Line) -> None:
        pass

    def place(self, grid: Grid, line: Line) -> list[Slot]:
        cells = line.cells
        if grid.flattened:
            # Flattened text prints no empty cells: an empty slot is padding or a missing label.
            cells = [(c, x) for c, x in grid.printed(line.r, cells) if x.strip()]
            expanded = expand_collapsed(cells, len(self.order), self.check)
            if len(expanded) == len(self.order):
                return [Slot(c, raw, code, "na", None, None, "positional", 0.6)
                        for (c, raw), code in zip(expanded, self.order, strict=True) if raw is not None]
        if len(cells) < 3:
            return []
        paths = [self._path(grid, line.r, c) for c, _ in cells]
        codes = [f"{b}.{s}" if b and s else None for b, s, _ in paths]
        if all(codes) and len(set(codes)) == len(codes) and all(x in catalogue() for x in codes):
            method, score = "exact", 1.0
        elif len(cells) == len(self.order):
            codes, method, score = list(self.order), "positional", 0.6
        else:
            return []
        return [Slot(c, raw, code, "na", hdr or None, None, method, score, hdr or None)
                for (c, raw), code, (_, _, hdr) in zip(cells, codes, paths, strict=True)]

    def _path(self, grid: Grid, r: int, c: int) -> tuple[str | None, str | None, str]:
        """(block prefix, column suffix, printed header path) of one cell, from the header band above it."""
        return _block_path(tuple(grid.column_path(c, r)))


@lru_cache(maxsize=16384)
def _block_path(path: tuple[str, ...]) -> tuple[str | None, str | None, str]:
    """(block prefix, column suffix, joined path) a table-四 header path names (the spec's blocks and
    columns via templates.t4_template); cached, because every report prints the same few paths."""
    tmpl = t4_template()
    blocks, cols = tmpl.rows, tmpl.cols
    block = col = None
    for x in reversed(path):
        k = head_key(x)
        if col is None:
            hit = match_key(k, cols, 0.75)
            if hit and k not in blocks:
                col = hit[0]
                continue
        if block is None:
            hit = match_key(k, blocks, 0.8)
            if hit:
                block = hit[0]
    return block, col, " / ".join(dict.fromkeys(path))


_ROW_AXES: dict[str, type] = {"catalogue": CatalogueRows, "prefix": PrefixRows, "header_band": HeaderBandRows}
_COLUMN_AXES: dict[str, type] = {"roles": RoleColumns, "applicants": ApplicantColumns, "headers": HeaderColumns,
                                 "blocks": BlockColumns}
