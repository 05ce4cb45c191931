"""Content-addressed raw document store: ``<root>/ab/abcdef….<ext>``, written once, never overwritten.

Every later stage re-reads bytes from here, so a parser fix can be re-run over the archive without
re-crawling. Writes go to a temporary file and are renamed into place, so a crash never leaves a
half-written document under a valid hash.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

_EXT_BY_TYPE = {
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "text/plain": ".txt",
    "application/pdf": ".pdf",
    "application/msword": ".doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "application/json": ".json",
    "application/xml": ".xml",
    "text/xml": ".xml",
}
_KNOWN_EXTS = {".html", ".htm", ".txt", ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".jpg", ".jpeg", ".png", ".wps"}


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def extension_for(content_type: str | None, url: str | None = None) -> str:
    """File extension from the media type, else from the URL path, else ``.bin``."""
    if content_type:
        ext = _EXT_BY_TYPE.get(content_type.split(";")[0].strip().lower())
        if ext:
            return ext
    if url:
        suffix = Path(url.split("?")[0].split("#")[0]).suffix.lower()
        if suffix in _KNOWN_EXTS:
            return ".html" if suffix == ".htm" else suffix
    return ".bin"


class RawStore:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path_for(self, sha256: str, ext: str) -> Path:
        return self.root / sha256[:2] / f"{sha256}{ext}"

    def put(self, data: bytes, ext: str = ".bin") -> tuple[str, Path]:
        """Store bytes; returns (sha256, path). Existing content is left untouched."""
        digest = sha256_hex(data)
        path = self.path_for(digest, ext)
        if path.exists():
            return digest, path
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest, path

    def find(self, sha256: str) -> Path | None:
        folder = self.root / sha256[:2]
        if not folder.is_dir():
            return None
        for candidate in folder.glob(f"{sha256}.*"):
            return candidate
        return None

    def get(self, sha256: str) -> bytes:
        path = self.find(sha256)
        if path is None:
            raise FileNotFoundError(f"no raw document {sha256} under {self.root}")
        return path.read_bytes()
