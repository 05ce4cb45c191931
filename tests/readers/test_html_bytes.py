"""A UTF-8 page is parsed from its own bytes (no decoded copy): the same report as from the decoded text,
also for an XML-declared page, a whitespace-only page and a GB18030 page that claims UTF-8."""

from __future__ import annotations

from pathlib import Path

from pipeline.parse import parse_document
from pipeline.readers.html import read_html

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "pingtan" / "t20220208_80613.htm"


def _same(a, b) -> None:
    assert (a.text, a.meta, [t.rows for t in a.tables]) == (b.text, b.meta, [t.rows for t in b.tables])


def test_a_real_page_reads_the_same_from_its_bytes_as_from_its_text():
    data = FIXTURE.read_bytes()
    _same(read_html(None, data), read_html(data.decode("utf-8")))
    assert len(read_html(None, data).tables) >= 3


def test_an_xml_declared_page_and_a_blank_page_read_from_bytes():
    page = "<?xml version='1.0' encoding='utf-8'?>\n<html><body><p>莆田市2023年政府信息公开工作年度报告</p></body></html>"
    _same(read_html(None, page.encode("utf-8")), read_html(page))
    assert "年度报告" in read_html(None, page.encode("utf-8")).text
    assert read_html(None, b" \n\t ").text == ""


def test_a_gb18030_page_that_claims_utf8_is_not_read_as_utf8():
    page = ("<html><head><meta charset='utf-8'><title>莆田市科学技术局2023年政府信息公开工作年度报告</title></head>"
            "<body><p>本报告依据条例编制。</p></body></html>")
    parsed = parse_document(page.encode("gb18030"), url="http://www.example.gov.cn/a.htm")
    assert parsed.report["title"] == "莆田市科学技术局2023年政府信息公开工作年度报告"
    assert parsed.report["report_year"] == 2023
