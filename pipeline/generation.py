"""Template generation from content (never from the year): fingerprints of formats.md §5.

2019 reports mix old and new tables, a 2023 report can keep the 2019 table, and a 2021 table can sit
under an old intro, so the table text decides first and the body text only when there is no table.
"""

from __future__ import annotations

import re
from functools import cache

from pipeline.templates import table_specs


def _words(words) -> re.Pattern:
    alts = sorted({re.escape(w) for w in words}, key=len, reverse=True)
    return re.compile("|".join(alts) if alts else r"(?!x)x")


@cache
def marks() -> dict[str, re.Pattern]:
    """Generation fingerprints from spec/tables/: table-text words per generation, body-text words per table."""
    gen_words: dict[str, list[str]] = {}
    body: dict[str, list[str]] = {}
    pats: list[str] = []
    for s in table_specs():
        gen_words.setdefault(s.generation, []).extend(s.get("generation_markers") or ())
        body.setdefault(s.kind, []).extend(s.get("body_markers") or ())
        pats.extend(s.get("generation_patterns") or ())
    return {"g3": _words(gen_words.get("g3", ())), "g2": _words(gen_words.get("g2", ())),
            "t3": _words(body.get("t3", ())), "g1": _words(body.get("stat", ())),
            "g0": _words(body.get("regional", ())), "g2_pattern": re.compile("|".join(pats) or r"(?!x)x")}


def detect(kinds: set[str], table_text: str, body_text: str) -> str:
    """'g0' | 'g1' | 'g2' | 'g3' | 'unknown' from the recognised table kinds and their text."""
    m = marks()
    g3, g2 = m["g3"], m["g2"]
    new_format = kinds & {"t2", "t3", "t4"}
    if new_format:
        if g3.search(table_text):
            return "g3"
        if g2.search(table_text):
            return "g2"
        if "t3" in kinds:
            return "g2" if m["g2_pattern"].search(table_text) else "g3"
        if g3.search(body_text):
            return "g3"
        return "g2" if g2.search(body_text) else "g3"
    if "stat" in kinds:
        return "g1"
    if "regional" in kinds:
        return "g0"
    text = body_text
    if m["t3"].search(text):
        return "g3" if g3.search(text) else "g2"
    if len(m["g1"].findall(text)) >= 2:
        return "g1"
    if m["g0"].search(text):
        return "g0"
    return "unknown"
