"""Word 97–2003 (.doc, also Kingsoft .wps), .odt and .rtf reports via external converters.

LibreOffice is tried first because it keeps the table structure (merged cells included) and the
result goes through the DOCX reader; antiword is the fallback: its text is good, but it renders
tables as `|`-separated text and drops merged or unsized tables, so it yields no Table objects.
Each LibreOffice run gets its own profile directory: concurrent runs sharing the default profile
fail silently (exit 0, no output).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from pipeline.readers.base import ExtractedDocument
from pipeline.readers.office import UnreadableDocument

SOFFICE_TIMEOUT = 120
ANTIWORD_TIMEOUT = 60


def soffice_binary() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def antiword_binary() -> str | None:
    return shutil.which("antiword")


def convert_to_docx(data: bytes, suffix: str) -> bytes:
    """Convert with a headless LibreOffice using a throwaway profile; raise UnreadableDocument on failure."""
    binary = soffice_binary()
    if binary is None:
        raise UnreadableDocument("LibreOffice (soffice) not installed")
    with tempfile.TemporaryDirectory(prefix="nianbao-doc-") as tmp:
        tmpdir = Path(tmp)
        src = tmpdir / f"input.{suffix}"
        src.write_bytes(data)
        profile = tmpdir / "profile"
        cmd = [
            binary,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "docx:MS Word 2007 XML",
            "--outdir",
            str(tmpdir / "out"),
            str(src),
        ]
        try:
            subprocess.run(cmd, capture_output=True, timeout=SOFFICE_TIMEOUT, check=False, env=_quiet_env())
        except subprocess.TimeoutExpired as exc:
            raise UnreadableDocument(f"LibreOffice conversion timed out after {SOFFICE_TIMEOUT}s") from exc
        produced = tmpdir / "out" / "input.docx"
        if not produced.exists() or produced.stat().st_size == 0:
            raise UnreadableDocument("LibreOffice produced no output (corrupt or password-protected file?)")
        return produced.read_bytes()


def _quiet_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("HOME", tempfile.gettempdir())
    env["SAL_USE_VCLPLUGIN"] = "svp"
    return env


def antiword_text(data: bytes) -> str:
    """Plain text by antiword (UTF-8 mapping so Chinese survives); table bars turned into spaces."""
    binary = antiword_binary()
    if binary is None:
        raise UnreadableDocument("antiword not installed")
    with tempfile.TemporaryDirectory(prefix="nianbao-antiword-") as tmp:
        src = Path(tmp) / "input.doc"
        src.write_bytes(data)
        try:
            result = subprocess.run(
                [binary, "-w", "0", "-m", "UTF-8.txt", str(src)],
                capture_output=True,
                timeout=ANTIWORD_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise UnreadableDocument(f"antiword timed out after {ANTIWORD_TIMEOUT}s") from exc
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UnreadableDocument(f"antiword failed: {message[-1] if message else result.returncode}")
    text = result.stdout.decode("utf-8", "replace")
    lines = [" ".join(line.replace("|", " ").split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def read_doc(data: bytes, kind: str = "doc") -> ExtractedDocument:
    """Read a .doc/.odt/.rtf; needs LibreOffice or (for .doc) antiword on the machine."""
    from pipeline.readers.docx import read_docx

    have_soffice = soffice_binary() is not None
    have_antiword = antiword_binary() is not None and kind == "doc"
    if not have_soffice and not have_antiword:
        needs = "antiword or LibreOffice" if kind == "doc" else "LibreOffice"
        raise UnreadableDocument(f"{kind} file: reading it needs {needs}, neither is installed")
    warnings: list[str] = []
    if have_soffice:
        try:
            doc = read_docx(convert_to_docx(data, kind))
        except UnreadableDocument as exc:
            if not have_antiword:
                raise
            warnings.append(f"LibreOffice failed ({exc.reason}); text from antiword")
        else:
            doc.source_format = "doc"
            doc.meta["converter"] = "libreoffice"
            return doc
    text = antiword_text(data)
    if not text.strip():
        raise UnreadableDocument("antiword found no text in the document")
    warnings.append("tables not recovered: antiword renders them as text only")
    return ExtractedDocument(
        text=text, source_format="doc", meta={"converter": "antiword"}, warnings=warnings
    )
