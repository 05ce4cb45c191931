"""HTML page → ExtractedDocument: body text (one line per block), span-expanded tables, page metadata.

The page is parsed once with lxml; everything else walks that tree. Page chrome (menus, footers) stays
in the text because the footer carries 网站标识码 and the breadcrumb the column path.
"""

from __future__ import annotations

import re
from html import escape as html_escape

from lxml import etree

from pipeline.readers.base import ExtractedDocument, Table  # noqa: F401 - Table is the element type
from pipeline.tables import expand_table, own_rows

_BLOCK = frozenset(
    "p div br tr li h1 h2 h3 h4 h5 h6 table section article header footer ul ol dl dt dd title pre blockquote".split()
)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_XML_DECL_BYTES = re.compile(rb"^\s*<\?xml[^>]*\?>", re.I)
_TABLE_HINT = re.compile(r"[\d０-９]")
_CRUMB_CLASS = re.compile(r"crumb|position|location|weizhi|dqwz|currentpos|path|nav-?bar", re.I)
_WS = re.compile(r"[ \t\r\f\v\u00a0\u3000]+")
META_NAMES = (
    "ArticleTitle",
    "PubDate",
    "SiteIDCode",
    "SiteName",
    "SiteDomain",
    "ColumnName",
    "ContentSource",
    "Url",
    "firstpublishedtime",
    "publishdate",
    "Keywords",
    "Author",
)


_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, recover=True)
# The page is already decoded: libxml2 reads it back as UTF-8 bytes, a third faster than from a Python
# str (which it receives as UCS-4 and converts), and a wrong <meta charset> cannot re-decode it.
_UTF8_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, recover=True, encoding="utf-8")


class _CrumbTagFinder:
    """``search(html)``: the first start tag whose class or id names a breadcrumb, in time linear in the page.

    A single regex over the page tried every ``<p``/``<td`` start against everything up to the next ``>``
    (quadratic: 39 s on an 88 KB page). Here the crumb words are found first and only the tag around
    each one (at most ``_CRUMB_TAG_MAX`` characters) is matched, each tag once.
    """

    _WORD = re.compile(r"crumb|position|location|weizhi|dqwz|currentpos|lujing", re.I)
    _TAG = re.compile(
        r"<(?:div|nav|p|span|ul|td)\b[^<>]*?\b(?:class|id)\s*=\s*[\"'][^\"'<>]*(?:crumb|position|location|weizhi|"
        r"dqwz|currentpos|lujing)[^\"'<>]*[\"'][^<>]*>",
        re.I,
    )

    def search(self, html: str) -> re.Match[str] | None:
        checked_to = -1
        for word in self._WORD.finditer(html):
            if word.start() < checked_to:
                continue  # inside a tag already tried
            lt = html.rfind("<", max(0, word.start() - _CRUMB_TAG_MAX), word.start())
            gt = html.find(">", word.end(), word.end() + _CRUMB_TAG_MAX)
            if lt < 0 or gt < 0:
                continue
            checked_to = gt
            tag = self._TAG.match(html, lt, gt + 1)
            if tag:
                return tag
        return None


_CRUMB_TAG_MAX = 512
_CRUMB_TAG = _CrumbTagFinder()
_CRUMB_WORDS = re.compile(r"(?:当前位置|您的位置|所在位置|您现在的位置)\s*[:：]?\s*\n?")
_TEXT = etree.XPath("string()")
_CRUMB_ATTR = re.compile(r"crumb|position|location|weizhi|dqwz|currentpos|lujing")
_CRUMB_TAGS = ("div", "nav", "p", "span", "ul", "td")


def _crumb_element(doc):
    """The first element whose class or id names a breadcrumb, from the parsed tree (linear)."""
    for el in doc.iter(_CRUMB_TAGS):
        attrs = el.attrib
        if ("class" in attrs or "id" in attrs) and _CRUMB_ATTR.search(
                (attrs.get("class", "") + " " + attrs.get("id", "")).lower()):
            return el
    return None


