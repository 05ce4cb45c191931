"""OCR for images and scanned PDF pages, with RapidOCR when it is installed.

Only an engine whose models ship inside the wheel is acceptable: the pipeline runs offline, so an
engine that downloads weights on first use would fail in production and in CI.
"""

from __future__ import annotations

from pipeline.readers.base import ExtractedDocument
from pipeline.readers.office import UnreadableDocument


def ocr_available() -> bool:
    return False


def ocr_pdf_pages(data: bytes, pages: list[int]) -> dict[int, tuple[str, float]]:
    """{page index: (text, mean confidence)} for the given 0-based pages."""
    raise UnreadableDocument("scanned PDF; OCR engine not installed")


def read_image(data: bytes) -> ExtractedDocument:
    raise UnreadableDocument("scanned image; OCR engine not installed")
