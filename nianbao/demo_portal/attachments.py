"""Office attachments made from a report's own blocks: the DOCX or PDF a real portal attaches to the page.

A real report page links the same report as a document (often the signed PDF or the Word original), so
each demo attachment is built from the page's blocks: title line, paragraphs, and tables with their
merged cells. Bytes are deterministic (fixed document dates and zip entry times) so the truth manifest's
sha256 is stable, and built once per process per report because the builders are slow next to the
rest of the portal.

The PDF is written by hand, without a PDF library: text in the non-embedded Adobe-GB1 font STSong-Light
with the predefined UniGB-UCS2-H encoding (which pdfminer and pdfium decode without a ToUnicode map),
table cells as ruled rectangles so pdfplumber finds the tables and their merged cells.
"""

from __future__ import annotations

import datetime as dt
import zipfile
import zlib
from collections.abc import Sequence
from functools import cache
from io import BytesIO

import lxml.html

FIXED_TIME = dt.datetime(2024, 1, 1, 9, 0, 0)


def _grid(markup: str) -> list[tuple[int, int, int, int, str]]:
    """A report table's cells as (row, col, rowspan, colspan, text), spans resolved to grid positions."""
    table = lxml.html.fragment_fromstring(markup)
    occupied: set[tuple[int, int]] = set()
    cells = []
    for i, tr in enumerate(table.iter("tr")):
        j = 0
        for td in tr:
            if td.tag not in ("td", "th"):
                continue
            while (i, j) in occupied:
                j += 1
            rs, cs = int(td.get("rowspan") or 1), int(td.get("colspan") or 1)
            cells.append((i, j, rs, cs, " ".join(td.text_content().split())))
            occupied.update((a, b) for a in range(i, i + rs) for b in range(j, j + cs))
            j += cs
    return cells


def _without_phantom_columns(cells: list[tuple[int, int, int, int, str]]) -> list[tuple[int, int, int, int, str]]:
    """Drop column boundaries that one row uses and most rows cross (an HTML export artifact: 自然人 spanning into 商业企业's
    column in the 2021 table 三), as the Word original the page was exported from has them."""
    nrows = max(i + rs for i, _, rs, _, _ in cells)
    ncols = max(j + cs for _, j, _, cs, _ in cells)
    crossed = dict.fromkeys(range(ncols + 1), 0)
    edge_rows: dict[int, set[int]] = {b: set() for b in range(ncols + 1)}
    for i, j, rs, cs, _ in cells:
        for b in range(j + 1, j + cs):
            crossed[b] += rs
        for b in (j, j + cs):
            edge_rows[b].update(range(i, i + rs))
    kept = [b for b in range(ncols + 1) if crossed[b] * 2 <= nrows or len(edge_rows[b]) > 1]
    index = {b: max(k for k, kb in enumerate(kept) if kb <= b) for b in range(ncols + 1)}
    out = []
    for i, j, rs, cs, text in cells:
        start, end = index[j], index[j + cs]
        if end > start:
            out.append((i, start, rs, end - start, text))
    return out


def _blocks(blocks: Sequence[str]) -> list[str | list[tuple[int, int, int, int, str]]]:
    return [_without_phantom_columns(_grid(b)) if b.lstrip().startswith("<table") else b for b in blocks]


# ----------------------------------------------------------------------------------------------- DOCX


