"""Layouts real portals print tables in, each on a real fixture where one exists."""

from __future__ import annotations

from pathlib import Path

from pipeline.parse import parse_document
from pipeline.tables import expand_runs, run_expansions

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "real"


def _facts(path: Path) -> dict[str, dict]:
    res = parse_document(path.read_bytes(), filename=path.name)
    return {f"{f['indicator']}|{f['applicant_type']}": f for f in res.facts}


def test_collapsed_runs_are_settled_by_the_row_identity() -> None:
    t3_ok = lambda v: sum(v[:6]) == v[6]  # noqa: E731
    assert expand_runs(["2", "0", "2"], 7, t3_ok) == [0, 1, 1, 1, 1, 1, 2]
    assert expand_runs(["0"], 15) == [0] * 15
    assert run_expansions(["0", "1", "4"], 7, t3_ok) == [(0, 0, 1, 1, 1, 1, 2)]  # 0,0,1,1,1,1 | 4
    # 0 / 2 / 0 / 2: the applicant column of the 2 is not settled, so only the first and the total are.
    assert expand_runs(["0", "2", "0", "2"], 7, t3_ok) == [0, None, None, None, None, 2, 3]
    assert expand_runs(["0", "0"], 7) is None  # equal neighbours were printed: not a collapsed run


def test_cell_per_line_archive_with_collapsed_equal_cells() -> None:
    """莆田市科技局 2022 (archive text, one cell per line, a run of equal cells printed once)."""
    got = _facts(FIX / "putian-kjj" / "t20230112_1794364.archive.txt")
    new = [got[f"apply.new|{a}"]["value"] for a in ("natural_person", "org.commercial", "org.research",
                                                    "org.public_interest", "org.legal_service", "org.other", "total")]
    assert new == [2, 0, 0, 0, 0, 0, 2]
    assert got["apply.result.total|total"]["value"] == 2  # the （七）总计 row
    assert all(got[f"{b}.{s}|na"]["value"] == 0 for b in ("review", "litigation.direct", "litigation.after_review")
               for s in ("upheld", "corrected", "other", "pending", "total"))  # table 四: '总计 0' after 30 header lines
    assert [got[f"proactive.regulations.{s}|na"]["value"] for s in ("issued", "repealed", "in_force")] == [0, 0, 0]
    assert [got[f"proactive.normative_docs.{s}|na"]["value"] for s in ("issued", "repealed", "in_force")] == [1, 0, 11]


def test_row_number_and_quote_lines_join_their_label() -> None:
    """莆田市统计局 2020: '3.' / '危及' / '“' / '三安全一稳定' / '” 0' is one row; '4.' is no cell value."""
    got = _facts(FIX / "putian-tjj" / "t20210111_1560147.archive.txt")
    assert got["apply.result.withheld.security_stability|total"]["value"] == 0
    assert got["apply.result.withheld.security_stability|total"]["row_label_raw"] == "3.危及“三安全一稳定”"
    assert got["apply.result.unable.not_held|natural_person"]["value"] == 4


def test_regional_form_one_header_cell_per_line() -> None:
    """莆田市科技局 2016 regional form: header words one per line; 历年累计 never read as the year's value;
    '4' / '、其他类型答复数' gives the row number back to its label."""
    got = _facts(FIX / "putian-kjj" / "t20170113_1082210.archive.txt")
    assert got["proactive.items_total|na"]["value"] == 34
    assert got["proactive.channel.website|na"]["value"] == 34
    assert got["apply.reply.refused|na"]["value"] == 0
    assert got["apply.reply.other_type|na"]["value"] == 0


def _html(rows: list[list[str]], title: str = "某县某镇2011年政府信息公开工作年度报告") -> bytes:
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<html><head><title>{title}</title></head><body><h1>{title}</h1><table>{body}</table></body></html>".encode()


def test_header_cells_never_become_facts() -> None:
    rows = [["指标名称", "计量单位", "2011年度", "历年累计"], ["2011年度", "2011", "", ""],
            ["主动公开信息数", "条", "40", "300"], ["受理依申请公开信息总数", "条", "2", "9"], ["行政复议数", "件", "0", "0"]]
    res = parse_document(_html(rows), filename="r.html")
    assert res.report["parse_status"] == "ok"
    assert not [f for f in res.facts if f["value"] == 2011 or f["row_label_raw"] == "2011年度"]
    assert {f["indicator"]: f["value"] for f in res.facts}["proactive.items_total"] == 40


def test_a_report_whose_every_value_is_blank_is_not_ok() -> None:
    rows = [["指标名称", "计量单位", "2011年度", "历年累计"], ["主动公开信息数", "条", "", ""],
            ["受理依申请公开信息总数", "条", "", ""], ["对申请的答复总数", "条", "", ""], ["行政复议数", "件", "", ""]]
    res = parse_document(_html(rows), filename="r.html")
    assert res.facts and all(f["value"] is None for f in res.facts)
    assert res.report["parse_status"] == "no_tables"
    assert "blank" in res.report["parse_reason"]


def _page(*tables: list[list[str]], heads: tuple[str, ...] = ()) -> bytes:
    title = "某市某局2022年政府信息公开工作年度报告"
    body = ""
    for i, rows in enumerate(tables):
        body += f"<p>{heads[i]}</p>" if i < len(heads) else ""
        body += "<table>" + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows) + "</table>"
    return f"<html><head><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>".encode()


COLS = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]


