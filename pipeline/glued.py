"""Glued digit runs: tables whose cell boundaries a page-to-text export dropped, re-split by the
templates' shapes and the identities of spec/checks.csv.

This is mapping, not reading: it asks the table spec (pipeline.templates) and the identities
(pipeline.checks), which readers must not import. The parser calls it on the text a reader returned
when the reader found no table of five or more rows.
"""

from __future__ import annotations

import re

from pipeline.labels import has_cjk
from pipeline.readers.base import Table

# ------------------------------------------------------------------------------- glued tables
# Page-to-text exports often drop every cell boundary: '一、本年新收政府信息公开申请数量801000081二、…'.
# Labels are recovered from the text between digit runs; each run is split into the template's number of
# cells, keeping only splits that satisfy the row's own identity (table 三: six columns sum to 总计;
# table 四: each block's four results sum to its 总计). A cell whose value differs between the splits
# that remain is ambiguous and is kept as text, never guessed.

_RUN = re.compile(r"[\d\s+\-.,元]*\d[\d\s+\-.,元]*")
_NUMBERING_TAIL = re.compile(r"(?<![.])(\d[.．、])$")
_LAST_NUMBERING = re.compile(r"(?:[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十]{1,3}[)）]|(?<![\d.])\d{1,2}[.．、])")
_NUM_PART = re.compile(r"^[+\-]?(?:0|[1-9]\d*)(?:\.\d+)?$")
_MAX_SPLITS = 20000
_MAX_SPLIT_STEPS = 50_000  # real glued rows need at most ~3,000 (every fixture); 50,000 is ~0.3 s
APPLICANT_ROW = ["", "自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
T4_HEAD = [
    ["行政复议"] * 5 + ["行政诉讼"] * 10,
    ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] + ["未经复议直接起诉"] * 5 + ["复议后起诉"] * 5,
    ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 3,
]


def _segments(line: str) -> list[tuple[str, str]]:
    """(label text, digit run) pairs of one glued line; a run's trailing '2.' is the next label's number."""
    out: list[tuple[str, str]] = []
    pos = 0
    carry = ""
    for m in _RUN.finditer(line):
        label = carry + line[pos:m.start()]
        run = m.group(0)
        carry = ""
        tail = _NUMBERING_TAIL.search(run.rstrip())
        if tail and m.end() < len(line) and has_cjk(line[m.end(): m.end() + 1]):
            carry = tail.group(1)
            run = run.rstrip()[: tail.start()]
        elif re.fullmatch(r"\d{1,2}", run.strip()) and line[m.end(): m.end() + 1] == "、" \
                and has_cjk(line[m.end() + 1: m.end() + 2]) and label.endswith(("：", ":")):
            carry, run = run.strip(), ""  # '其中：1、政府网站公开数' : a row number, not a value
        elif (len(run.rstrip()) > 1 and line[m.end(): m.end() + 1] == "、" and run.rstrip()[-2:-1].isdigit()
              and has_cjk(line[m.end() + 1: m.end() + 2])):
            carry = run.rstrip()[-1]  # '…条2122100372、政府公报' : the '2、' numbers the next row
            run = run.rstrip()[:-1]
        out.append((label.strip(), run.strip()))
        pos = m.end()
    if pos < len(line):
        out.append((carry + line[pos:], ""))
    return out


class _TooMany(Exception):
    """Raised inside ``all_splits`` when the splits (or the steps to find them) exceed the budget."""


