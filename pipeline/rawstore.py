"""Content-addressed raw document store: ``<root>/ab/abcdef….<ext>``, written once, never overwritten
with different bytes.

Every later stage re-reads bytes from here, so a parser fix can be re-run over the archive without
re-crawling. Reads check the hash: a file edited or damaged in the store is never parsed as the document
it is named after, and storing the same bytes again (a re-download) repairs it.

The root is a local folder or an object-storage URI (``s3://bucket/prefix?endpoint_override=host:9000&
scheme=http``, credentials from the usual AWS variables; the same URI form as ``pipeline.dataset``) or
any ``pyarrow.fs`` filesystem: every operation goes through ``pyarrow.fs``, ``LocalFileSystem`` for disk,
so one code path serves both. Only the write differs where the medium does: on disk the bytes go to a
temporary file, are fsynced and renamed into place, so a crash never leaves a half-written document under a
valid hash; on object storage a single PUT is atomic (the object appears whole or not at all), so the
bytes are written to their key directly.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pyarrow.fs as pafs

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
_TEMP = ".tmp-"  # local disk: a write in progress (or left by a crash)
_BLOCK = 1 << 20


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
        for block in iter(lambda: fh.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def is_uri(root: object) -> bool:
    """A root that names object storage (``s3://…``) or any other pyarrow filesystem by URI."""
    return isinstance(root, str) and "://" in root


@dataclass(frozen=True)
class StoreProblem:
    path: Path | str  # a Path on local disk, the object's URI (``s3://bucket/…``) on object storage
    problem: str  # corrupt / misplaced / temporary


class RawStore:
    """The store under ``root``: a local folder, a URI, or a folder of ``filesystem``.

    On local disk ``root`` stays a ``Path`` and every path handed out is a ``Path`` (as before object
    storage); elsewhere paths handed out are URIs without credentials or query (``s3://bucket/raw/ab/….pdf``),
    which is what the crawl manifest records as ``raw_path``."""

    def __init__(self, root: str | os.PathLike[str], filesystem: pafs.FileSystem | None = None) -> None:
        scheme = None
        if is_uri(root) and not str(root).startswith("file://"):
            scheme = str(root).split("://", 1)[0]
            named, root = pafs.FileSystem.from_uri(str(root))
            filesystem = filesystem or named
        elif is_uri(root):
            filesystem, root = pafs.FileSystem.from_uri(str(root))
        self.fs = filesystem or pafs.LocalFileSystem()
        self.local = isinstance(self.fs, pafs.LocalFileSystem)
        if self.local:
            self.root: Path | str = Path(root)
            self._base = os.path.abspath(root)
        else:
            self._base = str(root).rstrip("/")
            self.root = f"{scheme or self.fs.type_name}://{self._base}"

    def __repr__(self) -> str:
        return f"RawStore({str(self.root)!r})"

    # names

    def _key(self, sha256: str, ext: str) -> str:
        return f"{self._base}/{sha256[:2]}/{sha256}{ext}"

    def _public(self, key: str) -> Path | str:
        """What callers see for a key of the filesystem: a Path under ``root`` on disk, else the object's URI."""
        rel = key[len(self._base) + 1:]
        return self.root / rel if isinstance(self.root, Path) else f"{self.root}/{rel}"

    def path_for(self, sha256: str, ext: str) -> Path | str:
        return self._public(self._key(sha256, ext))

    # bytes

    def _read(self, key: str) -> bytes:
        with self.fs.open_input_stream(key) as fh:
            return fh.read()

    def _hash(self, key: str) -> str:
        digest = hashlib.sha256()
        with self.fs.open_input_stream(key) as fh:
            for block in iter(lambda: fh.read(_BLOCK), b""):
                digest.update(block)
        return digest.hexdigest()

    def _intact(self, key: str, sha256: str) -> bool:
        try:
            return self._hash(key) == sha256
        except FileNotFoundError:
            return False

    def _write(self, key: str, data: bytes) -> None:
        folder = key.rsplit("/", 1)[0]
        if not self.local:  # one PUT: the object appears whole or not at all
            with self.fs.open_output_stream(key) as fh:
                fh.write(data)
            return
        self.fs.create_dir(folder)
        tmp = f"{folder}/{_TEMP}{uuid.uuid4().hex}"
        try:
            with self.fs.open_output_stream(tmp) as fh:
                fh.write(data)
            fd = os.open(tmp, os.O_RDONLY)  # pyarrow does not fsync: the bytes are on disk before the rename
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            self.fs.move(tmp, key)  # a rename: atomic
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                self.fs.delete_file(tmp)
            raise

    def put(self, data: bytes, ext: str = ".bin") -> tuple[str, Path | str]:
        """Store bytes; returns (sha256, path). An intact existing copy is left untouched; a corrupt one
        (its content no longer hashes to its name) is replaced: a re-download repairs the store."""
        digest = sha256_hex(data)
        key = self._key(digest, ext)
        if not self._intact(key, digest):
            self._write(key, data)
        return digest, self._public(key)

    def _candidate_keys(self, sha256: str) -> list[str]:
        selector = pafs.FileSelector(f"{self._base}/{sha256[:2]}", allow_not_found=True)
        return sorted(i.path for i in self.fs.get_file_info(selector)
                      if i.type == pafs.FileType.File and i.base_name.startswith(f"{sha256}."))

    def candidates(self, sha256: str) -> list[Path | str]:
        """Every file stored under ``sha256`` (whatever its extension), intact or not."""
        return [self._public(k) for k in self._candidate_keys(sha256)]

    def find(self, sha256: str) -> Path | str | None:
        found = self.candidates(sha256)
        return found[0] if found else None

    def get(self, sha256: str, ext: str | None = None) -> bytes:
        """The bytes stored under ``sha256``, checked against it (``CorruptRawDocument`` if no copy is intact).

        ``ext`` (the extension the crawl stored it with, e.g. from the manifest's ``raw_path``) is tried first:
        on object storage that is one GET instead of listing the ``ab/`` prefix."""
        if ext:
            try:
                data = self._read(self._key(sha256, ext))
            except FileNotFoundError:
                pass
            else:
                if sha256_hex(data) == sha256:
                    return data
        found = self._candidate_keys(sha256)
        if not found:
            raise FileNotFoundError(f"no raw document {sha256} under {self.root}")
        for key in found:
            data = self._read(key)
            if sha256_hex(data) == sha256:
                return data
        raise CorruptRawDocument(f"raw document {sha256} is corrupt ({self._public(found[0])} hashes to something else)")

    def files(self) -> Iterator[pafs.FileInfo]:
        """Every file of the store, in path order (a listing of the whole store: for checks, not for lookups)."""
        selector = pafs.FileSelector(self._base, recursive=True, allow_not_found=True)
        yield from sorted((i for i in self.fs.get_file_info(selector) if i.type == pafs.FileType.File),
                          key=lambda i: i.path)

    def check(self) -> Iterator[StoreProblem]:
        """Every file of the store that is not an intact document: content that does not hash to its name,
        a file outside its ``ab/`` folder or not named by a hash, and temporary files left by a crash."""
        for info in self.files():
            name = info.base_name
            where = self._public(info.path)
            if name.startswith(_TEMP):
                yield StoreProblem(where, "temporary")
                continue
            sha = name.split(".", 1)[0]
            rel = PurePosixPath(info.path[len(self._base) + 1:])
            if len(sha) != 64 or rel.parts != (sha[:2], name):
                yield StoreProblem(where, "misplaced")
            elif self._hash(info.path) != sha:
                yield StoreProblem(where, "corrupt")


def ext_of(raw_path: str | None) -> str | None:
    """The extension of a manifest ``raw_path`` (a local path or an object URI), the hint for ``RawStore.get``."""
    suffix = PurePosixPath(raw_path).suffix if raw_path else ""
    return suffix or None
