"""parse_document: raw bytes of one report page → report row, canonical facts, check results.

Flow: dispatch by media type / file name / magic bytes → reader (HTML, text, or the office reader) →
classify each table (t2 / t3 / t4 / g1 统计表 / g0 regional form) → one generic template-driven mapper
→ derived values → checks. Never raises: a page that is not a report, or whose tables cannot be read,
comes back as a report row with parse_status and parse_reason.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from pipeline import PARSER_VERSION
from pipeline.checks import derive_and_evaluate
from pipeline.decode import decode
from pipeline.generation import detect
from pipeline.glued import glued_tables
from pipeline.labels import head_key, label_key
from pipeline.mapper import is_value as _is_value
from pipeline.mapper import map_grid
from pipeline.readers.base import ExtractedDocument, Table
from pipeline.records import validate
from pipeline.report_meta import (
    agency_name,
    is_listing,
    looks_like_report,
    organ_fallback,
    page_meta,
    pick_title,
    publish_date,
    section6,
    template_cited,
    year_with_source,
)
from pipeline.tables import expand_runs
from pipeline.templates import classify_rule, kind_marks, row_index, spec_for, t4_order, t4_template
from pipeline.traditional import NOTE as TRADITIONAL_NOTE
from pipeline.traditional import is_traditional, simplified, simplify_text

_HTML_SNIFF = re.compile(rb"<\s*(?:!doctype\s+html|html|head|body|table|div|p|meta|tr|td)\b", re.I)

@dataclass
class ParseResult:
    report: dict
    facts: list[dict] = field(default_factory=list)
    checks: list[dict] = field(default_factory=list)

    def validate(self) -> ParseResult:
        """Every row checked against its typed record (pipeline.records): unknown or missing fields raise."""
        validate("report", self.report)
        for f in self.facts:
            validate("fact", f)
        for c in self.checks:
            validate("check", c)
        return self

    def to_json(self) -> dict:
        """Plain JSON types only (dates are already ISO strings)."""
        return {"report": dict(self.report), "facts": [dict(f) for f in self.facts], "checks": [dict(c) for c in self.checks]}


# ----------------------------------------------------------------------------------------- dispatch


def _sniff_format(data: bytes, media_type: str | None, filename: str | None) -> str:
    mt = (media_type or "").lower()
    fn = (filename or "").lower()
    head = data[:8]
    if head.startswith(b"%PDF") or "pdf" in mt or fn.endswith(".pdf"):
        return "binary"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0"):
        return "binary"
    if head.startswith(b"\x89PNG") or head.startswith(b"\xff\xd8\xff") or head.startswith(b"GIF8"):
        return "binary"
    if fn.endswith((".doc", ".wps")) or "word" in mt:  # Word's "save as web page" keeps the .doc name
        lead = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
        if lead.startswith(b"<") and _HTML_SNIFF.search(lead):
            return "html"
        if lead[:64].lower().startswith((b"mime-version:", b"from:", b"content-type: multipart/related")):
            return "mht"  # a MIME web archive
    if any(x in mt for x in ("word", "excel", "spreadsheet", "officedocument", "msword", "image/")):
        return "binary"
    if fn.endswith((".doc", ".docx", ".xls", ".xlsx", ".wps", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".gif")):
        return "binary"
    if "html" in mt or fn.endswith((".htm", ".html", ".shtml", ".jsp", ".php", ".aspx")):
        return "html"
    if mt.startswith("text/plain") or fn.endswith(".txt"):
        return "text"
    if b"\x00" in data[:2048] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "binary"
    return "html" if _HTML_SNIFF.search(data[:65536]) else "text"


def _mht_html(data: bytes) -> tuple[bytes, str | None]:
    """(HTML bytes, their media type with charset) of the first text/html part of an MHT web archive."""
    import email
    from email import policy

    message = email.message_from_bytes(data, policy=policy.compat32)
    for part in message.walk():
        if part.get_content_type() == "text/html":
            charset = part.get_content_charset()
            return part.get_payload(decode=True) or b"", f"text/html; charset={charset}" if charset else "text/html"
    return b"", "text/html"


def _read(data: bytes, media_type: str | None, filename: str | None) -> tuple[ExtractedDocument | None, str | None]:
    """(document, error reason). A page or text printed in Traditional characters is read again from its
    Simplified conversion; a binary format's extraction is converted after reading (pipeline.traditional)."""
    kind = _sniff_format(data, media_type, filename)
    if kind == "binary":
        try:
            from pipeline.readers.office import read_binary  # colleague's reader; optional here
        except ImportError:
            return None, "binary document and no office reader available (pipeline.readers.office)"
        try:
            doc = read_binary(data, media_type, filename)
        except Exception as e:  # noqa: BLE001 - any reader failure is a per-document finding
            return None, f"office reader failed: {type(e).__name__}: {e}"[:300]
        return (simplified(doc) if is_traditional(doc) else doc), None
    if kind == "mht":
        data, media_type, kind = *_mht_html(data), "html"
    decoded = decode(data, media_type)
    if kind == "html":
        from pipeline.readers.html import read_html

        if decoded.detected == "utf-8" and not data.startswith(codecs.BOM_UTF8):
            # The page is its own UTF-8 encoding: lxml reads the bytes, and the decoded copy (only the
            # proof that the bytes are UTF-8) is not kept alive while the tree is built.
            del decoded
            return _in_simplified(read_html(None, data), read_html, data.decode), None
        return _in_simplified(read_html(decoded.text), read_html, lambda: decoded.text), None
    from pipeline.readers.text import read_text

    doc = _in_simplified(read_text(decoded.text), read_text, lambda: decoded.text)
    if not any(len(t.rows) >= 5 for t in doc.tables):
        doc.tables.extend(glued_tables(doc.text))  # mapping-side: re-split by the spec's shapes and identities
    return doc, None