def all_splits(run: str, n: int, check=None) -> list[list[str]] | None:
    """Every split of a glued run into n cells that passes the row's own check (None: too many to list).

    A branch is cut as soon as the characters left cannot fill the cells left (one character per cell,
    one cell per piece at least), and the search stops after ``_MAX_SPLIT_STEPS`` steps: a 28-digit run
    has millions of splits, and "too many to list" is the answer the caller already handles (kept as text).
    """
    tokens = [t for t in re.split(r"\s+", run.replace(",", "")) if t]
    pieces: list[str] = []
    for t in tokens:
        pieces.extend(p for p in re.split(r"(?=[+\-])", t) if p)
    chars_after = [0] * (len(pieces) + 1)  # characters in pieces[i:]
    for k in range(len(pieces) - 1, -1, -1):
        chars_after[k] = chars_after[k + 1] + len(pieces[k])
    sols: list[list[str]] = []
    steps = 0

    def rec(i: int, start: int, acc: list[str]) -> None:
        nonlocal steps
        steps += 1
        if len(sols) > _MAX_SPLITS or steps > _MAX_SPLIT_STEPS:
            raise _TooMany
        if i == len(pieces):
            if len(acc) == n and (check is None or check([float(x.rstrip("元")) for x in acc])):
                sols.append(list(acc))
            return
        need = n - len(acc)
        if need < len(pieces) - i or need > chars_after[i] - start:
            return
        rest = pieces[i][start:]
        for end in range(1, len(rest) + 1):
            part = rest[:end]
            if not _NUM_PART.match(part.rstrip("元")) or (part.endswith("元") and end != len(rest)):
                continue
            acc.append(part)
            if end == len(rest):
                rec(i + 1, 0, acc)
            else:
                rec(i, start + end, acc)
            acc.pop()

    try:
        rec(0, 0, [])
    except _TooMany:
        return None
    return sols


def _consensus(sols: list[list[str]], n: int) -> list[str | None]:
    return [sols[0][k] if all(s[k] == sols[0][k] for s in sols) else None for k in range(n)]


def split_run(run: str, n: int, check=None) -> list[str | None] | None:
    """Split a glued run into n cells; a cell is None where the valid splits disagree (None: no split)."""
    sols = all_splits(run, n, check)
    if not sols:
        return None
    return _consensus(sols, n)


# A constraint is (lhs codes, rhs codes, column): Σ lhs cells == Σ rhs cells in that column.
Constraint = tuple[tuple[str, ...], tuple[str, ...], int]


def settle(rows: dict[str, list[list[str]] | None], n: int, constraints: list[Constraint]) -> dict[str, list[str | None]]:
    """Cells of glued rows settled jointly by identities across rows (table 三 column sums, g0 channel sums).

    Each row has its own list of candidate splits. The assignments of one split per row that satisfy every
    usable constraint are enumerated; a cell is settled only when all of them agree on it. When no
    assignment satisfies the constraints (the published table does not add up), each row keeps what its
    own splits agree on. A constraint is usable only when every term is a row with candidate splits.
    """
    single = {code: _consensus(s, n) for code, s in rows.items() if s}
    usable = [c for c in constraints if all(rows.get(code) for code in c[0] + c[1])]
    ambiguous = [code for code, s in rows.items() if s and len(s) > 1 and any(code in c[0] + c[1] for c in usable)]
    if not ambiguous or not usable:
        return single
    fixed = {code: s[0] for code, s in rows.items() if s and code not in ambiguous}
    order = sorted(ambiguous, key=lambda code: len(rows[code]))  # type: ignore[arg-type]
    pos = {code: i for i, code in enumerate(order)}
    # Check each constraint as soon as its last ambiguous row is assigned.
    due: list[list[Constraint]] = [[] for _ in order]
    for c in usable:
        last = max((pos[code] for code in c[0] + c[1] if code in pos), default=None)
        if last is not None:
            due[last].append(c)
    assign: dict[str, list[str]] = dict(fixed)
    seen: dict[str, list[set[str]]] = {code: [set() for _ in range(n)] for code in order}
    budget = [_MAX_SPLITS * 5]
    found = [0]

    def holds(c: Constraint) -> bool:
        lhs = sum(float(assign[code][c[2]].rstrip("元")) for code in c[0])
        rhs = sum(float(assign[code][c[2]].rstrip("元")) for code in c[1])
        return abs(lhs - rhs) < 1e-6

    def rec(i: int) -> None:
        if budget[0] <= 0:
            return
        if i == len(order):
            found[0] += 1
            for code in order:
                for k in range(n):
                    seen[code][k].add(assign[code][k])
            return
        code = order[i]
        for split in rows[code]:  # type: ignore[union-attr]
            budget[0] -= 1
            assign[code] = split
            if all(holds(c) for c in due[i]):
                rec(i + 1)
        assign.pop(code, None)

    rec(0)
    if budget[0] <= 0 or not found[0]:
        return single
    out = dict(single)
    for code in order:
        out[code] = [next(iter(v)) if len(v) == 1 else None for v in seen[code]]
    return out


