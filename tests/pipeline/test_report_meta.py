"""Report-level fields a user sees first: whether a page is a report at all, and who published it."""

from __future__ import annotations

from pathlib import Path

from pipeline.parse import parse_document

ROOT = Path(__file__).resolve().parents[1]


def test_column_listing_page_is_not_a_report() -> None:
    res = parse_document((ROOT / "fixtures/real/pingtan/zfxxgknb-index.html").read_bytes(), filename="index.html")
    assert res.report["parse_status"] == "not_a_report"
    assert res.facts == []


def _page(title: str, body: str, source: str = "") -> bytes:
    meta = f'<meta name="ContentSource" content="{source}"/>' if source else ""
    return (f"<html><head><title>{title}</title>{meta}</head><body><h1>{title}</h1>{body}</body></html>").encode()


def test_title_without_organ_gives_no_generic_agency() -> None:
    res = parse_document(_page("2019年政府信息公开工作年度报告", "<p>本报告根据条例编制。</p>"))
    assert res.report["agency_name"] is None


def test_title_without_organ_takes_the_page_source_or_signature() -> None:
    res = parse_document(_page("2019年政府信息公开工作年度报告", "<p>本报告根据条例编制。</p>", "某某县民政局"))
    assert res.report["agency_name"] == "某某县民政局"
    signed = _page("2019年政府信息公开工作年度报告", "<p>本报告根据条例编制。</p><p>某某镇人民政府</p><p>2020年1月20日</p>")
    assert parse_document(signed).report["agency_name"] == "某某镇人民政府"


def test_organ_before_the_year_is_kept() -> None:
    res = parse_document(_page("某某市交通运输局2019年政府信息公开工作年度报告", "<p>本报告</p>"))
    assert res.report["agency_name"] == "某某市交通运输局"
