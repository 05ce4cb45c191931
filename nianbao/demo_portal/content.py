"""Report content and the shared column model behind every demo archetype.

Real report text comes from the captured 平潭 pages and the 永定 seed; the many extra items that give the
crawler volume are generated in the 2021 six-section format and marked ``generated`` in the truth, so a
reader of the truth manifest knows which bodies are real.
"""

from __future__ import annotations

import hashlib
import html
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache, partial
from importlib import resources

import lxml.html

from .attachments import report_document
from .core import NOT_FOUND, DemoRequest, DemoResponse, Site

# Real listing titles that are not reports (Dingxi Hanweb dataproxy group, Ordos TRS column).
DINGXI_NEWS = [
    "定西市“春节”文明祭祀倡议书", "2021年度政府网站年度工作报表", "定西市新冠肺炎疫情联防联控领导小组办公室通告",
    "定西市人民政府办公室关于2021年第四季度全市政府网站和政务新媒体检查情况的通报",
    "关于在城区内禁止随意焚烧冥纸冥币有关事项的通告", "S42漳县至三岔高速公路工程环境影响评价第二次公示",
    "关于征集2022年为民办实事项目建议的公告", "定西市人民政府办公室关于2021年度履行教育职责自查自评的报告",
    "定西市科学技术局关于向社会公众征求意见建议的公告", "市委涉粮问题专项巡察公告",
]
ORDOS_NEWS = [
    "恩格贝生态示范区召开2020年度工作会暨党风廉政建设会议", "恩格贝生态示范区召开目标责任制考核表彰大会",
    "恩格贝生态示范区召开2018年度工作会议暨党风廉政建设会议", "恩格贝生态示范区：栽下梧桐引凤来",
    "一图读懂示范区2017年重点工作", "关于报送2020年政府信息公开工作年度报告的通知",
]
ORDOS_REPORTS = [  # real titles of superiors' reports seen in the Ordos column
    ("鄂尔多斯市2019年政府信息公开工作年度报告", 2019, "鄂尔多斯市"),
    ("鄂尔多斯市人民政府办公室2019年政府信息公开工作年度报告", 2019, "鄂尔多斯市人民政府办公室"),
    ("鄂尔多斯市2018年政府信息公开年度报告", 2018, "鄂尔多斯市"),
    ("内蒙古自治区2018年政府信息公开工作年度报告", 2018, "内蒙古自治区"),
]
SOFT_404 = "<html><head><meta charset='{cs}'><title>提示信息</title></head><body><p>对不起，页面不存在或您访问的页面已删除！</p></body></html>"


def site_bytes(*parts: str) -> bytes:
    return resources.files("nianbao.demo_portal").joinpath("site", *parts).read_bytes()


@cache
def real_paragraphs(name: str) -> tuple[str, ...]:
    """Paragraph texts of a real report: ``pingtan/<file>.htm`` or ``yongding/yongding-2018.txt``."""
    data = site_bytes(*name.split("/"))
    if name.endswith(".txt"):
        return tuple(ln.strip() for ln in data.decode("utf-8").splitlines() if ln.strip())
    root = lxml.html.fromstring(data)
    box = (root.cssselect(".TRS_Editor") or root.cssselect(".content") or [root])[0]
    paras = [" ".join(p.text_content().split()) for p in box.iter("p", "td")]
    return tuple(p for p in paras if p)


# --------------------------------------------------------------------------------------- report bodies


class Markup(str):
    """A body block that is already HTML (a report table): archetypes emit it verbatim instead of escaping it."""


def render_body(blocks: Sequence[str], sep: str = "\n") -> str:
    """The article body every archetype puts in its own container: ``<p>`` per text block, tables as they are."""
    return sep.join(b if isinstance(b, Markup) else f"<p>{html.escape(b)}</p>" for b in blocks)


@dataclass
class Cell:
    text: str
    rowspan: int = 1
    colspan: int = 1


Grid = list[list[Cell]]


@dataclass(frozen=True)
class Template:
    """A real report reduced to its body: text blocks and table grids, plus what to rewrite in it."""

    name: str
    generation: str
    year: int
    blocks: tuple[str | tuple[tuple[Cell, ...], ...], ...]


