"""Plain text → ExtractedDocument, rebuilding tables that were flattened into text.

Flattened tables come one cell per line (the seed report), or one row per line with cells separated by
spaces, tabs or '|'. Rows are rebuilt as [label, value/unit tokens…]; a bracketed line right after a
label with no value yet continues that label ('（不同渠道和方式公开相同信息计1条）').
"""

from __future__ import annotations

import re

from pipeline.labels import has_cjk
from pipeline.numbers import CHANGE_WORDS, UNITS, parse_cell
from pipeline.readers.base import ExtractedDocument, Table
from pipeline.tables import split_text_row

_UNIT_SET = frozenset(UNITS) | {"万元", "元", "人次"}
_SECTION = re.compile(
    r"^[一二三四五六七八九十]+\s*[、.．]\s*.{0,12}"
    r"(总体情况|主动公开政府信息情况|收到和处理|行政复议.{0,4}行政诉讼|存在的主要问题|其他需要报告|概述)"
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


_MD_HEADING = re.compile(r"^#{1,6}\s+")
_MD_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_NUMBER_ONLY = re.compile(r"^(?:\d{1,2}[.．、]|[(（][一二三四五六七八九十\d]{1,3}[)）]|[一二三四五六七八九十]{1,3}[、.．])$")
_PUNCT_ONLY = re.compile(r"^[“”‘’\"'「」『』《》()（）]+$")
_OPEN_END = re.compile(r"[“‘「『《(（]$")


def _label_fragment(prev: str, line: str) -> bool:
    """A label broken over lines (a cell whose <p> runs became lines): a row-number line ('4.', '（三）')
    before its label, a lone quote or bracket, or a label ending in an open quote."""
    return bool(_NUMBER_ONLY.match(prev) or _PUNCT_ONLY.match(line) or _OPEN_END.search(prev))


def _is_section(label: str) -> bool:
    """A report section heading ('二、主动公开政府信息情况'), not a table-三 row ('二、上年结转…')."""
    return bool(_SECTION.match(label)) and not re.match(r"^[一二三四]、(本年|上年|结转)", label)


_UNIT_CUT = re.compile(r"\d[万千亿]$")
_SLASH = frozenset(("/", "／"))
_HEAD_TAIL = re.compile(r"^[\u4e00-\u9fff]$")  # one character: a row label is never that short
_HEAD_LEFT = re.compile(r"^[\u4e00-\u9fff][^\d\s|]{0,11}$")


def rejoin_cut_cells(lines: list[str]) -> list[str]:
    """Cells a page broke over lines, joined back before rows are rebuilt (one cell per line): a number
    whose unit went to the next line ('8.175万' / '元' → '8.175万元'), a 本年增/减 cell whose direction word
    and number went to two lines ('增' / '3' → '增3', read +3), and a header cut at its slash
    ('本年增' / '/' / '减' → '本年增/减'; the lone '/' would otherwise read as a dash value cell)."""
    out: list[str] = []
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < n else ""
        if (_UNIT_CUT.search(line) and 0 < len(nxt) <= 2 and parse_cell(line).status == "text"
                and parse_cell(line + nxt).status == "reported"):
            out.append(line + nxt)
            i += 2
            continue
        if line in CHANGE_WORDS and parse_cell(line + nxt).status == "reported":
            out.append(line + nxt)  # a 本年增/减 cell printed as its word and its number on two lines
            i += 2
            continue
        if (line in _SLASH and out and _HEAD_TAIL.match(nxt) and _HEAD_LEFT.match(out[-1])
                and _kind(out[-1]) == _kind(nxt) == "label" and not _is_section(out[-1])):
            out[-1] += line + nxt
            i += 2
            continue
        out.append(line)
        i += 1
    return out


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
        if _MD_RULE.match(line):
            continue  # markdown table rule '|---|---|'
        line = _MD_HEADING.sub("", line)  # '## 四、…' is the section heading '四、…'
        cells = split_text_row(line)
        if not cells:
            continue
        first = cells[0]
        if line.lstrip().startswith("|") and len(cells) > 1:
            # A markdown pipe line is one whole row: never the continuation of the row above.
            cur = list(cells) if _kind(first) == "label" else ["", *cells]
            rows.append(cur)
            continue
        if _kind(first) == "label":
            if len(first) > _PROSE_LEN and len(cells) == 1:
                close()
                continue
            if len(cells) == 1 and _is_section(first):
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
            if cur is not None and len(cur) > 1 and first[:1] in "、.．" and re.fullmatch(r"\d{1,2}", cur[-1]):
                first = cur.pop() + first  # '4' / '、其他类型答复数': the row number went to the row above
            if cur is not None and len(cur) == 1 and _label_fragment(cur[0], first):
                if len(cells) == 1 and _is_section(cur[0] + first):
                    # '二、' / '主动公开政府信息情况': a section heading cut after its number ends the region.
                    first = rows.pop()[0] + first
                    close()
                    cur = [first]
                    rows.append(cur)
                    continue
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


# A cell spaced out character by character ('信 息 内 容', '万 元', '总　计'): distributed alignment in a Word
# table or a PDF's glyph positions. Only runs of single characters, so '自然人 商业企业' keeps its two words.
_LETTER_SPACED = re.compile(r"(?<![\u4e00-\u9fff])[\u4e00-\u9fff](?:[ \u3000\u00a0]+[\u4e00-\u9fff])+(?![\u4e00-\u9fff])")
_SPACES = re.compile(r"[ \u3000\u00a0]+")


def _unspaced(line: str) -> str:
    return _LETTER_SPACED.sub(lambda m: _SPACES.sub("", m.group(0)), line) if " " in line or "\u3000" in line \
        or "\u00a0" in line else line


# The page number of a converted PDF in 公文 style ('— 5 —', '- 3 -'), which lands between two table rows when
# a table runs over a page (上海市人民政府办公厅 2025): split at its spaces it read as a dash, 5 and a dash.
_PAGE_NUMBER = re.compile(r"^[-—–－]+\s*\d{1,3}\s*[-—–－]+$")


def text_tables(text: str) -> list[Table]:
    """Tables rebuilt from flattened text, one Table per region (ragged rows padded)."""
    lines = [_unspaced(ln.strip()) for ln in text.splitlines()]
    lines = [ln for ln in lines if ln and ln.strip("\u00a0\u3000 ") and not _PAGE_NUMBER.match(ln)]
    out: list[Table] = []
    for i, region in enumerate(rebuild_rows(rejoin_cut_cells(lines))):
        if not any(has_cjk(r[0]) for r in region):
            continue
        width = max(len(r) for r in region)
        grid = [r + [""] * (width - len(r)) for r in region]
        out.append(Table(rows=grid, origin=f"text region #{i}", row_len=[len(r) for r in region]))
    return out


_HEADER_KEYS = {
    "标题": "ArticleTitle",
    "题目": "ArticleTitle",
    "发布时间": "PubDate",
    "发布日期": "PubDate",
    "成文日期": "PubDate",
    "发布机构": "ContentSource",
    "来源": "ContentSource",
    "信息来源": "ContentSource",
    "原文链接": "Url",
    "原文地址": "Url",
    "链接": "Url",
    "url": "Url",
    "栏目": "ColumnName",
}
_HEADER_LINE = re.compile(r"^\s*([\w\u4e00-\u9fff]{1,6})\s*[:：]\s*(.*?)\s*$")


def header_meta(text: str) -> dict[str, str]:
    """Key/value lines a saved page starts with ('标题: …', '发布时间: …', '原文链接: …') as page metadata.

    Archives and text exports put the page metadata in such a header; read as body text, the title
    would carry its '标题:' key into the agency name.
    """
    meta: dict[str, str] = {}
    for line in text.splitlines()[:20]:
        if not line.strip():
            continue
        m = _HEADER_LINE.match(line)
        if not m:
            if meta:
                break
            continue
        key = _HEADER_KEYS.get(m.group(1).lower())
        if key and m.group(2):
            meta.setdefault(key, m.group(2))
    return meta if "ArticleTitle" in meta or len(meta) >= 2 else {}


def read_text(text: str) -> ExtractedDocument:
    """Read decoded plain text (or text extracted from another format)."""
    tables = list(text_tables(text))
    return ExtractedDocument(text=text, tables=tables, source_format="text", meta=header_meta(text))
