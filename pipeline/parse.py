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
from dataclasses import dataclass, field
from functools import cache, lru_cache

from pipeline import PARSER_VERSION
from pipeline.checks import derive_and_evaluate
from pipeline.decode import decode
from pipeline.generation import detect
from pipeline.glued import glued_tables
from pipeline.indicators import APPLICANT_TYPES, catalogue, unit_for_local, unit_of
from pipeline.labels import clean_label, has_cjk, head_key, label_key, local_code
from pipeline.mapper import map_grid
from pipeline.numbers import UNITS, parse_cell, to_canonical
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
from pipeline.templates import (
    applicant_headers,
    classify_rule,
    col_key,
    group_headers,
    kind_marks,
    match_key,
    row_index,
    spec_for,
    t2_order,
    t2_template,
    t3_row_order,
    t4_order,
    t4_template,
)

_UNIT_SET = frozenset(UNITS)
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
    """(document, error reason)."""
    kind = _sniff_format(data, media_type, filename)
    if kind == "binary":
        try:
            from pipeline.readers.office import read_binary  # colleague's reader; optional here
        except ImportError:
            return None, "binary document and no office reader available (pipeline.readers.office)"
        try:
            return read_binary(data, media_type, filename), None
        except Exception as e:  # noqa: BLE001 - any reader failure is a per-document finding
            return None, f"office reader failed: {type(e).__name__}: {e}"[:300]
    if kind == "mht":
        data, media_type, kind = *_mht_html(data), "html"
    decoded = decode(data, media_type)
    text = decoded.text
    if kind == "html":
        from pipeline.readers.html import read_html

        # A page that decoded as UTF-8 without a BOM is its own UTF-8 encoding: lxml reads the bytes.
        same = decoded.detected == "utf-8" and not data.startswith(codecs.BOM_UTF8)
        return read_html(text, data if same else None), None
    from pipeline.readers.text import read_text

    doc = read_text(text)
    if not any(len(t.rows) >= 5 for t in doc.tables):
        doc.tables.extend(glued_tables(text))  # mapping-side: re-split by the spec's shapes and identities
    return doc, None


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
    classified = _rejoin_parts([(t, classify(t.rows)) for t in tables])
    if not any(k for _, k in classified) and doc.source_format != "text":
        from pipeline.readers.text import text_tables

        flat = text_tables(text)
        if not any(len(t.rows) >= 5 for t in flat):
            flat.extend(glued_tables(text))
        classified = _rejoin_parts([(t, classify(t.rows)) for t in flat])
    kinds = {k for _, k in classified if k}
    table_text = "\n".join(" | ".join(r) for t, k in classified if k for r in t.rows)
    generation = detect(kinds, table_text, text)
    report["template_generation"] = generation

    facts: list[dict] = []
    seen: set[tuple[str, str]] = set()
    for t, kind in classified:
        if not kind:
            continue
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
        return ParseResult(report)

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
    return ParseResult(report, facts, checks)