_COMMENT = re.compile(r"<!--.*?-->")
# Longest first: each real name of the template's agency is replaced by the generated agency.
_REAL_NAMES = ("平潭综合实验区党工委管委会", "平潭综合实验区管委会", "平潭综合实验区", "平潭县人民政府", "平潭县", "平潭",
               "张家界市永定区政府", "张家界市永定区", "永定区", "永定")
_TITLE_PIECES = ("平潭综合实验区", "平潭综合实验区2019年", "政府信息公开工作年度报告")  # titles split over lines
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?=\s*年)")
_CN_DIGITS = "○一二三四五六七八九"


def _clean(text: str) -> str:
    return " ".join(_COMMENT.sub("", text).split())


def _span(el: lxml.html.HtmlElement, name: str) -> int:
    value = (el.get(name) or "1").strip()
    return int(value) if value.isdigit() and int(value) > 0 else 1


@cache
def template(name: str) -> Template:
    """Parse one real report of ``site/`` into blocks; tables keep their cells and row/col spans only."""
    if name.endswith(".txt"):  # the 永定 seed: body from its title line on, one 统计表 cell per line
        lines = real_paragraphs(name)
        first = next(i for i, ln in enumerate(lines) if ln.endswith("年度报告") and i > 1)
        return Template(name, "g1", 2018, tuple(_clean(ln) for ln in lines[first + 1:]))
    root = lxml.html.fromstring(site_bytes(*name.split("/")))
    box = (root.cssselect(".TRS_Editor") or root.cssselect(".article_content"))[0]
    blocks: list = []
    for el in box.iter("p", "table"):
        if any(a.tag == "table" for a in el.iterancestors()):
            continue
        if el.tag == "table":
            blocks.append(tuple(tuple(Cell(_clean(td.text_content()), _span(td, "rowspan"), _span(td, "colspan"))
                                      for td in tr if td.tag in ("td", "th")) for tr in el.iter("tr")))
        elif text := _clean(el.text_content()):
            blocks.append(text)
    year = int(_YEAR.search(" ".join(b for b in blocks if isinstance(b, str))).group(1))
    generation = {"t20120418_80716.htm": "g0", "t20170118_80485.htm": "g0", "t20200120_80576.htm": "g2",
                  "t20220208_80613.htm": "g3"}[name.rsplit("/", 1)[-1]]
    return Template(name, generation, year, tuple(blocks))


TEMPLATES = {"g0": ("pingtan/t20120418_80716.htm", "pingtan/t20170118_80485.htm"), "g1": ("yongding/yongding-2018.txt",),
             "g2": ("pingtan/t20200120_80576.htm",), "g3": ("pingtan/t20220208_80613.htm",)}


def generation_for(year: int) -> str:
    """The table generation most agencies used for a report year (formats.md): g0 ≤2013, g1 2014–18, g2 2019–20, g3 2021+."""
    return "g0" if year <= 2013 else "g1" if year <= 2018 else "g2" if year <= 2020 else "g3"


@cache
def _cn_year(year: int) -> str:
    return "".join(_CN_DIGITS[int(d)] for d in str(year))


# Contact details of the real agency behind a template; a generated report must not carry them.
_CONTACTS = (
    (re.compile(r"(?:https?://)?www\.pingtan\.gov\.cn/?"), "（网址略）"),
    (re.compile(r"[\w.\-]+@[\w\-]+(?:\.[\w\-]+)+"), "（略）"),
    (re.compile(r"((?:联系)?地址[:：])[^；;。]*"), r"\1（略）"),
    (re.compile(r"(邮编[:：])\s*\d{6}"), r"\1（略）"),
    (re.compile(r"((?:电话|传真)(?:/传真)?[:：])\s*[\d\-]{7,}"), r"\1（略）"),
)


