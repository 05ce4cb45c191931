"""PDF reports: text and ruled tables from PDFium's objects, pdfplumber for the pages PDFium cannot serve.

Government PDFs made from WPS/Word often use CID fonts without a ToUnicode map, so a text layer can be
"(cid:123)" placeholders or U+FFFD; scans have no text layer at all.

pdfminer (pure Python, under pdfplumber) spends most of a page's time interpreting its content stream;
PDFium (C++) does that part natively. So each page is first read from PDFium's characters and path
objects, boxed as pdfminer boxes them (`_PdfiumPage`: LTChar-like char boxes, pdfminer's line/rect/curve
reading of each subpath, form XObjects included) and handed to pdfplumber's own text layout and table
finder: text and grids come from pdfplumber's algorithms, only the object source changes. PDFium suffices
for a page unless (the rule): the page is rotated or its media/crop boxes are not at the origin, a
character is rotated, skewed or mirrored (pdfminer boxes those differently), or the page has characters
but its text is not usable (`text_is_usable`: pdfminer decodes some fonts PDFium cannot). Only those pages
go through pdfplumber; a file PDFium cannot open goes to pdfplumber whole, which words the error
(encrypted / corrupt) as before. A page with no usable text either way gets PDFium's plain text, then OCR.
``ENGINE = "pdfplumber"`` forces the previous pdfplumber-first reader (the parity reference).
"""

from __future__ import annotations

import ctypes
import re
from io import BytesIO

from pipeline.readers.base import ExtractedDocument, Table
from pipeline.readers.office import UnreadableDocument

ENGINE = "pdfium"  # "pdfplumber": every page through pdfplumber first (the previous reader; parity reference)

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


# -- PDFium pages in pdfplumber's terms ---------------------------------------------------------------


class _Unsupported(Exception):
    """PDFium's objects of this page cannot be laid out the way pdfminer would: read it with pdfplumber."""


class _PdfiumPage:
    """What pdfplumber's text layout and table finder read of a page (``chars``, ``edges``, ``bbox``),
    filled from PDFium: ``_expanded_tables`` and ``extract_text`` work on it as on a pdfplumber page."""

    def __init__(self, chars: list[dict], edges: list[dict], width: float, height: float, images: bool):
        self.chars, self.edges, self.images = chars, edges, images
        self.width, self.height = width, height
        self.bbox = (0, 0, width, height)

    def extract_text(self) -> str:
        from pdfplumber.utils import chars_to_textmap

        return chars_to_textmap(self.chars, layout_bbox=self.bbox, layout_width=self.width,
                                layout_height=self.height).as_string

    def extract_words(self, **kwargs) -> list[dict]:
        from pdfplumber.utils import extract_words

        return extract_words(self.chars, **kwargs)

    def find_tables(self) -> list:
        """pdfplumber's tables; each reads its cells from the characters centred inside it (the only ones
        Table.extract can place), not from the whole page's."""
        from pdfplumber.table import Table as PlumberTable
        from pdfplumber.table import TableFinder, TableSettings

        out = []
        for table in TableFinder(self, TableSettings.resolve(None)).tables:
            x0, top, x1, bottom = table.bbox
            inside = [c for c in self.chars if x0 <= (c["x0"] + c["x1"]) / 2 < x1
                      and top <= (c["top"] + c["bottom"]) / 2 < bottom]
            out.append(PlumberTable(_PdfiumPage(inside, [], self.width, self.height, False), table.cells))
        return out


