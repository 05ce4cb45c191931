"""Generate the hostile-input corpus of issue 13: documents that once crashed, hung or exhausted the parser.

Every case is built here from its description (nothing is downloaded), so the corpus is reproducible and
small on disk. ``python -m tests.hostile.corpus OUT_DIR`` writes them as files; the tests call
:func:`cases` directly.

Each case says what a user must see: ``handled`` — a real parse status (ok, no_tables, not_a_report,
unreadable) reached well within the budget; ``contained`` — any recorded status, a budget reason
included, and the next document still parses.
"""

from __future__ import annotations

import hashlib
import io
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SEED_TEXT = Path(__file__).resolve().parents[1] / "fixtures" / "seed" / "yongding-2018.txt"
REPORT_TITLE = "张家界市永定区2018年政府信息公开工作年度报告"


@dataclass(frozen=True)
class Case:
    name: str
    filename: str
    content_type: str | None
    build: Callable[[], bytes]
    expect: str  # handled / contained
    why: str
    status: str | None = None  # the parse_status a handled case must end with, when it is known
    reason: str | None = None  # … and words its parse_reason must contain


# -- spreadsheets -----------------------------------------------------------------------------------
_CT = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
       '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
       '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
       '<Default Extension="xml" ContentType="application/xml"/>'
       '<Override PartName="/xl/workbook.xml" '
       'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
       '<Override PartName="/xl/worksheets/sheet1.xml" '
       'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
         '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
         'officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WB = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
       '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
       '<sheets><sheet name="统计表" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WB_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'worksheet" Target="worksheets/sheet1.xml"/></Relationships>')


def sparse_xlsx(dimension: str = "A1:XFD1048576", cells: tuple[str, ...] = ("A1", "B2")) -> bytes:
    """A workbook whose sheet declares (or, with a far cell, really spans) 2^34 cells."""
    rows: dict[int, list[str]] = {}
    for ref in cells:
        row = int("".join(ch for ch in ref if ch.isdigit()))
        rows.setdefault(row, []).append(f'<c r="{ref}" t="inlineStr"><is><t>政府信息公开</t></is></c>')
    sheet_data = "".join(f'<row r="{r}">{"".join(cs)}</row>' for r, cs in sorted(rows.items()))
    sheet = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             f'<dimension ref="{dimension}"/><sheetData>{sheet_data}</sheetData></worksheet>')
    return _zip({"[Content_Types].xml": _CT, "_rels/.rels": _RELS, "xl/workbook.xml": _WB,
                 "xl/_rels/workbook.xml.rels": _WB_RELS, "xl/worksheets/sheet1.xml": sheet})


def _zip(parts: dict[str, str | bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in parts.items():
            zf.writestr(name, body)
    return buf.getvalue()


# -- DOCX -------------------------------------------------------------------------------------------
_DOCX_CT = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
            '</Types>')
_DOCX_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
              '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
              '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
              'officeDocument" Target="word/document.xml"/></Relationships>')
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def docx_table(grid_before: int = 0, grid_span: int = 1, rows: int = 3, body_text: str = REPORT_TITLE) -> bytes:
    """A DOCX with one table whose rows declare ``gridBefore`` / ``gridSpan`` (Word allows 63 columns)."""
    def cell(text: str, span: int) -> str:
        pr = f'<w:tcPr><w:gridSpan w:val="{span}"/></w:tcPr>' if span != 1 else ""
        return f"<w:tc>{pr}<w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:tc>"

    trpr = f'<w:trPr><w:gridBefore w:val="{grid_before}"/></w:trPr>' if grid_before else ""
    trs = "".join(f"<w:tr>{trpr}{cell('本年新收政府信息公开申请数量', grid_span)}{cell(str(r), 1)}</w:tr>"
                  for r in range(rows))
    doc = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{_W}"><w:body>'
           f"<w:p><w:r><w:t>{body_text}</w:t></w:r></w:p><w:tbl>{trs}</w:tbl></w:body></w:document>")
    return _zip({"[Content_Types].xml": _DOCX_CT, "_rels/.rels": _DOCX_RELS, "word/document.xml": doc})