def _in_simplified(doc: ExtractedDocument, read: Callable[[str], ExtractedDocument],
                   text: Callable[[], str]) -> ExtractedDocument:
    """``doc``, or, when it reads as Traditional, ``read`` over the Simplified conversion of the page's
    ``text()`` (the readers find tables and regions by Simplified words)."""
    if not is_traditional(doc):
        return doc
    doc = read(simplify_text(text()))
    doc.traditional = True
    return doc


def parse_document(
    data: bytes, *, url: str | None = None, media_type: str | None = None, filename: str | None = None
) -> ParseResult:
    """Parse one document. Never raises; see report['parse_status'] / ['parse_reason']."""
    if not isinstance(data, bytes | bytearray | memoryview):
        data = str(data).encode("utf-8", "replace")
    data = bytes(data)
    report = _empty_report(data, url)
    try:
        return _parse(data, report, url, media_type, filename)
    except Exception as e:  # noqa: BLE001 - the contract is a report row, never a crash
        report["parse_status"] = "unreadable"
        report["parse_reason"] = f"parser error: {type(e).__name__}: {e}"[:300]
        return ParseResult(report, [], [])


def _empty_report(data: bytes, url: str | None) -> dict:
    return {
        "title": None,
        "agency_name": None,
        "report_year": None,
        "publish_date": None,
        "template_generation": "unknown",
        "template_cited": None,
        "parse_status": "unreadable",
        "parse_reason": None,
        "source_format": None,
        "source_url": url,
        "content_sha256": hashlib.sha256(data).hexdigest(),
        "parser_version": PARSER_VERSION,
        "n_facts": 0,
        "checks_passed": 0,
        "checks_failed": 0,
        "has_table2": False,
        "has_table3": False,
        "has_table4": False,
        "text_section6": None,
        "site_id_code": None,
        "site_name": None,
        "site_domain": None,
        "column_name": None,
        "breadcrumb": None,
        "content_source": None,
    }