def _t3_ok(vals: list[float]) -> bool:
    return abs(sum(vals[:6]) - vals[6]) < 1e-9


def _t4_ok(vals: list[float]) -> bool:
    return all(abs(sum(vals[b:b + 4]) - vals[b + 4]) < 1e-9 for b in (0, 5, 10))


def _row_label(seg: str) -> str:
    """The row's own label: glued header words before its numbering ('…其他一、本年新收…') dropped."""
    last = None
    for m in _LAST_NUMBERING.finditer(seg):
        last = m
    if last is None:
        return seg
    return seg[last.start():]


def _cells(run: str, n: int, check=None) -> list[str]:
    parts = split_run(run, n, check)
    if parts is None:
        return [run + "?"] + [""] * (n - 1) if run else [""] * n
    return [p if p is not None else f"{run}?" for p in parts]


def glued_tables(text: str) -> list[Table]:
    """Tables 二, 三 and 四 rebuilt from text whose cells were glued together (see the note above)."""
    from pipeline.templates import col_key, match_key, row_index, t2_template

    t3 = row_index("t3")
    t2 = t2_template()
    out: list[Table] = []
    for line in text.splitlines():
        if len(line) < 200 or not (re.search(r"\d{7,}", line) or "指标名称" in line):
            continue
        t3_rows: list[tuple[str, str, str]] = []
        t2_rows: list[list[str]] = []
        t2_ids: list[list[int]] = []
        t2_width = 4
        headers: list[str] = []
        for seg, run in _segments(line):
            key = re.sub(r"\W", "", seg)
            if "行政复议" in key and "尚未审结" in key and "复议后起诉" in key and run:
                out.append(Table(rows=[*T4_HEAD, _cells(run, 15, _t4_ok)], origin="glued table 四"))
                continue
            row_name = None
            for name in sorted(t2.rows, key=len, reverse=True):
                if key.endswith(name):
                    row_name = name
                    break
            if "信息内容" in key:
                head = key.split("信息内容", 1)[1]
                if row_name:
                    head = head[: len(head) - len(row_name)]
                headers = _t2_headers(head, t2.cols, col_key, match_key)
                if headers:
                    t2_rows.append(["信息内容", *headers])
                    t2_ids.append([len(t2_ids) * 100 + c for c in range(len(headers) + 1)])
            if row_name and headers and run:
                t2_rows.append([seg[-len(row_name):] if seg.endswith(row_name) else row_name,
                                *_cells(run, len(headers))])
                t2_ids.append([len(t2_ids) * 100 + c for c in range(len(headers) + 1)])
                t2_width = max(t2_width, len(headers) + 1)
                continue
            label = _row_label(seg)
            hit = t3.match(label) if label and run else None
            if hit is not None:
                t3_rows.append((label, hit[0], run))
        if len(t3_rows) >= 5:
            out.append(Table(rows=[APPLICANT_ROW, *_settled_rows(t3_rows, 7, _t3_ok, _t3_constraints(t3_rows))],
                                 origin="glued table 三"))
        regional = _regional_table(line)
        if regional is not None:
            out.append(regional)
        if t2_rows:
            rows = [r + [""] * (t2_width - len(r)) for r in t2_rows]
            ids = [i + [-1] * (t2_width - len(i)) for i in t2_ids]
            out.append(Table(rows=[["第二十条", *[""] * (t2_width - 1)], *rows],
                                 origin="glued table 二", ids=[[-1] * t2_width, *ids]))
    return out


def _t2_headers(head: str, cols: dict[str, str], col_key, match_key) -> list[str]:
    """Column headers of a glued table-二 block, in printed order ('本年制发件数本年废止件数现行有效件数')."""
    found: list[tuple[int, str]] = []
    for name in sorted(cols, key=len, reverse=True):
        i = head.find(name)
        while i >= 0:
            if not any(s <= i < s + len(n) for s, n in found):
                found.append((i, name))
            i = head.find(name, i + 1)
    found.sort()
    return [n for _, n in found]


