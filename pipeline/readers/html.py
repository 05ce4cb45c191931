"""HTML page → ExtractedDocument: body text (one line per block), span-expanded tables, page metadata.

The page is parsed once with lxml; everything else walks that tree. Page chrome (menus, footers) stays
in the text because the footer carries 网站标识码 and the breadcrumb the column path.
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from pipeline.readers.base import ExtractedDocument, Table  # noqa: F401 - Table is the element type
from pipeline.tables import expand_table, own_rows

_BLOCK = frozenset(
    "p div br tr li h1 h2 h3 h4 h5 h6 table section article header footer ul ol dl dt dd title pre blockquote".split()
)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_TABLE_HINT = re.compile(r"[\d０-９]")
_CRUMB_CLASS = re.compile(r"crumb|position|location|weizhi|dqwz|currentpos|path|nav-?bar", re.I)
_WS = re.compile(r"[ \t\r\f\v\u00a0\u3000]+")
_NL = re.compile(r"\s*\n\s*")
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


def parse_tree(text: str):
    """lxml document for a decoded page; tolerant of XML declarations and empty input."""
    text = _XML_DECL.sub("", text, count=1)
    if not text.strip():
        text = "<html><body></body></html>"
    try:
        return lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return lxml.html.document_fromstring("<html><body>" + lxml.html.escape(text) + "</body></html>")


def read_html(text: str) -> ExtractedDocument:
    """Read a decoded HTML page."""
    doc = parse_tree(text)
    meta: dict[str, str] = {}
    for m in doc.iter("meta"):
        name = m.get("name") or m.get("property") or m.get("http-equiv")
        content = m.get("content")
        if name and content is not None:
            meta.setdefault(name.strip(), content.strip())
    title = doc.find(".//title")
    if title is not None and title.text_content():
        meta["<title>"] = " ".join(title.text_content().split())
    for el in doc.iter("script", "style", "noscript", etree.Comment):
        _drop_keep_tail(el)
    crumb = _breadcrumb(doc)
    if crumb:
        meta["breadcrumb"] = crumb

    tables: list[Table] = []
    for i, t in enumerate(doc.iter("table")):
        rows = own_rows(t)
        if len(rows) < 2 and not t.findall(".//tr"):
            continue
        probe = t.text_content()
        if len(rows) < 1 or not _TABLE_HINT.search(probe[:20000]):
            continue
        grid = expand_table(t)
        if grid.rows and any(any(c for c in r) for r in grid.rows):
            grid.origin = f"html table #{i}"
            tables.append(grid)

    body = doc.body if doc.find("body") is not None else doc
    text_out = _block_text(body)
    return ExtractedDocument(text=text_out, tables=tables, source_format="html", meta=meta)


def _drop_keep_tail(el) -> None:
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    prev = el.getprevious()
    if tail:
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def _block_text(root) -> str:
    """Text with a newline at every block boundary (cells separated by ' | ' to keep rows readable)."""
    parts: list[str] = []
    append = parts.append
    in_cell = 0
    for event, el in etree.iterwalk(root, events=("start", "end")):
        tag = el.tag if isinstance(el.tag, str) else ""
        if event == "start":
            if tag in ("td", "th"):
                in_cell += 1
                append(" | ")
            elif tag == "table":
                in_cell = 0
                append("\n")
            elif tag in _BLOCK:
                append(" " if in_cell and tag != "tr" else "\n")
            if el.text:
                append(el.text)
        else:
            if tag in ("td", "th"):
                in_cell = max(0, in_cell - 1)
            elif tag in _BLOCK:
                append(" " if in_cell and tag != "tr" else "\n")
            if el.tail and el is not root:
                append(el.tail)
    text = _WS.sub(" ", "".join(parts))
    return _NL.sub("\n", text).strip()


def _breadcrumb(doc) -> str | None:
    for el in doc.iter("div", "span", "p", "td", "ul", "nav"):
        cls = (el.get("class") or "") + " " + (el.get("id") or "")
        if cls.strip() and _CRUMB_CLASS.search(cls):
            anchors = [" ".join(a.text_content().split()) for a in el.iter("a")]
            anchors = [a for a in anchors if a]
            if len(anchors) >= 2 and sum(map(len, anchors)) <= 200:
                return " > ".join(anchors)
            txt = " ".join(el.text_content().split())
            if 2 <= len(txt) <= 200 and (">" in txt or "»" in txt or "首页" in txt or "当前位置" in txt):
                return _clean_crumb(txt)
    return None


def _clean_crumb(txt: str) -> str:
    txt = re.sub(r"^.*?(当前位置|您的位置|所在位置)\s*[:：]?\s*", "", txt)
    parts = [p.strip() for p in re.split(r"\s*(?:>|»|›|＞|→|/)\s*", txt) if p.strip()]
    return " > ".join(parts)
