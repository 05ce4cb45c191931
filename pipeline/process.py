"""One stored document → dataset rows: parse it, add provenance from the crawl manifest, then resolve
who published it and where. The only place where parsing, the manifest and the registry meet."""

from __future__ import annotations

from pathlib import PurePosixPath
from urllib.parse import urlsplit

from . import titles
from .agency import is_regional_aggregate
from .parse import parse_document
from .who import enrich_report, report_year_from_date

# Report fields an attachment inherits from the page that links it when its own text lacks them.
_INHERITED = ("title", "agency_name", "report_year", "publish_date", "site_id_code", "site_name", "site_domain",
              "column_name", "breadcrumb", "content_source", "year_source", "credit_code")


def process_document(data: bytes, row: dict, portal: dict | None = None, parent: dict | None = None, *,
                     enrich: bool = True) -> dict:
    """Parse one raw document of the manifest ``row`` into ``{"report", "facts", "checks"}``.

    ``parent`` is the processed report page an attachment hangs from. Never raises on bad input: the
    parser reports failures as ``parse_status`` with a reason. ``enrich=False`` leaves out who/where
    (region, agency type, deadline): the parse step caches results without them and enriches at
    assembly with the registry record (``pipeline.publish.all_results``), so a registry fix needs no re-parse.
    """
    url = row.get("url")
    filename = PurePosixPath(urlsplit(url or "").path).name or None
    result = parse_document(data, url=url, media_type=row.get("content_type"), filename=filename).to_json()
    report = result["report"]
    if parent is not None:
        for key in _INHERITED:
            if report.get(key) in (None, ""):
                report[key] = parent["report"].get(key)
    report["title"] = report.get("title") or row.get("title")
    report["publish_date"] = report.get("publish_date") or row.get("publish_date")
    if report.get("report_year") is None:
        report["report_year"] = titles.report_year(report.get("title"))
        report["year_source"] = "listing" if report["report_year"] else None
    if report.get("report_year") is None:  # the stated last resort; decided here so the year partition sees it
        report["report_year"] = report_year_from_date(report.get("publish_date"))
        report["year_source"] = "publish_date" if report["report_year"] else None
    report.update(
        source_url=url,
        source_site=urlsplit(url or "").hostname,
        portal_id=row.get("portal_id"),
        fetched_at=row.get("fetched_at"),
        content_sha256=row.get("sha256") or report.get("content_sha256"),
        kind=row.get("kind", "report"),
        parent_url=row.get("parent_url"),
        raw_path=row.get("raw_path"),
    )
    if enrich:
        report = enrich_report(report, portal=portal)
    else:  # registry-free and costly (Traditional → Simplified over the text head): kept for assembly
        report["is_regional_aggregate"] = is_regional_aggregate(report.get("title") or "", report.get("text_head"))
    for fact in result["facts"]:
        fact["content_sha256"] = report["content_sha256"]
        fact["source_url"] = url
    result["report"] = report
    return result
