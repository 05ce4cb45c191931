"""Section boundaries of flattened text, table 四 parts stacked in one grid, and cells a flattening cut
or collapsed (issue 9: the holdout reports that missed cells and were moved to DEV after being examined:
莆田市海洋与渔业局 2019, 沭阳县 2025, 莆田市水利局 2020, 城市管理局 2023, 应急管理局 2019, 林业局 2020,
民族与宗教事务局 2019, 文化广电新闻出版局 2008)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.parse import parse_document
from pipeline.readers.text import rejoin_cut_cells, text_tables

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BLOCKS = ("review", "litigation.direct", "litigation.after_review")
COLS = ("upheld", "corrected", "other", "pending", "total")


def _fixture(name: str) -> Path:
    """A real fixture wherever it sits (DEV or HOLDOUT: the two reports are being moved)."""
    found = sorted(FIXTURES.glob(f"real*/**/{name}"))
    if not found:
        pytest.skip(f"{name} not in tests/fixtures")
    return found[0]


def _facts(data: bytes, filename: str) -> dict[str, float | None]:
    res = parse_document(data, filename=filename)
    return {f"{f['indicator']}|{f['applicant_type']}": f["value"] for f in res.facts if f["value_status"] != "derived"}


def _t4(got: dict[str, float | None]) -> list[float | None]:
    return [got.get(f"{b}.{s}|na") for b in BLOCKS for s in COLS]


T3_LINES = ["三、收到和处理政府信息公开申请情况", "一、本年新收政府信息公开申请数量", "1", "0", "1",
            "（七）总计", "1", "0", "1", "四、结转下年度继续办理", "0"]


def test_table4_heading_cut_over_two_lines_ends_the_table3_region() -> None:
    """'四、因政府信息公开工作被申请行政复议、提起行政诉讼' / '情况': the heading is a section boundary
    even without its last word, so table 四's header lines and its one printed 0 are their own table."""
    t4 = ["四、因政府信息公开工作被申请行政复议、提起行政诉讼", "情况", "行政复议", "行政诉讼", *COLS_CN,
          "未经复议直接起诉", "复议后起诉", *COLS_CN, *COLS_CN, "0", "五、政府信息公开工作存在的主要问题及改进措施",
          "无。"]
    text = "\n".join(["某市某局2019年政府信息公开工作年度报告", *T3_LINES, *t4])
    kinds = [t.rows[0][0] for t in text_tables(text)]
    assert any(k.startswith("四、因政府信息公开") for k in kinds)
    assert _t4(_facts(text.encode(), "r.txt")) == [0] * 15


COLS_CN = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]


def test_putian_hyj_2019_table4_after_a_cut_heading() -> None:
    """莆田市海洋与渔业局 2019 (archive text, one cell per line): table 四 prints 15 header lines and one 0."""
    path = _fixture("t20200114_1440395.archive.txt")
    got = _facts(path.read_bytes(), path.name)
    assert _t4(got) == [0] * 15
    assert got["apply.new|total"] is not None


MD = """# 某县2025年政府信息公开工作年度报告

## 二、主动公开政府信息情况

### 第二十条第（一）项
| 信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |
|---|---|---|---|
| 规章 | 0 | 0 | 0 |
| 行政规范性文件 | 6 | 1 | 32 |

### 第二十条第（八）项
| 信息内容 | 本年收费金额（单位：万元） |
|---|---|
| 行政事业性收费 | 4.5 |

## 三、收到和处理政府信息公开申请情况

| 类别 | 数据1 | 数据2 | 数据3 | 数据4 | 数据5 | 数据6 | 总计 |
|---|---|---|---|---|---|---|---|
| 一、本年新收政府信息公开申请数量 | 5 | 0 | 0 | 0 | 0 | 0 | 5 |
| 二、上年结转政府信息公开申请数量 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| 三、本年度办理结果（一）予以公开 | 4 | 0 | 0 | 0 | 0 | 0 | 4 |
| （二）部分公开（区分处理的，只计这一情形，不计其他情形） | 1 | 0 | 0 | 0 | 0 | 0 | 1 |
| （七）总计 | 5 | 0 | 0 | 0 | 0 | 0 | 5 |
| 四、结转下年度继续办理 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |

## 四、政府信息公开行政复议、行政诉讼情况

### 行政复议
| 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 |
|---|---|---|---|---|
| 2 | 1 | 0 | 0 | 3 |

### 行政诉讼（复议后起诉）
| 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 |
|---|---|---|---|---|
| 4 | 0 | 0 | 1 | 5 |

### 行政诉讼（未经复议直接起诉）
| 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 |
|---|---|---|---|---|
| 1 | 0 | 0 | 0 | 1 |

## 五、存在的主要问题及改进情况

无。
"""


