"""Label normalisation: the same printed row must give the same key whatever the page did to it.

NFKC (full-width → half-width), Traditional → Simplified (OpenCC, only when a Traditional character is
present because the pure-python converter is slow), numbering (一、 （一） 1. 其中：) and quotes stripped,
whitespace and punctuation removed. Everything is cached: a corpus repeats the same few hundred labels.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import unicodedata
from functools import cache, lru_cache
from pathlib import Path

from rapidfuzz.distance import Indel

_NUMBERING = re.compile(
    r"^(?:"
    r"其中\s*[:：]?|"
    r"[一二三四五六七八九十]{1,3}\s*[、.．,，:：]|"
    r"[(（]\s*[一二三四五六七八九十\d]{1,3}\s*[)）]\s*[、.．]?|"
    r"\d{1,2}\s*[、.．,，:：)）](?!\d)|"
    r"[①②③④⑤⑥⑦⑧⑨⑩]"
    r")\s*"
)
_PUNCT = re.compile(r"[\s\u00a0\u3000\u200b\ufeff\"'“”‘’「」『』《》〈〉<>·•、,，.。;；:：!！?？()（）\[\]【】{}/／\\|_\-—–~～*#＃]+")
_PAREN_TAIL = re.compile(r"[(（\[【].*$")


@cache
def opencc_table(name: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(source, its readings, usual first) of one OpenCC dictionary file (TSCharacters, TSPhrases);
    empty without OpenCC."""
    try:
        import opencc

        path = Path(opencc.__file__).parent / "dictionary" / f"{name}.txt"
        with path.open(encoding="utf-8") as fh:
            rows = [line.rstrip("\n").partition("\t") for line in fh]
        return tuple((src, tuple(dst.split(" "))) for src, _, dst in rows if src and dst)
    except (ImportError, OSError):
        return ()


@cache
def ts_characters() -> dict[str, str]:
    """OpenCC's Traditional → Simplified characters: each its usual reading (於 → 于), only those it changes."""
    return {src: dsts[0] for src, dsts in opencc_table("TSCharacters")
            if len(src) == 1 and len(dsts[0]) == 1 and dsts[0] != src}


@cache
def traditional_chars() -> frozenset[str]:
    """Characters that OpenCC's t2s table changes; a label without any of them needs no conversion."""
    return frozenset(ts_characters())


@cache
def _converter():
    from opencc import OpenCC

    return OpenCC("t2s")


@lru_cache(maxsize=65536)
def to_simplified(text: str) -> str:
    """Traditional → Simplified when (and only when) a Traditional character is present."""
    trad = traditional_chars()
    if not trad or not any(ch in trad for ch in text):
        return text
    try:
        return _converter().convert(text)
    except Exception:  # noqa: BLE001 - a conversion failure must not lose the label
        return text


@lru_cache(maxsize=65536)
def clean_label(raw: str) -> str:
    """NFKC + t2s + numbering removed; keeps inner punctuation (for display and parenthetical checks)."""
    s = unicodedata.normalize("NFKC", raw) if not raw.isascii() else raw
    s = to_simplified(s)
    s = re.sub(r"[\s\u00a0\u3000\u200b\ufeff]+", "", s)
    for _ in range(3):
        t = _NUMBERING.sub("", s, count=1)
        if t == s:
            break
        s = t
    return s


@lru_cache(maxsize=65536)
def label_key(raw: str) -> str:
    """Matching key: cleaned label without any punctuation or quotes."""
    return _PUNCT.sub("", clean_label(raw))


@lru_cache(maxsize=65536)
def head_key(raw: str) -> str:
    """Key of the label before its first bracket: 'X（说明…）' and 'X(历史累计)' match 'X'."""
    s = clean_label(raw)
    h = _PAREN_TAIL.sub("", s)
    return _PUNCT.sub("", h if len(h) >= 2 else s)


def local_code(raw: str) -> str:
    """Code for a printed row that has no catalogue code: stable across pages that print it alike."""
    return "local." + hashlib.sha1(label_key(raw).encode("utf-8")).hexdigest()[:8]


def similarity(a: str, b: str, cutoff: float = 0.0) -> float:
    """Edit-based similarity of two keys in 0..1 (difflib ratio; labels are short).

    With a ``cutoff``, a pair whose score cannot reach it returns 0.0 without running difflib: the
    LCS-based Indel similarity (rapidfuzz, C) bounds difflib's ratio from above, because difflib's
    matching blocks are a common subsequence. Scores at or above the cutoff are difflib's, unchanged.
    """
    if not a or not b:
        return 0.0
    if cutoff and Indel.normalized_similarity(a, b) < cutoff - 1e-9:
        return 0.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


_CJK = re.compile(r"[\u3400-\u9fff]")


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))
