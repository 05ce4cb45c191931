"""Section boundaries of flattened text and table 四 parts stacked in one grid (issue 9: the two
reports that missed cells, 莆田市海洋与渔业局 2019 and 沭阳县 2025)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.parse import parse_document
from pipeline.readers.text import text_tables

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