def _settled_rows(rows: list[tuple[str, str, str]], n: int, check, constraints: list[Constraint]) -> list[list[str]]:
    """[label, cells…] per glued row, cells settled jointly across rows; unsettled cells stay text ('run?')."""
    splits: dict[str, list[list[str]] | None] = {}
    for _, code, run in rows:
        if code not in splits:
            splits[code] = all_splits(run, n, check)
    settled = settle(splits, n, constraints)
    out: list[list[str]] = []
    used: set[str] = set()
    for label, code, run in rows:
        parts = settled.get(code) if code not in used else split_run(run, n, check)
        used.add(code)
        if parts is None:
            out.append([label, run + "?", *[""] * (n - 1)])
        else:
            out.append([label, *[p if p is not None else f"{run}?" for p in parts]])
    return out


def _t3_constraints(rows: list[tuple[str, str, str]]) -> list[Constraint]:
    """Table-三 identities of checks.csv (balance, results sum) for every applicant column."""
    from pipeline.checks import rules

    codes = {code for _, code, _ in rows}
    gen = "g3" if codes & {"apply.result.other.no_correction", "apply.result.other.fee_unpaid"} else "g2"
    out: list[Constraint] = []
    for rule in rules():
        if rule.rule_id in ("t3.balance", f"t3.results_sum.{gen}"):
            out.extend((rule.lhs, rule.rhs, col) for col in range(7))
    return out


_REGIONAL_UNITS = ("万元", "人次", "条", "件", "元", "个", "次", "人")


def _regional_table(line: str) -> Table | None:
    """A g0 regional form (指标名称 | 计量单位 | 本年度 | 历年累计) whose cells were glued into one line.

    '主动公开信息数条20263542': the unit ends the label and the run holds the year's value and the
    cumulative one, which is never smaller. Runs are settled jointly by the channel and reply sums.
    """
    from pipeline.checks import rules
    from pipeline.templates import row_index

    start = line.find("指标名称")
    if start < 0:
        return None
    body = line[start:]
    head = re.match(r"指标名称\s*(?:计量)?单位\s*((?:19|20)\d\d年度?|本年度?)\s*(历年累计)?", body)
    if head is None:
        return None
    n = 2 if head.group(2) else 1
    idx = row_index("regional")
    rows: list[tuple[str, str, str]] = []
    units: dict[str, str] = {}
    last_pos = -1
    for seg, run in _segments(body[head.end():]):
        seg = seg.strip()
        unit = next((u for u in _REGIONAL_UNITS if seg.endswith(u)), None)
        if not run or unit is None:
            continue
        label = seg[: -len(unit)].strip()
        m = idx.match(label, last_pos)
        if m is not None:
            code, last_pos = m[0], m[3]
        else:
            code = f"local:{label}"
        if code in units:
            continue
        units[code] = unit
        rows.append((label, code, run))
    if len(rows) < 4:
        return None
    constraints: list[Constraint] = []
    codes = {code for _, code, _ in rows}
    for rule in rules():
        if not rule.rule_id.startswith("g0."):
            continue
        rhs = rule.rhs
        if any(t.startswith("sum(apply.new.channel.") for t in rhs):
            rhs = tuple(sorted(c for c in codes if c.startswith("apply.new.channel.")))
        if not rhs or not all(c in codes for c in rule.lhs + rhs):
            continue
        constraints.extend((rule.lhs, rhs, col) for col in range(n))
    settled = _settled_rows(rows, n, _cumulative_ok if n == 2 else None, constraints)
    grid = [["指标名称", "计量单位", head.group(1), *(["历年累计"] if n == 2 else [])]]
    for (label, code, _), cells in zip(rows, settled, strict=True):
        grid.append([label, units[code], *cells[1:]])
    return Table(rows=grid, origin="glued regional form")


def _cumulative_ok(vals: list[float]) -> bool:
    return vals[1] >= vals[0]
