"""Is this listing title an annual disclosure report, and of which year?

Real titles take many shapes: "平潭综合实验区2021年度政府信息公开工作年度报告", "鄂尔多斯市2018年政府信息公开年度报告",
"工业和信息化部政府信息公开工作2011年度报告" (the year after 工作), "平潭综合实验区地方税务局2013年信息公开年度报告",
"…2019年政府信息公开工作年度报告（图片版）", "2024 年…" (a spaced year), "高岭镇_2017年_…", "2022年政府信息公开年报",
"关于公布2019年政府信息公开工作年度报告的公告". A column also holds things about reports that are not reports
("关于报送2020年政府信息公开工作年度报告的通知", "…年度报告解读", "住房公积金2023年年度报告",
"2021年度政府网站年度工作报表", "关于2014年政府信息公开工作要点落实情况的函"), which must not match.
"""

from __future__ import annotations

import re
import unicodedata

_YEAR_CORE = r"(?:19|20)\d{2}"
# 信息公开 / 政务公开, optionally 工作, optionally the year (工业和信息化部…工作2011年度报告), then 年度报告 / 年报 / 工作报告
_REPORT = re.compile(
    rf"(?:信息|政务)公开(?:工作)?(?:{_YEAR_CORE}年?)?(?:年度)?(?:工作)?(?:报告|年报)"
)
# about a report, never a report itself, wherever the words stand
_NEVER = re.compile(
    r"报送|征集|评议|考核|通报|督查|检查|抽查|解读|住房公积金|工作报表|编制|编写|培训|模板|格式|问答|图解"
)
# a report title may still contain these (…公开工作年度报告（关于…的说明）); only a title that ends in one of them
# is a notice, letter or meeting
_NOTICE_END = re.compile(r"(?:通知|函|会议|要点|指南|制度|方案|意见|办法|情况)$")
_TRAILER = re.compile(r"(?:[（(【\[][^）)】\]]*[）)】\]])+$")
_YEAR = re.compile(rf"({_YEAR_CORE})(?:年|_|-|—|度)")
_ANY_YEAR = re.compile(rf"(?<!\d)({_YEAR_CORE})(?!\d)")
_CN_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")
_CN_YEAR = re.compile(r"([〇零一二三四五六七八九]{4})年")
_CORRECTION = re.compile(r"更正|修订版|修正版|重新发布")


def _norm(title: str) -> str:
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", title or ""))
    return _CN_YEAR.sub(lambda m: m.group(1).translate(_CN_DIGITS) + "年", text)


def is_report_title(title: str | None) -> bool:
    t = _norm(title or "")
    # a title without a year is the column's own name in the navigation ("政府信息公开年报"), not a report
    if not t or not _REPORT.search(t) or _NEVER.search(t) or report_year(t) is None:
        return False
    # "（图片版）", "[PDF]" after the title do not change what it is
    return not _NOTICE_END.search(_TRAILER.sub("", t))


def report_year(title: str | None) -> int | None:
    """The statistical year named in the title (not the publication year)."""
    t = _norm(title or "")
    m = _YEAR.search(t) or _ANY_YEAR.search(t)
    return int(m.group(1)) if m else None


def is_correction(title: str | None) -> bool:
    return bool(_CORRECTION.search(_norm(title or "")))
