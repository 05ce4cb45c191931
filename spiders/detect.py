"""Which CMS family served this page? Decided from the page's own markers (its URL and its text), listed
as data in ``spiders/registry/families.yaml`` so that a new marker is a data edit, not a code change.

``detect_family(url, body)`` → ``(family id or None, evidence)``; the evidence names the marker and the
text that matched, so a registry record can say why it holds the family it holds. An HTML page with links
but no family marker is ``generic``; anything else (empty, binary, no links) is ``None``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

_SNIPPET = 60


@dataclass(frozen=True)
class Marker:
    family: str
    where: str  # url / body
    pattern: re.Pattern[str]
    label: str


@cache
def _rules() -> tuple[tuple[Marker, ...], re.Pattern[str], str]:
    data = yaml.safe_load(resources.files("spiders.registry").joinpath("families.yaml").read_text("utf-8"))
    markers = tuple(
        Marker(fam["id"], m["where"], re.compile(m["pattern"], re.I), m["label"])
        for fam in data["families"] for m in fam["markers"]
    )
    generic = data["generic"]
    return markers, re.compile(generic["html"], re.I), generic["id"]


def families() -> list[str]:
    """The family ids that markers can name, in the order they are tried, then the generic fallback."""
    markers, _, generic = _rules()
    return list(dict.fromkeys(m.family for m in markers)) + [generic]


def text_of(body: bytes | str) -> str:
    """Enough of a page's text to look for ASCII/Chinese markers whatever its encoding."""
    if isinstance(body, str):
        return body
    for encoding in ("utf-8", "gb18030"):
        try:
            return body.decode(encoding)
        except UnicodeDecodeError:
            continue
    return body.decode("utf-8", "replace")


def detect_family(url: str, body: bytes | str) -> tuple[str | None, str]:
    """(family id, evidence) of the page at ``url`` with content ``body``."""
    markers, html, generic = _rules()
    text = text_of(body)
    for marker in markers:
        m = marker.pattern.search(url if marker.where == "url" else text)
        if m:
            start = max(0, m.start() - 10)
            snippet = (url if marker.where == "url" else text)[start:m.end() + 10].replace("\n", " ")
            return marker.family, f"{marker.label} ({marker.where}: {snippet[:_SNIPPET]!r})"
    if html.search(text):
        return generic, "no family marker; an HTML page with links"
    return None, "no family marker and no links"
