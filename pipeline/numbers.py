"""Cell text → number: full-width digits, dashes, blanks, signs, thousands separators and units in the cell.

A cell is never guessed: anything that is not clearly a number keeps value=None and says why in its
status ('blank', 'dash' or 'text'), so a published blank is never turned into a zero here.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Units that appear printed inside or next to a cell; longest first so 万元 wins over 元.
UNITS = ("人次", "万元", "千元", "亿元", "元", "件", "条", "项", "个", "人", "次", "篇", "家", "份", "起", "宗", "场", "期")
_UNIT_ALT = "|".join(UNITS)
_DASHES = frozenset("-—–－―‐‑‒一_/\\~～")
_NUM = re.compile(
    rf"^(?P<sign>[+\-]?)\s*(?P<num>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)\s*(?P<unit>{_UNIT_ALT})?$"
)
_NIL_WORDS = frozenset(("无", "空", "暂无"))  # printed "nothing": kept apart from 0 like a dash
_CLEAN = re.compile(r"[\s\u00a0\u3000\u200b\ufeff]+")
# A footnote mark after a number ('5①', '5¹', '5*', '5（注1）'): dropped before NFKC, which makes ① and ¹ the
# digit 1 (5① read as 51).
_FOOTNOTE = re.compile(r"(?<=\d)\s*(?:[\u2460-\u2473\u00b9\u00b2\u00b3\u2070\u2074-\u2079*＊※]+|[(（]注\s*\d*[)）])\s*$")
# The direction words of a 本年增/减 cell ('增3', '减少2'); read only before a digit (see parse_cell).
CHANGE_WORDS = ("增加", "减少", "增", "减")
_CHANGE = re.compile("|".join(CHANGE_WORDS))


@dataclass(frozen=True, slots=True)
class Cell:
    value: float | None
    unit_raw: str | None
    status: str  # reported blank dash text


def nfkc(text: str) -> str:
    """NFKC only when needed: most cells are ASCII already and normalising them is wasted time."""
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


@lru_cache(maxsize=131072)
def parse_cell(raw: str | None) -> Cell:
    """Parse one cell's text. '251000元' → (251000, '元'); '+5' → 5; '增3' → 3; '减2' → -2; '—' → dash;
    '' / &nbsp; → blank."""
    if raw is None:
        return Cell(None, None, "blank")
    s = _CLEAN.sub("", nfkc(_FOOTNOTE.sub("", raw)))
    if not s:
        return Cell(None, None, "blank")
    if all(ch in _DASHES for ch in s) or s in _NIL_WORDS:
        return Cell(None, None, "dash")
    c = _CHANGE.match(s)
    if c and s[c.end():c.end() + 1].isdigit():  # 本年增/减 printed as a word: '增3' is +3, '减2' is -2
        s = ("-" if c.group(0).startswith("减") else "") + s[c.end():]
    m = _NUM.match(s)
    if m:
        num = float(m.group("num").replace(",", ""))
        if m.group("sign") == "-":
            num = -num
        return Cell(num, m.group("unit"), "reported")
    # '（单位：万元）12' or '12（万元）': a number with decorations around it.
    m2 = _LOOSE.match(s)
    if m2:
        num = float(m2.group("num").replace(",", ""))
        if m2.group("sign") == "-":
            num = -num
        return Cell(num, m2.group("unit") or m2.group("unit2"), "reported")
    return Cell(None, None, "text")


_LOOSE = re.compile(
    rf"^[(\[]?(?:单位:)?(?P<unit2>{_UNIT_ALT})?[)\]]?(?P<sign>[+\-]?)(?P<num>\d[\d,]*(?:\.\d+)?)[(\[]?(?P<unit>{_UNIT_ALT})?[)\]]?$"
)


_FACTORS = {"元": 1.0, "千元": 1e3, "万元": 1e4, "亿元": 1e8}
CANONICAL_MONEY = {"cny": 1.0, "cny_10k": 1e4}


def to_canonical(value: float | None, unit_raw: str | None, unit: str) -> float | None:
    """Convert a money value to the indicator's canonical unit (元 → 万元 for cny_10k); other units pass."""
    if value is None or unit not in CANONICAL_MONEY or not unit_raw or unit_raw not in _FACTORS:
        return value
    return round(value * _FACTORS[unit_raw] / CANONICAL_MONEY[unit], 10)