def _parse(data: bytes, report: dict, url, media_type, filename) -> ParseResult:
    if not data.strip():
        report["parse_status"] = "unreadable"
        report["parse_reason"] = "empty document"
        return ParseResult(report)
    doc, err = _read(data, media_type, filename)
    if doc is None:
        report["parse_status"] = "unreadable"
        report["parse_reason"] = err
        return ParseResult(report)
    report["source_format"] = doc.source_format
    text = doc.text or ""
    meta = doc.meta or {}
    title = pick_title(meta, text)
    report["title"] = title
    report["text_head"] = _text_head(text, title)
    report["report_year"], report["year_source"] = year_with_source(title, text)
    report["publish_date"] = publish_date(meta, text)
    report["template_cited"] = template_cited(text)
    report["text_section6"] = section6(text)
    report.update(page_meta(meta, text, url or meta.get("Url")))
    report["agency_name"] = agency_name(title) or organ_fallback(report["content_source"], text)

    tables = list(doc.tables)
    classified = _continued_parts(_rejoin_parts([(t, classify(t.rows)) for t in tables]))
    if not any(k for _, k in classified) and doc.source_format != "text":
        from pipeline.readers.text import text_tables

        flat = text_tables(text)
        if not any(len(t.rows) >= 5 for t in flat):
            flat.extend(glued_tables(text))
        classified = _continued_parts(_rejoin_parts([(t, classify(t.rows)) for t in flat]))
    kinds = {k for _, k in classified if k}
    table_text = "\n".join(" | ".join(r) for t, k in classified if k for r in t.rows)
    generation = detect(kinds, table_text, text)
    report["template_generation"] = generation

    facts: list[dict] = []
    seen: set[tuple[str, str]] = set()
    for t, kind in classified:
        if not kind:
            continue
        if kind == "t3" and t.row_len is not None:
            t = _settle_runs(t, generation, text)
        for f in map_table(t, kind, generation):
            key = (f["indicator"], f["applicant_type"])
            if key in seen:
                continue
            seen.add(key)
            facts.append(f)

    is_report = looks_like_report(title, text) and not (not facts and is_listing(text))
    if not facts:
        facts = _prose_facts(text, report["report_year"])
        if facts and generation == "unknown":
            report["template_generation"] = generation = "g0" if (report["report_year"] or 9999) <= 2013 else "unknown"
    if not facts and not is_report:
        report["parse_status"] = "not_a_report"
        report["parse_reason"] = "no 政府信息公开 annual-report title or heading and no statistics table"
        return ParseResult(_script_noted(report, doc.traditional))

    facts, checks = derive_and_evaluate(facts, generation) if facts else (facts, [])
    report["has_table2"] = any(f["table_id"] == "t2" for f in facts)
    report["has_table3"] = any(f["table_id"] == "t3" and f["value_status"] != "derived" for f in facts)
    report["has_table4"] = any(f["table_id"] == "t4" and f["value_status"] != "derived" for f in facts)
    report["n_facts"] = len(facts)
    report["checks_passed"] = sum(1 for c in checks if c["status"] == "passed")
    report["checks_failed"] = sum(1 for c in checks if c["status"] == "failed")
    if facts and not any(f["value"] is not None for f in facts):
        report["parse_status"] = "no_tables"
        report["parse_reason"] = f"{len(facts)} cell(s) matched a statistics template but every one is blank"
    elif facts:
        report["parse_status"] = "ok"
        if not kinds:
            report["parse_reason"] = "no statistics table; key figures taken from the text"
    else:
        report["parse_status"] = "no_tables"
        n = len(tables)
        report["parse_reason"] = (
            f"{n} table(s) on the page but none matched a known statistics template" if n
            else "no statistics table found and no figures extracted from the text"
        )
    return ParseResult(_script_noted(report, doc.traditional), facts, checks)


def _script_noted(report: dict, traditional: bool) -> dict:
    """parse_reason says when the page was read as its Simplified conversion (pipeline.traditional)."""
    if traditional:
        report["parse_reason"] = "; ".join(filter(None, (report["parse_reason"], TRADITIONAL_NOTE)))
    return report


def _continued_parts(classified: list[tuple[Table, str | None]]) -> list[tuple[Table, str | None]]:
    """Table 三 split where a page broke it (a Word page break, a converted PDF): the part after it, printed
    without the header band, has no marker words, but its rows are table 三's rows. It is table 三 too: it
    maps on its own (its columns by position, as under generic headers) and its facts join the first part's."""
    out = list(classified)
    idx = None
    for i in range(1, len(out)):
        t, kind = out[i]
        if kind is not None or out[i - 1][1] != "t3":
            continue
        idx = idx or row_index("t3")
        if sum(1 for r in t.rows if any(c and idx.match(c) is not None for c in r[:3])) >= 2:
            out[i] = (t, "t3")
    return out