@cache
def _retarget(text: str, agency: str, year: int, tpl_year: int) -> str:
    """Agency names and years of the template rewritten for the generated report (the year after too);
    the real agency's address, phone, e-mail and web address blanked."""
    for real in _REAL_NAMES:
        text = text.replace(real, agency)
    for pattern, blank in _CONTACTS:
        text = pattern.sub(blank, text)
    shift = year - tpl_year
    text = _YEAR.sub(lambda m: str(int(m.group(1)) + shift) if abs(int(m.group(1)) - tpl_year) <= 5 else m.group(1), text)
    for y in (tpl_year, tpl_year + 1):
        text = text.replace(f"{_cn_year(y)}年", f"{_cn_year(y + shift)}年")
    return text


def _rng(*key: object) -> random.Random:
    """A generator fixed by agency and year (not by page), so the same agency's reports agree across years
    and a re-issued page repeats its numbers (the cross-year checks carry-over and stocks hold)."""
    return random.Random(hashlib.sha256(repr(key).encode()).digest())


def _scale(agency: str) -> int:
    """How busy an agency is: most receive a handful of requests, a few receive hundreds."""
    return _rng(agency, "scale").choice([0, 1, 2, 3, 5, 8, 12, 20, 40, 80])


# ----------------------------------------------------------------------------- g2 / g3 tables 二 三 四

APPLICANTS = 6  # 自然人, 商业企业, 科研机构, 社会公益组织, 法律服务机构, 其他
_APP_WEIGHT = (1.0, 0.25, 0.02, 0.05, 0.08, 0.1)
# Leaf result rows of table 三 in template order; weights give a plausible mix of outcomes.
_LEAVES_G2 = (("granted", 40), ("partial", 8), *((f"withheld{i}", w) for i, w in enumerate((1, 1, 1, 2, 2, 3, 1, 1))),
              ("not_held", 25), ("needs_creation", 3), ("still_unclear", 3),
              *((f"not_processed{i}", w) for i, w in enumerate((3, 4, 1, 1, 1))))
_LEAVES = {"g2": (*_LEAVES_G2, ("other", 4)), "g3": (*_LEAVES_G2, ("other0", 2), ("other1", 1), ("other2", 2))}


@cache
def _carried_forward(agency: str, year: int) -> tuple[int, ...]:
    """结转下年度 per applicant column; never more than the year's open requests."""
    rng = _rng(agency, year, "carry")
    raw = [rng.choice((0, 0, 0, 1, 2)) if rng.random() < _APP_WEIGHT[c] else 0 for c in range(APPLICANTS)]
    if year < 2019:
        return tuple(raw)
    new, carried_in = _new_requests(agency, year), _carried_forward(agency, year - 1)
    return tuple(min(r, n + i) for r, n, i in zip(raw, new, carried_in, strict=True))


@cache
def _new_requests(agency: str, year: int) -> tuple[int, ...]:
    rng, scale = _rng(agency, year, "new"), _scale(agency)
    return tuple(max(0, round(rng.gauss(scale * w, scale * w / 3 + 0.3))) for w in _APP_WEIGHT)


def table3(agency: str, year: int, generation: str) -> list[list[int]]:
    """Table 三 rows (new, carried in, leaf results…, 总计, carried forward) × (six applicants + 总计).

    一 + 二 = 三(七) + 四 per column and 总计 = sum of the result rows by construction; the last column sums
    the six applicant columns."""
    new, carried_in, carried = (_new_requests(agency, year), _carried_forward(agency, year - 1),
                                _carried_forward(agency, year))
    leaves = _LEAVES[generation]
    rng = _rng(agency, year, "results")
    cols = []
    for c in range(APPLICANTS):
        done = new[c] + carried_in[c] - carried[c]
        counts = dict.fromkeys((k for k, _ in leaves), 0)
        for k in rng.choices([k for k, _ in leaves], [w for _, w in leaves], k=done):
            counts[k] += 1
        cols.append([new[c], carried_in[c], *counts.values(), done, carried[c]])
    return [[*row, sum(row)] for row in zip(*cols, strict=True)]


def table4(agency: str, year: int) -> list[int]:
    """Table 四: 行政复议, 未经复议直接起诉, 复议后起诉 blocks of (维持, 纠正, 其他, 尚未审结, 总计)."""
    rng, scale = _rng(agency, year, "t4"), _scale(agency)
    out = []
    for factor in (0.05, 0.04, 0.02):
        parts = [rng.choice((0, 0, 1)) if rng.random() < scale * factor else 0 for _ in range(4)]
        out += [*parts, sum(parts)]
    return out


