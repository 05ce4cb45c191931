"""Checks record findings; derived values fill only what the template does not print."""

from __future__ import annotations

import json

from pipeline.checks import derive, derive_and_evaluate, evaluate, rules
from pipeline.report_meta import agency_name, report_year, template_cited
from pipeline.xyear import evaluate as evaluate_xyear


def _f(code: str, app: str, value: float | None, status: str = "reported", table: str = "t3") -> dict:
    return {"indicator": code, "applicant_type": app, "value": value, "value_status": status, "table_id": table,
            "value_raw": "" if value is None else str(value), "row_label_raw": code, "col_label_raw": app,
            "row_idx": 0, "col_idx": 0, "unit": "count", "unit_raw": None, "match_method": "exact",
            "match_score": 1.0, "source_text": None}


def test_every_rule_of_the_spec_is_loaded() -> None:
    ids = {r.rule_id for r in rules()}
    assert len(ids) == 20 and {"t3.balance", "t4.review_sum", "g1.staff_sum", "xyear.carry"} <= ids


def test_table4_block_sum_failure_is_recorded_with_expected_and_observed() -> None:
    facts = [_f("review.upheld", "na", 1, table="t4"), _f("review.corrected", "na", 0, table="t4"),
             _f("review.other", "na", 0, table="t4"), _f("review.pending", "na", 0, table="t4"),
             _f("review.total", "na", 2, table="t4")]
    res = {c["rule_id"]: c for c in evaluate(facts, "g3") if c["applicant_type"] == "na"}
    c = res["t4.review_sum"]
    assert c["status"] == "failed" and c["passed"] is False and (c["observed"], c["expected"]) == (2, 1)
    assert res["t4.direct_sum"]["status"] == "skipped"
    assert facts[-1]["value"] == 2  # never "fixed"
    json.dumps(c)


def test_g3_other_subtotal_is_derived_and_its_split_check_skipped() -> None:
    facts = [_f("apply.result.other.no_correction", "total", 1), _f("apply.result.other.fee_unpaid", "total", 2),
             _f("apply.result.other.misc", "total", None, "blank")]
    out = derive(facts, "g3")
    other = next(f for f in out if f["indicator"] == "apply.result.other")
    assert other["value"] == 3 and other["value_status"] == "derived" and other["match_method"] == "derived"
    split = [c for c in evaluate(out, "g3") if c["rule_id"] == "t3.other_split" and c["applicant_type"] == "total"]
    assert split[0]["status"] == "skipped"


def test_litigation_all_is_derived_only_for_new_templates() -> None:
    facts = [_f("litigation.direct.total", "na", 2, table="t4"), _f("litigation.after_review.total", "na", 1, table="t4")]
    assert [f["value"] for f in derive(facts, "g2") if f["indicator"] == "litigation.all.total"] == [3]
    assert not [f for f in derive(facts, "g1") if f["indicator"] == "litigation.all.total"]


def test_xyear_rules_are_skipped_per_report_and_available_across_years() -> None:
    assert all(c["status"] == "skipped" for c in evaluate([_f("apply.new", "total", 1)], "g3") if c["rule_id"].startswith("xyear"))
    prev = [_f("apply.carried_forward", "total", 4)]
    cur = [_f("apply.carried_in", "total", 3)]
    res = {c["applicant_type"]: c for c in evaluate_xyear(prev, cur)}
    assert res["total"]["status"] == "failed" and "natural_person" not in res


def test_report_metadata_rules() -> None:
    assert agency_name("2019年上海市人民政府办公厅政府信息公开工作年度报告") == "上海市人民政府办公厅"
    assert agency_name("平潭综合实验区2019年度政府信息公开工作年度报告") == "平潭综合实验区"
    assert report_year(None, "本报告所列数据的统计期限自2021年1月1日起至2021年12月31日止。") == 2021
    assert template_cited("依据国办公开办函[2021]30号要求") == "国办公开办函〔2021〕30号"


def _review_block(pending: float | None, total: float | None = 3) -> list[dict]:
    status = "reported" if pending is not None else "blank"
    return [_f("review.upheld", "na", 1, table="t4"), _f("review.corrected", "na", 2, table="t4"),
            _f("review.other", "na", 0, table="t4"), _f("review.pending", "na", pending, status, table="t4"),
            _f("review.total", "na", total, "reported" if total is not None else "blank", table="t4")]


def test_blank_cell_that_closes_its_identity_is_an_imputed_zero() -> None:
    facts = _review_block(None)
    c = next(c for c in evaluate(facts, "g3") if c["rule_id"] == "t4.review_sum")
    assert c["status"] == "passed" and "imputed_zero" in c["detail"] and "review.pending" in c["detail"]
    pending = facts[3]
    assert pending["value"] == 0 and pending["value_status"] == "imputed_zero" and pending["value_raw"] == ""


def test_blank_cell_that_does_not_close_stays_blank_and_the_rule_skipped() -> None:
    facts = _review_block(None, total=5)
    c = next(c for c in evaluate(facts, "g3") if c["rule_id"] == "t4.review_sum")
    assert c["status"] == "skipped"
    assert facts[3]["value"] is None and facts[3]["value_status"] == "blank"


def test_a_blank_total_is_never_read_as_zero() -> None:
    facts = [_f("review.upheld", "na", 0, table="t4"), _f("review.corrected", "na", 0, table="t4"),
             _f("review.other", "na", 0, table="t4"), _f("review.pending", "na", 0, table="t4"),
             _f("review.total", "na", None, "blank", table="t4")]
    c = next(c for c in evaluate(facts, "g3") if c["rule_id"] == "t4.review_sum")
    assert c["status"] == "skipped" and facts[-1]["value_status"] == "blank"


