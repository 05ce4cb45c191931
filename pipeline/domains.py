"""Where a page's address points: the 统一社会信用代码 in its URL or metadata, and the place its domain
spells in pinyin.

Real portals carry both (real-portals.md §4): Shandong's platform puts the publishing organ's credit code
in the URL (``…&area=11370883004325769B``: characters 3–8, 370883, are the region of the authority that
registered it: 邹城市), and government domains are the pinyin or the initials of their place
(``haizhu.gov.cn`` 海珠区, ``sxyc.gov.cn`` 绍兴 + 越城, ``np.gov.cn`` 南平, ``xjnlk`` 新疆 + 尼勒克). A domain
is only a guess from sounds: a label that several divisions spell alike (``suixi``: 遂溪县 and 濉溪县)
gives no answer rather than one of them.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from functools import lru_cache
from importlib import resources
from urllib.parse import urlsplit

from stdnum.cn import uscc

from pipeline import regions
from pipeline.regions import Division

# 18 characters: 登记管理部门 + 机构类别, 6-digit region, 9-character organisation code, check character.
_USCC = re.compile(r"(?<![0-9A-Za-z])([0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{2}\d{6}[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{10})"
                   r"(?![0-9A-Za-z])")

# Host labels that name no place: the TLDs, www, and the usual sub-sites of a government portal.
_NOT_PLACE = frozenset({
    "www", "gov", "cn", "com", "net", "org", "edu", "wap", "m", "web", "portal", "site", "sites", "zw", "zwgk", "xxgk",
    "zfxxgk", "gk", "gkml", "xxgkml", "zwfw", "zfw", "zfwz", "wz", "search", "sousuo", "public", "info", "news",
    "zsj", "ywgk", "fzgg", "open", "data", "credit", "english", "en", "mail", "app", "weixin", "wx", "new", "old",
    "beian",  # beian.miit.gov.cn is the ICP filing site (备案), not 北安市
})

# Name endings that the pinyin of a place leaves out (haizhu.gov.cn for 海珠区), longest first.
_ENDINGS = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "自治州", "自治县", "自治旗", "林区", "地区",
            "新区", "矿区", "特区", "省", "市", "县", "区", "盟", "旗")
_PEOPLES = re.compile(r"(?:蒙古族|藏族|回族|维吾尔族|苗族|彝族|壮族|布依族|朝鲜族|满族|侗族|瑶族|白族|土家族|哈尼族|哈萨克族|傣族"
                      r"|黎族|傈僳族|佤族|畲族|拉祜族|水族|东乡族|纳西族|景颇族|柯尔克孜族|土族|达斡尔族|仫佬族|羌族|布朗族"
                      r"|撒拉族|毛南族|仡佬族|锡伯族|普米族|塔吉克族|怒族|鄂温克族|独龙族|裕固族|鄂伦春族|各族)+$")

# Match tiers: the place's full pinyin is the strongest reading of a label, its prefecture + place next
# (sxyc 绍兴越城), its province + place after (xjnlk 新疆尼勒克), bare initials last. Only the best tier
# that matches at all is considered.
FULL, PREFECTURE_PLUS, PROVINCE_PLUS, INITIALS = 0, 1, 2, 3

# Official spellings that are not the pinyin of the name: shaanxi.gov.cn (陕西, whose pinyin is that of
# 山西), ordos.gov.cn (鄂尔多斯, Mongolian).
SPELLING_ALIASES = {"陕西省": ("shaanxi",), "鄂尔多斯市": ("ordos",)}


def credit_code_region(*texts: str | None) -> tuple[str, str] | None:
    """(region code, credit code) of the first valid 统一社会信用代码 in ``texts`` (check digit verified
    with python-stdnum), or None. The region is the code of the registering authority's place."""
    for text in texts:
        for m in _USCC.finditer(text or ""):
            code = m.group(1).upper()
            if uscc.is_valid(code):
                return code[2:8], code
    return None


def stem(name: str) -> str:
    """The place part of a division name, as domains spell it: 海珠区 → 海珠, 新疆维吾尔自治区 → 新疆,
    伊犁哈萨克自治州 → 伊犁. Names that would shrink to one character keep their ending (沛县)."""
    for end in _ENDINGS:
        if name.endswith(end) and len(name) - len(end) >= 2:
            core = _PEOPLES.sub("", name[: -len(end)])
            return core if len(core) >= 2 else name[: -len(end)]
    return name


def spellings(text: str) -> tuple[str, str]:
    """(full pinyin, initials) of text, with pypinyin's phrase-aware readings (长沙 chang-, not zhang-).

    Rare readings of polyphones are left out on purpose: they make false twins (宁 zhù would spell
    海宁 like 海珠). Used by scripts/build_divisions.py, which stores the spellings of every division
    name in ``pipeline/data/division_pinyin.csv.gz``, so the pipeline needs no pypinyin at run time."""
    from pypinyin import Style, lazy_pinyin

    syllables = [s for s in lazy_pinyin(text, style=Style.NORMAL, errors="ignore") if s]
    return "".join(syllables), "".join(s[0] for s in syllables)