@cache
def _stock(agency: str, year: int, what: str) -> int:
    """现行有效件数 of 行政规范性文件: last year's stock plus issued minus repealed (g3 stock-continuity rule)."""
    if year <= 2020:
        return _rng(agency, "stock0", what).randint(5, 300)
    issued, repealed = _issued_repealed(agency, year, what)
    return _stock(agency, year - 1, what) + issued - repealed


def _issued_repealed(agency: str, year: int, what: str) -> tuple[int, int]:
    rng = _rng(agency, year, "issued", what)
    issued = rng.randint(0, 30)
    return issued, min(rng.randint(0, 5), _stock(agency, year - 1, what) if year > 2020 else 0)


def _items(agency: str, year: int, what: str) -> tuple[int, int]:
    """(上一年项目数量, 本年增/减) of a table-二 row in 2019–20: next year's base is this year's base plus change."""
    base = _rng(agency, "items0", what).randint(0, 400)
    change = [_rng(agency, y, "change", what).choice((0, 0, 0, 1, 2, 5)) for y in range(2019, year + 1)]
    return base + sum(change[:-1]), change[-1]


def _decisions(agency: str, year: int, what: str) -> int:
    return _rng(agency, year, "decisions", what).choice((0, 0, 3, 12, 45, 180, 900))


def _fill_t2(grid: Grid, agency: str, year: int, generation: str) -> None:
    for row in grid:
        label, values = row[0].text, row[1:]
        if not values or not re.fullmatch(r"[\d.,元\-]+", values[0].text):
            continue
        if label in ("规章", "行政规范性文件", "规范性文件"):
            what = "reg" if label == "规章" else "norm"
            if generation == "g3":
                issued, repealed = _issued_repealed(agency, year, what) if what == "norm" else (0, 0)
                nums = [issued, repealed, _stock(agency, year, what) if what == "norm" else 0]
            else:
                made = _issued_repealed(agency, year, what)[0] if what == "norm" else 0
                nums = [made, made, made + (_stock(agency, year, what) if what == "norm" else 0)]
        elif label == "行政事业性收费" and generation == "g3":
            nums = [f"{_rng(agency, year, 'fees').uniform(0, 30000):.6f}"]
        elif label == "行政事业性收费":
            nums = list(_items(agency, year, label))
        elif label == "政府集中采购":
            rng = _rng(agency, year, "purchase")
            nums = [rng.randint(0, 200), f"{rng.uniform(0, 9e7):.2f}元"]
        elif generation == "g3":
            nums = [_decisions(agency, year, label)]
        else:
            nums = [*_items(agency, year, label), _decisions(agency, year, label)]
        for cell, value in zip(values, nums, strict=True):
            cell.text = str(value)


def _fill_t3(grid: Grid, agency: str, year: int, generation: str) -> None:
    rows = iter(table3(agency, year, generation))
    for row in grid:
        if len(row) >= 8 and all(re.fullmatch(r"\d+", c.text) for c in row[-7:]):
            for cell, value in zip(row[-7:], next(rows), strict=True):
                cell.text = str(value)


def _fill_t4(grid: Grid, agency: str, year: int) -> None:
    for cell, value in zip(grid[-1], table4(agency, year), strict=True):
        cell.text = str(value)


# ---------------------------------------------------------------------------------- g0 regional form


@cache
def _g0_year(agency: str, year: int) -> dict[str, int]:
    """One year of the Fujian regional form: 主动公开 by outlet, requests by channel, replies, appeals."""
    rng, scale = _rng(agency, year, "g0"), _scale(agency)
    web = rng.randint(20, 600)
    gazette = rng.choice((0, 0, rng.randint(1, 30)))
    channels = [max(0, round(rng.gauss(scale * w / 4, 0.5))) for w in (0.4, 0.05, 0.1, 0.3, 0.1, 0.05)]
    total = sum(channels)
    granted = round(total * rng.uniform(0.5, 0.9))
    partial = round((total - granted) * rng.uniform(0, 0.6))
    refused = round((total - granted - partial) * rng.uniform(0, 1))
    return {"web": web, "gazette": gazette, "proactive": web + gazette, "total": total, "in_person": channels[0],
            "fax": channels[1], "email": channels[2], "online": channels[3], "letter": channels[4], "other": channels[5],
            "granted": granted, "partial": partial, "refused": refused, "other_reply": total - granted - partial - refused,
            "review": rng.choice((0, 0, 0, 1)) if scale > 5 else 0, "litigation": rng.choice((0, 0, 0, 1)) if scale > 10 else 0,
            "appeal": 0, "reports": rng.choice((0, 0, 1, 2))}


