"""Who published a report: normalised agency name, agency type, townships, regional aggregates.

Agency types follow the organ hierarchy researchers compare (State Council departments; provincial,
prefectural and county governments and their departments; township governments and subdistrict
offices; development-zone committees; vertically managed bureaux; organisations authorised by law).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pipeline import regions

AGENCY_TYPES = (
    "state_council_dept",
    "provincial_gov",
    "provincial_dept",
    "prefecture_gov",
    "prefecture_dept",
    "county_gov",
    "county_dept",
    "township_gov",
    "subdistrict_office",
    "dev_zone_admin",
    "vertical_bureau",
    "authorised_org",
    "other",
)
GOVERNMENT_TYPES = frozenset({"provincial_gov", "prefecture_gov", "county_gov"})
_GOV = {"provincial": "provincial_gov", "prefectural": "prefecture_gov", "county": "county_gov"}
_DEPT = {"provincial": "provincial_dept", "prefectural": "prefecture_dept", "county": "county_dept"}

# The report phrase of a title: 政府信息公开工作年度报告, 政府信息公开年度报告, 信息公开年报 …
_REPORT_PHRASE = re.compile(r"(?:政府)?(?:信息公开|政务公开)(?:工作)?(?:年度)?(?:报告|年报)|政府信息公开年报")
_YEAR = re.compile(r"(?:19|20)\d{2}\s*年度?")
_SEPARATORS = "_-—–·:：|「」《》<>()（）[]【】 "

# Relative organ names printed without their place (区商务局, 县政府办公室) and the level they imply.
_RELATIVE = {"省": "provincial", "自治区": "provincial", "市": "prefectural", "州": "prefectural",
             "盟": "prefectural", "地区": "prefectural", "县": "county", "区": "county", "旗": "county"}

_TOWNSHIP = re.compile(
    r"^([\u4e00-\u9fff]{1,8}?(?:民族乡|民族苏木|镇|乡|苏木|街道))"
    r"(?:人民政府|政府|街道办事处|办事处|街道办|党委|党政办公室|党政综合办公室)?(?:办公室)?$"
)

_VERTICAL = re.compile(
    r"^国家税务总局.+|.+(?:国家税务局|税务局)$|.+海关$|^中国人民银行.+(?:分行|支行|营业管理部)$"
    r"|^国家金融监督管理总局.+|.+(?:银保监局|银保监分局|证监局|监管局|监管分局)$|^国家统计局.+|.+调查(?:总)?队$"
    r"|.+(?:气象局|烟草专卖局|邮政管理局|海事局|地震局|通信管理局|消防救援(?:总队|支队|大队)|出入境边防检查站)$"
    r"|^国家外汇管理局.+"
)
# Named like a central body whatever site carries it; the weaker _NATIONAL needs a non-local context.
_NATIONAL_STRONG = re.compile(r"^(?:国务院|国家|中华人民共和国|中国|海关总署|审计署|最高人民)|部$")
_NATIONAL = re.compile(
    r"^(?:国务院|国家|中华人民共和国|中国|海关总署|审计署|最高人民)|(?:部|署|总局|委员会|银行|办公厅|局|院|会)$"
)
_DEV_ZONE = re.compile(
    r"(?:开发区|高新区|园区|实验区|示范区|试验区|保税区|保税港区|新区|合作区|管理区|自贸区|自由贸易试验区|港区)"
    r"(?:管委会|管理委员会|党工委|工委)?|管委会|管理委员会$"
)
_AUTHORISED = re.compile(r"(?:中心|研究院|研究所|学院|大学|医院|协会|学会|总站|站|馆|院|所|社|台)$")
_JUDICIAL = re.compile(r"(?:法院|检察院|人大常委会|政协)")

_AGGREGATE_TEXT = re.compile(
    r"(?:全|本)(?:省|市|区|县|州|盟|旗|自治区|自治州)(?:各级)?(?:各)?(?:行政机关|政府及其(?:工作)?部门)"
    r"|汇总(?:了)?(?:全|本)(?:省|市|区|县|州)|各级行政机关(?:的)?政府信息公开"
)
_AGGREGATE_TITLE = re.compile(r"全(?:省|市|区|县|州)(?:政府)?(?:信息公开|政务公开)|汇总")


@lru_cache(maxsize=1)
def _t2s():
    from opencc import OpenCC

    return OpenCC("t2s")


def normalise_agency(name: str | None) -> str:
    """Traditional→Simplified, NFKC (full-width → ASCII) and no whitespace, so that names compare."""
    if not name:
        return ""
    return _normalise(name)


@lru_cache(maxsize=65536)
def _normalise(name: str) -> str:
    """Memoized: a year's assembly normalises the same organ, title and place names many times over, and
    OpenCC's conversion is pure Python (~0.3 ms a name); bounded, so memory does not grow with the corpus."""
    s = unicodedata.normalize("NFKC", name)
    s = _t2s().convert(s)
    return re.sub(r"[\s\u200b\u200c\u200d\ufeff]+", "", s)


