"""Table templates as data, built once from spec/indicators.csv plus the alias lists below.

Each table kind gets a label index: row tables (g0 regional form, g1 统计表, g2/g3 table 三) map a row
label to a code; grid tables (table 二: row × column, table 四: block × column) map a label pair to a
code. The mapper in parse.py is generic: it only asks these indices, so a new variant is a data change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache

from pipeline.indicators import catalogue
from pipeline.labels import head_key, label_key, similarity

# Extra printed wordings seen on real pages, per table kind: alias → code.
ALIASES: dict[str, dict[str, str]] = {
    "regional": {
        "网站公开": "proactive.channel.website",
        "政府网站公开": "proactive.channel.website",
        "政府公报公开": "proactive.channel.gazette",
        "网络申请数": "apply.new.channel.online",
        "其它形式申请数": "apply.new.channel.other",
        "受理申请总数": "apply.new",
        "收到申请数": "apply.new",
        "同意公开数": "apply.reply.granted",
        "同意部分公开数": "apply.reply.partial",
        "否决公开数": "apply.reply.rejected_broad",
        "不予公开数": "apply.reply.refused",
        "行政复议": "review.total",
        "行政诉讼": "litigation.all.total",
        "行政申诉": "appeal.total",
        "依申请公开收费": "fee.application_fees",
    },
    "stat": {
        "主动公开政府信息数": "proactive.items_total",
        "回应公众关注热点或重大舆情数": "response.hot_topics",
        "专职人员数": "org.staff.full_time",
        "政府信息公开专项经费": "org.budget",
        "行政复议数": "review.total",
        "行政诉讼数": "litigation.all.total",
        "举报投诉数": "complaint.total",
        "依申请公开信息收取费用": "fee.application_fees",
    },
    "t3": {
        "部分公开": "apply.result.partial",
        "部分公开区分处理": "apply.result.partial",
        "危及三安全一稳定": "apply.result.withheld.security_stability",
        "逾期不补正": "apply.result.other.no_correction",
        "申请人无正当理由逾期不补正": "apply.result.other.no_correction",
        "逾期未缴费": "apply.result.other.fee_unpaid",
        "申请人逾期未按收费通知要求缴纳费用": "apply.result.other.fee_unpaid",
        "本年度办理结果总计": "apply.result.total",
        "合计": "apply.result.total",
        "本年新收申请数量": "apply.new",
        "上年结转申请数量": "apply.carried_in",
        "结转下年度": "apply.carried_forward",
    },
}

# Rows that carry no value of their own (block titles, header words): never a local.* code.
GROUP_HEADERS = frozenset(
    label_key(x)
    for x in (
        "主动公开情况",
        "通过不同渠道和方式公开政府信息的情况",
        "回应解读情况",
        "通过不同渠道和方式回应解读的情况",
        "依申请公开情况",
        "机构建设和保障经费情况",
        "政府信息公开会议和培训情况",
        "本年度办理结果",
        "申请人情况",
        "指标名称",
        "统计指标",
        "计量单位",
        "单位",
        "统计数",
        "本年度",
        "历年累计",
        "信息内容",
        "序号",
        "自然人",
        "法人或其他组织",
        "填报单位",
    )
)

# Labels that look like a catalogue label but are a different definition (see indicators.csv notes).
DENY = re.compile(r"减免金额|诉讼举报|申诉举报|复议诉讼|收费减免")

APPLICANT_HEADERS: dict[str, str] = {
    "自然人": "natural_person",
    "商业企业": "org.commercial",
    "科研机构": "org.research",
    "社会公益组织": "org.public_interest",
    "法律服务机构": "org.legal_service",
    "其他": "org.other",
    "总计": "total",
    "合计": "total",
}

TABLE_GENERATIONS = {"regional": ("g0",), "stat": ("g1",), "t3": ("g2", "g3")}


@dataclass
class Entry:
    code: str
    pos: int
    full: str
    head: str
    alias: bool


@dataclass
class RowIndex:
    """Label index of one row table; candidates keep template order so duplicates resolve by position."""

    kind: str
    entries: list[Entry] = field(default_factory=list)
    by_key: dict[str, list[Entry]] = field(default_factory=dict)
    by_head: dict[str, list[Entry]] = field(default_factory=dict)

    def add(self, code: str, label: str, pos: int, alias: bool = False) -> None:
        e = Entry(code, pos, label_key(label), head_key(label), alias)
        if not e.full:
            return
        self.entries.append(e)
        self.by_key.setdefault(e.full, []).append(e)
        self.by_head.setdefault(e.head, []).append(e)

    def match(self, label: str, last_pos: int = -1) -> tuple[str, str, float, int] | None:
        """(code, method, score, template position) for a printed label, or None."""
        full = label_key(label)
        if not full or DENY.search(full):
            return None
        head = head_key(label)
        for key, table in ((full, self.by_key), (head, self.by_head), (full, self.by_head)):
            hits = table.get(key)
            if hits:
                e = _next(hits, last_pos)
                method = "alias" if e.alias else "exact"
                return e.code, method, 1.0, e.pos
        return self._fuzzy(full, head, last_pos)

    def _fuzzy(self, full: str, head: str, last_pos: int) -> tuple[str, str, float, int] | None:
        return _fuzzy_cached(self.kind, full, head, last_pos)


def _next(hits: list[Entry], last_pos: int) -> Entry:
    after = [e for e in hits if e.pos > last_pos]
    return min(after, key=lambda e: e.pos) if after else hits[0]


@cache
def _fuzzy_cached(kind: str, full: str, head: str, last_pos: int) -> tuple[str, str, float, int] | None:
    best: tuple[float, Entry] | None = None
    for e in row_index(kind).entries:
        score = max(similarity(head, e.head), similarity(full, e.full))
        # A label that contains a full catalogue label plus decoration (e.g. a unit or a note).
        if len(e.head) >= 5 and e.head in full:
            score = max(score, 0.86 + 0.1 * len(e.head) / max(len(full), 1))
        if best is None or score > best[0] or (score == best[0] and e.pos > last_pos >= best[1].pos):
            best = (score, e)
    if best and best[0] >= 0.84:
        return best[1].code, "fuzzy", round(min(best[0], 0.99), 3), best[1].pos
    return None


@cache
def row_index(kind: str) -> RowIndex:
    """Index for 'regional' (g0), 'stat' (g1) or 't3' (g2/g3 table 三)."""
    idx = RowIndex(kind)
    gens = TABLE_GENERATIONS[kind]
    for pos, ind in enumerate(catalogue().values()):
        if kind == "t3" and not ind.applicant_breakdown:
            continue
        if kind != "t3" and ind.applicant_breakdown and not (set(gens) & ind.generations):
            continue
        for gen in gens:
            for label in ind.labels.get(gen, ()):
                if "×" in label:
                    continue
                idx.add(ind.code, label, pos)
    pos_of = {code: i for i, code in enumerate(catalogue())}
    for alias, code in ALIASES.get(kind, {}).items():
        idx.add(code, alias, pos_of[code], alias=True)
    return idx


def t3_row_order(generation: str) -> list[str]:
    """Printed table-三 codes in template order (for positional mapping of unlabeled rows)."""
    out = []
    for ind in catalogue().values():
        if ind.applicant_breakdown and generation in ind.generations and ind.printed_in(generation) == "yes":
            out.append(ind.code)
    # apply.result.total and carried_forward come last in print order (already so in the file).
    return out


@dataclass
class GridTemplate:
    """Table 二 / 四: row (or block) key → code prefix; column key → code suffix."""

    rows: dict[str, str]
    cols: dict[str, str]


_YEAR = re.compile(r"\d{4}年?|\d{4}")


def col_key(label: str) -> str:
    """Column key with any year removed: 本年(2023)制发件数 → 本年制发件数."""
    return _YEAR.sub("", head_key(label))


@cache
def t2_template() -> GridTemplate:
    rows: dict[str, str] = {}
    cols: dict[str, str] = {}
    for ind in catalogue().values():
        for gen in ("g2", "g3"):
            for label in ind.labels.get(gen, ()):
                parts = [p.strip() for p in label.split("×")]
                if len(parts) != 2 or not ind.code.startswith("proactive."):
                    continue
                prefix, _, suffix = ind.code.rpartition(".")
                rows.setdefault(head_key(parts[0]), prefix)
                cols.setdefault(col_key(parts[1]), suffix)
    rows.setdefault(head_key("规范性文件"), "proactive.normative_docs")
    rows.setdefault(head_key("行政规范性文件"), "proactive.normative_docs")
    cols.setdefault(col_key("本年增减"), "items_change")
    cols.setdefault(col_key("收费金额"), "amount")
    cols.setdefault(col_key("本年收费金额"), "amount")
    return GridTemplate(rows, cols)


@cache
def t4_template() -> GridTemplate:
    rows: dict[str, str] = {}
    cols: dict[str, str] = {}
    for ind in catalogue().values():
        label = ind.labels.get("g3", ind.labels.get("g2", ("",)))[0]
        parts = [p.strip() for p in label.split("×")]
        if len(parts) < 2 or ind.domain not in ("review", "litigation"):
            continue
        prefix, _, suffix = ind.code.rpartition(".")
        rows.setdefault(head_key(parts[-2]), prefix)
        cols.setdefault(head_key(parts[-1]), suffix)
    return GridTemplate(rows, cols)


def match_key(key: str, table: dict[str, str], threshold: float = 0.8) -> tuple[str, str, float] | None:
    """Exact, then containment, then fuzzy lookup of a key in a small label table."""
    if not key:
        return None
    if key in table:
        return table[key], "exact", 1.0
    return _match_inexact(key, tuple(table.items()), threshold)


@lru_cache(maxsize=16384)
def _match_inexact(key: str, items: tuple[tuple[str, str], ...], threshold: float) -> tuple[str, str, float] | None:
    """Containment or fuzzy match; cached, because the same printed headers recur in every report."""
    best: tuple[float, str] | None = None
    for k, v in items:
        if len(k) >= 2 and (k in key or key in k) and min(len(k), len(key)) >= 2:
            score = 0.85 + 0.1 * min(len(k), len(key)) / max(len(k), len(key))
        else:
            score = similarity(key, k)
        if best is None or score > best[0]:
            best = (score, v)
    if best and best[0] >= threshold:
        return best[1], "fuzzy", round(min(best[0], 0.99), 3)
    return None


T2_ORDER = {
    "g2": {
        "proactive.regulations": ("new_made", "new_published", "published_stock"),
        "proactive.normative_docs": ("new_made", "new_published", "published_stock"),
        "proactive.other_docs": ("new_made", "new_published", "published_stock"),
        "proactive.licensing": ("items_prev_year", "items_change", "decisions"),
        "proactive.other_services": ("items_prev_year", "items_change", "decisions"),
        "proactive.penalty": ("items_prev_year", "items_change", "decisions"),
        "proactive.coercion": ("items_prev_year", "items_change", "decisions"),
        "proactive.admin_fees": ("items_prev_year", "items_change"),
        "proactive.procurement": ("projects", "amount"),
    },
    "g3": {
        "proactive.regulations": ("issued", "repealed", "in_force"),
        "proactive.normative_docs": ("issued", "repealed", "in_force"),
        "proactive.licensing": ("decisions",),
        "proactive.penalty": ("decisions",),
        "proactive.coercion": ("decisions",),
        "proactive.admin_fees": ("amount",),
    },
}
"""Column order per table-二 row when a block prints no header row (positional fallback)."""

T4_ORDER = tuple(
    f"{p}.{s}"
    for p in ("review", "litigation.direct", "litigation.after_review")
    for s in ("upheld", "corrected", "other", "pending", "total")
)
