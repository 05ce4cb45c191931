"""Parse results kept between runs, one JSON file per source URL: ``<data>/parsed/ab/<sha1(url)>.json``.

A document is parsed again only when its bytes (sha256) or the parser version changed, so the nightly
run costs in proportion to what is new, and a parser change (code, spec files or division table: see
``pipeline.version``) re-parses the documents it made from the raw store without re-crawling. An index (``index.json``: url → sha256, parser version, report year and a
one-line summary for the document log) answers "is this current?", "which documents belong to year
Y?" and "what is in the archive?" without opening every result; it is rebuilt from the result files
when missing, and an entry lost in a crash only causes a re-parse.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from .version import parser_version


class ParsedStore:
    def __init__(self, data_dir: str | Path) -> None:
        self.root = Path(data_dir) / "parsed"
        self._index: dict[str, list] | None = None

    def path_for(self, url: str) -> Path:
        key = hashlib.sha1(url.encode("utf-8")).hexdigest()
        return self.root / key[:2] / f"{key}.json"

    @property
    def index(self) -> dict[str, dict]:
        """url → {sha256, parser_version, report_year, summary}, loaded once (rebuilt if missing)."""
        if self._index is None:
            try:
                self._index = json.loads((self.root / "index.json").read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                self._index = self._rebuild_index()
        return self._index

    def _rebuild_index(self) -> dict[str, dict]:
        index: dict[str, dict] = {}
        for path in sorted(self.root.glob("*/*.json")):
            try:
                payload = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                continue
            index[payload["url"]] = _entry(payload.get("sha256"), payload.get("parser_version"),
                                           payload["result"], payload.get("summary"))
        return index

    def save(self) -> None:
        """Write the index (atomically); call once after a batch of put/drop."""
        self.root.mkdir(parents=True, exist_ok=True)
        _write_json(self.root / "index.json", self.index)

    def is_current(self, url: str, sha256: str) -> bool:
        """The stored result was made from these bytes by this parser version."""
        entry = self.index.get(url)
        return (entry is not None and entry["sha256"] == sha256 and entry["parser_version"] == parser_version()
                and self.path_for(url).exists())

    def version_of(self, url: str) -> str | None:
        entry = self.index.get(url)
        return entry["parser_version"] if entry else None

    def year_of(self, url: str) -> int | None:
        entry = self.index.get(url)
        return entry["report_year"] if entry else None

    def put(self, url: str, sha256: str, result: dict, summary: dict | None = None) -> None:
        """Store one result; ``summary`` is a small row kept in the index (e.g. for the document log)."""
        version = parser_version()
        payload = {"url": url, "sha256": sha256, "parser_version": version, "result": result, "summary": summary}
        _write_json(self.path_for(url), payload)
        self.index[url] = _entry(sha256, version, result, summary)

    def get(self, url: str) -> dict | None:
        try:
            return json.loads(self.path_for(url).read_text(encoding="utf-8"))["result"]
        except (OSError, json.JSONDecodeError, KeyError):
            return None

    def drop(self, url: str) -> None:
        self.path_for(url).unlink(missing_ok=True)
        self.index.pop(url, None)

    def urls(self, years: set[int] | None = None) -> list[str]:
        """Parsed URLs, optionally only those whose report year is in ``years``."""
        return sorted(u for u, entry in self.index.items() if years is None or entry["report_year"] in years)

    def summaries(self, urls: Iterable[str]) -> list[dict]:
        return [self.index[u]["summary"] for u in urls if u in self.index and self.index[u]["summary"]]

    def results(self, urls: Iterable[str]) -> Iterator[dict]:
        for url in urls:
            res = self.get(url)
            if res is not None:
                yield res


def _entry(sha256: str | None, version: str | None, result: dict, summary: dict | None) -> dict:
    return {"sha256": sha256, "parser_version": version, "report_year": result["report"].get("report_year"),
            "summary": summary}


def _write_json(path: Path, payload: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(payload, fh, ensure_ascii=False, default=str)
    os.replace(tmp, path)
