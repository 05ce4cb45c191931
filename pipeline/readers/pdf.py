"""PDF reports: pdfplumber text + ruled tables, with a fallback chain for broken text layers.

Government PDFs made from WPS/Word often use CID fonts without a ToUnicode map, so pdfminer yields
"(cid:123)" placeholders or U+FFFD; scans have no text layer at all. Per page: pdfplumber text →
pypdfium2 text (decodes some fonts pdfminer cannot) → OCR of the rendered page.
"""

from __future__ import annotations

import re
from io import BytesIO

from pipeline.readers.base import ExtractedDocument, Table
from pipeline.readers.office import UnreadableDocument

_CID = re.compile(r"\(cid:\d+\)")
_CJK = re.compile(r"[\u3400-\u9fff]")
_MIN_VISIBLE = 20  # fewer visible characters than this on a page with images ⇒ treat the page as scanned


def text_is_usable(text: str) -> bool:
    """True when a page's text layer is real text, not CID placeholders, U+FFFD or a near-empty stub."""
    cids = len(_CID.findall(text))
    cleaned = _CID.sub("", text)
    visible = re.sub(r"\s", "", cleaned)
    bad = cids + visible.count("\ufffd")
    if len(visible) - visible.count("\ufffd") < _MIN_VISIBLE:
        return False
    return bad / (bad + len(visible)) < 0.05


def join_cell_lines(text: str) -> str:
    """Undo line wrapping inside a cell: CJK fragments join without a space, Latin/digits with one."""
    parts = [p.strip() for p in text.splitlines() if p.strip()]
    if not parts:
        return ""
    out = parts[0]
    for part in parts[1:]:
        if _CJK.match(out[-1]) or _CJK.match(part[0]) or out[-1] in "（(、，：:" or part[0] in "）)、，：:":
            out += part
        else:
            out += " " + part
    return out


def _expanded_tables(page) -> list[Table]:
    """pdfplumber leaves cells covered by a merged cell as None; repeat the merged cell's text there,
    and keep which slots came from one cell (``Table.ids``) so a merged cell is not read as several."""
    grids = []
    for table in page.find_tables():
        raw = table.extract()
        rows = table.rows
        if not rows:
            continue
        xs = sorted({cell[0] for cell in table.cells})
        origin_text: dict[tuple, str] = {}
        cell_id: dict[tuple, int] = {}
        for i, row in enumerate(rows):
            for j, bbox in enumerate(row.cells):
                if bbox is not None:
                    origin_text[bbox] = join_cell_lines(raw[i][j] or "")
                    cell_id.setdefault(bbox, len(cell_id))
        grid, ids = [], []
        for row in rows:
            top = next(c[1] for c in row.cells if c is not None)
            line, line_ids = [], []
            for j, bbox in enumerate(row.cells):
                if bbox is None:
                    x = xs[j] if j < len(xs) else None
                    bbox = next(
                        (c for c in table.cells if x is not None and c[0] <= x < c[2] and c[1] <= top < c[3]),
                        None,
                    )
                line.append(origin_text.get(bbox, "") if bbox else "")
                line_ids.append(cell_id.setdefault(bbox, len(cell_id)) if bbox else -1)
            grid.append(line)
            ids.append(line_ids)
        width = max(len(r) for r in grid)
        grids.append(Table(rows=[r + [""] * (width - len(r)) for r in grid],
                           ids=[r + [-1] * (width - len(r)) for r in ids]))
    return grids


def _pdfium_page_texts(data: bytes) -> list[str]:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        return [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    finally:
        pdf.close()


def read_pdf(data: bytes) -> ExtractedDocument:
    """Text and tables of every page; OCR only the pages whose text layer is missing or garbled."""
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    try:
        pdf = pdfplumber.open(BytesIO(data))
    except Exception as exc:  # pdfminer raises assorted errors on corrupt files
        causes = (exc, exc.__context__, *exc.args)
        if any(isinstance(c, PDFPasswordIncorrect | PDFEncryptionError) for c in causes):
            raise UnreadableDocument("encrypted PDF: a password is needed to open it") from exc
        raise UnreadableDocument(f"corrupt PDF: {type(exc).__name__}: {exc}") from exc
    page_texts: list[str | None] = []
    tables: list[Table] = []
    warnings: list[str] = []
    meta: dict[str, str] = {}
    with pdf:
        for key in ("Title", "Author", "Creator", "Producer", "CreationDate", "ModDate"):
            value = pdf.metadata.get(key)
            if isinstance(value, str) and value.strip():
                meta[f"pdf_{key}"] = value.strip()
        meta["pages"] = str(len(pdf.pages))
        has_images: list[bool] = []
        for n, page in enumerate(pdf.pages, start=1):
            try:
                text = page.extract_text() or ""
            except Exception as exc:  # a single broken content stream should not lose the other pages
                warnings.append(f"page {n}: text extraction failed ({type(exc).__name__})")
                text = ""
            has_images.append(bool(page.images))
            if text_is_usable(text):
                page_texts.append(text)
                for k, grid in enumerate(_expanded_tables(page), start=1):
                    grid.origin = f"pdf page {n} table {k}"
                    tables.append(grid)
            else:
                page_texts.append(None)
    bad_pages = [i for i, t in enumerate(page_texts) if t is None]
    if bad_pages:
        try:
            pdfium_texts = _pdfium_page_texts(data)
        except Exception as exc:
            warnings.append(f"pypdfium2 could not open the file ({type(exc).__name__})")
            pdfium_texts = []
        for i in list(bad_pages):
            if i < len(pdfium_texts) and text_is_usable(pdfium_texts[i]):
                page_texts[i] = pdfium_texts[i]
                bad_pages.remove(i)
                warnings.append(f"page {i + 1}: text from pypdfium2 (pdfminer text garbled); tables not read")
    source_format = "pdf_text"
    scan_pages = [i for i in bad_pages if has_images[i]]
    if scan_pages:
        from pipeline.readers.image import ocr_available, ocr_pdf_pages

        if not ocr_available():
            if len(scan_pages) == len(page_texts) or all(t is None for t in page_texts):
                raise UnreadableDocument("scanned PDF (no usable text layer); OCR engine not installed")
            warnings.append(
                f"pages {[i + 1 for i in scan_pages]} have no usable text layer; OCR engine not installed"
            )
        else:
            for i, (text, mean_score) in ocr_pdf_pages(data, scan_pages).items():
                page_texts[i] = text
                warnings.append(
                    f"page {i + 1}: OCR text (mean confidence {mean_score:.2f}); tables not reconstructed"
                )
            if len(scan_pages) * 2 >= len(page_texts):
                source_format = "pdf_scan"
    if all(not t for t in page_texts):
        raise UnreadableDocument("PDF has no text layer and no images to OCR")
    text = "\n".join(t for t in page_texts if t)
    return ExtractedDocument(
        text=text, tables=tables, source_format=source_format, meta=meta, warnings=warnings
    )
