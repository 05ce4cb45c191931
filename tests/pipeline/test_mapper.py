"""The one mapper (pipeline.mapper) reads the table spec: a new wording is a data change, not a code change."""

from __future__ import annotations

import shutil
import sys

import pytest
import yaml

from pipeline import templates
from pipeline.parse import parse_document

# A g0 regional form as Fujian county pages print it (指标名称 | 计量单位 | 本年度 | 历年累计); the row
# 申请公开总数 is a wording no spec file knows yet.
G0_PAGE = """<html><head><title>某某县人民政府2011年政府信息公开工作年度报告</title></head><body>
<h1>某某县人民政府2011年政府信息公开工作年度报告</h1>
<table>
<tr><td>指标名称</td><td>计量单位</td><td>2011年度</td><td>历年累计</td></tr>
<tr><td>一、主动公开情况</td><td></td><td></td><td></td></tr>
<tr><td>主动公开信息数</td><td>条</td><td>1520</td><td>8843</td></tr>
<tr><td>其中：政府网站公开</td><td>条</td><td>1488</td><td>8711</td></tr>
<tr><td>二、依申请公开情况</td><td></td><td></td><td></td></tr>
<tr><td>申请公开总数</td><td>件</td><td>37</td><td>164</td></tr>
<tr><td>其中：同意公开数</td><td>件</td><td>30</td><td>140</td></tr>
<tr><td>否决公开数</td><td>件</td><td>2</td><td>9</td></tr>
<tr><td>行政复议</td><td>件</td><td>0</td><td>1</td></tr>
</table></body></html>""".encode()

# Table 三 whose first applicant column is headed 公民 (not 自然人, the national template's word).
T3_PAGE = """<html><head><title>某某局2022年政府信息公开工作年度报告</title></head><body>
<h1>某某局2022年政府信息公开工作年度报告</h1>
<table>
<tr><td colspan="3" rowspan="3">（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）</td>
<td colspan="7">申请人情况</td></tr>
<tr><td rowspan="2">公民</td><td colspan="5">法人或其他组织</td><td rowspan="2">总计</td></tr>
<tr><td>商业企业</td><td>科研机构</td><td>社会公益组织</td><td>法律服务机构</td><td>其他</td></tr>
<tr><td colspan="3">一、本年新收政府信息公开申请数量</td><td>12</td><td>1</td><td>0</td><td>0</td><td>0</td><td>0</td><td>13</td></tr>
<tr><td colspan="3">二、上年结转政府信息公开申请数量</td><td>1</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>1</td></tr>
<tr><td rowspan="3">三、本年度办理结果</td><td colspan="2">（一）予以公开</td><td>8</td><td>1</td><td>0</td><td>0</td><td>0</td><td>0</td><td>9</td></tr>
<tr><td colspan="2">（二）部分公开（区分处理的，只计这一情形，不计其他情形）</td><td>2</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>2</td></tr>
<tr><td colspan="2">（七）总计</td><td>12</td><td>1</td><td>0</td><td>0</td><td>0</td><td>0</td><td>13</td></tr>
<tr><td colspan="3">四、结转下年度继续办理</td><td>1</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>1</td></tr>
</table></body></html>""".encode()


def _clear_spec_caches() -> None:
    """Every cache built from the spec files (templates, the mapper, classification and checks)."""
    for name in ("pipeline.templates", "pipeline.mapper", "pipeline.parse", "pipeline.generation", "pipeline.checks"):
        mod = sys.modules.get(name)
        for obj in vars(mod).values() if mod else ():
            if callable(getattr(obj, "cache_clear", None)):
                obj.cache_clear()


@pytest.fixture
def spec_copy(tmp_path, monkeypatch):
    """A copy of spec/tables/ the test edits; the parser reads it instead of the repository's."""
    shutil.copytree(templates.SPEC_TABLES, tmp_path / "tables")
    monkeypatch.setattr(templates, "SPEC_TABLES", tmp_path / "tables")
    _clear_spec_caches()
    yield tmp_path / "tables"
    monkeypatch.undo()
    _clear_spec_caches()


def _edit(path, change) -> None:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(raw)
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    _clear_spec_caches()


def _facts(page: bytes) -> dict[tuple[str, str], dict]:
    return {(f["indicator"], f["applicant_type"]): f for f in parse_document(page, filename="r.html").facts}


def test_a_new_row_wording_is_one_alias_in_the_spec(spec_copy) -> None:
    before = _facts(G0_PAGE)
    assert ("apply.new", "na") not in before
    unknown = [f for f in before.values() if f["row_label_raw"] == "申请公开总数"]
    assert len(unknown) == 1 and unknown[0]["indicator"].startswith("local.")

    _edit(spec_copy / "g0-regional.yaml", lambda raw: raw["aliases"].update({"申请公开总数": "apply.new"}))

    after = _facts(G0_PAGE)
    fact = after[("apply.new", "na")]
    assert (fact["value"], fact["row_label_raw"], fact["match_method"]) == (37.0, "申请公开总数", "alias")
    assert not any(f["indicator"].startswith("local.") for f in after.values())
    # The rows the spec already knew read the same before and after.
    assert after[("apply.reply.granted", "na")]["value"] == before[("apply.reply.granted", "na")]["value"] == 30.0


def test_a_new_column_header_is_one_word_in_the_spec(spec_copy) -> None:
    before = _facts(T3_PAGE)
    # Unknown 公民: the value columns start at 商业企业, and the natural persons' figures are lost.
    assert ("apply.new", "natural_person") not in before and before[("apply.new", "total")]["value"] == 13.0

    def add_header(raw: dict) -> None:
        raw["columns"][0]["headers"].append("公民")

    for gen in ("g2", "g3"):
        _edit(spec_copy / f"{gen}-t3.yaml", add_header)

    after = _facts(T3_PAGE)
    fact = after[("apply.new", "natural_person")]
    assert (fact["value"], fact["match_method"], fact["col_label_raw"]) == (12.0, "exact", "申请人情况 / 公民")
    assert after[("apply.result.total", "total")]["value"] == 13.0
