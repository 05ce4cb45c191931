"""Layouts beyond the fixtures: flattened text, Traditional mirrors, blank 总计 columns, span shifts."""

from __future__ import annotations

from pathlib import Path

from pipeline.parse import parse_document

FIX = Path(__file__).resolve().parents[1] / "fixtures"
G3_2021 = FIX / "real/pingtan/t20220208_80613.htm"

APPS = ["natural_person", "org.commercial", "org.research", "org.public_interest", "org.legal_service", "org.other", "total"]
ROWS = [
    "一、本年新收政府信息公开申请数量 5 1 0 0 0 0 6",
    "二、上年结转政府信息公开申请数量 0 0 0 0 0 0 0",
    "三、本年度办理结果",
    "（一）予以公开 3 1 0 0 0 0 4",
    "（二）部分公开（区分处理的，只计这一情形，不计其他情形） 1 0 0 0 0 0 1",
    "（三）不予公开 1.属于国家秘密 0 0 0 0 0 0 0",
    "2.其他法律行政法规禁止公开 0 0 0 0 0 0 0",
    '3.危及"三安全一稳定" 0 0 0 0 0 0 0',
    "4.保护第三方合法权益 0 0 0 0 0 0 0",
    "5.属于三类内部事务信息 0 0 0 0 0 0 0",
    "6.属于四类过程性信息 0 0 0 0 0 0 0",
    "7.属于行政执法案卷 0 0 0 0 0 0 0",
    "8.属于行政查询事项 0 0 0 0 0 0 0",
    "（四）无法提供 1.本机关不掌握相关政府信息 1 0 0 0 0 0 1",
    "2.没有现成信息需要另行制作 0 0 0 0 0 0 0",
    "3.补正后申请内容仍不明确 0 0 0 0 0 0 0",
    "（五）不予处理 1.信访举报投诉类申请 0 0 0 0 0 0 0",
    "2.重复申请 0 0 0 0 0 0 0",
    "3.要求提供公开出版物 0 0 0 0 0 0 0",
    "4.无正当理由大量反复申请 0 0 0 0 0 0 0",
    "5.要求行政机关确认或重新出具已获取信息 0 0 0 0 0 0 0",
    "（六）其他处理 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请 0 0 0 0 0 0 0",
    "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请 0 0 0 0 0 0 0",
    "3.其他 0 0 0 0 0 0 0",
    "（七）总计 5 1 0 0 0 0 6",
    "四、结转下年度继续办理 0 0 0 0 0 0 0",
]
TEXT_G3 = "\n".join(
    ["某某镇人民政府2022年政府信息公开工作年度报告", "本报告依据国办公开办函〔2021〕30号编制。",
     "三、收到和处理政府信息公开申请情况", "申请人情况", *ROWS,
     "四、政府信息公开行政复议、行政诉讼情况", "行政复议 行政诉讼",
     "1 0 0 0 1 0 0 0 1 1 0 0 0 0 0",
     "六、其他需要报告的事项", "本年度未收取信息处理费。"]
)


def _facts(res) -> dict:
    return {(f["indicator"], f["applicant_type"]): f for f in res.facts}


def test_flattened_text_g3_report() -> None:
    res = parse_document(TEXT_G3.encode("utf-8"), filename="report.txt")
    r = res.report
    assert (r["template_generation"], r["parse_status"], r["report_year"]) == ("g3", "ok", 2022)
    assert r["template_cited"] == "国办公开办函〔2021〕30号"
    assert r["text_section6"] == "本年度未收取信息处理费。"
    f = _facts(res)
    assert [f[("apply.new", a)]["value"] for a in APPS] == [5, 1, 0, 0, 0, 0, 6]
    assert f[("apply.result.unable.not_held", "total")]["value"] == 1
    assert f[("review.total", "na")]["value"] == 1 and f[("litigation.direct.pending", "na")]["value"] == 1
    assert f[("litigation.all.total", "na")]["value_status"] == "derived"
    assert r["checks_failed"] == 0


def test_gbk_encoded_text_is_decoded() -> None:
    res = parse_document(TEXT_G3.encode("gb18030"), media_type="text/plain")
    assert res.report["parse_status"] == "ok" and res.report["agency_name"] == "某某镇人民政府"


def test_traditional_fullwidth_mirror_gives_same_values() -> None:
    html = G3_2021.read_bytes().decode("utf-8")
    trad = html.translate(str.maketrans("本年制发件数废止现行有效处理决定数量收费金额单位万元", "本年製發件數廢止現行有效處理決定數量收費金額單位萬元"))
    trad = trad.replace(">2293<", ">２２９３<")
    a, b = _facts(parse_document(html.encode())), _facts(parse_document(trad.encode()))
    assert b[("proactive.normative_docs.in_force", "na")]["value"] == 665
    assert b[("proactive.licensing.decisions", "na")]["value"] == 2293
    assert b[("proactive.admin_fees.amount", "na")]["value"] == a[("proactive.admin_fees.amount", "na")]["value"]


def test_blank_total_column_is_derived_not_zero() -> None:
    html = G3_2021.read_bytes().decode("utf-8")
    # Blank the printed 70 (total of row 一).
    html = html.replace(">70<", ">&nbsp;<", 1)
    res = parse_document(html.encode())
    f = _facts(res)[("apply.new", "total")]
    assert f["value_status"] == "derived" and f["value"] == 70
    assert res.report["checks_failed"] == 0


def test_a_changed_value_is_a_failed_check_not_a_fix() -> None:
    html = G3_2021.read_bytes().decode("utf-8").replace(">64<", ">65<", 1)
    res = parse_document(html.encode())
    assert _facts(res)[("apply.new", "natural_person")]["value"] == 65
    failed = {c["rule_id"] for c in res.checks if c["status"] == "failed"}
    assert "t3.balance" in failed and "t3.total_column" in failed
    assert res.report["checks_failed"] >= 2


def test_2021_tables_under_a_2019_citation_are_g3() -> None:
    html = G3_2021.read_bytes().decode("utf-8").replace("根据《中华人民共和国政府信息公开条例》", "根据国办公开办函〔2019〕60号", 1)
    res = parse_document(html.encode())
    assert res.report["template_generation"] == "g3"
    assert res.report["template_cited"] == "国办公开办函〔2019〕60号"


def test_nested_layout_table_and_repeated_header() -> None:
    html = G3_2021.read_bytes().decode("utf-8")
    i = html.index("<table", html.index("本列数据的勾稽关系") - 3000)
    j = html.index("</table>", i) + len("</table>")
    nested = html[:i] + "<table><tr><td><div>" + html[i:j] + "</div></td></tr></table>" + html[j:]
    f = _facts(parse_document(nested.encode()))
    assert f[("apply.new", "total")]["value"] == 70 and f[("apply.result.total", "natural_person")]["value"] == 63
