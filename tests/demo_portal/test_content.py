"""Generated demo reports are real report pages rewritten: they parse to their year's table generation with
every table identity intact, and attachments are the same reports as documents a reader can open."""

from __future__ import annotations

import hashlib

import pytest

from nianbao.demo_portal.attachments import report_document, report_docx, report_pdf
from nianbao.demo_portal.content import Markup, generated_report, generation_for, render_body, template
from pipeline.parse import parse_document

from .test_archetypes import get


def served(portal, portal_id: str, year: int) -> tuple[dict, bytes, str]:
    row = next(t for t in portal.truth() if t["portal_id"] == portal_id and t["report_year"] == year and t["generated"]
               and t["expect"] == "stored")
    for _ in range(3):  # some legacy pages fail once by design
        resp = get(portal, row["url"])
        if resp.status == 200:
            return row, resp.body, resp.headers["Content-Type"]
    raise AssertionError(row["url"])


@pytest.mark.parametrize(("portal_id", "year", "generation"), [
    ("demo-510683-oldxian", 2010, "g0"),  # legacy GBK table layout, 2011 Fujian form
    ("demo-440000-mockprov", 2013, "g0"),  # gkmlpt
    ("demo-621102-mockcounty", 2017, "g1"),  # Hanweb #zoom, 统计表 one cell per line
    ("demo-440300-mockshi", 2015, "g1"),
    ("demo-150600-mockcity", 2019, "g2"),  # TRS .TRS_Editor
    ("demo-310000-mockjyh", 2020, "g2"),  # script-JSON SPA
    ("demo-310000-mockjyh", 2022, "g3"),
    ("demo-150600-mockcity", 2021, "g3"),
])
def test_generated_reports_parse_to_their_generation_with_consistent_tables(portal, portal_id, year, generation):
    row, body, content_type = served(portal, portal_id, year)
    res = parse_document(body, url=row["url"], media_type=content_type)
    report = res.report
    assert (report["template_generation"], report["parse_status"]) == (generation, "ok"), report
    assert report["title"] == row["title"] and report["report_year"] == year
    assert report["parse_reason"] is None  # figures come from tables, not from prose
    assert report["checks_passed"] > 0
    failed = [c for c in res.checks if c["status"] == "failed" and c["severity"] == "error"]
    assert not failed, failed
    if generation in ("g2", "g3"):
        assert report["has_table2"] and report["has_table3"] and report["has_table4"]


@pytest.mark.parametrize("year", [2010, 2016, 2019, 2021])
def test_body_names_the_agency_and_year_not_the_template(year):
    text = render_body(generated_report("演示市审计局", year, 3))
    assert "演示市审计局" in text and f"{year}年" in text
    assert "平潭" not in text and "永定" not in text
    # the real agency's contact details stay with the real report
    assert "pingtan" not in text and "0591-" not in text and "@163.com" not in text and "金井湾" not in text
    assert ("<table" in text) == (generation_for(year) != "g1")  # g1 is the one-cell-per-line 统计表


def test_figures_chain_across_years_of_one_agency():
    """结转下年度 of one year is 上年结转 of the next (the cross-year carry check)."""
    def facts(year: int) -> dict:
        page = "<html><body>" + render_body(generated_report("演示市公安局", year, year)) + "</body></html>"
        res = parse_document(page.encode(), media_type="text/html")
        return {(f["indicator"], f["applicant_type"]): f["value"] for f in res.facts}

    for year in (2020, 2021, 2022):
        before, after = facts(year - 1), facts(year)
        assert after["apply.carried_in", "total"] == before["apply.carried_forward", "total"]


def test_templates_keep_the_real_table_layout():
    g3 = template("pingtan/t20220208_80613.htm")
    tables = [b for b in g3.blocks if not isinstance(b, str)]
    assert len(tables) == 3 and len(tables[1]) == 28  # table 三 as on the real page
    assert any(isinstance(b, Markup) for b in generated_report("x局", 2021, 0))


def one_of_each(truth: list[dict]) -> list[tuple[dict, dict]]:
    """(page row, attachment) pairs covering every (kind, generation) and every (portal, kind) the portal serves:
    the attachments are made by one builder per kind, so this slice reaches every layout it makes. Every
    attachment is parsed, filed and checked against its page in tests/e2e/test_archetypes_dataset.py."""
    seen, picked = set(), []
    for row in truth:
        for att in row["attachments"]:
            kind = att["name"].rsplit(".", 1)[-1]
            keys = {(kind, generation_for(row["report_year"])), (row["portal_id"], kind)}
            if att["expect"] == "stored" and not keys <= seen:
                seen |= keys
                picked.append((row, att))
    return picked


def test_attachments_are_their_own_reports(portal):
    """Served attachments are their page's report as a document: same agency, year, generation and figures,
    and the bytes the truth manifest hashes."""
    picked = one_of_each(portal.truth())
    assert {att["name"].rsplit(".", 1)[-1] for _, att in picked} == {"pdf", "docx"}
    assert {generation_for(row["report_year"]) for row, _ in picked} == {"g0", "g1", "g2", "g3"}
    for row, att in picked:
        resp = get(portal, att["url"])
        assert hashlib.sha256(resp.body).hexdigest() == att["sha256"]
        res = parse_document(resp.body, url=att["url"], media_type=resp.headers["Content-Type"], filename=att["name"])
        report = res.report
        assert report["parse_status"] == "ok", (att, report["parse_reason"])
        assert (report["agency_name"], report["report_year"]) == (row["agency"], row["report_year"]), att
        assert report["template_generation"] == generation_for(row["report_year"]), att
        failed = [c for c in res.checks if c["status"] == "failed" and c["severity"] == "error"]
        assert not failed, (att, failed)


def test_attachment_bytes_are_deterministic():
    """The truth manifest's sha256 must not depend on when the portal was built."""
    blocks = tuple(generated_report("演示市公安局", 2021, 0))
    first = {kind: report_document(kind, blocks) for kind in ("pdf", "docx")}
    report_docx.cache_clear()
    report_pdf.cache_clear()
    assert {kind: report_document(kind, blocks) for kind in ("pdf", "docx")} == first


def test_attachments_follow_the_page_figures():
    """Tables reach the document with the page's numbers and merged cells (DOCX) or ruled cells (PDF)."""
    blocks = generated_report("演示市公安局", 2021, 0)
    page = "<html><body>" + render_body(blocks) + "</body></html>"
    facts = {}
    for kind, data in (("html", page.encode()), ("pdf", report_pdf(tuple(blocks))), ("docx", report_docx(tuple(blocks)))):
        res = parse_document(data, filename=f"report.{kind}")
        facts[kind] = {(f["indicator"], f["applicant_type"]): f["value"] for f in res.facts}
    assert facts["pdf"] == facts["html"] == facts["docx"] and len(facts["html"]) > 200