@lru_cache(maxsize=1)
def _spelled() -> dict[str, tuple[str, str, str, str]]:
    """name → (stem pinyin, stem initials, name pinyin, name initials), from the committed table."""
    raw = resources.files("pipeline").joinpath("data", "division_pinyin.csv.gz").read_bytes()
    rows = csv.DictReader(io.StringIO(gzip.decompress(raw).decode("utf-8")))
    return {r["name"]: (r["stem_pinyin"], r["stem_initials"], r["name_pinyin"], r["name_initials"]) for r in rows}


@lru_cache(maxsize=1)
def _index() -> dict[str, list[tuple[int, Division]]]:
    """label → [(tier, division range), …] over every validity range of every division (filtered by
    year at lookup), built once."""
    spelled = _spelled()
    out: dict[str, list[tuple[int, Division]]] = {}

    def add(key: str, tier: int, d: Division) -> None:
        if len(key) >= 2:
            out.setdefault(key, []).append((tier, d))

    for d in regions.table():
        if d.name not in spelled:
            continue
        full, ini, name_full, name_ini = spelled[d.name]
        add(full, FULL, d)
        if name_full != full:
            add(name_full, FULL, d)
        add(ini, INITIALS, d)
        for alias in SPELLING_ALIASES.get(d.name, ()):
            add(alias, FULL, d)
        if len(name_ini) >= 3 and name_ini != ini:
            add(name_ini, INITIALS, d)  # csx.gov.cn 长沙县
        # Parents by the names of this range (张家界市, not the 大庸市 of 1988–1993).
        parents = [(d.prefecture, PREFECTURE_PLUS)] if d.level == "county" and d.prefecture else []
        if d.level != "provincial":
            parents.append((d.province, PROVINCE_PLUS))
        for pname, tier in parents:
            if pname not in spelled:
                continue
            pfull, pini = spelled[pname][:2]
            for a in (pini, pfull):
                for b in (ini, full):
                    add(a + b, tier, d)
    return out


def host_labels(host: str | None) -> list[str]:
    """The labels of a host that may name a place, highest level first (sxyc.gov.cn → ['sxyc'])."""
    if not host:
        return []
    if "//" in host:  # a SiteDomain meta given as a URL ('http://www.shuyang.gov.cn/')
        host = urlsplit(host).hostname or ""
    h = host.lower().split(":")[0].strip(".")
    labels = [x for x in h.split(".") if x and x not in _NOT_PLACE and not x.isdigit()]
    return [x for x in reversed(labels) if re.fullmatch(r"[a-z]{2,30}", x)]


def _resolve_label(label: str, year: int, within: str | None, *, full_only: bool) -> Division | None:
    y = regions.clamp_year(year)
    hits = tuple(h for h in _index().get(label, ()) if h[1].first_year <= y <= h[1].last_year)
    if within:
        hits = tuple(h for h in hits if h[1].is_within(within))
    if full_only:
        hits = tuple(h for h in hits if h[0] == FULL)
    if not hits:
        return None
    best = min(tier for tier, _ in hits)
    cands = list({d.code: d for tier, d in hits if tier == best}.values())
    return cands[0] if len(cands) == 1 else _senior(cands, best)


def _senior(cands: list[Division], tier: int) -> Division | None:
    """The one of several same-spelled divisions that owns the spelling, or None (no guess).

    A province owns its pinyin and its initials (henan.gov.cn: 河南省, not 河南蒙古族自治县; ah.gov.cn:
    安徽省). A full pinyin spelling shared by different levels belongs to the highest (nanjing.gov.cn:
    南京市, not 南靖县; changsha: 长沙市, not its 长沙县). Initials shared below the provinces decide
    nothing: mz.gov.cn is 绵竹市, not 梅州市."""
    provinces = [d for d in cands if d.level == "provincial"]
    if len(provinces) == 1:
        return provinces[0]
    if tier != FULL or provinces:
        return None
    top = min(regions.LEVEL_RANK[d.level] for d in cands)
    senior = [d for d in cands if regions.LEVEL_RANK[d.level] == top]
    return senior[0] if len(senior) == 1 else None


def domain_division(host: str | None, year: int, within: str | None = None) -> tuple[Division, str] | None:
    """(division, label) that a government host spells, most specific first, or None when no label
    names exactly one division (within ``within``, a region code, when given).

    Below a label that named a place, only a full spelling counts: jyj.np.gov.cn is 南平's 教育局, not a
    county whose initials happen to be jyj."""
    found: Division | None = None
    used = ""
    for label in host_labels(host):
        scope = found.code if found else within
        d = _resolve_label(label, year, scope, full_only=found is not None)
        if d is None and label.startswith("zg") and len(label) >= 5:
            # 中国 + place, a Jiangsu habit: zghaq.gov.cn is 淮安区.
            d = _resolve_label(label[2:], year, scope, full_only=found is not None)
        if d is None:
            continue
        found, used = d, label
    return (found, used) if found else None
