"""Content-addressed raw document store: ``<root>/ab/abcdef….<ext>``, written once, never overwritten
with different bytes.

Every later stage re-reads bytes from here, so a parser fix can be re-run over the archive without
re-crawling. Writes go to a temporary file, are fsynced and renamed into place, so a crash never leaves a
half-written document under a valid hash. Reads check the hash: a file edited or damaged on disk is never
parsed as the document it is named after, and storing the same bytes again (a re-download) repairs it.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
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


class CorruptRawDocument(FileNotFoundError):
    """The file stored under a hash does not hash to it: for every reader, that document is not in the store."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class StoreProblem:
    path: Path
    problem: str  # corrupt / misplaced / temporary


class RawStore:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path_for(self, sha256: str, ext: str) -> Path:
        return self.root / sha256[:2] / f"{sha256}{ext}"

    def put(self, data: bytes, ext: str = ".bin") -> tuple[str, Path]:
        """Store bytes; returns (sha256, path). An intact existing copy is left untouched; a corrupt one
        (its content no longer hashes to its name) is replaced: a re-download repairs the store."""
        digest = sha256_hex(data)
        path = self.path_for(digest, ext)
        if path.exists() and file_sha256(path) == digest:
            return digest, path
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest, path

    def candidates(self, sha256: str) -> list[Path]:
        folder = self.root / sha256[:2]
        return sorted(folder.glob(f"{sha256}.*")) if folder.is_dir() else []

    def find(self, sha256: str) -> Path | None:
        found = self.candidates(sha256)
        return found[0] if found else None

    def get(self, sha256: str) -> bytes:
        """The bytes stored under ``sha256``, checked against it (``CorruptRawDocument`` if no copy is intact)."""
        found = self.candidates(sha256)
        if not found:
            raise FileNotFoundError(f"no raw document {sha256} under {self.root}")
        for path in found:
            data = path.read_bytes()
            if sha256_hex(data) == sha256:
                return data
        raise CorruptRawDocument(f"raw document {sha256} is corrupt ({found[0]} hashes to something else)")

    def check(self) -> Iterator[StoreProblem]:
        """Every file of the store that is not an intact document: content that does not hash to its name,
        a file outside its ``ab/`` folder or not named by a hash, and temporary files left by a crash."""
        if not self.root.is_dir():
            return
        for path in sorted(self.root.rglob("*")):
            if not path.is_file():
                continue
            name = path.name
            if name.startswith(".tmp-"):
                yield StoreProblem(path, "temporary")
                continue
            sha = name.split(".", 1)[0]
            if len(sha) != 64 or path.parent.name != sha[:2] or path.parent.parent != self.root:
                yield StoreProblem(path, "misplaced")
            elif file_sha256(path) != sha:
                yield StoreProblem(path, "corrupt")