def test_markdown_headings_are_sections_and_stacked_table4_parts_are_rejoined() -> None:
    """'## 二、…' is the section heading '二、…' (table 二 is not swallowed by table 三's region), and table
    四 as three 5-column tables stacked in one region is read by the blocks its headings name, here in an
    order that is not the template's."""
    got = _facts(MD.encode(), "r.md")
    assert [got[f"proactive.normative_docs.{s}|na"] for s in ("issued", "repealed", "in_force")] == [6, 1, 32]
    assert got["proactive.admin_fees.amount|na"] == 4.5
    assert got["apply.new|natural_person"] == 5
    assert _t4(got) == [2, 1, 0, 0, 3, 1, 0, 0, 0, 1, 4, 0, 0, 1, 5]


def test_shuyang_2025_ocr_markdown() -> None:
    """沭阳县 2025 (OCR'd markdown, '数据1…数据6' headers, table 四 as three tables)."""
    path = _fixture("shuyang-2025-annual-report.kirogovcompare.txt")
    got = _facts(path.read_bytes(), path.name)
    assert _t4(got) == [27, 10, 9, 15, 61, 3, 0, 0, 0, 3, 8, 0, 1, 1, 10]
    assert got["proactive.licensing.decisions|na"] == 517645
    assert got["proactive.admin_fees.amount|na"] == 4068.208


# ----------------------------------------------------------- issue 9: four holdout misses, examined and moved to DEV

T3_G2_HEAD = ["申请人情况", "自然人", "法人或其他组织", "总计", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]
T4_LINES = ["行政复议", "行政诉讼", *COLS_CN, "未经复议直接起诉", "复议后起诉", *COLS_CN, *COLS_CN, "0"]


def _t2_lines(change: list[str], amount: list[str]) -> list[str]:
    """Table 二 of the 2019 template, one cell per line (as the Putian archive prints it); `change` is how
    the 本年增/减 header prints."""
    return ["第二十条第（一）项", "信息内容", "本年新制作数量", "本年新公开数量", "对外公开总数量", "规章", "0",
            "规范性文件", "2", "3", "第二十条第（五）项", "信息内容", "上一年项目数量", *change, "处理决定数量",
            "行政许可", "20", "0", "26", "第二十条第（六）项", "信息内容", "上一年项目数量", *change, "处理决定数量",
            "行政处罚", "71", "-2", "1", "第二十条第（八）项", "信息内容", "上一年项目数量", *change,
            "行政事业性收费", "0", "第二十条第（九）项", "信息内容", "采购项目数量", "采购总金额", "政府集中采购", "4",
            *amount]


def _report(t2_heading: list[str], t2: list[str], t3_heading: list[str], t3_rows: list[str],
            t4_heading: list[str], prose: str = "本年度收到政府信息公开申请。") -> bytes:
    lines = ["标题: 某市某局2020年度政府信息公开工作年度报告", "正文:", "一、总体情况", prose, *t2_heading, *t2,
             *t3_heading, "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", *T3_G2_HEAD, *t3_rows,
             *t4_heading, *T4_LINES, "五、存在的主要问题及改进情况", "无。"]
    return "\n".join(lines).encode()


T3_ZERO = ["一、本年新收政府信息公开申请数量", "0", "二、上年结转政府信息公开申请数量", "0", "三、本年度办理结果",
           "（一）予以公开", "0", "（七）总计", "0", "四、结转下年度继续办理", "0"]
CHANGE = ["本年增/减"]
AMOUNT = ["8.175万元"]


def test_section_headings_cut_after_their_number_end_the_region() -> None:
    """'二、' / '主动公开政府信息情况' (the number on its own line): still a section boundary, so table 二 is not
    swallowed by table 三's region and table 四's header lines and its one 0 are their own table."""
    data = _report(["二、", "主动公开政府信息情况"], _t2_lines(CHANGE, AMOUNT),
                   ["三、", "收到和处理政府信息公开申请情况"], T3_ZERO, ["四、", "政府信息公开行政复议、行政诉讼情况"])
    firsts = [t.rows[0][0] for t in text_tables(data.decode())]
    assert "二、主动公开政府信息情况" in firsts and "四、政府信息公开行政复议、行政诉讼情况" in firsts
    got = _facts(data, "r.txt")
    assert got["proactive.licensing.items_prev_year|na"] == 20 and got["proactive.licensing.decisions|na"] == 26
    assert got["proactive.penalty.items_change|na"] == -2
    assert _t4(got) == [0] * 15
    assert got["apply.new|total"] == 0


