"""One report per (agency, report year), every copy kept as a source.

The same report is published on several hosts and URLs (county portal and department subdomain,
mobile twins, re-issues marked （更正）). Copies are grouped by the normalised agency and year, and also
by identical content hash (a mobile twin whose title was parsed differently is still the same
document). The chosen version is the latest correction, then the most complete (most facts), then
the latest published, then the smallest URL, so that reruns choose the same row.

Timeliness is a property of the report, not of the copy chosen: ``first_publish_date`` is the earliest
publication date of any copy, and ``days_late`` is counted from it, so a later re-post or correction
never makes an on-time report late.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import urlsplit

from pipeline.schema import SOURCES
from pipeline.timeliness import days_late

_CORRECTION = re.compile(r"更正|勘误|修订版|修订稿|修正版|修改版|重新发布|重发版|更新版")
_TITLE_NOISE = re.compile(r"[(（\[【]?(?:更正|勘误|修订版|修订稿|修正版|修改版|重新发布|重发版|更新版|图片版|超链版|文字版)"
                          r"[)）\]】]?|\s+")


def report_key(agency_name_norm: str, report_year: int | None) -> str:
    """Stable report_id: the first 16 hex digits of sha1("agency|year")."""
    year = "" if report_year is None else str(int(report_year))
    return hashlib.sha1(f"{agency_name_norm}|{year}".encode()).hexdigest()[:16]


def is_correction(title: str | None) -> bool:
    """True for a re-issue: （更正）, 更正版, 修订版, 勘误 …"""
    return bool(title) and bool(_CORRECTION.search(unicodedata.normalize("NFKC", title)))


def _group_key(c: dict) -> str:
    agency = c.get("agency_name_norm")
    if not agency:
        # No agency: the title without re-issue markers, within its portal, stands in for it.
        title = _TITLE_NOISE.sub("", unicodedata.normalize("NFKC", c.get("title") or c.get("source_url") or ""))
        agency = f"title:{c.get('portal_id') or _site(c) or ''}:{title}"
    return report_key(agency, c.get("report_year"))


def _site(c: dict) -> str | None:
    return c.get("source_site") or (urlsplit(c["source_url"]).hostname if c.get("source_url") else None)


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _groups(candidates: list[dict]) -> list[list[int]]:
    """Union of candidates sharing an (agency, year) key or a content hash."""
    parent = list(range(len(candidates)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[tuple[str, str], int] = {}
    for i, c in enumerate(candidates):
        for key in (("k", _group_key(c)), ("h", _text(c.get("content_sha256")))):
            if key == ("h", ""):
                continue
            if key in first:
                parent[find(i)] = find(first[key])
            else:
                first[key] = i
    out: dict[int, list[int]] = {}
    for i in range(len(candidates)):
        out.setdefault(find(i), []).append(i)
    return list(out.values())


def _rank(cands: list[dict]) -> list[dict]:
    """Best first: latest correction, most facts, latest publication, then smallest URL."""
    ordered = sorted(cands, key=lambda c: _text(c.get("source_url")))

    def key(c: dict) -> tuple:
        corr = is_correction(c.get("title"))
        date = _text(c.get("publish_date"))
        return (corr, date if corr else "", int(c.get("n_facts") or 0), date, _text(c.get("fetched_at")))

    return sorted(ordered, key=key, reverse=True)


def first_publish_date(cands: list[dict], report_year: int | None) -> str | None:
    """The earliest ISO publication date of any copy; dates before the report year ended are page errors."""
    dates = sorted(d[:10] for d in (_text(c.get("publish_date")) for c in cands)
                   if len(d) >= 10 and (report_year is None or d[:4] > str(int(report_year))))
    return dates[0] if dates else None


def choose_versions(candidates: list[dict]) -> tuple[list[dict], list[dict]]:
    """(report rows with report_id and n_sources, source rows with the SOURCES columns)."""
    reports: list[dict] = []
    sources: list[dict] = []
    for idx in _groups(candidates):
        ranked = _rank([candidates[i] for i in idx])
        chosen = ranked[0]
        report_id = _group_key(chosen)
        by_url: dict[str, dict] = {}
        for c in ranked:
            # The same URL fetched twice is one source: its best-ranked fetch stands for it.
            by_url.setdefault(_text(c.get("source_url")), c)
        for url, c in sorted(by_url.items()):
            row = {name: c.get(name) for name in SOURCES.names}
            row.update(
                report_id=report_id,
                source_site=_site(c),
                is_correction=is_correction(c.get("title")),
                is_chosen=c is chosen,
                source_url=url or None,
            )
            sources.append(row)
        report = dict(chosen)
        first = first_publish_date(ranked, chosen.get("report_year"))
        report.update(report_id=report_id, n_sources=len(by_url), source_site=_site(chosen), first_publish_date=first,
                      days_late=days_late(first, chosen.get("report_year"), chosen.get("agency_type"),
                                          is_regional_aggregate=bool(chosen.get("is_regional_aggregate"))))
        reports.append(report)
    reports.sort(key=lambda r: (_text(r.get("report_year")), r["report_id"]))
    sources.sort(key=lambda s: (s["report_id"], _text(s["source_url"])))
    return reports, sources
