"""OCR for images and scanned PDF pages with RapidOCR (PP-OCR models shipped inside the `rapidocr` wheel).

Only an engine whose models ship inside the wheel is acceptable: the pipeline runs offline, so an
engine that downloads weights on first use would fail in production and in CI. `ocr_available()`
therefore checks that the bundled model files are present before the engine is ever built.
OCR yields text lines only (boxes grouped into lines by position); table grids are not rebuilt.
"""

from __future__ import annotations

import functools
from io import BytesIO
from pathlib import Path

from pipeline.readers.base import ExtractedDocument
from pipeline.readers.office import UnreadableDocument

RENDER_DPI = 200
# Bounds before allocation: a scanned report page at 600 DPI is 35 M pixels; reports run to a few dozen
# pages (later pages of a longer scan are left unread and the budget is kept).
MAX_OCR_PIXELS = 64_000_000
MAX_OCR_PAGES = 60
# The long side a page is OCRed at. Text detection's working memory grows with the page's pixels (about
# 500 MB over the engine at RapidOCR's default 2000 px, 400 MB at 1600 px) and recognition reads the line
# crops of that same resized page, so the page is shrunk once, by Pillow, before it is converted and copied
# (a 600 DPI scan's RGB copy alone would be 100 MB) and a PDF page is rendered no larger. 1600 px is 137
# DPI on A4: 10.5 pt characters are about 20 px tall; the real 平潭 pages read the same as at 2000 px.
OCR_MAX_SIDE = 1600
# One inference thread per engine: the parse pool already runs one child per core, and every extra
# onnxruntime thread adds its own stack and scratch buffers to the child's resident memory. No memory
# arena: freed tensors go back to the heap instead of staying reserved for the next page.
_ENGINE_PARAMS = {
    "Global.log_level": "warning",
    "Global.max_side_len": OCR_MAX_SIDE,
    "EngineConfig.onnxruntime.intra_op_num_threads": 1,
    "EngineConfig.onnxruntime.inter_op_num_threads": 1,
    "EngineConfig.onnxruntime.enable_cpu_mem_arena": False,
}


@functools.cache
def _engine():
    from rapidocr import RapidOCR

    return RapidOCR(params=_ENGINE_PARAMS)


def _bounded(image):
    """``image`` with its long side at most OCR_MAX_SIDE (a JPEG is decoded at a reduced scale already)."""
    if max(image.size) <= OCR_MAX_SIDE:
        return image
    scale = OCR_MAX_SIDE / max(image.size)
    return image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                        reducing_gap=2.0)


@functools.cache
def ocr_available() -> bool:
    """True when rapidocr + onnxruntime are installed and the wheel carries its models (no download)."""
    try:
        import onnxruntime  # noqa: F401
        import rapidocr
    except ImportError:
        return False
    models = Path(rapidocr.__file__).parent / "models"
    return models.is_dir() and len(list(models.glob("*.onnx"))) >= 2


def _lines(boxes, txts, scores) -> tuple[list[str], float]:
    """Group OCR boxes into reading-order lines: same line when vertical centres are within half a line."""
    items = []
    for box, text, score in zip(boxes, txts, scores, strict=False):
        ys = [p[1] for p in box]
        xs = [p[0] for p in box]
        items.append(((min(ys) + max(ys)) / 2, max(ys) - min(ys), min(xs), text.strip(), float(score)))
    items = [i for i in items if i[3]]
    if not items:
        return [], 0.0
    items.sort(key=lambda i: (i[0], i[2]))
    lines: list[list[tuple]] = []
    for item in items:
        if lines:
            current = lines[-1]
            centre = sum(i[0] for i in current) / len(current)
            height = max(i[1] for i in current)
            if abs(item[0] - centre) <= max(height, item[1]) / 2:
                current.append(item)
                continue
        lines.append([item])
    text_lines = [" ".join(i[3] for i in sorted(line, key=lambda i: i[2])) for line in lines]
    mean = sum(i[4] for i in items) / len(items)
    return text_lines, mean


def ocr_pil(image) -> tuple[list[str], float]:
    """Text lines and mean confidence of one page image."""
    import numpy as np

    from pipeline.worker import trim_heap

    try:
        result = _engine()(np.asarray(_bounded(image).convert("RGB")))
    finally:
        trim_heap()  # the page's freed tensors go back to the OS: a long scan does not creep upwards
    if result.boxes is None or result.txts is None:
        return [], 0.0
    return _lines(result.boxes, result.txts, result.scores)


def ocr_pdf_pages(data: bytes, pages: list[int]) -> dict[int, tuple[str, float]]:
    """{page index: (text, mean confidence)} for the given 0-based pages, rendered at RENDER_DPI."""
    import pypdfium2 as pdfium

    if not ocr_available():
        raise UnreadableDocument("scanned PDF; OCR engine not installed")
    pdf = pdfium.PdfDocument(data)
    out: dict[int, tuple[str, float]] = {}
    try:
        for i in pages[:MAX_OCR_PAGES]:
            width, height = pdf[i].get_size()  # points; a page may declare 200 × 200 inches
            scale = min(RENDER_DPI / 72, OCR_MAX_SIDE / max(width, height, 1.0))
            image = pdf[i].render(scale=scale).to_pil()
            lines, mean = ocr_pil(image)
            out[i] = ("\n".join(lines), mean)
    finally:
        pdf.close()
    return out


def read_image(data: bytes) -> ExtractedDocument:
    """OCR a PNG/JPEG report page; source_format 'image', confidence reported in warnings and meta."""
    if not ocr_available():
        raise UnreadableDocument("scanned image; OCR engine not installed")
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(BytesIO(data))  # reads the header only: the size is known before decoding
        if image.width * image.height > MAX_OCR_PIXELS:
            raise UnreadableDocument(f"image of {image.width}×{image.height} pixels is over the "
                                     f"{MAX_OCR_PIXELS} pixel bound")
        image.draft(None, (OCR_MAX_SIDE, OCR_MAX_SIDE))  # JPEG: decoded at 1/2, 1/4 or 1/8 scale
        image.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise UnreadableDocument(f"corrupt image: {exc}") from exc
    image = _bounded(image)  # the full decode (256 MB for 64 M RGBA pixels) is freed before OCR starts
    lines, mean = ocr_pil(image)
    if not lines:
        raise UnreadableDocument("image contains no recognisable text")
    return ExtractedDocument(
        text="\n".join(lines),
        source_format="image",
        meta={"ocr_engine": "rapidocr", "ocr_mean_confidence": f"{mean:.3f}"},
        warnings=[f"OCR text (mean confidence {mean:.2f}); tables not reconstructed"],
    )