def test_putian_slj_2020_tables_2_and_4_under_cut_headings() -> None:
    """莆田市水利局 2020 (archive text): '二、' and '四、' on their own lines; table 二 and table 四 are read."""
    path = _fixture("t20210831_1642166.archive.txt")
    got = _facts(path.read_bytes(), path.name)
    assert [got["proactive.licensing.items_prev_year|na"], got["proactive.licensing.decisions|na"]] == [20, 26]
    assert got["proactive.penalty.items_prev_year|na"] == 71
    assert got["proactive.procurement.amount|na"] == pytest.approx(0.2488)
    assert _t4(got) == [0] * 15


@pytest.mark.parametrize("amount", [["8.175万", "元"], ["8.175千", "元"]])
def test_a_money_cell_whose_unit_went_to_the_next_line(amount: list[str]) -> None:
    """'8.175万' / '元': one cell (8.175 万元), not a label line that leaves the count 4 to be read twice."""
    data = _report(["二、主动公开政府信息情况"], _t2_lines(CHANGE, amount), ["三、收到和处理政府信息公开申请情况"],
                   T3_ZERO, ["四、政府信息公开行政复议、行政诉讼情况"])
    got = _facts(data, "r.txt")
    assert got["proactive.procurement.projects|na"] == 4
    assert got["proactive.procurement.amount|na"] == pytest.approx(8.175 if amount[0].endswith("万") else 0.8175)


def test_putian_yjglj_2019_procurement_amount() -> None:
    """莆田市应急管理局 2019 (archive text): '8.175万' / '元' is 8.175 万元 (it was read as the count, 4)."""
    path = _fixture("t20200114_1440373.archive.txt")
    got = _facts(path.read_bytes(), path.name)
    assert got["proactive.procurement.projects|na"] == 4
    assert got["proactive.procurement.amount|na"] == pytest.approx(8.175)


def test_a_header_cut_at_its_slash_keeps_both_columns() -> None:
    """'本年增' / '/' / '减': one header (本年增/减), not a dash cell; the block's one printed 0 then stands
    for its two cells (上一年项目数量 and 本年增/减), as in every other row of a collapsed flattening."""
    data = _report(["二、主动公开政府信息情况"], _t2_lines(["本年增", "/", "减"], AMOUNT),
                   ["三、收到和处理政府信息公开申请情况"], T3_ZERO, ["四、政府信息公开行政复议、行政诉讼情况"])
    rows = [r for t in text_tables(data.decode()) for r in t.rows]
    assert sum(r[0] == "本年增/减" for r in rows) == 3 and not any(r[0] == "减" for r in rows)
    got = _facts(data, "r.txt")
    assert [got["proactive.admin_fees.items_prev_year|na"], got["proactive.admin_fees.items_change|na"]] == [0, 0]
    assert [got["proactive.penalty.items_prev_year|na"], got["proactive.penalty.items_change|na"]] == [71, -2]


@pytest.mark.parametrize(("lines", "want"), [
    (["本年增", "/", "减"], ["本年增/减"]),
    (["8.175万", "元"], ["8.175万元"]),
    (["行政诉讼数", "/", "无"], ["行政诉讼数", "/", "无"]),  # a dash cell, then a nil cell: not a header
    (["行政诉讼数", "/", "其他"], ["行政诉讼数", "/", "其他"]),  # a dash cell, then the next row's label
    (["采购总金额", "8.175万", "元", "4"], ["采购总金额", "8.175万元", "4"]),
    (["人次", "3万", "元"], ["人次", "3万元"]),
    (["访问量", "3万", "人次"], ["访问量", "3万", "人次"]),  # 万人次 is no unit: left alone
    (["行政许可", "2", "增", "3", "7"], ["行政许可", "2", "增3", "7"]),
    (["减少", "2"], ["减少2"]),
    (["增", "加强管理"], ["增", "加强管理"]),  # a word, then text: not a change cell
])
def test_rejoin_cut_cells(lines: list[str], want: list[str]) -> None:
    assert rejoin_cut_cells(lines) == want