_G0_ROWS = {  # regional-form row label (without its 其中/number prefix) → the figures it sums
    "主动公开信息数": ("proactive",), "主动公开文件数": ("proactive",), "网站公开": ("web",), "政府网站公开数": ("web",),
    "政府公报公开": ("gazette",), "政府公报公开数": ("gazette",), "受理依申请公开信息总数": ("total",),
    "当面申请数": ("in_person",), "传真申请数": ("fax",), "电子邮件申请数": ("email",), "网上申请数": ("online",),
    "信函申请数": ("letter",), "其它形式申请数": ("other",), "对申请的答复数": ("total",), "对申请的答复总数": ("total",),
    "同意公开答复数": ("granted",), "同意部分公开答复数": ("partial",), "否决公开答复数": ("refused", "other_reply"),
    "不予公开答复数": ("refused",), "其他类型答复数": ("other_reply",), "行政复议数": ("review",),
    "行政诉讼数": ("litigation",), "行政申诉数": ("appeal",), "接受行政诉讼、举报数": ("reports",),
    "政府信息公开收费减免金额": (),
}
_G0_WIDE = {"网上申请数": ("online", "email"), "信函、传真申请数": ("letter", "fax", "other")}  # the 3-channel form


def _fill_g0(grid: Grid, agency: str, year: int) -> None:
    wide = any("信函、传真申请数" in c.text for row in grid for c in row)
    for row in grid:
        label = re.sub(r"^(其中[:：])?\s*\d[.、]\s*", "", row[0].text)
        keys = (_G0_WIDE if wide else {}).get(label) or _G0_ROWS.get(label)
        if keys is None or len(row) < 4:
            continue
        this = sum(_g0_year(agency, year)[k] for k in keys)
        since = sum(_g0_year(agency, y)[k] for k in keys for y in range(2008, year + 1))
        row[2].text, row[3].text = str(this), str(max(this, since))


def _g0_prose(text: str, agency: str, year: int, tpl_year: int) -> str:
    """The template's sentences that repeat table figures, restated with the generated ones."""
    f = _g0_year(agency, year)
    asked = (f"{tpl_year}年共受理政府信息公开申请{f['total']}件，已全部答复，其中同意公开{f['granted']}件，"
             f"同意部分公开{f['partial']}件" if f["total"] else "")
    appeals = f"收到有关政府信息公开的行政复议申请{f['review']}件，行政诉讼{f['litigation']}件"
    own = round(f["proactive"] * 0.7)
    pct = round(own * 100 / f["proactive"]) if f["proactive"] else 0
    swaps = [("主动公开政府信息425条", f"主动公开政府信息{f['proactive']}条"), ("的425条政府信息中", f"的{f['proactive']}条政府信息中"),
             ("303条，占71.3%", f"{own}条，占{pct}%"), ("122条，占28.7%", f"{f['proactive'] - own}条，占{100 - pct}%"),
             ("全区主动公开政府信息3460条", f"全区主动公开政府信息{f['proactive']}条"),
             ("1822条，占53%", f"{own}条，占{pct}%"), ("1638条，占47%", f"{f['proactive'] - own}条，占{100 - pct}%")]
    if asked:
        swaps += [(f"{tpl_year}年全县未收到有关政府信息公开的申请", asked), (f"{tpl_year}年全区未收到有关政府信息公开申请", asked)]
    if f["review"] or f["litigation"]:
        swaps += [("未收到有关政府信息公开行政复议申请", appeals), ("未收到有关政府信息公开行政复议、提起行政诉讼的申请", appeals)]
    for old, new in swaps:
        text = text.replace(old, new)
    return text