def test_table4_printed_as_three_five_column_tables() -> None:
    page = _page([COLS, ["1", "0", "0", "1", "2"]], [COLS, ["0", "1", "0", "0", "1"]], [COLS, ["0", "0", "0", "0", "0"]],
                 heads=("行政复议", "未经复议直接起诉", "复议后起诉"))
    got = {f["indicator"]: f["value"] for f in parse_document(page, filename="r.html").facts}
    assert (got["review.total"], got["litigation.direct.corrected"], got["litigation.after_review.total"]) == (2, 1, 0)
    assert got["litigation.all.total"] == 1  # derived: direct + after review


def test_table4_fifteen_numbers_under_a_twelve_cell_header() -> None:
    head = [["行政复议", "行政诉讼"], ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计", "未经复议直接起诉", "复议后起诉"]]
    row = ["1", "0", "0", "0", "1", "0", "0", "0", "0", "0", "2", "0", "0", "0", "2"]
    got = {f["indicator"]: f["value"] for f in parse_document(_page([*head, row]), filename="r.html").facts}
    assert (got["review.upheld"], got["review.total"], got["litigation.after_review.upheld"]) == (1, 1, 2)


def test_table2_split_into_small_tables_and_nil_words() -> None:
    page = _page([["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"], ["规章", "0", "0", "0"],
                  ["行政规范性文件", "2", "无", "15"]],
                 [["信息内容", "本年处理决定数量"], ["行政许可", "30"]],
                 [["信息内容", "本年处理决定数量"], ["行政处罚", "4"], ["行政强制", "0"]],
                 [["信息内容", "本年收费金额（单位：万元）"], ["行政事业性收费", "1.5"]])
    res = parse_document(page, filename="r.html")
    got = {f["indicator"]: f for f in res.facts}
    assert res.report["has_table2"]
    assert got["proactive.licensing.decisions"]["value"] == 30
    assert got["proactive.admin_fees.amount"]["value"] == 1.5
    assert got["proactive.normative_docs.repealed"]["value"] is None
    assert got["proactive.normative_docs.repealed"]["value_status"] == "dash"  # 无 is not 0


def test_markdown_pipe_rows_that_lost_their_labels() -> None:
    """上海市科委 2024 (PDF → markdown): each pipe line is one row, '|---|' rules are not cells, and rows
    whose labels were printed apart take the template rows missing between labelled neighbours."""
    got = _facts(FIX / "shanghai-stcsm" / "kewei-2024-source.md")
    assert got["apply.result.partial|total"]["value"] == 0
    assert got["apply.result.withheld.internal_affairs|total"]["value"] == 1
    assert got["apply.result.unable.not_held|total"]["value"] == 4
    assert got["apply.result.unable.needs_creation|total"]["value"] == 6
    assert got["apply.result.other.no_correction|natural_person"]["value"] == 8
    assert not [f for f in got.values() if f["value_raw"] and set(f["value_raw"]) <= set("-")]


def test_table4_one_row_of_fifteen_under_a_short_markdown_header() -> None:
    """上海市政府办公厅 2024 (PDF → markdown): 15 numbers under a 6-cell header, a note line and prose around."""
    got = _facts(FIX / "shanghai" / "shanghai-office-sample-source.md")
    assert [got[f"review.{s}|na"]["value"] for s in ("upheld", "corrected", "other", "pending", "total")] == [40, 0, 10, 5, 55]
    assert got["litigation.after_review.total|na"]["value"] == 22
    stcsm = _facts(FIX / "shanghai-stcsm" / "kewei-2024-source.md")
    assert stcsm["review.upheld|na"]["value"] == 1 and stcsm["litigation.direct.total|na"]["value"] == 0


def test_generic_table3_headers_resolve_by_position() -> None:
    rows = [["类别", "数据1", "数据2", "数据3", "数据4", "数据5", "数据6", "总计"],
            ["一、本年新收政府信息公开申请数量", "3", "1", "0", "0", "0", "0", "4"],
            ["二、上年结转政府信息公开申请数量", "0", "0", "0", "0", "0", "0", "0"],
            ["（一）予以公开", "2", "1", "0", "0", "0", "0", "3"],
            ["（七）总计", "3", "1", "0", "0", "0", "0", "4"],
            ["四、结转下年度继续办理", "0", "0", "0", "0", "0", "0", "0"]]
    res = parse_document(_page(rows), filename="r.html")
    got = {(f["indicator"], f["applicant_type"]): f["value"] for f in res.facts}
    assert (got[("apply.new", "natural_person")], got[("apply.new", "org.commercial")], got[("apply.new", "total")]) == (3, 1, 4)
    assert all(c["status"] == "passed" for c in res.checks if c["rule_id"] == "t3.total_column")


def test_rows_under_label_fragments_take_the_template_rows_between_their_neighbours() -> None:
    """上海市政府办公厅 2025 (PDF→markdown): the （五）/（六） rows lost their labels or kept only a
    fragment cut over lines ('行政机关不再处理其政府信息公'); a page footer '— 5 —' sits among them."""
    got = _facts(FIX / "shanghai" / "shanghai-office-sample-source.md")
    row = lambda code: [got[f"{code}|{a}"]["value"] for a in ("natural_person", "org.commercial",  # noqa: E731
                                                            "org.research", "org.public_interest",
                                                            "org.legal_service", "org.other", "total")]
    assert row("apply.result.not_processed.excessive") == [1, 0, 0, 0, 0, 0, 1]
    assert row("apply.result.not_processed.confirm_or_reissue") == [0] * 7
    assert row("apply.result.other.no_correction") == [40, 1, 0, 0, 2, 0, 43]
    assert row("apply.result.other.fee_unpaid") == [0] * 7
    assert row("apply.result.other.misc") == [264, 12, 0, 0, 0, 0, 276]