def organ_from_title(title: str | None) -> str | None:
    """The organ a report title names: text before the year (平潭县人民政府2011年…) or, for titles that
    start with the year (2022年上海市政府信息公开…), the text between year and report phrase."""
    t = normalise_agency(title)
    if not t:
        return None
    m = _YEAR.search(t)
    if m and m.start() > 0:
        organ = t[: m.start()].strip(_SEPARATORS)
        organ = re.sub(r"^关于", "", organ)
    else:
        rest = t[m.end():] if m else t
        p = _REPORT_PHRASE.search(rest)
        organ = rest[: p.start()] if p else ""
        organ = organ.strip(_SEPARATORS)
        if organ.endswith("人民"):
            organ += "政府"
    organ = organ.strip(_SEPARATORS)
    return organ or None


def extract_township(name: str | None) -> str | None:
    """The 乡/镇/街道/苏木 an agency name designates (仪陇县新政镇人民政府 → 新政镇), or None."""
    n = normalise_agency(name)
    if not n:
        return None
    _, rest = regions.split_leading_places(n)
    m = _TOWNSHIP.match(rest)
    if not m:
        return None
    town = m.group(1)
    zone = re.match(r"^.+?(?:新区|开发区|实验区|示范区|园区)(.{2,})$", town)
    if zone:
        town = zone.group(1)
    if len(town) < 2 or any(w in town for w in ("城乡", "和", "局", "委")):
        return None
    return town


def _relative_level(rest: str) -> str | None:
    for prefix in sorted(_RELATIVE, key=len, reverse=True):
        if rest.startswith(prefix) and len(rest) > len(prefix):
            return _RELATIVE[prefix]
    return None


def classify_agency(
    name: str | None, title: str = "", *, level: str | None = None, year: int | None = None
) -> tuple[str, str | None]:
    """(agency_type, admin_level_hint) of an organ, from its name (or, failing that, the title's organ).

    ``level`` is the level of the organ's region when the caller already knows it (from the portal
    registry); otherwise it comes from the places named in the organ name.
    """
    n = normalise_agency(name) or (organ_from_title(title) or "")
    if not n:
        return "other", level
    places, rest = regions.split_leading_places(n)
    if level is None:
        div = regions.resolve_name(n, year or 2020)
        level = div.level if div else _relative_level(rest)
    local = bool(places) or regions.mentions_place(n) or _relative_level(rest) is not None
    local = local or any(alias in n for alias in regions.ALIASES) or regions.near_any(n, year or 2020)
    if _JUDICIAL.search(rest):
        return "other", level
    town = extract_township(n)
    if town:
        return ("subdistrict_office" if town.endswith("街道") else "township_gov"), "township"
    if _VERTICAL.match(n) and (local or not n.startswith(("国家", "中国"))) and not _NATIONAL_ONLY.match(n):
        return "vertical_bureau", level
    if not local and _NATIONAL_STRONG.search(n):
        return "state_council_dept", "national"
    if not local and level is None:
        # No place and no local context (registry, SiteIDCode): a central body if it is named like one.
        return ("state_council_dept", "national") if _NATIONAL.search(n) else ("other", None)
    if _DEV_ZONE.search(regions.split_leading_places(n, aliases=False)[1]):
        return "dev_zone_admin", level
    if level is None:
        return "other", None
    if re.fullmatch(r"(?:人民政府|政府|行政公署|公署)?", rest):
        return _GOV[level], level
    if _AUTHORISED.search(rest) and not re.search(r"(?:办公厅|办公室|局|委员会|委)$", rest):
        return "authorised_org", level
    return _DEPT[level], level


# Central bodies whose names would otherwise look vertical (海关总署 ends like a 海关).
_NATIONAL_ONLY = re.compile(r"^(?:海关总署|国家税务总局|中国人民银行|国家金融监督管理总局|国家统计局|中国气象局"
                            r"|国家烟草专卖局|国家邮政局|中国地震局|国家外汇管理局)$")


def is_regional_aggregate(title: str | None, text_head: str | None) -> bool:
    """True for the 主管部门's region-wide report (全市各级行政机关…, 汇总全省数据), which sums the
    reports of the region's organs and so must not be added to them."""
    t = normalise_agency(title)
    head = normalise_agency((text_head or "")[:1500])
    return bool(_AGGREGATE_TITLE.search(t) or _AGGREGATE_TEXT.search(head))
