"""A report printed in Traditional characters reads as well as its Simplified original (pipeline.traditional).

Portals' 繁體 gateways serve every page converted, and mirrors of real reports circulate that way (山东省机关事务
管理局 2022). Each real report of the corpus is converted here the way such a gateway does it (OpenCC's
phrase-level s2t) and must keep every golden cell, its generation, year and region; no Simplified page may
be taken for a Traditional one.
"""

from __future__ import annotations

import json
from functools import cache

import pytest

from benchmarks.parse import every_fixture
from benchmarks.real_corpus import FIXTURES, FLOORS, load_goldens, score
from pipeline.parse import parse_document
from pipeline.traditional import NOTE, simplify_text

GOLDENS = load_goldens()
FLOOR = json.loads(FLOORS.read_text(encoding="utf-8"))


@cache
def _s2t():
    from opencc import OpenCC

    return OpenCC("s2t")


def _traditional(data: bytes) -> bytes:
    return _s2t().convert(data.decode("utf-8")).encode("utf-8")


@pytest.mark.parametrize(("name", "golden"), GOLDENS, ids=[n for n, _ in GOLDENS])
def test_a_real_report_in_traditional_characters_keeps_its_floor(name: str, golden: dict) -> None:
    data = (FIXTURES / golden["fixture"]).read_bytes()
    converted = _traditional(data)
    assert converted != data
    s = score(name, golden, converted)
    assert not s.below(FLOOR[name]), (s.below(FLOOR[name]), s.got, sorted(s.wrong)[:10])


def test_the_report_says_it_was_read_from_its_conversion() -> None:
    name, golden = next((n, g) for n, g in GOLDENS if g["fixture"].endswith("kirogovcompare.html"))
    path = FIXTURES / golden["fixture"]
    plain = parse_document(path.read_bytes(), url=golden.get("url"), filename=path.name).report
    res = parse_document(_traditional(path.read_bytes()), url=golden.get("url"), filename=path.name).report
    assert NOTE in res["parse_reason"] and plain["parse_reason"] is None
    assert res["title"] == plain["title"] and res["agency_name"] == plain["agency_name"] == "沭阳县发展和改革局"
    assert res["template_generation"] == "g3" and res["has_table2"] and res["has_table4"]


def test_no_simplified_fixture_is_taken_for_traditional() -> None:
    """Every real fixture in every form (HTML, text, markdown, PDF, DOCX, DOC, XLS) is read as printed."""
    for path in every_fixture(ocr=False):
        reason = parse_document(path.read_bytes(), filename=path.name).report["parse_reason"] or ""
        assert NOTE not in reason, path


def test_a_simplified_page_quoting_traditional_names_is_read_as_printed() -> None:
    page = ("<html><body><h1>某县人民政府2023年政府信息公开工作年度报告</h1><p>本年度与臺灣、香港（「香港特別行政區」）"
            "的交流信息，按原文照登。</p></body></html>").encode()
    assert NOTE not in (parse_document(page, filename="a.html").report["parse_reason"] or "")


def test_conversion_reads_the_phrase_where_a_character_has_two_readings() -> None:
    """覆 and 瞭 are Simplified characters too: 答覆 is 答复, 覆蓋 stays 覆盖; numbers are untouched."""
    assert simplify_text("不予公開答覆總數 12 重複申請 反覆 據瞭解 行政復議 覆蓋 瞭望") == \
        "不予公开答复总数 12 重复申请 反复 据了解 行政复议 覆盖 瞭望"


def test_a_word_document_in_traditional_characters_is_converted_after_reading() -> None:
    """Binary formats are not read again: their extraction is converted. The DOCX form of the real 平潭 2021
    report, its runs converted to Traditional, gives the same facts and title as the original."""
    import io

    import docx

    path = FIXTURES / "office" / "pingtan-2021.docx"
    document = docx.Document(io.BytesIO(path.read_bytes()))
    paragraphs = list(document.paragraphs)
    for table in document.tables:
        paragraphs += [p for row in table.rows for cell in row.cells for p in cell.paragraphs]
    for paragraph in paragraphs:
        for run in paragraph.runs:
            run.text = _s2t().convert(run.text)
    buf = io.BytesIO()
    document.save(buf)
    plain = parse_document(path.read_bytes(), filename=path.name)
    res = parse_document(buf.getvalue(), filename=path.name)
    assert NOTE in res.report["parse_reason"] and res.report["title"] == plain.report["title"]
    facts = {(f["indicator"], f["applicant_type"]): f["value"] for f in res.facts}
    assert len(facts) == 222 and facts == {(f["indicator"], f["applicant_type"]): f["value"] for f in plain.facts}
