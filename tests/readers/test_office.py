"""Binary readers on real-report fixtures (平潭 2021, tables 三 and 四) made by tests/fixtures/office/make_fixtures.py."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import docx
import pytest

from pipeline.readers import doc as doc_reader
from pipeline.readers import image as image_reader
from pipeline.readers.docx import grid_lines, table_grid
from pipeline.readers.office import UnreadableDocument, read_binary, sniff
from pipeline.readers.pdf import join_cell_lines, text_is_usable
from pipeline.readers.xls import format_cell

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "office"
NEW_APPLICATIONS = ["64", "0", "0", "0", "2", "0", "4", "70"]  # phantom column under 商业企业 repeats its 0
TABLE4_VALUES = ["1", "0", "2", "0", "3", "12", "0", "0", "0", "12", "0", "0", "0", "0", "0"]


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def row_starting(table, label: str) -> list[str]:
    return next(r for r in table.rows if r[0] == label)


def assert_rectangular(table) -> None:
    assert len({len(r) for r in table.rows}) == 1, [len(r) for r in table.rows]


# -- sniffing ---------------------------------------------------------------------------------------


def test_sniff_trusts_bytes_over_a_wrong_name_or_media_type():
    assert sniff(fixture("pingtan-2021.docx"), "application/octet-stream", "report.doc") == "docx"
    assert (
        sniff(
            fixture("pingtan-2021.doc"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "report.docx",
        )
        == "doc"
    )
    assert sniff(fixture("pingtan-2021-tables.xls"), None, "report.doc") == "xls"
    assert sniff(fixture("pingtan-2021-tables.xlsx"), None, None) == "xlsx"
    assert sniff(fixture("pingtan-2021.pdf"), "text/html", "x.htm") == "pdf"
    assert sniff(fixture("pingtan-2021-page1.png")) == "png"


@pytest.mark.parametrize(
    ("data", "filename", "reason"),
    [
        (b"", "a.pdf", "empty file"),
        ("<html><body>2021年报</body></html>".encode(), "report.doc", "HTML reader"),
        (b"\x00\x01garbage" * 10, "report.pdf", "no pdf signature"),
        (b"\x00\x01garbage" * 10, None, "unrecognised file format"),
    ],
)
def test_sniff_rejects_with_a_one_line_reason(data, filename, reason):
    with pytest.raises(UnreadableDocument) as exc:
        read_binary(data, filename=filename)
    assert reason in exc.value.reason
    assert "\n" not in exc.value.reason


def test_zip_without_office_document_is_unreadable():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("附件1.txt", "不是报告")
    with pytest.raises(UnreadableDocument, match="zip archive"):
        read_binary(buf.getvalue(), filename="附件.zip")


def test_truncated_docx_is_unreadable():
    with pytest.raises(UnreadableDocument):
        read_binary(fixture("pingtan-2021.docx")[:5000], filename="a.docx")


# -- DOCX -------------------------------------------------------------------------------------------


def test_docx_reads_paragraphs_and_tables_in_order():
    doc = read_binary(fixture("pingtan-2021.docx"), filename="pingtan-2021.docx")
    assert doc.source_format == "docx"
    assert "本年度全区共收到70件申请" in doc.text
    # paragraphs and table rows interleave as in the document
    assert doc.text.index("三、收到和处理政府信息公开申请情况") < doc.text.index(
        "一、本年新收政府信息公开申请数量"
    )
    assert doc.text.index("四、结转下年度继续办理") < doc.text.index("四、政府信息公开行政复议、行政诉讼情况")
    assert doc.text.index("结果维持") < doc.text.index("2021年，无收取信息处理费情况。")
    assert len(doc.tables) == 2


def test_docx_table3_merged_cells_repeat_in_a_rectangular_grid():
    table3 = read_binary(fixture("pingtan-2021.docx")).tables[0]
    assert_rectangular(table3)
    assert len(table3.rows) == 28
    assert row_starting(table3, "一、本年新收政府信息公开申请数量")[3:] == NEW_APPLICATIONS
    # "三、本年度办理结果" has rowspan 22, "（三）不予公开" rowspan 8: every covered row carries the label
    assert sum(r[0] == "三、本年度办理结果" for r in table3.rows) == 22
    withheld = [r for r in table3.rows if r[1] == "（三）不予公开"]
    assert [r[2] for r in withheld][:2] == ["1.属于国家秘密", "2.其他法律行政法规禁止公开"]
    assert len(withheld) == 8
    assert next(r for r in withheld if r[2] == "7.属于行政执法案卷")[-1] == "6"
    total = next(r for r in table3.rows if r[1] == "（七）总计")
    assert total[3:] == ["63", "0", "0", "0", "2", "0", "4", "69"]
    # header: 申请人情况 spans every value column
    assert table3.rows[0][3:] == ["申请人情况"] * 8


def test_docx_table4_fifteen_numbers():
    table4 = read_binary(fixture("pingtan-2021.docx")).tables[1]
    assert_rectangular(table4)
    assert table4.rows[0] == ["行政复议"] * 5 + ["行政诉讼"] * 10
    assert table4.rows[1][5:] == ["未经复议直接起诉"] * 5 + ["复议后起诉"] * 5
    assert table4.rows[3] == TABLE4_VALUES


def test_docx_text_prints_each_real_cell_once():
    doc = read_binary(fixture("pingtan-2021.docx"))
    # the colspan-2 "0" under 商业企业 is one cell in the document, so it is printed once
    assert "一、本年新收政府信息公开申请数量 64 0 0 2 0 4 70" in doc.text.splitlines()
    assert "二、上年结转政府信息公开申请数量 0 0 0 0 0 0 0" in doc.text
    assert "1 0 2 0 3 12 0 0 0 12 0 0 0 0 0" in doc.text


def test_docx_grid_handles_grid_before_and_vertical_merge():
    document = docx.Document()
    table = document.add_table(rows=3, cols=3)
    table.cell(0, 0).merge(table.cell(1, 0)).text = "行政复议数"
    table.cell(0, 1).merge(table.cell(0, 2)).text = "2011年度"
    table.cell(1, 1).text = "0"
    table.cell(1, 2).text = "0"
    table.cell(2, 0).text = "行政诉讼数"
    grid, copies, ids = table_grid(document.tables[0])
    assert grid == [["行政复议数", "2011年度", "2011年度"], ["行政复议数", "0", "0"], ["行政诉讼数", "", ""]]
    assert grid_lines(grid, copies) == ["行政复议数 2011年度", "0 0", "行政诉讼数"]
    # one merged Word cell keeps one id across its slots; two equal cells ("0", "0") keep two
    assert ids[0][1] == ids[0][2] and ids[0][0] == ids[1][0] and ids[1][1] != ids[1][2]
    # a row that starts one grid column late (w:gridBefore) is padded, not shifted left
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    tr = document.tables[0]._tbl.tr_lst[2]
    tr.remove(tr.tc_lst[0])
    tr.insert(0, parse_xml(f"<w:trPr {nsdecls('w')}><w:gridBefore w:val='1'/></w:trPr>"))
    grid, _, _ = table_grid(document.tables[0])
    assert grid[2] == ["", "", ""]
    assert len({len(r) for r in grid}) == 1


# -- PDF --------------------------------------------------------------------------------------------


def test_pdf_text_and_tables():
    doc = read_binary(fixture("pingtan-2021.pdf"), "application/pdf")
    assert doc.source_format == "pdf_text"
    assert doc.meta["pages"] == "3"
    assert "本年度全区共收到70件申请" in doc.text
    assert "2021年，无收取信息处理费情况。" in doc.text
    first = doc.tables[0]
    assert first.origin == "pdf page 1 table 1"
    assert_rectangular(first)
    assert row_starting(first, "一、本年新收政府信息公开申请数量")[3:] == NEW_APPLICATIONS
    # a cell wrapped over several lines in the PDF comes back as one string
    assert any(r[1] == "（二）部分公开（区分处理的，只计这一情形，不计其他情形）" for r in first.rows)
    # vertical merges repeat on every row they cover
    assert sum(r[0] == "三、本年度办理结果" for r in first.rows) >= 8
    table4 = doc.tables[-1]
    assert table4.rows[0] == ["行政复议"] * 5 + ["行政诉讼"] * 10
    assert table4.rows[-1] == TABLE4_VALUES


def test_pdf_corrupt_is_unreadable():
    with pytest.raises(UnreadableDocument, match="PDF"):
        read_binary(b"%PDF-1.4\n" + b"\x00" * 200, filename="broken.pdf")


def test_scanned_pdf_without_ocr_says_so(monkeypatch):
    monkeypatch.setattr(image_reader, "ocr_available", lambda: False)
    with pytest.raises(UnreadableDocument, match="OCR engine not installed"):
        read_binary(fixture("pingtan-2021-scan.pdf"))


def test_image_without_ocr_says_so(monkeypatch):
    monkeypatch.setattr(image_reader, "ocr_available", lambda: False)
    with pytest.raises(UnreadableDocument, match="scanned image; OCR engine not installed"):
        read_binary(fixture("pingtan-2021-page1.png"), "image/png")


@pytest.mark.parametrize(
    ("text", "usable"),
    [
        ("平潭综合实验区2021年度政府信息公开工作年度报告，本年度全区共收到70件申请。", True),
        ("(cid:3421)(cid:1200)(cid:877)" * 20, False),
        ("\ufffd\ufffd\ufffd年度报告\ufffd\ufffd\ufffd\ufffd" * 5, False),
        ("  3  ", False),
    ],
)
def test_garbled_or_empty_text_layers_are_detected(text, usable):
    assert text_is_usable(text) is usable


def test_cell_line_joining():
    assert join_cell_lines("（二）部分公开\n（区分处理的，\n只计这一情形，\n不计其他情形）") == (
        "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"
    )
    assert join_cell_lines("Total\ncount") == "Total count"


# -- spreadsheets -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["pingtan-2021-tables.xlsx", "pingtan-2021-tables.xls"])
def test_spreadsheet_grid(name):
    doc = read_binary(fixture(name), filename=name)
    assert doc.source_format == "xls"
    # One sheet stacks tables 三 and 四 with an empty row between: two tables, each as wide as itself.
    t3, t4 = doc.tables
    assert (t3.origin, t4.origin) == ("sheet Sheet1 rows 1-28", "sheet Sheet1 rows 30-33")
    assert_rectangular(t3)
    assert len(t3.rows[0]) == 11 and len(t4.rows[0]) == 15
    new = row_starting(t3, "一、本年新收政府信息公开申请数量")
    assert new[3:11] == NEW_APPLICATIONS  # numbers without a trailing '.0', merged value repeated
    i = t3.rows.index(new)
    assert t3.ids[i][4] == t3.ids[i][5] != t3.ids[i][6]  # ...but one merged cell, as an HTML span says
    assert sum(r[0] == "三、本年度办理结果" for r in t3.rows) == 22
    assert TABLE4_VALUES in t4.rows
    assert "一、本年新收政府信息公开申请数量 64 0 0 0 2 0 4 70" not in doc.text  # merged copy printed once
    assert "一、本年新收政府信息公开申请数量 64 0 0 2 0 4 70" in doc.text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (70.0, "70"),
        (0.30000000000000004, "0.3"),
        (24252.311082, "24252.311082"),
        (-8.0, "-8"),
        (None, ""),
        (3, "3"),
    ],
)
def test_spreadsheet_numbers_print_as_shown(value, text):
    assert format_cell(value) == text


# -- DOC --------------------------------------------------------------------------------------------


def test_doc_without_converters_names_what_is_missing(monkeypatch):
    monkeypatch.setattr(doc_reader, "soffice_binary", lambda: None)
    monkeypatch.setattr(doc_reader, "antiword_binary", lambda: None)
    with pytest.raises(UnreadableDocument, match="needs antiword or LibreOffice"):
        read_binary(fixture("pingtan-2021.doc"), "application/msword", "report.doc")


def test_doc_via_libreoffice_keeps_tables():
    if doc_reader.soffice_binary() is None:
        pytest.skip("LibreOffice (soffice) not installed")
    doc = read_binary(fixture("pingtan-2021.doc"), "application/msword", "report.doc")
    assert doc.source_format == "doc"
    assert doc.meta["converter"] == "libreoffice"
    assert "本年度全区共收到70件申请" in doc.text
    table3 = doc.tables[0]
    assert_rectangular(table3)
    assert row_starting(table3, "一、本年新收政府信息公开申请数量")[-1] == "70"
    assert sum(r[0] == "三、本年度办理结果" for r in table3.rows) == 22
    # LibreOffice may widen a column on the way (总计 spans two grid columns): the values still read once
    assert doc.tables[1].rows[0][0] == "行政复议"
    assert " ".join(TABLE4_VALUES) in doc.text.splitlines()


def test_doc_via_antiword_gives_text(monkeypatch):
    if shutil.which("antiword") is None:
        pytest.skip("antiword not installed")
    monkeypatch.setattr(doc_reader, "soffice_binary", lambda: None)
    doc = read_binary(fixture("pingtan-2021.doc"), filename="report.doc")
    assert doc.source_format == "doc"
    assert doc.meta["converter"] == "antiword"
    assert "本年度全区共收到70件申请" in doc.text
    assert "2021年，无收取信息处理费情况。" in doc.text
    assert doc.tables == []
    assert any("antiword" in w for w in doc.warnings)


def test_rtf_named_doc_goes_through_libreoffice():
    if doc_reader.soffice_binary() is None:
        pytest.skip("LibreOffice (soffice) not installed")
    body = "".join(f"\\u{ord(c)}?" for c in "本年度共收到政府信息公开申请12件")
    rtf = "{\\rtf1\\ansi{\\fonttbl\\f0 Arial;}\\f0 " + body + "\\par}"
    doc = read_binary(rtf.encode("ascii"), "application/msword", "report.doc")
    assert doc.text == "本年度共收到政府信息公开申请12件"


@pytest.mark.parametrize("name", ["pingtan-2021-tables.xlsx", "pingtan-2021-tables.xls", "pingtan-2021.docx",
                                  "pingtan-2021.pdf"])
def test_each_form_reads_tables_three_and_four_like_the_page(name):
    """The real 平潭 2021 page and its DOCX, PDF and spreadsheet forms give the same table-三/四 facts (value
    and status). Before, the spreadsheet (both tables in one sheet) gave no table 四 and ten table-三 cells in
    the wrong applicant column (the phantom column's merged 0 counted twice)."""
    from pipeline.parse import parse_document

    page = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "pingtan" / "t20220208_80613.htm"

    def facts(data: bytes, filename: str) -> dict:
        res = parse_document(data, filename=filename)
        return {(f["indicator"], f["applicant_type"]): (f["value"], f["value_status"]) for f in res.facts
                if f["indicator"].startswith(("apply.", "review.", "litigation."))}

    want = facts(page.read_bytes(), page.name)
    assert len(want) == 222 and facts(fixture(name), name) == want
