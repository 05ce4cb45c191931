"""Bytes → text for government pages, whose declared charsets are often wrong.

Order: BOM, then the declared charsets (HTTP header, then <meta>) if the bytes decode cleanly under
them, then UTF-8 strict, then GB18030 (superset of GB2312/GBK, the usual legacy encoding; Big5 instead
when GB18030 turns the text into kana), then charset-normalizer. gb2312/gbk labels are always widened to
gb18030 because real GB2312-labelled pages contain GBK-only characters.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-]+)", re.I)
_WIDEN = {"gb2312": "gb18030", "gbk": "gb18030", "gb_2312-80": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030"}


@dataclass(frozen=True)
class Decoded:
    text: str
    declared: str | None  # what the server or page claimed (header wins over meta), normalised name
    detected: str  # the codec actually used


def _norm(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().lower()
    try:
        name = codecs.lookup(name).name
    except LookupError:
        return None
    return _WIDEN.get(name, name)


def declared_charsets(data: bytes, content_type: str | None = None) -> tuple[str | None, str | None]:
    """(header charset, meta charset), normalised; either may be None."""
    header = None
    if content_type:
        m = _HEADER_CHARSET.search(content_type)
        header = _norm(m.group(1)) if m else None
    m = _META_CHARSET.search(data[:4096])
    meta = _norm(m.group(1).decode("ascii", "ignore")) if m else None
    return header, meta


_KANA = re.compile(r"[\u3040-\u30ff]")
_HAN = re.compile(r"[\u4e00-\u9fff]")


def _kana_heavy(text: str) -> bool:
    """GB18030's rows A4/A5 are kana, where Big5 keeps its most common characters (一, 不, 公, 中 …): a Chinese
    report with kana in more than one character in twenty is Big5 read as GB18030."""
    head = text[:20000]
    kana = len(_KANA.findall(head))
    return kana >= 20 and kana * 20 > kana + len(_HAN.findall(head))


def decode(data: bytes, content_type: str | None = None) -> Decoded:
    """Decode page bytes; never raises (falls back to replacement characters)."""
    header, meta = declared_charsets(data, content_type)
    declared = header or meta
    if data.startswith(codecs.BOM_UTF8):
        return Decoded(data[3:].decode("utf-8", "replace"), declared, "utf-8")
    candidates = [c for c in (header, meta, "utf-8", "gb18030") if c]
    for enc in dict.fromkeys(candidates):
        try:
            text = data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
        if enc == "gb18030" and _kana_heavy(text):
            try:  # Big5 (a Traditional page) read as GB18030: its common characters come out as kana
                return Decoded(data.decode("big5"), declared, "big5")
            except UnicodeDecodeError:
                pass
        return Decoded(text, declared, enc)
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    enc = _norm(best.encoding) if best else None
    enc = enc or "gb18030"
    return Decoded(data.decode(enc, "replace"), declared, enc)