def test_putian_lyj_2020_admin_fees_under_a_cut_header() -> None:
    """莆田市林业局 2020 (archive text): '本年增 / / / 减' headers; 行政事业性收费 prints one 0 for two cells."""
    path = _fixture("t20210111_1560264.archive.txt")
    got = _facts(path.read_bytes(), path.name)
    assert [got["proactive.admin_fees.items_prev_year|na"], got["proactive.admin_fees.items_change|na"]] == [0, 0]
    assert got["proactive.licensing.items_prev_year|na"] == 40 and got["proactive.licensing.decisions|na"] == 53


T3_RUNS = ["一、本年新收政府信息公开申请数量", "19", "0", "1", "0", "20", "二、上年结转政府信息公开申请数量", "0",
           "三、本年度办理结果", "（一）予以公开", "2", "0", "2", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
           "3", "0", "1", "0", "4", "（七）总计", "19", "0", "1", "0", "20", "四、结转下年度继续办理", "0"]
ORGS = ("org.commercial", "org.research", "org.public_interest", "org.legal_service", "org.other")


@pytest.mark.parametrize(("prose", "want"), [
    ("全年共收到申请20件，其中自然人申请19件、社会公益组织申请1件。", [0, 0, 1, 0, 0]),
    ("全年共收到申请20件，其中自然人申请19件、法律服务机构申请1件。", [0, 0, 0, 1, 0]),
    ("全年共收到申请20件。", [0, None, None, None, 0]),  # the text does not say: the three slots stay unread
])
def test_collapsed_table3_rows_settled_by_the_applicant_types_the_text_names(prose: str, want: list) -> None:
    """'19 / 0 / 1 / 0 / 20' for seven columns: the row identity puts the 1 under 科研机构, 社会公益组织 or
    法律服务机构; the organisation type the report's text says applied decides, in every such row."""
    data = _report(["二、主动公开政府信息情况"], _t2_lines(CHANGE, AMOUNT), ["三、收到和处理政府信息公开申请情况"],
                   T3_RUNS, ["四、政府信息公开行政复议、行政诉讼情况"], prose=prose)
    got = _facts(data, "r.txt")
    for row in ("apply.new", "apply.result.partial", "apply.result.total"):
        assert [got.get(f"{row}|{a}") for a in ORGS] == want, row
        assert got[f"{row}|total"] == (4 if row == "apply.result.partial" else 20)
    assert [got.get(f"apply.result.granted|{a}") for a in ORGS] == [0] * 5


def test_putian_cgj_2023_social_organisation_applicant() -> None:
    """莆田市城市管理局 2023 (archive text): '19 / 0 / 1 / 0 / 20'; the prose names 社会公益组织 (1条)."""
    path = _fixture("t20240117_1899110.archive.txt")
    got = _facts(path.read_bytes(), path.name)
    for row, n in (("apply.new", 19), ("apply.result.partial", 3), ("apply.result.total", 19)):
        assert got[f"{row}|natural_person"] == n
        assert [got[f"{row}|{a}"] for a in ORGS] == [0, 0, 1, 0, 0], row


def test_a_change_cell_printed_as_its_word_and_its_number_on_two_lines() -> None:
    """'行政许可 / 20 / 增 / 3 / 26': the 本年增/减 cell is '增3' (+3), not a label that shifts 20 into the
    next two cells; '减 / 2' is -2."""
    t2 = _t2_lines(CHANGE, AMOUNT)
    i = t2.index("行政许可")
    t2[i + 2:i + 3] = ["增", "3"]
    j = t2.index("行政处罚")
    t2[j + 2:j + 3] = ["减", "2"]
    data = _report(["二、主动公开政府信息情况"], t2, ["三、收到和处理政府信息公开申请情况"], T3_ZERO,
                   ["四、政府信息公开行政复议、行政诉讼情况"])
    got = _facts(data, "r.txt")
    assert [got[f"proactive.licensing.{c}|na"] for c in ("items_prev_year", "items_change", "decisions")] == [20, 3, 26]
    assert [got[f"proactive.penalty.{c}|na"] for c in ("items_prev_year", "items_change", "decisions")] == [71, -2, 1]


def test_putian_mzj_2019_change_cells() -> None:
    """莆田市民族与宗教事务局 2019 (archive text): '增' / '3' in three rows of table 二."""
    path = _fixture("t20200113_1440005.archive.txt")
    got = _facts(path.read_bytes(), path.name)
    for row, want in (("licensing", [2, 3, 7]), ("other_services", [35, 1, 10]), ("penalty", [7, 4, 0])):
        assert [got[f"proactive.{row}.{c}|na"] for c in ("items_prev_year", "items_change", "decisions")] == want, row


