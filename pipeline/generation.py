"""Template generation from content (never from the year): fingerprints of formats.md §5.

2019 reports mix old and new tables, a 2023 report can keep the 2019 table, and a 2021 table can sit
under an old intro, so the table text decides first and the body text only when there is no table.
"""

from __future__ import annotations

import re

G3_MARKS = re.compile(r"本年制发件数|本年废止件数|现行有效件|逾期不补正|逾期未按收费通知|本年收费金额|逾期未缴费")
G2_MARKS = re.compile(r"本年新制作数量|本年新公开数量|对外公开总数量|上一年项目数量|政府集中采购|采购总金额|本年增/?减")
T3_MARKS = re.compile(r"本年新收政府信息公开申请|上年结转政府信息公开申请|结转下年度继续办理")
G1_MARKS = re.compile(r"收到申请数|申请答复数|申请办结数|回应解读情况|主动公开政府信息数|举报投诉数量|统计指标")
G0_MARKS = re.compile(
    r"否决公开|免予公开范围|历年累计|受理依申请公开信息总数|政府信息公开的收费及减免|不予公开政府信息的情况|"
    r"依申请公开政府信息和不予公开|对申请的答复总数|行政申诉数"
)


def detect(kinds: set[str], table_text: str, body_text: str) -> str:
    """'g0' | 'g1' | 'g2' | 'g3' | 'unknown' from the recognised table kinds and their text."""
    new_format = kinds & {"t2", "t3", "t4"}
    if new_format:
        if G3_MARKS.search(table_text):
            return "g3"
        if G2_MARKS.search(table_text):
            return "g2"
        if "t3" in kinds:
            return "g2" if re.search(r"其他处理\s*\|?\s*[\d\-—]", table_text) else "g3"
        if G3_MARKS.search(body_text):
            return "g3"
        return "g2" if G2_MARKS.search(body_text) else "g3"
    if "stat" in kinds:
        return "g1"
    if "regional" in kinds:
        return "g0"
    text = body_text
    if T3_MARKS.search(text):
        return "g3" if G3_MARKS.search(text) else "g2"
    if len(G1_MARKS.findall(text)) >= 2:
        return "g1"
    if G0_MARKS.search(text):
        return "g0"
    return "unknown"