def _pdfium_chars(page, height: float) -> list[dict]:
    """pdfminer's LTChar boxes from PDFium's characters: x from the pen origin to the advance, y from
    the baseline plus the font's descent to one font size above it (pdfminer's box, not the glyph's)."""
    import pypdfium2.raw as pdfium_c

    textpage = page.get_textpage()
    try:
        raw = textpage.raw
        box, matrix = pdfium_c.FS_RECTF(), pdfium_c.FS_MATRIX()
        ox, oy, descent_out = ctypes.c_double(), ctypes.c_double(), ctypes.c_float()
        current: int | None = -1
        d = size = descent = 0.0
        chars = []
        for i in range(pdfium_c.FPDFText_CountChars(raw)):
            if pdfium_c.FPDFText_IsGenerated(raw, i) != 0:  # spaces and line breaks PDFium inferred
                continue
            code = pdfium_c.FPDFText_GetUnicode(raw, i)
            text = "\ufffd" if code == 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF else chr(code)
            obj = pdfium_c.FPDFText_GetTextObject(raw, i)
            key = ctypes.c_void_p.from_buffer(obj).value
            if key != current:  # matrix, size and font are the text object's: read once per object
                current = key
                pdfium_c.FPDFText_GetMatrix(raw, i, matrix)
                if matrix.b or matrix.c or matrix.a <= 0 or matrix.d <= 0:
                    raise _Unsupported("rotated, skewed or mirrored text")
                d = matrix.d
                size = d * pdfium_c.FPDFText_GetFontSize(raw, i)
                font = pdfium_c.FPDFTextObj_GetFont(obj) if key else None
                ok = font and pdfium_c.FPDFFont_GetDescent(font, 1000.0, descent_out)
                descent = min(descent_out.value, 0.0) / 1000 if ok else 0.0
            pdfium_c.FPDFText_GetCharOrigin(raw, i, ox, oy)
            pdfium_c.FPDFText_GetLooseCharBox(raw, i, box)
            y0 = oy.value + descent * size
            x0 = ox.value
            x1 = max(box.left, box.right, x0)
            top = height - (y0 + size)
            chars.append({"text": text, "x0": x0, "x1": x1, "top": top, "bottom": top + size, "doctop": top,
                          "width": x1 - x0, "height": size, "size": size, "upright": True})
        return chars
    finally:
        textpage.close()


def _edge(x0: float, top: float, x1: float, bottom: float, orientation: str, kind: str) -> dict:
    return {"x0": x0, "x1": x1, "top": top, "bottom": bottom, "doctop": top, "width": x1 - x0,
            "height": bottom - top, "orientation": orientation, "object_type": kind}


def _subpath_objects(ops: list[tuple[str, float, float]], height: float, out: dict[str, list[dict]]) -> None:
    """pdfminer's reading of one subpath (PDFLayoutAnalyzer.paint_path: a line, an axis-aligned rectangle
    or a curve through its points) as pdfplumber's edges of it."""
    shape = "".join(op for op, _, _ in ops)
    pts = [(x, y) if op != "h" else (ops[0][1], ops[0][2]) for op, x, y in ops]
    if len(shape) > 3 and shape[-2:] == "lh" and pts[-2] == pts[0]:
        shape = shape[:-2] + "h"
        pts.pop()
    if shape in ("mlh", "ml"):
        (xa, ya), (xb, yb) = pts[0], pts[1]
        top, bottom = height - max(ya, yb), height - min(ya, yb)
        out["line"].append(_edge(min(xa, xb), top, max(xa, xb), bottom, "h" if top == bottom else "v", "line"))
        return
    if shape in ("mlllh", "mllll"):
        (x0, y0), (x1, y1), (x2, y2), (x3, y3), _ = pts
        if pts[0] == pts[4] and ((x0 == x1 and y1 == y2 and x2 == x3 and y3 == y0)
                                 or (y0 == y1 and x1 == x2 and y2 == y3 and x3 == x0)):
            left, right = min(x0, x2), max(x0, x2)
            top, bottom = height - max(y0, y2), height - min(y0, y2)
            out["rect"] += [_edge(left, top, right, top, "h", "rect_edge"),
                            _edge(left, bottom, right, bottom, "h", "rect_edge"),
                            _edge(left, top, left, bottom, "v", "rect_edge"),
                            _edge(right, top, right, bottom, "v", "rect_edge")]
            return
    flipped = [(x, height - y) for x, y in pts]
    for (xa, ta), (xb, tb) in zip(flipped, flipped[1:], strict=False):
        orientation = "v" if xa == xb else "h" if ta == tb else None
        if orientation:
            out["curve"].append(_edge(min(xa, xb), min(ta, tb), max(xa, xb), max(ta, tb), orientation, "curve_edge"))