def _rejoin_parts(classified: list[tuple[Table, str | None]]) -> list[tuple[Table, str | None]]:
    """Table 四 printed as one small table per block (复议 / 未经复议直接起诉 / 复议后起诉, each 5 columns
    under its own heading) is joined back into the template's one row of 15, blocks in the order their
    headings name (else the template's)."""
    tmpl = t4_template()
    cols = set(tmpl.cols)
    parts: list[int] = []
    for i, (t, kind) in enumerate(classified):
        if kind:
            continue
        keys = {head_key(x) for r in t.rows for x in r if x}
        fives = [r for r in t.rows if sum(1 for x in r if _is_value(x)) == len(cols)]
        if len(keys & cols) >= 3 and len(fives) == 1:
            parts.append(i)
    if len(parts) != 3:
        return classified
    order = t4_order()
    blocks = list(dict.fromkeys(code.rpartition(".")[0] for code in order))
    named = []
    for i in parts:
        keys = {head_key(x) for r in classified[i][0].rows for x in r if x}
        named.append(next((p for k, p in tmpl.rows.items() if k in keys), None))
    if all(named) and len(set(named)) == 3:
        blocks = named
    header = [[b for b in blocks for _ in range(5)],
              [s for _ in blocks for s in ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")]]
    values: list[str] = []
    for i in parts:
        row = next(r for r in classified[i][0].rows if sum(1 for x in r if _is_value(x)) == len(cols))
        values.extend(x for x in row if _is_value(x))
    names = {p: h for h, p in tmpl.rows.items()}
    header[0] = [names.get(b, b) for b in header[0]]
    joined = Table(rows=[*header, values], origin="table 四 rejoined from 3 parts")
    keep = [c for j, c in enumerate(classified) if j not in parts]
    return [*keep, (joined, "t4")]


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
    blob = "|".join(label_key(c) for c in seen if len(c) < 200)
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


def _fact(code: str, applicant: str, raw: str | None, unit_ctx: str | None, row_label: str | None,
          col_label: str | None, table_id: str, r: int | None, c: int | None, method: str, score: float) -> dict:
    value, unit, unit_raw, status = _reading(code, raw, unit_ctx)
    return {
        "indicator": code,
        "applicant_type": applicant,
        "value": value,
        "unit": unit,
        "value_raw": raw if raw is not None else "",
        "unit_raw": unit_raw,
        "value_status": status,
        "row_label_raw": row_label,
        "col_label_raw": col_label,
        "table_id": table_id,
        "row_idx": r,
        "col_idx": c,
        "match_method": method,
        "match_score": float(score),
        "source_text": None,
    }


@lru_cache(maxsize=65536)
def _reading(code: str, raw: str | None, unit_ctx: str | None) -> tuple[float | None, str, str | None, str]:
    """(value in the code's canonical unit, that unit, printed unit, cell status): a corpus repeats the
    same few thousand (code, cell) pairs."""
    cell = parse_cell(raw)
    unit_raw = cell.unit_raw or unit_ctx
    unit = unit_of(code) if code in catalogue() else unit_for_local(unit_raw)
    return to_canonical(cell.value, unit_raw, unit), unit, unit_raw, cell.status


def map_table(table: Table, kind: str, generation: str) -> list[dict]:
    """Facts of one classified table, read by the mapper of its spec's shape."""
    spec = spec_for(kind, generation)
    if spec is None:
        return []
    if spec.shape in _ENGINE_SHAPES:
        return map_grid(table, spec, generation)
    return _SHAPE_MAPPERS[spec.shape](table, kind, generation)


_ENGINE_SHAPES = {"row_table"}


def _ids(table: Table) -> list[list[int]]:
    ids = getattr(table, "ids", None)
    if ids is not None:
        return ids
    # Without span information every slot is its own cell.
    return [[r * 1000 + c for c in range(len(row))] for r, row in enumerate(table.rows)]


@lru_cache(maxsize=131072)
def _is_value(cell: str) -> bool:
    return parse_cell(cell).status in ("reported", "dash")


@lru_cache(maxsize=131072)
def _is_label(cell: str) -> bool:
    return bool(cell) and has_cjk(cell) and parse_cell(cell).status == "text" and cell.strip() not in _UNIT_SET


# -- table 三


@lru_cache(maxsize=16384)
def _applicant_of(header: str) -> str | None:
    k = label_key(header)
    heads = applicant_headers()
    if k in heads:
        return heads[k]
    for name, app in heads.items():
        if len(name) >= 3 and name in k:
            return app
    return None


def _map_t3(table: Table, kind: str, generation: str) -> list[dict]:
    rows = table.rows
    ids = _ids(table)
    width = max((len(r) for r in rows), default=0)
    # Header rows: everything before the first row that has a value-like cell and a row label.
    first_data = None
    for r, row in enumerate(rows):
        if sum(1 for x in row if _is_value(x)) >= 2 and any(_is_label(x) for x in row):
            first_data = r
            break
        if any(label_key(x).startswith(("本年新收", "上年结转", "本年度新收", "上年度结转")) for x in row if x):
            first_data = r
            break
        if any(_is_value(x) for x in row) and any(
                _is_label(x) and row_index("t3").match(x) is not None for x in row[:2]):
            first_data = r
            break
    if first_data is None:
        return []
    col_app: list[str | None] = [None] * width
    col_hdr: list[str] = [""] * width
    for c in range(width):
        labels = []
        for r in range(first_data):
            x = rows[r][c] if c < len(rows[r]) else ""
            if x and x not in labels:
                labels.append(x)
        col_hdr[c] = " / ".join(labels)
        for x in reversed(labels):
            app = _applicant_of(x)
            if app:
                col_app[c] = app
                break
    first_app_col = next((c for c in range(width) if col_app[c]), None)
    if len({a for a in col_app if a}) < 6:
        first_app_col = None  # generic or partial headers (数据1 … 数据6 | 总计): columns by position
    idx = row_index("t3")
    order = t3_row_order(generation)
    data_rows = [r for r in range(first_data, len(rows)) if any(x.strip() for x in rows[r])]
    out: list[dict] = []
    entries: list[tuple[int, int, list[str], list, tuple | None]] = []
    last_pos = -1
    for i, r in enumerate(data_rows):
        row, rid = rows[r], ids[r]
        boundary = first_app_col
        if boundary is None or any(_is_label(x) for x in row[boundary:]) and not any(_is_value(x) for x in row[:boundary]):
            boundary = next((c for c, x in enumerate(row) if _is_value(x) or (x == "" and c > 0)), len(row))
        labels: list[str] = []
        for x in row[:boundary]:
            if x and (not labels or labels[-1] != x) and _is_label(x):
                labels.append(x)
        if not labels and boundary < len(row) and _is_label(row[boundary]):
            continue
        cells: list[tuple[int, str]] = []
        seen_ids: set[int] = set()
        for c in range(boundary, len(row)):
            if rid[c] in seen_ids or rid[c] == -1:
                continue
            seen_ids.add(rid[c])
            cells.append((c, row[c]))
        if table.row_len is not None:
            cells = [(c, x) for c, x in cells if c < table.row_len[r]]
            cells = _expand_collapsed(cells, len(APPLICANT_TYPES), _t3_row_ok)
        if not cells or all(x is not None and not _is_value(x) and x.strip() for _, x in cells):
            continue
        # Row code: most specific label, then the joined path, then template position.
        m = None
        for cand in ([labels[-1], "".join(labels)] if labels else []):
            m = idx.match(cand, last_pos)
            if m:
                last_pos = m[3]
                break
        entries.append((i, r, labels, cells, m))
    gaps = _gap_fill(entries, order)
    last_pos = -1
    for k, (i, r, labels, cells, m) in enumerate(entries):
        if m is None and k in gaps:
            code, method, score = gaps[k], "positional", 0.5
        elif m is None:
            if labels and len(data_rows) != len(order):
                key = label_key(labels[-1])
                if key in group_headers() or not any(parse_cell(x).status == "reported" for _, x in cells):
                    continue
                code, method, score = local_code(labels[-1]), "exact", 1.0
            elif i < len(order):
                code, method, score = order[i], "positional", 0.5
            else:
                continue
        else:
            code, method, score, last_pos = m
        apps = _assign_applicants(cells, col_app)
        row_label = " ".join(labels) if labels else None
        for (c, raw), (app, how) in zip(cells, apps, strict=False):
            if app is None or raw is None:
                continue
            mm = method if how == "header" else ("positional" if method != "positional" else method)
            out.append(_fact(code, app, raw, None, row_label, col_hdr[c] or None, "t3", r, c, mm,
                             score if how == "header" else min(score, 0.9)))
    return _dedupe_first(out)


def _gap_fill(entries: list, order: list[str]) -> dict[int, str]:
    """Rows that lost their labels (a converted PDF prints the numbers and the labels apart) take the
    template rows missing between their labelled neighbours, when the counts agree exactly."""
    pos_of = {code: j for j, code in enumerate(order)}
    matched = {e[4][0] for e in entries if e[4] is not None}
    out: dict[int, str] = {}
    pending: list[int] = []
    prev = -1

    def flush(end: int) -> None:
        slots = [order[j] for j in range(prev + 1, end) if order[j] not in matched]
        if pending and len(slots) == len(pending):
            out.update(zip(pending, slots, strict=True))

    for k, (_, _, labels, cells, m) in enumerate(entries):
        if m is not None and m[0] in pos_of:
            flush(pos_of[m[0]])
            prev, pending = pos_of[m[0]], []
        elif m is None and not labels and any(x is not None and _is_value(x) for _, x in cells):
            pending.append(k)
        elif m is None and sum(1 for _, x in cells if x is not None and _is_value(x)) == len(APPLICANT_TYPES):
            pending.append(k)  # a whole row under a fragment of its label that a line break cut off
    flush(len(order))
    return out


def _t3_row_ok(vals: list[float]) -> bool:
    return abs(sum(vals[:6]) - vals[6]) < 1e-9


def _t4_row_ok(vals: list[float]) -> bool:
    return all(abs(sum(vals[b:b + 4]) - vals[b + 4]) < 1e-9 for b in (0, 5, 10))


def _expand_collapsed(cells: list[tuple[int, str]], n: int, check) -> list[tuple[int, str | None]]:
    """A flattened row that printed fewer than n value cells: read each as a run of equal cells when
    the row's identity settles it (tables.expand_runs). A slot the readings disagree on is None."""
    if not 0 < len(cells) < n or not all(_is_value(x) for _, x in cells):
        return cells
    slots = expand_runs([x for _, x in cells], n, check)
    if slots is None:
        return cells
    return [(cells[i][0], cells[i][1]) if i is not None else (cells[0][0], None) for i in slots]


_APPLICANT_LIST = list(APPLICANT_TYPES)


def _assign_applicants(cells: list[tuple[int, str]], col_app: list[str | None]) -> list[tuple[str | None, str]]:
    """Applicant column of each distinct value cell: header when consistent, else order, else identity."""
    by_header = [col_app[c] if c < len(col_app) else None for c, _ in cells]
    if len(cells) == 7:
        if by_header == _APPLICANT_LIST:
            return [(a, "header") for a in APPLICANT_TYPES]
        return [(a, "position") for a in APPLICANT_TYPES]
    if len(cells) == 6 and all(by_header) and len(set(by_header)) == 6:
        return [(a, "header") for a in by_header]
    if len(cells) > 7:
        # Phantom columns: keep the last as 总计 and pick the 6 cells whose sum closes the identity.
        vals = [parse_cell(x).value for _, x in cells]
        total = vals[-1]
        body = list(range(len(cells) - 1))
        keep = body[:6]
        if total is not None:
            from itertools import combinations

            for combo in combinations(body, 6):
                if all(vals[j] is not None for j in combo) and abs(sum(vals[j] for j in combo) - total) < 1e-9:
                    keep = list(combo)
                    break
        out: list[tuple[str | None, str]] = [(None, "position")] * len(cells)
        for a, j in zip(APPLICANT_TYPES[:6], keep, strict=True):
            out[j] = (a, "position")
        out[-1] = ("total", "position")
        return out
    if len(cells) == 6:
        return [(a, "position") for a in APPLICANT_TYPES[:6]]
    return [(a, "header") if a else (None, "header") for a in by_header]


def _dedupe_first(facts: list[dict]) -> list[dict]:
    seen: set[tuple[str, str]] = set()
    out = []
    for f in facts:
        k = (f["indicator"], f["applicant_type"])
        if k not in seen:
            seen.add(k)
            out.append(f)
    return out


# -- table 四


def _map_t4(table: Table, kind: str = "t4", generation: str = "") -> list[dict]:
    rows = table.rows
    ids = _ids(table)
    tmpl = t4_template()
    # The data row: the one with most value cells (distinct source cells).
    best_r, best_cells = None, []
    for r, row in enumerate(rows):
        seen: set[int] = set()
        cells = []
        for c, x in enumerate(row):
            if ids[r][c] in seen:
                continue
            seen.add(ids[r][c])
            if _is_value(x) or (x == "" and any(_is_value(y) for y in row)):
                cells.append((c, x))
        if len(cells) > len(best_cells):
            best_r, best_cells = r, cells
    if best_r is not None and table.row_len is not None:
        n = len(t4_order())
        # Flattened text prints no empty cells: an empty slot is padding or a missing label.
        best_cells = [(c, x) for c, x in best_cells if c < table.row_len[best_r] and x.strip()]
        expanded = _expand_collapsed(best_cells, n, _t4_row_ok)
        if len(expanded) == n:
            method = "positional"
            return [_fact(code, "na", raw, None, None, None, "t4", best_r, c, method, 0.6)
                    for (c, raw), code in zip(expanded, t4_order(), strict=True) if raw is not None]
    if best_r is None or len(best_cells) < 3:
        return []
    out = []
    mapped = []
    for c, raw in best_cells:
        path = [rows[r][c] for r in range(best_r) if c < len(rows[r]) and rows[r][c]]
        block = col = None
        for x in reversed(path):
            k = head_key(x)
            if col is None:
                hit = match_key(k, tmpl.cols, 0.75)
                if hit and k not in tmpl.rows:
                    col = hit[0]
                    continue
            if block is None:
                hit = match_key(k, tmpl.rows, 0.8)
                if hit:
                    block = hit[0]
        mapped.append((c, raw, block, col, " / ".join(dict.fromkeys(path))))
    codes = [f"{b}.{s}" if b and s else None for _, _, b, s, _ in mapped]
    ok = all(codes) and len(set(codes)) == len(codes) and all(x in catalogue() for x in codes)
    if not ok and len(best_cells) == 15:
        codes = list(t4_order())
        method = "positional"
    elif not ok:
        return []
    else:
        method = "exact"
    for (c, raw, _, _, hdr), code in zip(mapped, codes, strict=True):
        out.append(_fact(code, "na", raw, None, hdr or None, hdr or None, "t4", best_r, c, method,
                         1.0 if method == "exact" else 0.6))
    return out


# -- table 二


@cache
def _header_unit_re() -> re.Pattern:
    units = sorted({u for s in (spec_for("t2", "g2"), spec_for("t2", "g3")) if s for u in s.get("units") or ()},
                   key=len, reverse=True)
    return re.compile(r"(?:单位\s*[:：]?\s*|[(（])(" + "|".join(map(re.escape, units)) + r")")


def _header_unit(header: str) -> str | None:
    """Unit printed in a column header: 本年收费金额（单位：万元）, 采购总金额（元）."""
    m = _header_unit_re().search(clean_label(header))
    return m.group(1) if m else None


def _map_t2(table: Table, kind: str, generation: str) -> list[dict]:
    rows = table.rows
    ids = _ids(table)
    tmpl = t2_template()
    out: list[dict] = []
    headers: list[tuple[int, str]] = []
    collecting_header = False
    for r, row in enumerate(rows):
        rid = ids[r]
        cells: list[tuple[int, str]] = []
        seen: set[int] = set()
        for c, x in enumerate(row):
            if rid[c] in seen or rid[c] == -1:
                continue
            seen.add(rid[c])
            cells.append((c, x))
        nonempty = [(c, x) for c, x in cells if x.strip()]
        if not nonempty:
            continue
        first = label_key(nonempty[0][1])
        if "第二十条" in first and len({x for _, x in nonempty}) == 1:
            headers, collecting_header = [], False
            continue
        if first.startswith("信息内容"):
            headers = [(c, x) for c, x in cells[1:] if x.strip()]
            collecting_header = not headers
            continue
        if collecting_header and len(nonempty) == 1 and _is_label(nonempty[0][1]):
            if match_key(col_key(nonempty[0][1]), tmpl.cols, 0.8):
                headers.append((nonempty[0][0], nonempty[0][1]))
                continue
        hit = match_key(head_key(cells[0][1]), tmpl.rows, 0.8) if cells[0][1] else None
        if not hit:
            continue
        collecting_header = False
        prefix, row_method, row_score = hit
        values = cells[1:]
        if table.row_len is not None:
            values = [(c, x) for c, x in values if c < table.row_len[r]]
        if not values:
            continue
        assigned: list[tuple[int, str, str | None, str | None, str]] = []
        hdr_suffix = [(match_key(col_key(h), tmpl.cols, 0.8), h) for _, h in headers]
        if headers and len(values) == len(headers):
            for (c, raw), (hit2, h) in zip(values, hdr_suffix, strict=True):
                assigned.append((c, raw, hit2[0] if hit2 else None, h, hit2[1] if hit2 else "exact"))
        elif headers and getattr(table, "ids", None) is not None:
            for c, raw in values:
                h = next((hh for hc, hh in reversed(headers) if hc <= c), None)
                hit2 = match_key(col_key(h), tmpl.cols, 0.8) if h else None
                assigned.append((c, raw, hit2[0] if hit2 else None, h, "positional"))
        else:
            order = t2_order(generation).get(prefix, ())
            if table.row_len is not None and 0 < len(values) < len(order):
                values = [(c, x) for c, x in _expand_collapsed(values, len(order), None)]
            unit_of_col = {hit2[0]: h for hit2, h in hdr_suffix if hit2}
            for (c, raw), suffix in zip(values, order, strict=False):
                if raw is not None:
                    assigned.append((c, raw, suffix, unit_of_col.get(suffix), "positional"))
        used: set[str] = set()
        for c, raw, suffix, h, how in assigned:
            if not suffix:
                continue
            code = f"{prefix}.{suffix}"
            if code not in catalogue() or code in used:
                continue
            used.add(code)
            unit_ctx = _header_unit(h) if h else None
            method = row_method if how == "exact" and row_method == "exact" else ("positional" if how == "positional" else "fuzzy")
            out.append(_fact(code, "na", raw, unit_ctx, cells[0][1], h, "t2", r, c, method,
                             row_score if method != "positional" else 0.6))
    return _dedupe_first(out)


# One mapper per table shape of spec/tables/ (row_table, row_by_applicant, row_by_column, block_by_column).
_SHAPE_MAPPERS = {
    "row_by_applicant": _map_t3,
    "row_by_column": _map_t2,
    "block_by_column": _map_t4,
}
