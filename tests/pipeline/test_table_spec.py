"""The table spec (pipeline/spec/tables/*.yaml) is the one place table knowledge lives."""

from __future__ import annotations

import pytest
import yaml

from pipeline import templates
from pipeline.generation import detect
from pipeline.parse import classify
from pipeline.templates import row_index, t2_order, t3_row_order, t4_order, table_specs


def test_one_spec_per_generation_and_table() -> None:
    names = {s.name for s in table_specs()}
    assert {"g0-regional", "g1-stat", "g2-t2", "g2-t3", "g2-t4", "g3-t2", "g3-t3", "g3-t4"} <= names
    shapes = {s.kind: s.shape for s in table_specs()}
    assert shapes == {"regional": "row_table", "stat": "row_table", "t2": "row_by_column",
                      "t3": "row_by_applicant", "t4": "block_by_column"}


def test_positional_orders_come_from_the_spec() -> None:
    assert len(t4_order("g3")) == 15 and t4_order("g3")[4] == "review.total"
    assert t4_order("g2")[-1] == "litigation.after_review.total"
    assert t3_row_order("g3")[-3:] == ["apply.result.other.misc", "apply.result.total", "apply.carried_forward"]
    assert "apply.result.other" in t3_row_order("g2")
    assert t2_order("g2")["proactive.procurement"] == ("projects", "amount")
    assert t2_order("g3")["proactive.normative_docs"] == ("issued", "repealed", "in_force")


def test_fujian_wordings_are_aliases_in_data() -> None:
    idx = row_index("regional")
    assert idx.match("受理政府信息公开申请总数")[0] == "apply.new"
    assert idx.match("其中：1.公开同意答复数")[0] == "apply.reply.granted"
    raw = yaml.safe_load((templates.SPEC_TABLES / "g0-regional.yaml").read_text(encoding="utf-8"))
    assert raw["aliases"]["受理政府信息公开申请总数"] == "apply.new"


def test_an_unknown_code_in_a_spec_fails_loudly(tmp_path, monkeypatch) -> None:
    for p in templates.SPEC_TABLES.glob("*.yaml"):
        (tmp_path / p.name).write_bytes(p.read_bytes())
    bad = tmp_path / "g0-regional.yaml"
    bad.write_text(bad.read_text(encoding="utf-8").replace("aliases:\n", "aliases:\n  错误: apply.no_such_code\n"),
                   encoding="utf-8")
    monkeypatch.setattr(templates, "SPEC_TABLES", tmp_path)
    templates.table_specs.cache_clear()
    try:
        with pytest.raises(ValueError, match="apply.no_such_code"):
            templates.table_specs()
    finally:
        monkeypatch.undo()
        templates.table_specs.cache_clear()


def test_markers_classify_and_date_the_tables() -> None:
    t2 = [["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"], ["规章", "0", "0", "0"],
          ["行政规范性文件", "3", "0", "12"]]
    assert classify(t2) == "t2"
    assert detect({"t2"}, "本年制发件数", "") == "g3"
    assert detect({"t2"}, "本年新制作数量", "") == "g2"
    assert detect({"t3"}, "（六）其他处理 | 0 | 0", "") == "g2"
    assert detect(set(), "", "收到申请数 申请答复数") == "g1"