def docx_bomb(inflated: int = 300 * 1024 * 1024) -> bytes:
    """A DOCX whose document.xml inflates to 300 MB of whitespace inside a paragraph (about 300 KB zipped)."""
    pad = b" " * (1024 * 1024)
    head = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{_W}"><w:body>'
            f"<w:p><w:r><w:t>{REPORT_TITLE}").encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _DOCX_CT)
        zf.writestr("_rels/.rels", _DOCX_RELS)
        with zf.open("word/document.xml", "w", force_zip64=True) as fh:
            fh.write(head)
            for _ in range(inflated // len(pad)):
                fh.write(pad)
            fh.write(b"</w:t></w:r></w:p></w:body></w:document>")
    return buf.getvalue()


# -- HTML -------------------------------------------------------------------------------------------
def _page(body: str) -> bytes:
    return (f'<html><head><meta charset="utf-8"><title>{REPORT_TITLE}</title></head><body><h1>{REPORT_TITLE}</h1>'
            f"{body}</body></html>").encode()


def crumb_page(size: int = 88_000) -> bytes:
    """A page of unclosed ``<p`` starts: every one was tried against the rest of the page."""
    return _page("<p " * (size // 3))


def rowspan_page(rows: int = 60, cols: int = 80) -> bytes:
    """Every cell spans all rows below it: the carried cells push each row past the 80-column clamp."""
    first = "".join(f'<td rowspan="{rows}">{c}</td>' for c in range(cols))
    rest = "".join(f"<tr>{'<td>1</td>' * cols}</tr>" for _ in range(rows - 1))
    return _page(f"<table><tr>{first}</tr>{rest}</table>")


def big_table_page(rows: int = 50_000, cols: int = 8) -> bytes:
    body = "".join(f"<tr><td>第{r}行</td>{'<td>0</td>' * (cols - 1)}</tr>" for r in range(rows))
    return _page(f"<table>{body}</table>")


# -- flattened text ---------------------------------------------------------------------------------
def seed_text() -> str:
    return SEED_TEXT.read_text(encoding="utf-8")


def trailing_numbers_text() -> bytes:
    """A real text report plus one line the label/number splitter backtracked on (47 s)."""
    return (seed_text() + "\n涉及条款 " + ",".join(str(i) for i in range(1, 14)) + "条\n").encode()


def dates_line() -> bytes:
    return "发文日期 2019.01.15,2019.03.20,2019.06.30等\n".encode()


def glued_digit_run(digits: int = 28) -> bytes:
    """A glued table 四 (15 cells) whose run is ``digits`` long: every split was enumerated (185 s at 28)."""
    head = ("四、因政府信息公开工作被申请行政复议、提起行政诉讼情况 行政复议 行政诉讼 结果维持 结果纠正 其他结果 "
            "尚未审结 总计 未经复议直接起诉 复议后起诉 结果维持 结果纠正 其他结果 尚未审结 总计 ")
    run = ("1234567890" * 3)[:digits]
    return f"{REPORT_TITLE}\n{head * 2}{run}\n".encode()


# -- images and PDFs ----------------------------------------------------------------------------------
def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def pixel_bomb_png(side: int = 30_000) -> bytes:
    """A 1-bit greyscale PNG of side² pixels (900 M at 30,000) in ~140 KB."""
    row = b"\x00" + b"\xff" * ((side + 7) // 8)
    comp = zlib.compressobj(9)
    idat = b"".join(comp.compress(row) for _ in range(side)) + comp.flush()
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0))
            + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b""))


def rgba_png_at_bound(side: int = 8000) -> bytes:
    """A white 8-bit RGBA PNG of side² pixels (64 M at 8,000: just inside the OCR pixel bound), which Pillow
    decodes whole (256 MB) before it can be shrunk to the OCR size."""
    row = b"\x00" + b"\xff" * (4 * side)
    comp = zlib.compressobj(6)
    idat = b"".join(comp.compress(row) for _ in range(side)) + comp.flush()
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 6, 0, 0, 0))
            + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b""))


def scanned_pdf(pages: int = 200) -> bytes:
    """A PDF of ``pages`` image-only pages (no text layer): each page would be rendered and OCRed."""
    from PIL import Image, ImageDraw

    images = []
    for n in range(pages):
        im = Image.new("L", (600, 800), 255)
        ImageDraw.Draw(im).rectangle((50, 50 + n % 100, 550, 120 + n % 100), fill=0)
        images.append(im)
    buf = io.BytesIO()
    images[0].save(buf, "PDF", save_all=True, append_images=images[1:], resolution=72)
    return buf.getvalue()


def encrypted_pdf() -> bytes:
    """A one-page PDF under the standard security handler with a user password nobody knows (its /U entry
    matches no password), as a portal's "protected" attachment is."""
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
            b"<< /Filter /Standard /V 1 /R 2 /O <" + hashlib.sha256(b"owner").hexdigest().encode() + b"> /U <"
            + hashlib.sha256(b"user").hexdigest().encode() + b"> /P -44 >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    fid = hashlib.md5(b"nianbao").hexdigest().encode()
    out += b"trailer\n<< /Size %d /Root 1 0 R /Encrypt 4 0 R /ID [<%s> <%s>] >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objs) + 1, fid, fid, xref)
    return bytes(out)


# -- Word "web page" .doc files ---------------------------------------------------------------------
REAL_PAGE = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "pingtan" / "t20220208_80613.htm"


def doc_html() -> bytes:
    """A real report page saved under a .doc name and served as application/msword."""
    return REAL_PAGE.read_bytes()