def _parse_utf8(data: bytes):
    """lxml document of UTF-8 bytes, or None where libxml2 gives up."""
    try:
        return etree.fromstring(data, _UTF8_PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return None


def parse_tree(text: str | None, utf8: bytes | None = None):
    """lxml document for a decoded page; tolerant of XML declarations and empty input. ``utf8``: the
    page's own bytes when they are exactly ``text`` in UTF-8. With ``text`` None the bytes are parsed as
    they are, and decoded only for the pages lxml needs a str for (XML declaration, blank, unreadable)."""
    if text is None:
        if utf8 and not utf8.isspace() and not _XML_DECL_BYTES.match(utf8):
            root = _parse_utf8(utf8)
            if root is not None:
                return root
        text, utf8 = utf8.decode("utf-8", "replace"), None
    stripped = _XML_DECL.sub("", text, count=1)
    if stripped is not text or utf8 is None:
        utf8 = None
        text = stripped
    if not text.strip():
        text, utf8 = "<html><body></body></html>", None
    root = _parse_utf8(utf8 if utf8 is not None else text.encode("utf-8", "replace"))
    if root is None:
        safe = html_escape(text.replace("\x00", ""))
        root = etree.fromstring("<html><body><pre>" + safe + "</pre></body></html>", _PARSER)
    return root


def read_html(text: str | None, utf8: bytes | None = None) -> ExtractedDocument:
    """Read a decoded HTML page (``utf8``, and ``text`` None: see parse_tree)."""
    doc = parse_tree(text, utf8)
    meta: dict[str, str] = {}
    for m in doc.iter("meta"):
        name = m.get("name") or m.get("property") or m.get("http-equiv")
        content = m.get("content")
        if name and content is not None:
            meta.setdefault(name.strip(), content.strip())
    title = next(doc.iter("title"), None)
    if title is not None:
        t = " ".join(_TEXT(title).split())
        if t:
            meta["<title>"] = t
    etree.strip_elements(doc, "script", "style", "noscript", with_tail=False)
    mark_blocks(doc)  # before reading cells too: "<p>a</p><p>b</p>" in one cell reads "a b"

    tables: list[Table] = []
    for i, t in enumerate(doc.iter("table")):
        rows = own_rows(t)
        if not rows:
            continue
        if not _TABLE_HINT.search(etree.tostring(t, method="text", encoding=str, with_tail=False)[:20000]):
            continue
        grid = expand_table(t)
        if grid.rows and any(any(c for c in r) for r in grid.rows):
            grid.origin = f"html table #{i}"
            tables.append(grid)

    body = next(doc.iter("body"), None)
    text_out = _block_text(body if body is not None else doc)
    crumb = _breadcrumb(doc, text_out)
    if crumb:
        meta["breadcrumb"] = crumb
    return ExtractedDocument(text=text_out, tables=tables, source_format="html", meta=meta)


_BLOCK_TAGS = tuple(sorted(_BLOCK))


def mark_blocks(root) -> None:
    """Give every block element (and <br>) a newline tail, so the serialised text keeps line structure.

    lxml's C-level ``iter`` finds the elements; only the tail assignment is Python, far cheaper than a
    regex pass over the markup before parsing.
    """
    for el in root.iter(_BLOCK_TAGS):
        tail = el.tail
        el.tail = "\n" + tail if tail else "\n"


def _block_text(root) -> str:
    """Body text, one line per block (see mark_blocks)."""
    text = _WS.sub(" ", etree.tostring(root, method="text", encoding=str, with_tail=False))
    # Each whitespace run holding a newline becomes one newline: lines stripped, blank lines dropped
    # (the same as re.sub(r"\s*\n\s*", "\n") and a strip, without a regex attempt at every character).
    return "\n".join(filter(None, map(str.strip, text.split("\n"))))


def _breadcrumb(doc, text: str) -> str | None:
    """'首页 > 政务公开 > …' from the 当前位置 line(s) of the text, else from a crumb-classed element."""
    m = _CRUMB_WORDS.search(text)
    if m:
        parts: list[str] = []
        for line in text[m.end(): m.end() + 600].split("\n"):
            for p in re.split(r"\s*(?:>|»|›|＞|→)\s*", line):
                p = p.strip(" |")
                if p:
                    parts.append(p)
            if len(line) > 24 or len(parts) >= 8 or (parts and len(parts[-1]) > 24):
                break
        parts = [p for p in parts if len(p) <= 24]
        if parts:
            return " > ".join(parts)
    el = _crumb_element(doc)
    if el is None:
        return None
    anchors = [" ".join(_TEXT(a).split()) for a in el.iter("a")][:10]
    anchors = [a for a in anchors if a]
    if len(anchors) >= 2:
        return " > ".join(anchors[:8])
    txt = " ".join(_TEXT(el).split())[:200]
    return _clean_crumb(txt) if (">" in txt or "首页" in txt) else None


def _clean_crumb(txt: str) -> str:
    txt = re.sub(r"^.*?(当前位置|您的位置|所在位置)\s*[:：]?\s*", "", txt)
    parts = [p.strip() for p in re.split(r"\s*(?:>|»|›|＞|→|/)\s*", txt) if p.strip()]
    return " > ".join(parts)
