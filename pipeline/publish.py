"""Parse the new documents of the crawl manifest, and assemble one report year's dataset rows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .dataset import discard, promote, stage_year
from .dedup import choose_versions
from .manifest import latest_by_url, read_rows
from .parsed_store import ParsedStore
from .rawstore import RawStore
from .schema import exact_money
from .version import changed_parts, parser_version
from .who import enrich_report
from .worker import process_budgeted as process_document  # a child process with a time/memory budget
from .xyear import evaluate as evaluate_xyear
from .year_checks import CheckOutcome, run_checks

# Documents that are reports (even if their tables could not be read) go to the reports table;
# everything else only to the document log.
REPORT_STATUSES = frozenset({"ok", "no_tables", "unreadable"})


@dataclass
class ParseRun:
    parsed: int = 0
    unchanged: int = 0
    reparsed: Counter = field(default_factory=Counter)  # parser part that changed (code/spec/divisions) → documents
    missing_raw: int = 0
    withdrawn: int = 0
    statuses: Counter = field(default_factory=Counter)
    years_changed: set[int] = field(default_factory=set)
    failures: list[dict] = field(default_factory=list)  # url, status, reason


def stored_documents(data_dir: str | Path) -> list[dict]:
    """The latest manifest row of every URL that is currently stored (reports before attachments)."""
    latest = latest_by_url(read_rows(data_dir))
    rows = [r for r in latest.values() if r.get("outcome") in ("stored", "unchanged") and r.get("sha256")
            and r.get("kind") in ("report", "attachment")]
    return sorted(rows, key=lambda r: (r.get("kind") != "report", r["url"]))


def parse_new(data_dir: str | Path) -> ParseRun:
    """Parse every stored document whose bytes or parser version changed since the last run.

    The cached result is registry-free (``enrich=False``): who/where is added at assembly."""
    run = ParseRun()
    store, parsed = RawStore(Path(data_dir) / "raw"), ParsedStore(data_dir)
    pages: dict[str, dict] = {}
    documents = stored_documents(data_dir)
    current = {row["url"] for row in documents}
    for url in parsed.urls():  # withdrawn since the last run: its year must be republished without it
        if url not in current:
            run.withdrawn += 1
            year = parsed.year_of(url)
            if year:
                run.years_changed.add(int(year))
            parsed.drop(url)
    for row in documents:
        url, sha = row["url"], row["sha256"]
        if parsed.is_current(url, sha):
            run.unchanged += 1
            continue
        old_version = parsed.version_of(url)
        if old_version is not None and parsed.index[url]["sha256"] == sha:
            run.reparsed.update(changed_parts(old_version))
        parent_url = row.get("parent_url")
        parent = (pages.get(parent_url) or parsed.get(parent_url)) if parent_url else None
        try:
            data = store.get(sha)
        except FileNotFoundError:
            run.missing_raw += 1
            run.failures.append({"url": url, "status": "missing_raw", "reason": f"raw document {sha} not in store"})
            continue
        try:
            result = process_document(data, row, None, parent, enrich=False)
        except Exception as exc:  # one bad document must not stop the night; it is logged and kept
            result = failed_result(row, f"{type(exc).__name__}: {exc}"[:500])
        result["report"]["parser_version"] = parser_version()
        previous_year = parsed.year_of(url)  # a re-parse that moves a document empties its old year
        if previous_year:
            run.years_changed.add(int(previous_year))
        parsed.put(url, sha, result, document_row(result))
        if run.parsed % 500 == 499:
            parsed.save()  # a crash loses at most a few hundred index entries (those documents re-parse)
        if row.get("kind") == "report":
            pages[url] = result
        report = result["report"]
        run.parsed += 1
        run.statuses[report.get("parse_status")] += 1
        if report.get("report_year"):
            run.years_changed.add(int(report["report_year"]))
        if report.get("parse_status") != "ok":
            run.failures.append({"url": url, "status": report.get("parse_status"), "reason": report.get("parse_reason")})
    parsed.save()
    return run


def failed_result(row: dict, reason: str) -> dict:
    """The parse result recorded for a document whose processing raised: kept in the document log and
    re-parsed when the parser version changes (its bytes stay in the raw store)."""
    report = {"source_url": row.get("url"), "portal_id": row.get("portal_id"), "kind": row.get("kind"),
              "parent_url": row.get("parent_url"), "content_sha256": row.get("sha256"), "raw_path": row.get("raw_path"),
              "fetched_at": row.get("fetched_at"), "title": row.get("title"), "parse_status": "error",
              "parse_reason": reason, "parser_version": parser_version()}
    return {"report": report, "facts": [], "checks": []}


def all_results(data_dir: str | Path, years: set[int] | None = None,
                portals: dict[str, dict] | None = None) -> list[dict]:
    """Every parse result of a document that is still stored (withdrawn documents drop out), optionally
    only those of some report years (reads only their files), enriched with who/where using each
    document's registry record in ``portals`` (the registry enters here, not in the cached parse)."""
    current = {r["url"] for r in stored_documents(data_dir)}
    parsed = ParsedStore(data_dir)
    return enrich_results(parsed.results(u for u in parsed.urls(years) if u in current), portals or {})


