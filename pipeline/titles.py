"""Is this listing title an annual disclosure report, and of which year?

Real titles: "平潭综合实验区2021年度政府信息公开工作年度报告", "鄂尔多斯市2018年政府信息公开年度报告",
"…2019年政府信息公开工作年度报告（图片版）", "高岭镇_2017年_…", "2022年政府信息公开年报". A column also
holds news ("召开2020年度政务公开工作会"), which must not match.
"""

from __future__ import annotations

import re
import unicodedata

_REPORT = re.compile(
    r"(?:19|20)\d{2}\s*年?度?.{0,40}?(?:政府)?(?:信息|政务)公开(?:工作)?(?:年度)?(?:报告|年报)"
    r"|(?:政府)?信息公开(?:工作)?年度报告|信息公开年报"
)
_YEAR = re.compile(r"((?:19|20)\d{2})\s*(?:年|_|-)")
_NOT_REPORT = re.compile(r"通知|会议|推进会|培训|评估|考核|要点|指南|制度|解读")
_CORRECTION = re.compile(r"更正|修订版|修正版|重新发布")


def _norm(title: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", title or ""))


def is_report_title(title: str | None) -> bool:
    t = _norm(title or "")
    if not t or not _REPORT.search(t):
        return False
    # "关于报送2020年政府信息公开工作年度报告的通知" is about reports, not a report.
    return not (_NOT_REPORT.search(t) and not t.endswith(("报告", "年报", "）", ")")))


def report_year(title: str | None) -> int | None:
    """The statistical year named in the title (not the publication year)."""
    t = _norm(title or "")
    m = _YEAR.search(t)
    return int(m.group(1)) if m else None


def is_correction(title: str | None) -> bool:
    return bool(_CORRECTION.search(_norm(title or "")))
