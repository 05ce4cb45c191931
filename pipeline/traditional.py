"""A page printed in Traditional characters is read as its Simplified conversion.

Portals serve Traditional copies of their pages (a 繁體 gateway converts the whole page, navigation and
tables included; mirrors of 山东省机关事务管理局's 2022 report circulate that way), and crawls find them.
The template words, the catalogue's labels, the title and year patterns and the division names are all
Simplified, so such a page lost its tables 二 and 四, its generation, its title and most of an older
report's figures. Labels were already compared after a t2s conversion (pipeline.labels); now a page or
text that reads as Traditional is read again from its conversion (the readers find tables and sections by
Simplified words), and a binary format's extraction is converted after reading. The conversion goes
character by character with OpenCC's table: the same length, numbers untouched, fast enough for every page
(OpenCC's phrase-level converter is pure Python, about 3 µs a character). The report says so in ``parse_reason``: its title, agency and printed
labels are then the converted text.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache

from pipeline.labels import opencc_table, traditional_chars, ts_characters
from pipeline.readers.base import ExtractedDocument

# Distinct Traditional-only characters in the first characters of a page that make it a Traditional page.
# A Simplified page has 0–1 there (a quoted name); a Traditional one dozens.
SAMPLE = 2000
MIN_DISTINCT = 8
NOTE = "printed in Traditional characters: read as its Simplified conversion (title, agency and labels too)"


@cache
def _table() -> dict[int, str]:
    return str.maketrans(ts_characters())


def _sample(doc: ExtractedDocument) -> str:
    """The text's head, topped up from the table cells when the text is short (a spreadsheet)."""
    sample = (doc.text or "")[:SAMPLE]
    for table in doc.tables:
        if len(sample) >= SAMPLE:
            break
        sample += "".join("".join(row) for row in table.rows)[:SAMPLE]
    return sample + "".join(doc.meta.values())[:200]


_ESCAPED = re.compile(rb"\\u([0-9a-f]{4})")


def is_traditional(doc: ExtractedDocument) -> bool:
    """Enough distinct Traditional-only characters in the sample. They are looked for among the characters
    GB2312 cannot encode (all but 15 of them; a Simplified page has next to none), so the encoder's C loop
    does the scan: a set lookup per character cost 1 % of a page's parse."""
    escaped = _sample(doc).encode("gb2312", "backslashreplace")
    outside = {chr(int(h, 16)) for h in _ESCAPED.findall(escaped)}
    return len(outside & traditional_chars()) >= MIN_DISTINCT


@cache
def _phrases() -> tuple[re.Pattern[str] | None, dict[str, str]]:
    """OpenCC's phrases around a character the character table keeps (答覆 → 答复, 瞭解 → 了解): 覆 and 瞭 are
    Simplified characters too, so only the phrase says which reading is meant. Keyed by the phrase as the
    character table leaves it."""
    kept = {src for src, dsts in opencc_table("TSCharacters") if len(src) == 1 and len(dsts) > 1 and dsts[0] == src}
    table = _table()
    out: dict[str, str] = {}
    for src, dsts in opencc_table("TSPhrases"):
        if kept.intersection(src) and src.translate(table) != dsts[0]:
            out[src.translate(table)] = dsts[0]
    if not out:
        return None, out
    return re.compile("|".join(map(re.escape, sorted(out, key=len, reverse=True)))), out


def simplify_text(text: str) -> str:
    """Character by character (OpenCC's table), then the phrases of the characters it keeps."""
    text = text.translate(_table())
    pattern, phrases = _phrases()
    return pattern.sub(lambda m: phrases[m.group(0)], text) if pattern else text


def simplified(doc: ExtractedDocument) -> ExtractedDocument:
    """The document with its text, table cells and metadata values in Simplified characters (a binary
    format's extraction; a page or text is read again from its converted text instead)."""
    tables = [replace(t, rows=[[simplify_text(cell) for cell in row] for row in t.rows]) for t in doc.tables]
    return replace(doc, text=simplify_text(doc.text or ""), tables=tables, traditional=True,
                   meta={k: simplify_text(v) for k, v in doc.meta.items()})