def doc_mht() -> bytes:
    """The same page as Word's MHT web archive (MIME multipart/related, quoted-printable HTML part)."""
    from email.charset import QP, Charset
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText

    from pipeline.decode import decode

    utf8 = Charset("utf-8")
    utf8.body_encoding = QP
    archive = MIMEMultipart("related")
    archive.attach(MIMEText(decode(REAL_PAGE.read_bytes(), "text/html").text, "html", utf8))
    return archive.as_bytes()


# -- the corpus ---------------------------------------------------------------------------------------
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DOC = "application/msword"

CASES: tuple[Case, ...] = (
    Case("sparse-xlsx-dimension", "tj.xlsx", XLSX, sparse_xlsx, "handled",
         "6.5 KB XLSX declaring A1:XFD1048576: python-calamine aborted the process (SIGABRT)"),
    Case("sparse-xlsx-far-cell", "tj2.xlsx", XLSX, lambda: sparse_xlsx("A1:A1", ("A1", "XFD1048576")), "handled",
         "a real cell at XFD1048576 under a lying A1:A1 dimension: the dense grid is 2^34 cells"),
    Case("docx-gridbefore-1e8", "nb.docx", DOCX, lambda: docx_table(grid_before=10**8), "handled",
         "gridBefore 10^8: OOM-killed at 8 GB"),
    Case("docx-gridspan-1e6", "nb2.docx", DOCX, lambda: docx_table(grid_span=10**6, rows=5), "handled",
         "gridSpan 10^6: 6.9 GB"),
    Case("docx-zip-bomb", "nb3.docx", DOCX, docx_bomb, "handled",
         "document.xml inflating to 300 MB: read whole by python-docx", status="unreadable", reason="byte bound"),
    Case("html-rowspan-past-clamp", "t1.html", "text/html", rowspan_page, "handled",
         "row-spans carried past the 80-column clamp"),
    Case("html-crumb-88kb", "t2.html", "text/html", crumb_page, "handled",
         "breadcrumb regex quadratic on an 88 KB page (39 s)"),
    Case("text-trailing-numbers", "t3.txt", "text/plain", trailing_numbers_text, "handled",
         "涉及条款 1,2,3,…,13条 after a real text report (47 s)"),
    Case("text-dates-line", "t4.txt", "text/plain", dates_line, "handled",
         "发文日期 2019.01.15,2019.03.20,2019.06.30等 (374 s)"),
    Case("text-glued-24-digits", "t5.txt", "text/plain", lambda: glued_digit_run(24), "handled",
         "glued table 四 with a 24-digit run (13 s)"),
    Case("text-glued-28-digits", "t6.txt", "text/plain", lambda: glued_digit_run(28), "handled",
         "glued table 四 with a 28-digit run (185 s)"),
    Case("png-pixel-bomb", "scan.png", "image/png", pixel_bomb_png, "handled",
         "900 M pixels in 140 KB"),
    Case("png-144m-pixels", "scan2.png", "image/png", lambda: pixel_bomb_png(12_000), "handled",
         "144 M pixels: under Pillow's bomb limit, decoded and OCRed whole", status="unreadable",
         reason="pixel bound"),
    Case("png-64m-rgba-at-bound", "scan3.png", "image/png", rgba_png_at_bound, "handled",
         "64 M RGBA pixels, inside the pixel bound: decoded (256 MB), shrunk and OCRed within the memory budget",
         status="unreadable", reason="no recognisable text"),
    Case("pdf-encrypted", "P020230101.pdf", "application/pdf", encrypted_pdf, "handled",
         "a password-protected PDF was called corrupt", status="unreadable", reason="encrypted PDF"),
    Case("doc-that-is-html", "P020220208.doc", DOC, doc_html, "handled",
         "a .doc that is an HTML page was sent to the Word reader and never parsed", status="ok"),
    Case("doc-that-is-mht", "P020220209.doc", DOC, doc_mht, "handled",
         "a .doc that is an MHT web archive was sent to the Word reader and never parsed", status="ok"),
    Case("html-table-50000-rows", "t7.html", "text/html", big_table_page, "contained",
         "a 50,000-row table (124 s): every distinct row label is fuzzy-matched (templates._fuzzy_cached)"),
    Case("pdf-scan-200-pages", "scan.pdf", "application/pdf", scanned_pdf, "contained",
         "200 image-only pages, each rendered and OCRed (over 600 s)"),
)


def cases() -> dict[str, Case]:
    return {c.name: c for c in CASES}


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "hostile-corpus")
    out.mkdir(parents=True, exist_ok=True)
    for case in CASES:
        path = out / f"{case.name}-{case.filename}"
        path.write_bytes(case.build())
        print(f"{path}\t{path.stat().st_size}\t{case.expect}\t{case.why}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
