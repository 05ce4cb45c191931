"""Unit behaviour users notice: numbers, labels, grids, generation, dispatch and error rows."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from pipeline.generation import detect
from pipeline.labels import head_key, label_key, local_code, similarity
from pipeline.numbers import parse_cell, to_canonical
from pipeline.parse import parse_document
from pipeline.tables import expand_table, split_text_row
from pipeline.templates import row_index


def test_numbers_cover_real_cell_forms() -> None:
    assert parse_cell("１２３").value == 123
    assert parse_cell(" 1,234 ").value == 1234
    assert parse_cell("+5").value == 5 and parse_cell("-8").value == -8
    c = parse_cell("251000元")
    assert (c.value, c.unit_raw) == (251000, "元")
    assert parse_cell("12万元").unit_raw == "万元"
    for dash in ("—", "——", "-", "/", "－"):
        assert parse_cell(dash).status == "dash" and parse_cell(dash).value is None
    assert parse_cell("\u00a0").status == "blank"
    assert parse_cell("").status == "blank"
    assert parse_cell("无").status == "dash"  # printed "nothing": apart from 0, like a dash
    # A 本年增/减 cell printed with its direction word: 增 / 增加 is +, 减 / 减少 is -; the word alone is text.
    assert [parse_cell(x).value for x in ("增3", "增 3", "增加3", "减2", "减少1.5")] == [3, 3, 3, -2, -1.5]
    assert [parse_cell(x).status for x in ("增", "增加值", "减-2")] == ["text"] * 3
    assert to_canonical(251000, "元", "cny_10k") == 25.1
    assert to_canonical(3, "万元", "cny") == 30000


def test_labels_normalise_width_numbering_quotes_and_traditional() -> None:
    assert label_key("3.危及“三安全一稳定”") == label_key('3、危及"三安全一稳定"') == "危及三安全一稳定"
    assert label_key("（二）部分公开") == label_key("(二)部分公开")
    assert label_key("本年製發件數") == "本年制发件数"
    assert head_key("现行有效件数（历史累计）") == "现行有效件数"
    assert local_code("接受行政诉讼、举报数").startswith("local.") and len(local_code("x")) == 14


def test_row_index_resolves_duplicate_labels_by_position() -> None:
    idx = row_index("stat")
    first = idx.match("四、行政复议数量")
    assert first[0] == "review.total"
    assert idx.match("（二）被依法纠错数", first[3])[0] == "review.corrected"
    lit = idx.match("五、行政诉讼数量", first[3])
    assert idx.match("（二）被依法纠错数", lit[3])[0] == "litigation.all.corrected"


def test_fuzzy_and_deny_rules() -> None:
    idx = row_index("t3")
    m = idx.match("1.本机关不掌握相关政府信")  # truncated label
    assert m and m[0] == "apply.result.unable.not_held" and m[1] == "fuzzy"
    assert row_index("regional").match("政府信息公开收费减免金额") is None


def test_expand_table_rowspan_colspan_and_ids() -> None:
    t = etree.fromstring(
        "<table><tr><td rowspan='2'>a</td><td colspan='2'>b</td></tr><tr><td>1</td><td>2</td></tr></table>",
        etree.HTMLParser(),
    ).find(".//table")
    g = expand_table(t)
    assert g.rows == [["a", "b", "b"], ["a", "1", "2"]]
    assert g.ids[0][1] == g.ids[0][2] and g.ids[0][0] == g.ids[1][0]


def test_split_text_row_variants() -> None:
    assert split_text_row("规章 | 0 | 0 | 0") == ["规章", "0", "0", "0"]
    assert split_text_row("行政许可  12  3") == ["行政许可", "12", "3"]
    assert split_text_row("（一）予以公开 3 1 0 0 0 0 4")[1:] == ["3", "1", "0", "0", "0", "0", "4"]


def test_generation_from_content_not_year() -> None:
    assert detect({"t2", "t3"}, "本年新制作数量 其他处理 | 0", "") == "g2"
    assert detect({"t2", "t3"}, "本年制发件数", "国办公开办函〔2019〕60号") == "g3"
    assert detect({"stat"}, "", "") == "g1"
    assert detect({"regional"}, "", "") == "g0"
    assert detect(set(), "", "今年没有任何表格") == "unknown"


def test_bad_inputs_give_a_status_never_an_exception() -> None:
    for data, status in [
        (b"", "unreadable"),
        (b"\x00\x01\x02\xff" * 10, "unreadable"),
        (b"%PDF-1.4 garbage", "unreadable"),
        ("<html><body><p>今日天气晴</p></body></html>".encode(), "not_a_report"),
    ]:
        res = parse_document(data)
        assert res.report["parse_status"] in (status, "unreadable"), res.report
        assert res.report["parse_reason"]
        assert res.to_json()["report"]["content_sha256"]


def test_report_without_tables_is_flagged_not_silent() -> None:
    html = "<html><head><title>某局2015年政府信息公开工作年度报告</title></head><body><p>今年工作很好。</p></body></html>"
    res = parse_document(html.encode())
    assert res.report["parse_status"] in ("no_tables", "ok")
    if res.report["parse_status"] == "no_tables":
        assert "no statistics table" in res.report["parse_reason"]
    assert res.report["report_year"] == 2015 and res.report["agency_name"] == "某局"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="政府信息公开申请数量予以部分不处理其他总计年本", max_size=14),
       st.text(alphabet="政府信息公开申请数量予以部分不处理其他总计年本", max_size=14))
def test_similarity_cutoff_prunes_only_pairs_below_it(a: str, b: str) -> None:
    """The rapidfuzz bound never drops a pair that difflib scores at or above the cutoff, and never
    changes a score it keeps: fuzzy row matching is the same, only faster."""
    exact = similarity(a, b)
    pruned = similarity(a, b, 0.84)
    if exact >= 0.84:
        assert pruned == exact
    else:
        assert pruned in (0.0, exact)


def test_fuzzy_row_match_is_the_best_template_row() -> None:
    idx = row_index("t3")
    assert idx.match("予以公开的")[:2] == ("apply.result.granted", "fuzzy")
    assert idx.match("完全不相干的一句话") is None


@pytest.mark.parametrize("cell", ["5①", "5 ①", "５②", "5¹", "5*", "5※", "5（注1）", "5(注)"])
def test_a_footnote_mark_after_a_number_is_not_part_of_it(cell: str) -> None:
    """NFKC turns ① and ¹ into the digit 1: '5①' was read as 51."""
    assert (parse_cell(cell).value, parse_cell(cell).status) == (5, "reported")