# ------------------------------------------------------------------------------------ g1 统计表 lines

# The 永定 统计表's value lines in order (one figure per line after its label); None keeps the real figure.
_G1_SLOTS = ("proactive", "norm_public", "norm_issued", "gazette", "web", "weibo", "weixin", "other_outlet", None, None,
             None, None, None, None, None, None, None, "apps", "in_person", "fax", "online", "letter", "closed", "on_time",
             "late", "replies", "already_public", "granted", "partial", "refused", "r_secret", "r_commercial", "r_privacy",
             "r_security", "r_not_info", "r_other_law", "not_this", "not_exist", "amend", "elsewhere", "review",
             "review_upheld", "review_corrected", "review_other", "lit", "lit_upheld", "lit_corrected", "lit_other",
             "complaints", "fees", None, None, "staff", "staff_full", "staff_part", None, None, None, None)


def _g1_figures(agency: str, year: int) -> dict[str, int]:
    """One 2014–18 统计表: every 其中/合计 relation of the table holds (channels, replies, refusals, appeals, staff)."""
    rng, scale = _rng(agency, year, "g1"), _scale(agency)
    f = {k: rng.randint(0, 60) for k in ("gazette", "weibo", "weixin", "other_outlet")}
    f["web"] = rng.randint(50, 3000)
    f["proactive"] = f["web"] + f["gazette"] + f["weibo"] + f["weixin"] + f["other_outlet"]
    f["norm_issued"] = f["norm_public"] = rng.randint(0, 40)
    ch = [max(0, round(rng.gauss(scale * w, scale * w / 3 + 0.3))) for w in (0.3, 0.02, 0.6, 0.1)]
    f.update(zip(("in_person", "fax", "online", "letter"), ch, strict=True))
    f["apps"] = f["closed"] = f["replies"] = sum(ch)
    f["late"] = round(f["apps"] * rng.uniform(0, 0.1))
    f["on_time"] = f["apps"] - f["late"]
    reasons = ("r_secret", "r_commercial", "r_privacy", "r_security", "r_not_info", "r_other_law")
    types = ("already_public", "granted", "partial", "not_this", "not_exist", "amend", "elsewhere", *reasons)
    f.update(dict.fromkeys(types, 0))
    for k in rng.choices(types, (10, 40, 8, 8, 10, 4, 4, 1, 1, 2, 1, 3, 2), k=f["apps"]):
        f[k] += 1
    f["refused"] = sum(f[k] for k in reasons)
    for block, p in (("review", 0.05), ("lit", 0.03)):
        parts = [rng.choice((0, 0, 1)) if rng.random() < scale * p else 0 for _ in range(3)]
        f.update(zip((f"{block}_upheld", f"{block}_corrected", f"{block}_other"), parts, strict=True))
        f[block] = sum(parts)
    f["complaints"], f["fees"] = rng.choice((0, 0, 1)), 0
    f["staff_full"], f["staff_part"] = rng.randint(1, 5), rng.randint(0, 12)
    f["staff"] = f["staff_full"] + f["staff_part"]
    return f


def _fill_g1(lines: list[str], agency: str, year: int) -> list[str]:
    f, slots, out = _g1_figures(agency, year), iter(_G1_SLOTS), []
    for ln in lines:
        if re.fullmatch(r"\d+(\.\d+)?", ln):
            key = next(slots)
            ln = str(f[key]) if key else ln
        elif ln.startswith(("单位负责人", "联系电话")):  # real officials' names and phone stay with the real report
            ln = "单位负责人:          审核人:          填报人:" if ln.startswith("单位") else "联系电话:"
        out.append(ln)
    return out


# ---------------------------------------------------------------------------------------- generator


def _grid_html(grid: Grid) -> Markup:
    rows = []
    for row in grid:
        cells = "".join(
            "<td" + (f' rowspan="{c.rowspan}"' if c.rowspan > 1 else "") + (f' colspan="{c.colspan}"' if c.colspan > 1 else "")
            + f">{html.escape(c.text)}</td>" for c in row)
        rows.append(f"<tr>{cells}</tr>")
    return Markup('<table border="1" cellspacing="0" cellpadding="0">' + "".join(rows) + "</table>")


