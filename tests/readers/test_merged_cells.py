"""A merged cell must read as one cell in DOCX and PDF tables, as it does in HTML.

The real 2021 table 三 of 平潭 (tests/fixtures/real/pingtan/t20220208_80613.htm) has a 自然人 header
spanning two grid columns above value cells that don't: reading a merged value cell as two cells
shifts every applicant column. The demo's attachment writer reproduces that layout in Word and PDF.
"""

from __future__ import annotations

import pytest

import nianbao.demo_portal.attachments as attachments
from nianbao.demo_portal.content import generated_report
from pipeline.parse import parse_document


@pytest.mark.parametrize("kind", ["docx", "pdf"])
def test_the_phantom_column_layout_keeps_applicant_columns_apart(kind, monkeypatch):
    monkeypatch.setattr(attachments, "_without_phantom_columns", lambda cells: cells)
    blocks = tuple(generated_report("演示市公安局", 2021, 0))
    writer = attachments.report_docx if kind == "docx" else attachments.report_pdf
    parsed = parse_document(writer(blocks), filename=f"report.{kind}")
    html = parse_document("\n".join(blocks).encode("utf-8"), filename="report.html")
    assert parsed.report["template_generation"] == "g3"
    assert [c for c in parsed.checks if c["status"] == "failed"] == []
    t3 = {(f["indicator"], f["applicant_type"]): f["value"] for f in html.facts if f["table_id"] == "t3"}
    got = {(f["indicator"], f["applicant_type"]): f["value"] for f in parsed.facts if f["table_id"] == "t3"}
    assert got == t3