def _fixed_zip(data: bytes) -> bytes:
    """The same package with every entry dated ``FIXED_TIME`` (python-docx stamps the current time)."""
    out = BytesIO()
    with zipfile.ZipFile(BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def _docx_table(document, cells: list[tuple[int, int, int, int, str]]) -> None:
    nrows = max(i + rs for i, _, rs, _, _ in cells)
    ncols = max(j + cs for _, j, _, cs, _ in cells)
    table = document.add_table(rows=nrows, cols=ncols)
    table.style = "Table Grid"
    grid = [list(row.cells) for row in table.rows]  # one pass: table.cell() rescans the whole table
    for i, j, _, _, text in cells:
        grid[i][j].text = text
    for i, j, rs, cs, _ in cells:
        if rs > 1 or cs > 1:
            grid[i][j].merge(grid[min(i + rs, nrows) - 1][min(j + cs, ncols) - 1])


@cache
def report_docx(blocks: tuple[str, ...]) -> bytes:
    """A Word document of the report: one paragraph per text block, tables as Word tables with merges."""
    import docx
    from docx.shared import Pt

    document = docx.Document()
    document.styles["Normal"].font.size = Pt(10)
    props = document.core_properties
    props.created = props.modified = FIXED_TIME
    props.last_modified_by = props.author = "nianbao demo"
    props.revision = 1
    parsed = _blocks(blocks)
    if isinstance(parsed[0], str):
        props.title = parsed[0]
    for block in parsed:
        if isinstance(block, str):
            document.add_paragraph(block)
        else:
            try:
                _docx_table(document, block)
            except Exception:  # noqa: BLE001 - a span layout Word cannot merge: keep the plain grid
                document.element.body.remove(document.tables[-1]._tbl)
                _docx_table(document, [(i, j, 1, 1, text) for i, j, _, _, text in block])
    out = BytesIO()
    document.save(out)
    return _fixed_zip(out.getvalue())


# ------------------------------------------------------------------------------------------------ PDF

PAGE_W, PAGE_H, MARGIN = 595.0, 842.0, 56.0
TEXT_SIZE, TABLE_SIZE, MIN_TABLE_SIZE = 10.5, 7.0, 4.0
PAD = 2.0


def _hex(text: str) -> str:
    """UTF-16 big-endian, the code units of UniGB-UCS2-H (report text stays within the BMP)."""
    return text.encode("utf-16-be").hex().upper()


def _wrap(text: str, width: float, size: float) -> list[str]:
    """Lines that fit ``width``: ASCII (CIDs 1–95) is half an em wide, everything else one em (DW 1000)."""
    lines, line, used = [], "", 0.0
    for ch in text:
        em = 0.5 if ch < "\x7f" else 1.0
        if line and used + em * size > width:
            lines.append(line)
            line, used = "", 0.0
        line += ch
        used += em * size
    return [*lines, line]


class _Pages:
    def __init__(self) -> None:
        self.pages: list[list[str]] = [[]]
        self.y = PAGE_H - MARGIN

    def need(self, height: float) -> None:
        if self.y - height < MARGIN and self.pages[-1]:
            self.pages.append([])
            self.y = PAGE_H - MARGIN

    def text(self, x: float, y: float, line: str, size: float) -> None:
        self.pages[-1].append(f"BT /F1 {size:g} Tf {x:.2f} {y:.2f} Td <{_hex(line)}> Tj ET")

    def rect(self, x: float, y: float, w: float, h: float) -> None:
        self.pages[-1].append(f"{x:.2f} {y:.2f} {w:.2f} {h:.2f} re S")


def _pdf_paragraph(pages: _Pages, text: str) -> None:
    lead = TEXT_SIZE * 1.6
    for line in _wrap(text, PAGE_W - 2 * MARGIN, TEXT_SIZE):
        pages.need(lead)
        pages.y -= lead
        pages.text(MARGIN, pages.y + 0.3 * lead, line, TEXT_SIZE)
    pages.y -= TEXT_SIZE * 0.4


def _table_layout(cells: list[tuple[int, int, int, int, str]], size: float) -> tuple[float, list[float]]:
    """(column width, row heights) for one font size: each row high enough for its cells' wrapped text."""
    nrows = max(i + rs for i, _, rs, _, _ in cells)
    ncols = max(j + cs for _, j, _, cs, _ in cells)
    col_w = (PAGE_W - 2 * MARGIN) / ncols
    lead = size * 1.3
    heights = [lead + 2 * PAD] * nrows
    for i, _, rs, cs, text in sorted(cells, key=lambda c: c[2]):
        rs = min(rs, nrows - i)
        need = len(_wrap(text, cs * col_w - 2 * PAD, size)) * lead + 2 * PAD
        have = sum(heights[i:i + rs])
        if need > have:
            heights[i + rs - 1] += need - have
    return col_w, heights


def _pdf_table(pages: _Pages, cells: list[tuple[int, int, int, int, str]]) -> None:
    """A ruled table kept on one page (smaller type when it would not fit), so a reader sees it whole."""
    size = TABLE_SIZE
    col_w, heights = _table_layout(cells, size)
    while sum(heights) > PAGE_H - 2 * MARGIN and size > MIN_TABLE_SIZE:
        size -= 0.5
        col_w, heights = _table_layout(cells, size)
    pages.need(sum(heights))
    tops = [pages.y]
    for h in heights:
        tops.append(tops[-1] - h)
    lead = size * 1.3
    for i, j, rs, cs, text in cells:
        rs = min(rs, len(heights) - i)
        x, top, bottom = MARGIN + j * col_w, tops[i], tops[i + rs]
        pages.rect(x, bottom, cs * col_w, top - bottom)
        for k, line in enumerate(_wrap(text, cs * col_w - 2 * PAD, size)):
            pages.text(x + PAD, top - PAD - (k + 1) * lead + 0.3 * lead, line, size)
    pages.y = tops[-1] - TEXT_SIZE


def _pdf_file(pages: list[list[str]], title: str) -> bytes:
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    font = add(b"")  # filled once the descendant font exists
    descriptor = add(b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] "
                     b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>")
    cid = add(b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
              b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> "
              b"/FontDescriptor %d 0 R /DW 1000 /W [1 95 500] >>" % descriptor)
    objects[font - 1] = (b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light-UniGB-UCS2-H "
                         b"/Encoding /UniGB-UCS2-H /DescendantFonts [%d 0 R] >>" % cid)
    pages_id = add(b"")
    kids = []
    for ops in pages:
        stream = zlib.compress("\n".join(ops).encode("ascii"), 9)
        content = add(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream")
        kids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %g %g] /Contents %d 0 R "
                        b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (pages_id, PAGE_W, PAGE_H, content, font)))
    objects[pages_id - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
    info = add(b"<< /Title <FEFF%s> /Producer (nianbao demo portal) /CreationDate (D:%s) >>"
               % (_hex(title).encode("ascii"), FIXED_TIME.strftime("%Y%m%d%H%M%S").encode("ascii")))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, catalog, info, xref)
    return bytes(out)


@cache
def report_pdf(blocks: tuple[str, ...]) -> bytes:
    """A PDF of the report: text blocks as wrapped lines, tables as ruled grids with merged cells."""
    pages = _Pages()
    parsed = _blocks(blocks)
    for block in parsed:
        if isinstance(block, str):
            _pdf_paragraph(pages, block)
        else:
            _pdf_table(pages, block)
    return _pdf_file(pages.pages, parsed[0] if isinstance(parsed[0], str) else "")


def report_document(kind: str, blocks: tuple[str, ...]) -> bytes:
    """The attachment of ``kind`` (pdf or docx) made from a report's blocks."""
    return {"pdf": report_pdf, "docx": report_docx}[kind](blocks)