def _table_kind(grid: Grid) -> str:
    text = " ".join(c.text for row in grid for c in row)
    if "申请人情况" in text:
        return "t3"
    if "行政复议" in text and "行政诉讼" in text and "指标名称" not in text:
        return "t4"
    return "t2" if "第二十条" in text else "g0"


def generated_report(agency: str, year: int, seed: int) -> list[str]:
    """A report for ``agency`` and ``year`` built from the real report of the year's generation.

    The template keeps its sections, wording and table layout; the agency name and years are rewritten and
    the table figures regenerated so that every identity the checks test holds (table 三 balance, 总计
    column and rows, table 四 blocks, 统计表 sums). Figures depend on agency and year only, so consecutive
    years of one agency chain (carried-over requests, stock of normative documents); ``seed`` picks one of
    the two real g0 forms.
    """
    generation = generation_for(year)
    names = TEMPLATES[generation]
    tpl = template(names[seed % len(names)])
    title = f"{agency}{year}年政府信息公开工作年度报告"
    if generation == "g1":
        return [title, *(_retarget(ln, agency, year, tpl.year) for ln in _fill_g1(list(tpl.blocks), agency, year))]
    blocks: list[str] = [title]
    for block in tpl.blocks:
        if isinstance(block, str):
            if block.endswith("年度报告") and len(block) < 40 or block in _TITLE_PIECES:
                continue  # the template's own title lines; ours is above
            if generation == "g0":
                block = _g0_prose(block, agency, year, tpl.year)
            elif generation == "g3":
                t3 = table3(agency, year, "g3")
                block = block.replace("共收到70件申请，及时依法依规办结69件，1件结转下年度继续办理",
                                      f"共收到{t3[0][-1]}件申请，及时依法依规办结{t3[-2][-1]}件，"
                                      f"{t3[-1][-1]}件结转下年度继续办理")
            blocks.append(_retarget(block, agency, year, tpl.year))
            continue
        grid = [[Cell(_retarget(c.text, agency, year, tpl.year), c.rowspan, c.colspan) for c in row] for row in block]
        kind = _table_kind(grid)
        if kind == "t3":
            _fill_t3(grid, agency, year, generation)
        elif kind == "t4":
            _fill_t4(grid, agency, year)
        elif kind == "t2":
            _fill_t2(grid, agency, year, generation)
        else:
            _fill_g0(grid, agency, year)
        blocks.append(_grid_html(grid))
    return blocks


# ------------------------------------------------------------------------------------------ attachments

def report_attachment(kind: str, blocks: Sequence[str]) -> Callable[[], bytes]:
    """The report's own document of ``kind`` (pdf or docx), built on first use: attachments carry the page's
    title, text and figures, so the dataset files each under its own report."""
    return partial(report_document, kind, tuple(blocks))


