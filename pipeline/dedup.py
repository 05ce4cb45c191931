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
from dataclasses import dataclass
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.compute as pc

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


def first_publish_date(cands: list[dict], report_year: int | None) -> str | None:
    """The earliest ISO publication date of any copy; dates before the report year ended are page errors."""
    dates = sorted(d[:10] for d in (_text(c.get("publish_date")) for c in cands)
                   if len(d) >= 10 and (report_year is None or d[:4] > str(int(report_year))))
    return dates[0] if dates else None


KEY_SCHEMA = pa.schema([
    ("group_key", pa.string()),  # report_key of the candidate's (agency, year), or of its title stand-in
    ("sha_text", pa.string()),  # content hash, "" when unknown
    ("url_text", pa.string()),  # source URL, "" when unknown
    ("is_correction", pa.bool_()),
    ("publish_text", pa.string()),  # publication date as given, "" when unknown
    ("fetched_text", pa.string()),
    ("n_facts", pa.int64()),
])


def version_key(c: dict) -> dict:
    """The small key row (``KEY_SCHEMA``) of one candidate: all that choosing among copies reads."""
    return {"group_key": _group_key(c), "sha_text": _text(c.get("content_sha256")), "url_text": _text(c.get("source_url")),
            "is_correction": is_correction(c.get("title")), "publish_text": _text(c.get("publish_date")),
            "fetched_text": _text(c.get("fetched_at")), "n_facts": int(c.get("n_facts") or 0)}


@dataclass(frozen=True)
class Versions:
    """What choosing among copies decided, by candidate position (row of the key table)."""

    chosen: list[int]  # one per report, ordered by report_id
    report_ids: list[str]
    members: list[list[int]]  # every candidate of each report, best first
    sources: list[tuple[int, int, bool]]  # (report index, candidate, is_chosen), by report_id then URL


def rank_versions(keys: pa.Table) -> Versions:
    """Group candidates sharing an (agency, year) key or a content hash (connected components over two
    dictionary-encoded key columns), rank each group best first (latest correction, most facts, latest
    publication, latest fetch, smallest URL) by one sort, and keep the best fetch of every URL as a source."""
    n = keys.num_rows
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for column, skip in (("group_key", None), ("sha_text", "")):
        encoded = pc.dictionary_encode(keys[column]).combine_chunks()
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        blank = encoded.dictionary.index(skip).as_py() if skip is not None else -1
        first: dict[int, int] = {}
        for i, code in enumerate(codes.tolist()):
            if code == blank:
                continue
            j = first.setdefault(code, i)
            if j != i:
                parent[find(i)] = find(j)
    component = [find(i) for i in range(n)]
    corr = keys["is_correction"]
    order = pa.table({
        "component": pa.array(component, pa.int64()), "corr": corr,
        "corr_date": pc.if_else(corr, keys["publish_text"], ""), "n_facts": keys["n_facts"],
        "publish": keys["publish_text"], "fetched": keys["fetched_text"], "url": keys["url_text"],
        "pos": pa.array(range(n), pa.int64()),
    }).sort_by([("component", "ascending"), ("corr", "descending"), ("corr_date", "descending"),
                ("n_facts", "descending"), ("publish", "descending"), ("fetched", "descending"),
                ("url", "ascending"), ("pos", "ascending")])
    group_keys = keys["group_key"].to_pylist()
    urls = keys["url_text"].to_pylist()
    members: list[list[int]] = []
    last = None
    for comp, pos in zip(order["component"].to_pylist(), order["pos"].to_pylist(), strict=True):
        if comp != last:
            members.append([])
            last = comp
        members[-1].append(pos)
    members.sort(key=lambda m: group_keys[m[0]])  # report_id = the chosen copy's key: unique per group
    sources: list[tuple[int, int, bool]] = []
    for r, ranked in enumerate(members):
        by_url: dict[str, int] = {}
        for pos in ranked:  # the same URL fetched twice is one source: its best-ranked fetch stands for it
            by_url.setdefault(urls[pos], pos)
        sources.extend((r, pos, pos == ranked[0]) for _, pos in sorted(by_url.items()))
    return Versions([m[0] for m in members], [group_keys[m[0]] for m in members], members, sources)


def choose_versions(candidates: list[dict]) -> tuple[list[dict], list[dict]]:
    """(report rows with report_id and n_sources, source rows with the SOURCES columns)."""
    versions = rank_versions(pa.Table.from_pylist([version_key(c) for c in candidates], KEY_SCHEMA))
    reports: list[dict] = []
    for chosen, report_id, ranked in zip(versions.chosen, versions.report_ids, versions.members, strict=True):
        report = dict(candidates[chosen])
        report.update(report_id=report_id, **report_fields(candidates[chosen], [candidates[i] for i in ranked]))
        reports.append(report)
    sources = [source_row(candidates[pos], versions.report_ids[r], chosen) for r, pos, chosen in versions.sources]
    reports.sort(key=lambda r: (_text(r.get("report_year")), r["report_id"]))
    return reports, sources


def report_fields(chosen: dict, ranked: list[dict]) -> dict:
    """The report row's fields decided by all copies: n_sources, source_site, first_publish_date, days_late."""
    first = first_publish_date(ranked, chosen.get("report_year"))
    return {"n_sources": len({_text(c.get("source_url")) for c in ranked}), "source_site": _site(chosen),
            "first_publish_date": first,
            "days_late": days_late(first, chosen.get("report_year"), chosen.get("agency_type"),
                                   is_regional_aggregate=bool(chosen.get("is_regional_aggregate")))}


def source_row(c: dict, report_id: str, chosen: bool) -> dict:
    """One sources row (the SOURCES columns) of one copy."""
    row = {name: c.get(name) for name in SOURCES.names}
    url = _text(c.get("source_url"))
    row.update(report_id=report_id, source_site=_site(c), is_correction=is_correction(c.get("title")),
               is_chosen=chosen, source_url=url or None)
    return row