def enrich_results(results: Iterable[dict], portals: dict[str, dict]) -> list[dict]:
    """Cached parse results → the same with region, agency type and deadline resolved (``who``)."""
    out = []
    for res in results:
        rep = res["report"]
        if rep.get("parse_status") in REPORT_STATUSES:
            res = {**res, "report": enrich_report(rep, portal=portals.get(rep.get("portal_id")))}
        out.append(res)
    return out


def document_row(result: dict) -> dict:
    """The document-log row of one parse result."""
    rep = result["report"]
    return {
        "url": rep.get("source_url"), "portal_id": rep.get("portal_id"), "kind": rep.get("kind"),
        "parent_url": rep.get("parent_url"), "content_sha256": rep.get("content_sha256"),
        "raw_path": rep.get("raw_path"), "fetched_at": rep.get("fetched_at"), "title": rep.get("title"),
        "report_year": rep.get("report_year"), "template_generation": rep.get("template_generation"),
        "parse_status": rep.get("parse_status"), "parse_reason": rep.get("parse_reason"),
        "n_facts": len(result.get("facts") or []), "parser_version": rep.get("parser_version"),
    }


def document_log(data_dir: str | Path) -> list[dict]:
    """One row per stored document and what parsing made of it, from the index (no result files read)."""
    current = {r["url"] for r in stored_documents(data_dir)}
    parsed = ParsedStore(data_dir)
    return parsed.summaries(u for u in parsed.urls() if u in current)


def _chosen(results: Iterable[dict], year: int) -> tuple[list[dict], list[dict], list[dict]]:
    """(report rows, source rows, the parse result of each report row) for one report year."""
    candidates = []
    by_source: dict[tuple[str, str], dict] = {}
    for res in results:
        rep = res["report"]
        if rep.get("report_year") != year or rep.get("parse_status") not in REPORT_STATUSES:
            continue
        rep = {**rep, "n_facts": len(res.get("facts") or [])}
        candidates.append(rep)
        by_source[(rep.get("source_url"), rep.get("content_sha256"))] = res
    reports, sources = choose_versions(candidates)
    return reports, sources, [by_source[(r.get("source_url"), r.get("content_sha256"))] for r in reports]


def assemble_year(results: Iterable[dict], year: int) -> dict[str, list[dict]]:
    """Rows of the reports, facts, checks and sources tables for one report year.

    Several documents of one (agency, year) — mirrors, corrections, a page and its attachment — become
    one report row (the chosen version) and one source row each; facts and checks come from the chosen
    version only, so nothing is double-counted. The cross-year identities (``xyear.*``: applications
    carried over, stocks of documents in force, lists of matters) are evaluated against the same
    agency's report of the previous year when there is one.
    """
    results = list(results)
    reports, sources, parsed = _chosen(results, year)
    prev_reports, _, prev_parsed = _chosen(results, year - 1) if reports else ([], [], [])
    previous = {rep.get("agency_name_norm"): res for rep, res in zip(prev_reports, prev_parsed, strict=True)}
    facts: list[dict] = []
    checks: list[dict] = []
    for rep, res in zip(reports, parsed, strict=True):
        for fact in res.get("facts") or []:
            facts.append({**fact, "report_id": rep["report_id"], "report_year": year, "value_decimal": exact_money(fact)})
        own_checks = list(res.get("checks") or [])
        prev = previous.get(rep.get("agency_name_norm"))
        if prev is not None:
            cross = evaluate_xyear(prev.get("facts") or [], res.get("facts") or [])
            done = {c["rule_id"] for c in cross}  # replaces the report's own "needs two years" rows
            own_checks = [c for c in own_checks if c["rule_id"] not in done] + cross
        # The counts agree with the checks table: every row published, the cross-year ones included.
        rep["checks_passed"] = sum(1 for c in own_checks if c.get("status") == "passed")
        rep["checks_failed"] = sum(1 for c in own_checks if c.get("status") == "failed")
        for check in own_checks:
            checks.append({**check, "report_id": rep["report_id"], "report_year": year})
    return {"reports": reports, "facts": facts, "checks": checks, "sources": sources}


YEAR_TABLES = ("reports", "facts", "checks", "sources")


@dataclass
class YearPublication:
    """What publishing one report year did: the checks on the staged files and whether it was promoted."""

    year: int
    published: bool
    checks: list[CheckOutcome]
    rows: dict[str, list[dict]]
    paths: dict[str, Path] = field(default_factory=dict)

    @property
    def reason(self) -> str | None:
        """Why the year was not published (None when it was)."""
        blocking = [c.reason() for c in self.checks if c.blocks]
        if self.published or not blocking:
            return None
        return f"report year {self.year} not published, the previous version stays: " + "; ".join(blocking)


def publish_year(data_dir: str | Path, year: int, portals: dict[str, dict] | None = None) -> YearPublication:
    """Stage → check → promote one report year: assemble its rows, write them to staging, run the year
    checks on the staged files, and replace the published year only when no blocking check failed."""
    rows = assemble_year(all_results(data_dir, years={year, year - 1}, portals=portals), year)
    staged = stage_year(Path(data_dir) / "dataset", year, {table: rows[table] for table in YEAR_TABLES})
    try:
        outcomes = run_checks(staged)
    except BaseException:
        discard(staged)
        raise
    if any(c.blocks for c in outcomes):
        discard(staged)
        return YearPublication(year, False, outcomes, rows)
    return YearPublication(year, True, outcomes, rows, promote(staged))
