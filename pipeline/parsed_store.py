"""Parse results kept between runs, one JSON file per source URL: ``<data>/parsed/ab/<sha1(url)>.json``.

A document is parsed again only when its bytes (sha256) or the parser version changed, so the nightly
run costs in proportion to what is new, and a parser upgrade re-parses the whole archive from the raw
store without re-crawling.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from . import PARSER_VERSION


class ParsedStore:
    def __init__(self, data_dir: str | Path) -> None:
        self.root = Path(data_dir) / "parsed"

    def path_for(self, url: str) -> Path:
        key = hashlib.sha1(url.encode("utf-8")).hexdigest()
        return self.root / key[:2] / f"{key}.json"

    def is_current(self, url: str, sha256: str) -> bool:
        path = self.path_for(url)
        if not path.exists():
            return False
        try:
            head = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return False
        return head.get("sha256") == sha256 and head.get("parser_version") == PARSER_VERSION

    def put(self, url: str, sha256: str, result: dict) -> None:
        path = self.path_for(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"url": url, "sha256": sha256, "parser_version": PARSER_VERSION, "result": result}
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, ensure_ascii=False, default=str)
        os.replace(tmp, path)

    def get(self, url: str) -> dict | None:
        path = self.path_for(url)
        if not path.exists():
            return None
        return json.loads(path.read_text(encoding="utf-8"))["result"]

    def drop(self, url: str) -> None:
        self.path_for(url).unlink(missing_ok=True)

    def all(self) -> Iterator[dict]:
        if not self.root.is_dir():
            return
        for path in sorted(self.root.glob("*/*.json")):
            try:
                yield json.loads(path.read_text(encoding="utf-8"))["result"]
            except (OSError, json.JSONDecodeError, KeyError):
                continue