def filler_bytes(kind: str, name: str, size: int) -> bytes:
    """``size`` bytes of filler behind the kind's magic number: the too-large trap, never stored, never read."""
    magic = {"pdf": b"%PDF-1.4\n", "docx": b"PK\x03\x04", "xlsx": b"PK\x03\x04", "doc": b"\xd0\xcf\x11\xe0",
             "xls": b"\xd0\xcf\x11\xe0"}[kind]
    body = magic + f"nianbao demo attachment {name}\n".encode()
    body += hashlib.sha256(name.encode()).digest() * ((size - len(body)) // 32 + 1)
    return body[:size]


CONTENT_TYPES = {
    "pdf": "application/pdf", "doc": "application/msword", "xls": "application/vnd.ms-excel",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "jpg": "image/jpeg",
    "wps": "application/octet-stream",
}


@dataclass
class Attachment:
    path: str  # URL path (with query) on the doc's host
    name: str  # label shown in the link
    source: bytes | Callable[[], bytes]  # the bytes, or how to build them when first served or hashed
    kind: str = "pdf"
    expect: str = "stored"  # stored / too_large / not_found: what an honest crawler ends with
    status: int = 200

    @property
    def data(self) -> bytes:
        if callable(self.source):
            self.source = self.source()
        return self.source


@dataclass
class Doc:
    """One listed item of a column: a report (``report_year`` set) or other news."""

    path: str
    title: str
    date: str  # YYYY-MM-DD as listed
    paragraphs: list[str]
    report_year: int | None = None
    agency: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    host: str | None = None  # another host of the same portal (shared backend)
    generated: bool = True
    withdrawn: bool = False
    expect: str = "stored"  # stored / not_found (soft 404) / robots / blocked
    soft_404: bool = False
    raw: bytes | None = None  # served as is (real captured page) instead of family markup
    revision: int = 0
    extra: dict = field(default_factory=dict)


class ColumnSite(Site):
    """A site whose reports sit in one or more listed columns; subclasses render family markup.

    Time control: ``publish``, ``withdraw`` and ``revise`` change what the next request sees, so tests can
    run "the next night" against the same server.
    """

    portal_id: str = ""
    charset: str = "utf-8"

    def __init__(self) -> None:
        self.docs: list[Doc] = []
        self.hits: dict[str, int] = {}

    # -- model -------------------------------------------------------------------------------------
    def url(self, doc: Doc) -> str:
        return f"http://{doc.host or self.hosts[0]}{doc.path}"

    def listed(self, docs: list[Doc] | None = None) -> list[Doc]:
        return sorted((d for d in (self.docs if docs is None else docs) if not d.withdrawn),
                      key=lambda d: (d.date, d.path), reverse=True)

    def find(self, host: str, path_qs: str) -> Doc | None:
        for doc in self.docs:
            if doc.path == path_qs and (doc.host or self.hosts[0]) == host:
                return doc
        return None

    def find_attachment(self, host: str, path_qs: str) -> tuple[Doc, Attachment] | None:
        for doc in self.docs:
            for att in doc.attachments:
                if att.path == path_qs and (doc.host or self.hosts[0]) == host:
                    return doc, att
        return None

    def publish(self, doc: Doc) -> str:
        self.docs.append(doc)
        return self.url(doc)

    def withdraw(self, url: str) -> None:
        for doc in self.docs:
            if self.url(doc) == url:
                doc.withdrawn = True

    def revise(self, url: str, date: str) -> None:
        """Same URL, new bytes, newer listing date (how a CMS shows an edited article)."""
        for doc in self.docs:
            if self.url(doc) == url:
                doc.revision += 1
                doc.date = date
                doc.paragraphs = [*doc.paragraphs, f"（{date}修订）"]
                doc.raw = None

    # -- serving -----------------------------------------------------------------------------------
    def count(self, key: str) -> int:
        self.hits[key] = self.hits.get(key, 0) + 1
        return self.hits[key]

    def article(self, doc: Doc) -> DemoResponse:  # pragma: no cover - interface
        raise NotImplementedError

    def serve_document(self, req: DemoRequest, path_qs: str) -> DemoResponse | None:
        doc = self.find(req.host, path_qs)
        if doc is not None:
            if doc.withdrawn:
                return self.not_found()
            if doc.soft_404:
                return DemoResponse.html(SOFT_404.format(cs=self.charset), charset=self.charset)
            return self.article(doc)
        found = self.find_attachment(req.host, path_qs)
        if found is not None:
            doc, att = found
            if doc.withdrawn or att.status == 404:
                return self.not_found()
            return DemoResponse(200, att.data, {"Content-Type": CONTENT_TYPES[att.kind]})
        return None

    def not_found(self) -> DemoResponse:
        return DemoResponse(404, NOT_FOUND, {"Content-Type": "text/html; charset=utf-8"})

    def truth(self, base: str) -> list[dict]:
        rows = []
        for doc in self.docs:
            if doc.report_year is None or doc.withdrawn:
                continue
            rows.append({
                "portal_id": self.portal_id, "url": self.url(doc), "report_year": doc.report_year,
                "agency": doc.agency, "title": doc.title, "publish_date": doc.date, "expect": doc.expect,
                "generated": doc.generated,
                "attachments": [
                    {"url": f"http://{doc.host or self.hosts[0]}{a.path}", "name": a.name, "expect": a.expect,
                     "sha256": hashlib.sha256(a.data).hexdigest()}
                    for a in doc.attachments
                ],
            })
        return rows