def _pdfium_edges(page, height: float) -> tuple[list[dict], bool]:
    """(pdfplumber's ``page.edges`` from PDFium's path objects, whether the page shows any image), form
    XObjects included."""
    import pypdfium2.raw as pdfium_c

    out: dict[str, list[dict]] = {"line": [], "rect": [], "curve": []}
    images = False
    fx, fy, m = ctypes.c_float(), ctypes.c_float(), pdfium_c.FS_MATRIX()

    def walk(count: int, get, parent: tuple[float, ...]) -> None:
        nonlocal images
        for k in range(count):
            obj = get(k)
            kind = pdfium_c.FPDFPageObj_GetType(obj)
            if kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
                images = True
            elif kind in (pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_FORM):
                if not pdfium_c.FPDFPageObj_GetMatrix(obj, m):
                    raise _Unsupported("object without a matrix")
                pa, pb, pc, pd, pe, pf = parent
                a, b, c, d = m.a * pa + m.b * pc, m.a * pb + m.b * pd, m.c * pa + m.d * pc, m.c * pb + m.d * pd
                e, f = m.e * pa + m.f * pc + pe, m.e * pb + m.f * pd + pf
                if kind == pdfium_c.FPDF_PAGEOBJ_FORM:
                    walk(pdfium_c.FPDFFormObj_CountObjects(obj),
                         lambda j, o=obj: pdfium_c.FPDFFormObj_GetObject(o, j), (a, b, c, d, e, f))
                    continue
                ops: list[tuple[str, float, float]] = []
                beziers = 0
                for s in range(pdfium_c.FPDFPath_CountSegments(obj)):
                    seg = pdfium_c.FPDFPath_GetPathSegment(obj, s)
                    pdfium_c.FPDFPathSegment_GetPoint(seg, fx, fy)
                    x, y = fx.value, fy.value
                    x, y = a * x + c * y + e, b * x + d * y + f
                    op = pdfium_c.FPDFPathSegment_GetType(seg)
                    if op == pdfium_c.FPDF_SEGMENT_MOVETO:
                        if len(ops) > 1:
                            _subpath_objects(ops, height, out)
                        ops, beziers = [("m", x, y)], 0
                    elif op == pdfium_c.FPDF_SEGMENT_LINETO:
                        ops.append(("l", x, y))
                    else:  # a Bézier curve is three segments; pdfminer keeps its end point
                        beziers += 1
                        if beziers % 3 == 0:
                            ops.append(("c", x, y))
                    if pdfium_c.FPDFPathSegment_GetClose(seg):
                        ops.append(("h", 0.0, 0.0))
                if len(ops) > 1 and ops[0][0] == "m":
                    _subpath_objects(ops, height, out)

    walk(pdfium_c.FPDFPage_CountObjects(page.raw), lambda j: pdfium_c.FPDFPage_GetObject(page.raw, j),
         (1.0, 0.0, 0.0, 1.0, 0.0, 0.0))
    return out["line"] + out["rect"] + out["curve"], images


def _pdfium_page(page) -> _PdfiumPage:
    """One page from PDFium, or _Unsupported where its coordinates are not pdfminer's (rotation, boxes
    not at the origin) or a character is not upright."""
    if page.get_rotation() % 360:
        raise _Unsupported("rotated page")
    media = tuple(page.get_mediabox())
    if media[:2] != (0, 0) or tuple(page.get_cropbox()) != media:
        raise _Unsupported("page boxes not at the origin")
    width, height = media[2], media[3]
    edges, images = _pdfium_edges(page, height)
    return _PdfiumPage(_pdfium_chars(page, height), edges, width, height, images)