def _rejoin_parts(classified: list[tuple[Table, str | None]]) -> list[tuple[Table, str | None]]:
    """Table 四 printed as one small table per block (复议 / 未经复议直接起诉 / 复议后起诉, each 5 columns
    under its own heading) is joined back into the template's one row of 15, blocks in the order their
    headings name (else the template's). The parts may be separate tables or stacked in one grid (a
    markdown or text export keeps them in one region): an unclassified grid is cut after each of its rows
    of exactly one block's values."""
    tmpl = t4_template()
    cols = set(tmpl.cols)
    width = len(cols)
    parts: list[tuple[int, list[list[str]]]] = []
    for i, (t, kind) in enumerate(classified):
        if kind:
            continue
        for rows in _block_parts(t.rows, width):
            keys = {head_key(x) for r in rows for x in r if x}
            if len(keys & cols) >= 3:
                parts.append((i, rows))
    if len(parts) != 3:
        return classified
    order = t4_order()
    blocks = list(dict.fromkeys(code.rpartition(".")[0] for code in order))
    named = []
    for _, rows in parts:
        keys = {head_key(x) for r in rows for x in r if x}
        named.append(next((p for k, p in tmpl.rows.items() if k in keys), None))
    if not (all(named) and len(set(named)) == 3):
        named = [_block_named(rows, tmpl.rows) for _, rows in parts]
    if all(named) and len(set(named)) == 3:
        blocks = named
    spec = spec_for("t4", "g3")
    heads = [c["headers"][0] for c in spec.get("columns") or ()] if spec else list(tmpl.cols)
    header = [[b for b in blocks for _ in range(width)], [s for _ in blocks for s in heads]]
    values: list[str] = []
    for _, rows in parts:
        row = next(r for r in rows if sum(1 for x in r if _is_value(x)) == width)
        values.extend(x for x in row if _is_value(x))
    names = {p: h for h, p in tmpl.rows.items()}
    header[0] = [names.get(b, b) for b in header[0]]
    joined = Table(rows=[*header, values], origin="table 四 rejoined from 3 parts")
    used = {i for i, _ in parts}
    keep = [c for j, c in enumerate(classified) if j not in used]
    return [*keep, (joined, "t4")]


def _block_parts(rows: list[list[str]], width: int) -> list[list[list[str]]]:
    """A grid cut after each row of exactly ``width`` values (rows after the last stay with the last
    part); a grid with no such row is no part, one with one such row is one part."""
    out: list[list[list[str]]] = []
    cur: list[list[str]] = []
    for r in rows:
        cur.append(r)
        if sum(1 for x in r if _is_value(x)) == width:
            out.append(cur)
            cur = []
    if out and cur:
        out[-1].extend(cur)
    return out


def _block_named(rows: list[list[str]], blocks: dict[str, str]) -> str | None:
    """The block a part's nearest heading names ('行政诉讼（未经复议直接起诉）' → litigation.direct): the
    lowest label cell above its values that contains one block header word."""
    for r in reversed(rows):
        for x in r:
            k = label_key(x) if x else ""
            hits = {p for h, p in blocks.items() if h in k}
            if len(hits) == 1:
                return hits.pop()
    return None


def _settle_runs(table: Table, generation: str, text: str) -> Table:
    """Table-三 rows of a flattening that prints a run of equal cells once ('19 / 0 / 1 / 0 / 20' for
    seven columns) fit more than one reading when only the row identity (总计 = the sum) decides: the 1
    may be any one of three organisation types. The report's own text settles it where it names the
    organisation types that applied (prose.applicants_named): readings that put a count under an
    organisation type it does not name are dropped (其他 is never named, so never excluded). A row
    with one reading left is printed in full; the others are left to the mapper's own expansion."""
    spec = spec_for("t3", generation)
    cols = list(spec.get("columns") or ()) if spec else []
    apps = [c["applicant"] for c in cols]
    if len(apps) < 3 or apps[-1] != "total":
        return table
    from pipeline.prose import applicants_named

    words = {h: c["applicant"] for c in cols for h in c["headers"]
             if c["applicant"].startswith("org.") and c["applicant"] != "org.other"}
    named = applicants_named(text, words)
    if not named:
        return table
    n = len(apps)
    free = [not a.startswith("org.") or a == "org.other" or a in named for a in apps]

    def check(vals: list[float]) -> bool:
        return abs(sum(vals[:-1]) - vals[-1]) < 1e-9 and all(ok or v == 0 for ok, v in zip(free, vals, strict=True))

    rows: list[list[str]] = []
    lens: list[int] = []
    for row, k in zip(table.rows, table.row_len or (), strict=True):
        printed = row[:k]
        first = next((i for i, x in enumerate(printed) if i and _is_value(x)), k)
        values = printed[first:]
        if 1 < len(values) < n and all(map(_is_value, values)):
            slots = expand_runs(values, n, check)
            if slots and None not in slots:
                printed = printed[:first] + [values[i] for i in slots]
        rows.append(printed)
        lens.append(len(printed))
    if lens == table.row_len:
        return table
    width = max(lens)
    return Table(rows=[r + [""] * (width - len(r)) for r in rows], origin=table.origin, row_len=lens)