@pytest.mark.parametrize(("label", "want"), [("行政申诉数", 0), ("行政申请数", 0), ("行政申报数", 0), ("其他申请数", None)])
def test_a_label_one_character_off_the_next_row_takes_that_row(label: str, want: int | None) -> None:
    """The 2008 regional form's last row, after 行政复议数 and 行政诉讼数, printed as 行政申诉数 or one character
    off it: the row that comes next in the template; a label two characters off is not (the 文化广电新闻出版局
    2008 page with its last label replaced)."""
    text = _fixture("t20170118_512049.archive.txt").read_text(encoding="utf-8").replace("行政申请数", label)
    got = _facts(text.encode(), "r.txt")
    assert got["litigation.all.total|na"] == 0 and got["review.total|na"] == 0
    assert got.get("appeal.total|na") == want


def test_putian_wgxj_2008_misprinted_last_row() -> None:
    """莆田市文化广电新闻出版局 2008 (archive text): the last row printed '行政申请数' is 行政申诉数, 0."""
    path = _fixture("t20170118_512049.archive.txt")
    got = _facts(path.read_bytes(), path.name)
    assert got["appeal.total|na"] == 0
    assert not any(k.startswith("local.") and "申请数" in k for k in got)


# --- Cells spaced out character by character --------------------------------------------------------

_SHORT_CELL = re.compile(r"(?m)^[\u4e00-\u9fff]{2,6}$")


def _letter_spaced(data: bytes) -> bytes:
    """Every short all-Chinese cell line spaced out as distributed alignment prints it ('规 章', '万 元')."""
    return _SHORT_CELL.sub(lambda m: " ".join(m.group(0)), data.decode("utf-8")).encode("utf-8")


@pytest.mark.parametrize("name", ["t20200113_1440005.archive.txt", "yongding-2018.txt"])
def test_letter_spaced_cells_read_as_printed_unspaced(name: str) -> None:
    """莆田市民族与宗教事务局 2019 lost all of table 二 (its 信息内容 header and row labels), 永定区 2018 the
    values whose unit cell is 万元 or 人次, when those cells were spaced out."""
    path = _fixture(name) if name.startswith("t2") else FIXTURES / "seed" / name
    data = path.read_bytes()
    spaced = _letter_spaced(data)
    assert spaced != data
    assert _facts(spaced, path.name) == _facts(data, path.name)


@pytest.mark.parametrize(("line", "want"), [
    ("信 息 内 容", "信息内容"), ("万　元", "万元"), ("总 计", "总计"), ("（一）予 以 公 开", "（一）予以公开"),
    ("自然人 商业企业 科研机构", "自然人 商业企业 科研机构"), ("行政许可 3 5 7", "行政许可 3 5 7"),
])
def test_only_runs_of_single_characters_are_joined(line: str, want: str) -> None:
    from pipeline.readers.text import _unspaced

    assert _unspaced(line) == want


@pytest.mark.parametrize("footer", ["— 3 —", "- 3 -", "－12－"])
@pytest.mark.parametrize("name", ["t20230112_1794364.archive.txt", "t20200113_1440005.archive.txt"])
def test_a_page_number_between_two_table_rows_is_not_a_cell(name: str, footer: str) -> None:
    """A converted PDF prints its 公文-style page number where a table runs over a page (上海市人民政府办公厅
    2025 has '— 5 —' inside table 三). Put before the （四）无法提供 row of 莆田市科学技术局 2022 and 民族与宗教
    事务局 2019, it read as a dash, a number and a dash: the 行政查询 row above it lost its cells."""
    path = _fixture(name)
    data = path.read_bytes()
    lines = data.decode("utf-8").split("\n")
    at = next(i for i, ln in enumerate(lines) if "（四）无法提供" in ln)
    paged = "\n".join([*lines[:at], footer, *lines[at:]]).encode("utf-8")
    assert _facts(paged, path.name) == _facts(data, path.name)


# --- Table 三 split where a page broke it -------------------------------------------------------------


