"""Entry point for binary report files (PDF, Word, Excel, images): sniff the real format, then read it.

Servers send `application/octet-stream` for everything and old `.doc` files are routinely renamed
`.docx` (and vice versa), so the bytes decide first; the media type and file name only break ties
for formats without a reliable signature.
"""

from __future__ import annotations

import zipfile
from io import BytesIO

from pipeline.readers.base import ExtractedDocument


class UnreadableDocument(Exception):
    """The bytes are not a document this project can read; `reason` is one line for the report log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG = b"\xff\xd8\xff"

_MEDIA_TYPES = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/msword": "doc",
    "application/vnd.ms-excel": "xls",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.text": "odt",
    "application/rtf": "rtf",
    "text/rtf": "rtf",
    "image/png": "png",
    "image/jpeg": "jpeg",
    "image/jpg": "jpeg",
}
_EXTENSIONS = {
    "pdf": "pdf",
    "docx": "docx",
    "xlsx": "xlsx",
    "xlsm": "xlsx",
    "doc": "doc",
    "wps": "doc",
    "xls": "xls",
    "et": "xls",
    "ods": "ods",
    "odt": "odt",
    "rtf": "rtf",
    "png": "png",
    "jpg": "jpeg",
    "jpeg": "jpeg",
}


def _sniff_zip(data: bytes) -> str:
    try:
        with zipfile.ZipFile(BytesIO(data)) as zf:
            names = set(zf.namelist())
            mimetype = zf.read("mimetype").decode("ascii", "ignore").strip() if "mimetype" in names else ""
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnreadableDocument(f"corrupt zip container: {exc}") from exc
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        return "xlsx"
    if mimetype == "application/vnd.oasis.opendocument.spreadsheet":
        return "ods"
    if mimetype == "application/vnd.oasis.opendocument.text":
        return "odt"
    if "ppt/presentation.xml" in names:
        raise UnreadableDocument("PowerPoint presentation (pptx) is not a supported report format")
    raise UnreadableDocument(f"zip archive without a Word/Excel document inside ({len(names)} entries)")


def _sniff_ole(data: bytes) -> str:
    # Stream names sit in the OLE directory as UTF-16LE; a substring search avoids parsing the FAT.
    if "WordDocument".encode("utf-16-le") in data:
        return "doc"
    if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
        return "xls"
    if "PowerPoint Document".encode("utf-16-le") in data:
        raise UnreadableDocument("PowerPoint presentation (ppt) is not a supported report format")
    raise UnreadableDocument("OLE2 container that is neither a Word nor an Excel file")


def sniff(data: bytes, media_type: str | None = None, filename: str | None = None) -> str:
    """Return pdf, docx, xlsx, ods, odt, doc, xls, rtf, png or jpeg; raise UnreadableDocument otherwise."""
    if not data:
        raise UnreadableDocument("empty file")
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return _sniff_zip(data)
    if data.startswith(_OLE2):
        return _sniff_ole(data)
    if data.startswith(_PNG):
        return "png"
    if data.startswith(_JPEG):
        return "jpeg"
    if data.lstrip()[:5] == b"{\\rtf":
        return "rtf"
    lowered = head.lstrip().lower()
    if lowered.startswith((b"<!doctype html", b"<html", b"<?xml", b"mime-version")) or b"<html" in lowered:
        # Word "save as web page" files are often served as .doc; they belong to the HTML reader.
        raise UnreadableDocument("HTML/XML content with a binary file name; route it to the HTML reader")
    mt = (media_type or "").split(";")[0].strip().lower()
    if mt in _MEDIA_TYPES:
        raise UnreadableDocument(
            f"declared {mt} but the bytes have no {_MEDIA_TYPES[mt]} signature (corrupt?)"
        )
    ext = (filename or "").rsplit(".", 1)[-1].lower() if filename and "." in filename else ""
    if ext in _EXTENSIONS:
        raise UnreadableDocument(
            f"named .{ext} but the bytes have no {_EXTENSIONS[ext]} signature (corrupt?)"
        )
    raise UnreadableDocument(f"unrecognised file format (first bytes {data[:8]!r})")


def read_binary(data: bytes, media_type: str | None = None, filename: str | None = None) -> ExtractedDocument:
    """Read a report attachment into text + span-expanded tables, whatever its container."""
    kind = sniff(data, media_type, filename)
    if kind == "pdf":
        from pipeline.readers.pdf import read_pdf

        doc = read_pdf(data)
    elif kind == "docx":
        from pipeline.readers.docx import read_docx

        doc = read_docx(data)
    elif kind in ("xlsx", "xls", "ods"):
        from pipeline.readers.xls import read_spreadsheet

        doc = read_spreadsheet(data)
    elif kind in ("doc", "odt", "rtf"):
        from pipeline.readers.doc import read_doc

        doc = read_doc(data, kind)
    else:
        from pipeline.readers.image import read_image

        doc = read_image(data)
    if filename:
        doc.meta.setdefault("filename", filename)
    if media_type:
        doc.meta.setdefault("media_type", media_type)
    return doc
