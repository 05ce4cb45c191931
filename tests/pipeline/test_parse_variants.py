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


SEED = FIX / "seed/yongding-2018.txt"


def test_g1_statistics_table_as_html_with_seq_and_unit_columns() -> None:
    from pipeline.readers.text import rebuild_rows

    lines = [ln.strip() for ln in SEED.read_text(encoding="utf-8").splitlines() if ln.strip()]
    rows = [r for reg in rebuild_rows(lines) for r in reg if len(r) > 1 and "统计指标" not in r[0]]
    rows = [r for r in rows if not r[0].startswith(("当前", "张家界", "字体", "单位负责人", "联系电话"))]
    trs = ["<tr><td>序号</td><td>统计指标</td><td>单位</td><td>统计数</td></tr>"]
    for i, r in enumerate(rows):
        unit = r[1] if r[1] in ("万元", "人次", "——") else "件"
        trs.append(f"<tr><td>{i + 1}</td><td>{r[0]}</td><td>{unit}</td><td>{r[-1]}</td></tr>")
    html = (
        "<html><head><title>某县2017年政府信息公开工作年度报告</title></head><body>"
        f"<table>{''.join(trs)}</table></body></html>"
    )
    res = parse_document(html.encode())
    f = {x["indicator"]: x for x in res.facts}
    assert res.report["template_generation"] == "g1" and res.report["checks_failed"] == 0
    assert f["proactive.items_total"]["value"] == 29009 and f["proactive.items_total"]["col_label_raw"] == "统计数"
    assert f["org.budget"]["value"] == 50 and f["org.budget"]["unit_raw"] == "万元"
    assert f["litigation.all.corrected"]["row_label_raw"].endswith("被依法纠错数")
    assert not [k for k in f if k.startswith("local.")]


def test_colspan_shifted_value_cells_follow_the_header_columns() -> None:
    html = (
        "<html><head><title>某市2019年政府信息公开工作年度报告</title></head><body><table>"
        "<tr><td colspan='4'>第二十条第（五）项</td></tr>"
        "<tr><td>信息内容</td><td>上一年项目数量</td><td>本年增/减</td><td>处理决定数量</td></tr>"
        "<tr><td>行政许可</td><td colspan='2'>396</td><td>181</td></tr>"
        "<tr><td>其他对外管理服务事项</td><td>10</td><td>-3</td><td>153</td></tr>"
        "<tr><td colspan='4'>第二十条第（九）项</td></tr>"
        "<tr><td>信息内容</td><td>采购项目数量</td><td colspan='2'>采购总金额</td></tr>"
        "<tr><td>政府集中采购</td><td>3</td><td colspan='2'>251000元</td></tr>"
        "</table></body></html>"
    )
    f = {x["indicator"]: x for x in parse_document(html.encode()).facts}
    assert f["proactive.licensing.items_prev_year"]["value"] == 396
    assert f["proactive.licensing.decisions"]["value"] == 181
    assert "proactive.licensing.items_change" not in f
    assert f["proactive.other_services.items_change"]["value"] == -3
    amount = f["proactive.procurement.amount"]
    assert (amount["value"], amount["unit_raw"], amount["value_raw"]) == (25.1, "元", "251000元")


def test_prose_only_report_uses_text_figures() -> None:
    html = (
        "<html><head><title>某局2012年政府信息公开工作年度报告</title></head><body><p>二、依申请公开情况</p>"
        "<p>2012年，我局共受理政府信息公开申请12件，其中同意公开10件，同意部分公开1件，不予公开1件。</p></body></html>"
    )
    res = parse_document(html.encode())
    assert res.report["parse_status"] in ("ok", "no_tables")
    for f in res.facts:
        assert f["table_id"] == "prose" and f["value_status"] == "text"