def _split_t3(data: bytes, reemit: bool) -> tuple[bytes, bytes]:
    """(the page as lxml serialises it, the same page with table 三 cut into two tables before its （四）
    row, as a Word page break or a converted PDF prints it). ``reemit``: the second part prints its own
    三、本年度办理结果 cell, spanning its rows down to 总计, as Word does when it splits a merged cell."""
    from lxml import etree
    from lxml import html as lxml_html

    from pipeline.tables import own_rows

    doc = lxml_html.document_fromstring(data)
    plain = etree.tostring(doc, encoding="utf-8", method="html")
    doc = lxml_html.document_fromstring(plain)
    text = lambda el: etree.tostring(el, method="text", encoding=str)  # noqa: E731
    table = next(t for t in doc.iter("table") if "本年新收" in text(t) and next(t.iterdescendants("table"), None) is None)
    rows = own_rows(table)
    part = rows[next(i for i, r in enumerate(rows) if "无法提供" in text(r)):]
    second = etree.Element("table", table.attrib)
    for r in part:
        r.getparent().remove(r)
        second.append(r)
    if reemit:
        span = next(i for i, r in enumerate(part) if "结转下年度" in text(r))
        cell = etree.Element("td", rowspan=str(span))
        cell.text = "三、本年度办理结果"
        part[0].insert(0, cell)
    table.addnext(second)
    return plain, etree.tostring(doc, encoding="utf-8", method="html")


@pytest.mark.parametrize("reemit", [False, True])
@pytest.mark.parametrize("name", ["t20220208_80613.htm", "2ecfb31a335f4d689220a3a23e24a986.kirogovcompare.html"])
def test_table_three_cut_in_two_by_a_page_break(name: str, reemit: bool) -> None:
    """The part after the break has no header band and no marker words: it was no table kind at all and
    平潭 2021 lost 91 of its 200 table-三 cells (沭阳县发改局 2023: 26 of 75). Its rows are table 三's rows,
    so it is table 三, mapped by position."""
    plain, cut = _split_t3(_fixture(name).read_bytes(), reemit)
    got = _facts(cut, "page.html")
    assert got == _facts(plain, "page.html")
    assert sum(1 for k in got if k.startswith("apply.result.")) > 50


def test_the_pdf_of_a_real_report_reads_table_three_across_its_page_break() -> None:
    """平潭 2021 printed to PDF (tests/fixtures/office, from the real page): table 三 runs over a page, the
    label 2.没有现成信息需要另行制作 cut after 2.没有 with its numbers on page 1, the part on page 2 printing
    no header band and blanks where page 1's rowspan labels were. Before: 94 of the page's 175 table-三 cells,
    and 总计 taken from the cut row (三、本年度办理结果 + 2.没有 read as 总计, 0 for 63)."""
    page = FIXTURES / "real" / "pingtan" / "t20220208_80613.htm"
    pdf = FIXTURES / "office" / "pingtan-2021.pdf"
    want = {k: v for k, v in _facts(page.read_bytes(), page.name).items() if k.startswith("apply.")}
    res = parse_document(pdf.read_bytes(), filename=pdf.name)
    got = {f"{f['indicator']}|{f['applicant_type']}": f["value"] for f in res.facts if f["value_status"] != "derived"}
    assert len(want) == 175 and {k: got.get(k) for k in want} == want
    assert res.report["checks_failed"] == 0


@pytest.mark.parametrize(("label", "last", "want"), [
    ("2.没有", "apply.result.unable.not_held", "apply.result.unable.needs_creation"),  # the next row
    ("2.没有", "apply.result.withheld.state_secret", None),  # not the next row: no guess
    ("1.", "apply.result.unable.not_held", None),
])
def test_a_label_cut_by_a_page_break_is_the_next_row_it_starts(label: str, last: str, want: str | None) -> None:
    from pipeline.templates import row_index

    idx = row_index("t3")
    pos = next(e.pos for e in idx.entries if e.code == last)
    hit = idx.match(label, pos)
    assert (hit[0] if hit else None) == want


@pytest.mark.parametrize(("row", "first_value_column"), [
    (["", "", "3.补正后申请内容仍不明确", "0", "0", "0", "0", "0", "0", "0"], 3),  # rowspan labels emptied
    (["（一）予以公开", "", "2", "0", "0", "0", "0", "0", "2"], 1),  # a blank first cell is a value
    (["（一）予以公开", "2", "不适用", "0", "0", "0", "0", "2"], 1),  # text among the values is not a label
])
def test_the_first_value_column_under_no_applicant_header(row: list[str], first_value_column: int) -> None:
    from pipeline.mapper import ApplicantColumns
    from pipeline.templates import spec_for

    cols = ApplicantColumns(spec_for("t3", "g3"), "g3")
    cols.first_app = None  # no header band names the applicant columns (a part after a page break)
    assert cols._boundary(row) == first_value_column