def _pdfium_page_texts(data: bytes) -> list[str]:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        return [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    finally:
        pdf.close()


# -- the reader ---------------------------------------------------------------------------------------


def _open_pdfplumber(data: bytes):
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    try:
        return pdfplumber.open(BytesIO(data))
    except Exception as exc:  # pdfminer raises assorted errors on corrupt files
        causes = (exc, exc.__context__, *exc.args)
        if any(isinstance(c, PDFPasswordIncorrect | PDFEncryptionError) for c in causes):
            raise UnreadableDocument("encrypted PDF: a password is needed to open it") from exc
        raise UnreadableDocument(f"corrupt PDF: {type(exc).__name__}: {exc}") from exc


def _page_result(page, n: int, warnings: list[str]) -> tuple[str | None, list[Table]]:
    """(text, tables) of a pdfplumber or _PdfiumPage page; text None where its text layer is not usable."""
    try:
        text = page.extract_text() or ""
    except Exception as exc:  # a single broken content stream should not lose the other pages
        warnings.append(f"page {n}: text extraction failed ({type(exc).__name__})")
        text = ""
    if not text_is_usable(text):
        return None, []
    tables = _expanded_tables(page)
    for k, grid in enumerate(tables, start=1):
        grid.origin = f"pdf page {n} table {k}"
    return text, tables


def _read_pdfplumber(data: bytes, pages: list[int] | None, page_texts: list, page_tables: list,
                     has_images: list[bool], meta: dict[str, str], warnings: list[str]) -> None:
    """Fill the given 0-based pages (all when None) from pdfplumber."""
    with _open_pdfplumber(data) as pdf:
        if pages is None:
            for key in ("Title", "Author", "Creator", "Producer", "CreationDate", "ModDate"):
                value = pdf.metadata.get(key)
                if isinstance(value, str) and value.strip():
                    meta[f"pdf_{key}"] = value.strip()
            meta["pages"] = str(len(pdf.pages))
            page_texts[:] = [None] * len(pdf.pages)
            page_tables[:] = [[] for _ in pdf.pages]
            has_images[:] = [False] * len(pdf.pages)
            pages = list(range(len(pdf.pages)))
        for i in pages:
            page = pdf.pages[i]
            page_texts[i], page_tables[i] = _page_result(page, i + 1, warnings)
            has_images[i] = bool(page.images)


def _read_pdfium(data: bytes, page_texts: list, page_tables: list, has_images: list[bool],
                 meta: dict[str, str], warnings: list[str]) -> list[int] | None:
    """Fill every page PDFium suffices for; the 0-based pages left for pdfplumber (None: PDFium could not
    open the file, so pdfplumber reads it all and words any error as before)."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except Exception:  # encrypted or corrupt: pdfplumber's open raises the message users know
        return None
    try:
        info = pdf.get_metadata_dict()
        for key in ("Title", "Author", "Creator", "Producer", "CreationDate", "ModDate"):
            value = info.get(key)
            if isinstance(value, str) and value.strip():
                meta[f"pdf_{key}"] = value.strip()
        count = len(pdf)
        meta["pages"] = str(count)
        page_texts[:] = [None] * count
        page_tables[:] = [[] for _ in range(count)]
        has_images[:] = [False] * count
        rest = []
        for i in range(count):
            handle = None
            try:
                handle = pdf[i]
                page = _pdfium_page(handle)
            except Exception:  # _Unsupported, or a page PDFium fails on: pdfplumber reads it
                rest.append(i)
                continue
            finally:
                if handle is not None:
                    handle.close()  # one page's objects in memory at a time
            has_images[i] = page.images
            page_texts[i], page_tables[i] = _page_result(page, i + 1, [])
            if page_texts[i] is None and page.chars:  # garbled: pdfminer decodes some fonts PDFium cannot
                rest.append(i)
        return rest
    finally:
        pdf.close()


def read_pdf(data: bytes) -> ExtractedDocument:
    """Text and tables of every page; OCR only the pages whose text layer is missing or garbled."""
    page_texts: list[str | None] = []
    page_tables: list[list[Table]] = []
    has_images: list[bool] = []
    warnings: list[str] = []
    meta: dict[str, str] = {}
    rest = None if ENGINE == "pdfplumber" else _read_pdfium(data, page_texts, page_tables, has_images, meta,
                                                             warnings)
    if rest is None:
        _read_pdfplumber(data, None, page_texts, page_tables, has_images, meta, warnings)
    elif rest:
        try:
            _read_pdfplumber(data, rest, page_texts, page_tables, has_images, meta, warnings)
        except UnreadableDocument as exc:  # PDFium read the file; pdfminer cannot open it
            warnings.append(f"pages {[i + 1 for i in rest]}: pdfplumber fallback failed ({exc})")
    tables = [t for page in page_tables for t in page]
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