def _text_head(text: str, title: str | None) -> str:
    """First ~1500 characters of the report body (from its title line on, page menus skipped)."""
    start = 0
    if title:
        i = text.find(title)
        if i < 0:
            i = text.find(title[-12:])
        start = max(i, 0)
    return text[start: start + 1500]


def _prose_facts(text: str, year: int | None) -> list[dict]:
    try:
        from pipeline.prose import extract_prose_facts  # colleague's module; optional here
    except ImportError:
        return []
    try:
        out = extract_prose_facts(text, year) or []
    except Exception:  # noqa: BLE001 - prose extraction is best effort
        return []
    return [f for f in out if isinstance(f, dict) and f.get("indicator")]


# ------------------------------------------------------------------------------------ classification


def classify(rows: list[list[str]]) -> str | None:
    """Which table kind a grid is, from the marker words of spec/tables/ its cells contain."""
    seen: set[str] = set()
    n = 0
    for row in rows:
        for cell in row:
            if cell and cell not in seen:
                seen.add(cell)
                n += 1
                if n > 600:
                    break
    # Marker words are words: number and dash cells cannot hold one (and are most cells of a table).
    blob = "|".join([label_key(c) for c in seen if len(c) < 200 and not _is_value(c)])
    scores = {k: sum(1 for m in marks if m in blob) for k, marks in kind_marks().items()}
    t3, t4, t2 = classify_rule("t3"), classify_rule("t4"), classify_rule("t2")
    # At most max_rows rows, or one data row under any number of header lines (one cell per line).
    small = len(rows) <= t4.get("max_rows", 8) or (
        scores["t4"] >= t4["min_markers"] and sum(1 for r in rows if any(_is_value(x) for x in r)) == 1)
    if scores["t3"] >= t3["min_markers"]:
        return "t3"
    if scores["t4"] >= t4["min_markers"] and scores["t3"] <= t4.get("max_t3_markers", 1) and small:
        return "t4"
    if scores["t2"] >= t2["min_markers"] and (any(w in blob for w in t2.get("require_any", ()))
                                               or scores["t2"] >= t2.get("min_markers_alone", 99)):
        return "t2"
    if t2.get("part_marker", "\0") in blob and scores["t2"] >= t2.get("part_min_markers", 99) and scores["t3"] < 2:
        return "t2"
    if scores["regional"] >= classify_rule("regional")["min_markers"] and scores["regional"] >= scores["stat"]:
        return "regional"
    if scores["stat"] >= classify_rule("stat")["min_markers"]:
        return "stat"
    if scores["t4"] >= t4["min_markers"] and small:
        return "t4"
    # 行政复议 and one row of exactly the template's 15 numbers (however many lines of text around it).
    if t4.get("fallback_word", "\0") in blob and scores["t3"] < t3["min_markers"] and any(
            sum(1 for x in r if _is_value(x)) == t4.get("fallback_values", 15) for r in rows):
        return "t4"
    # No header words: count rows that match a row template.
    best, best_n = None, 0
    for kind in ("stat", "regional"):
        idx = row_index(kind)
        hits = sum(1 for r in rows if r and r[0] and idx.match(r[0]) is not None)
        if hits > best_n:
            best, best_n = kind, hits
    return best if best_n >= 4 else None


# ------------------------------------------------------------------------------------------ mapping


def map_table(table: Table, kind: str, generation: str) -> list[dict]:
    """Facts of one classified table, read by the one spec-driven engine (pipeline.mapper)."""
    spec = spec_for(kind, generation)
    if spec is None:
        return []
    return map_grid(table, spec, generation)