def test_blank_applicant_cells_of_table3_closed_by_the_balance_are_imputed() -> None:
    codes = ("apply.new", "apply.carried_in", "apply.result.total", "apply.carried_forward")
    facts = [_f(code, app, 4 if code in ("apply.new", "apply.result.total") else None,
                "reported" if code in ("apply.new", "apply.result.total") else "blank")
             for code in codes for app in ("natural_person", "total")]
    res = {(c["rule_id"], c["applicant_type"]): c for c in evaluate(facts, "g3")}
    assert res[("t3.balance", "natural_person")]["status"] == "passed"
    imputed = {(f["indicator"], f["applicant_type"]) for f in facts if f["value_status"] == "imputed_zero"}
    assert imputed == {("apply.carried_in", "natural_person"), ("apply.carried_forward", "natural_person")}


def test_a_total_derived_from_blank_cells_is_not_evidence_that_they_are_zero() -> None:
    """Shanghai 2019: 科研机构 prints nothing and 总计 is blank on most result rows; summing the printed
    columns into a derived 总计 must not then "close" the row and zero the blank cells."""
    six = ("natural_person", "org.commercial", "org.research", "org.public_interest", "org.legal_service", "org.other")
    granted = [_f("apply.result.granted", a, {"natural_person": 3, "org.commercial": 1}.get(a),
                  "reported" if a in ("natural_person", "org.commercial") else "blank") for a in six]
    facts, _ = derive_and_evaluate(granted + [_f("apply.result.granted", "total", None, "blank")], "g2")
    got = {f["applicant_type"]: f for f in facts if f["indicator"] == "apply.result.granted"}
    assert (got["total"]["value"], got["total"]["value_status"]) == (4, "derived")
    assert all(got[a]["value_status"] == "blank" for a in six[2:])


def test_a_row_closed_to_zero_gets_a_derived_zero_total() -> None:
    """The column's （七）总计 closes the blank leaf; the blank 总计 of that row is then derived, not left blank."""
    facts = [_f("apply.result.total", "natural_person", 2), _f("apply.result.granted", "natural_person", 2)]
    facts += [_f(c, "natural_person", None, "blank") for c in (
        "apply.result.partial", "apply.result.withheld.state_secret", "apply.result.withheld.other_law",
        "apply.result.withheld.security_stability", "apply.result.withheld.third_party",
        "apply.result.withheld.internal_affairs", "apply.result.withheld.process_info",
        "apply.result.withheld.enforcement_file", "apply.result.withheld.admin_query", "apply.result.unable.not_held",
        "apply.result.unable.needs_creation", "apply.result.unable.still_unclear",
        "apply.result.not_processed.petition_complaint", "apply.result.not_processed.duplicate",
        "apply.result.not_processed.publication", "apply.result.not_processed.excessive",
        "apply.result.not_processed.confirm_or_reissue", "apply.result.other")]
    facts.append(_f("apply.result.other", "total", None, "blank"))
    out, checks = derive_and_evaluate(facts, "g2")
    other = {f["applicant_type"]: f for f in out if f["indicator"] == "apply.result.other"}
    assert other["natural_person"]["value_status"] == "imputed_zero"
    assert (other["total"]["value"], other["total"]["value_status"]) == (0, "derived")
    c = next(c for c in checks if (c["rule_id"], c["applicant_type"]) == ("t3.results_sum.g2", "natural_person"))
    assert c["status"] == "passed" and "imputed_zero" in c["detail"]


def test_one_evaluator_reads_every_expression_of_the_spec() -> None:
    from pipeline.checks import _plan, parse_side

    terms = parse_side("proactive.<s>.in_force(N-1) + proactive.<s>.issued(N) - proactive.<s>.repealed(N)")
    assert [(t.sign, t.year) for t in terms] == [(1, -1), (1, 0), (-1, 0)]
    assert parse_side("sum(apply.new.channel.* printed in the table)")[0].prefix
    g3 = _plan("g3")
    # t3.total_column is instantiated once per printed table-三 row (for_each X=@t3.rows of checks.csv)
    assert len([c for c in g3 if c.rule.rule_id == "t3.total_column"]) == 25
    assert {c.rule.rule_id for c in _plan("g0")} >= {"g0.channels_sum", "g0.reply_sum.3way"}


def test_prefix_sums_and_for_each_stocks() -> None:
    facts = [_f("apply.new", "na", 5, table="regional"), _f("apply.new.channel.online", "na", 3, table="regional"),
             _f("apply.new.channel.letter", "na", 2, table="regional")]
    res = {c["rule_id"]: c for c in evaluate(facts, "g0")}
    assert res["g0.channels_sum"]["status"] == "passed"
    last = [_f("proactive.regulations.in_force", "na", 10, table="t2")]
    this = [_f("proactive.regulations.in_force", "na", 11, table="t2"), _f("proactive.regulations.issued", "na", 2, table="t2"),
            _f("proactive.regulations.repealed", "na", 1, table="t2")]
    got = evaluate_xyear(last, this)
    assert [(c["rule_id"], c["status"], c["expected"]) for c in got] == [("xyear.normative_in_force", "passed", 11)]
    assert "proactive.regulations.in_force(N)" in got[0]["detail"]
