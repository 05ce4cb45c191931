"""Numbers stated in report prose, for reports without a statistics table (g0 2008–2013, prose-only later ones).

Precision over recall: a pattern fires only when the number sits next to its own keyword and a
count unit, inside one clause, and clauses about other things (主动公开 items, 咨询, 其中 sub-counts,
cumulative 累计 figures, table rows that leaked into the text) are skipped. When two sentences give
different values for the same indicator with equal confidence, neither is emitted.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}

NUM = r"\s*(?<![第每\d.])(?P<num>\d+(?:,\d{3})*(?:\.\d+)?万?|[零〇一二两三四五六七八九十][零〇一二两三四五六七八九十百千万]*)\s*"
COUNT_UNIT = r"(?P<unit>件次|人次|件|条|起|宗|个|份|项|次)(?!工作日|日|天|月|年|小时|百分|%|以上|以内)"
MONEY_UNIT = r"(?P<unit>万元|元)"
GAP = r"[^,。;:!?\d\s]"  # stays inside one clause and off table rows (NFKC: ，→, ；→; ：→:)

_SENTENCE_END = re.compile(r"[。！？；!?;\n]+")
_CLAUSE_END = ",;:。"
_TABLE_ROW = re.compile(r"(?:\d+\s+){3,}\d+")  # "64 0 0 2 0 4 70": a table row flattened into the text


def cn_to_int(text: str) -> int | None:
    """Chinese numeral → int ('十二' → 12, '一百二十三' → 123, '两' → 2, '二〇一一' → 2011); None if not one."""
    if not text or any(c not in _CN_DIGITS and c not in _CN_UNITS and c != "万" for c in text):
        return None
    if all(c in _CN_DIGITS for c in text):
        return int("".join(str(_CN_DIGITS[c]) for c in text)) if len(text) > 1 else _CN_DIGITS[text]
    total, section, digit = 0, 0, None
    for c in text:
        if c in _CN_DIGITS:
            digit = _CN_DIGITS[c]
        elif c in _CN_UNITS:
            section += (1 if digit is None else digit) * _CN_UNITS[c]
            digit = None
        else:  # 万
            total += (section + (digit or 0)) * 10000
            section, digit = 0, None
    return total + section + (digit or 0)


def parse_number(raw: str) -> float | None:
    raw = raw.replace(",", "")
    scale = 1
    if raw.endswith("万") and raw[:-1].replace(".", "", 1).isdigit():
        raw, scale = raw[:-1], 10000
    try:
        return float(raw) * scale
    except ValueError:
        value = cn_to_int(raw)
        return float(value) if value is not None else None


@dataclass
class _Candidate:
    indicator: str
    value: float
    unit: str
    value_raw: str
    unit_raw: str | None
    score: float
    sentence: str


def _clause(sentence: str, start: int, end: int) -> str:
    left = max(sentence.rfind(c, 0, start) for c in _CLAUSE_END) + 1
    rights = [i for i in (sentence.find(c, end) for c in _CLAUSE_END) if i != -1]
    return sentence[left : min(rights) if rights else len(sentence)]


def _count_rules() -> list[tuple[str, re.Pattern, re.Pattern | None, float]]:
    """(indicator, pattern with a num/unit group, clause veto, score) for counts."""
    apply_veto = re.compile(
        r"咨询|主动公开|复议|诉讼|申诉|信访|举报|投诉|转办|结转|累计|其中|当面|网上|网络|信函|传真|邮件|来信|来访|办结|答复"
    )
    reply_veto = re.compile(r"咨询|主动公开|复议|诉讼|申诉|累计|信息数|政府信息\d")
    verbs = r"(?:收到|受理|接到|接收|新收)"
    return [
        # 收到政府信息公开申请70件 / 共受理依申请公开12件
        (
            "apply.new",
            re.compile(verbs + GAP + r"{0,16}?申请" + GAP + r"{0,8}?" + NUM + COUNT_UNIT),
            apply_veto,
            0.9,
        ),
        # 收到70件申请 / 收到12起政府信息依申请公开
        (
            "apply.new",
            re.compile(verbs + GAP + r"{0,8}?" + NUM + COUNT_UNIT + GAP + r"{0,14}?申请"),
            apply_veto,
            0.9,
        ),
        # 申请总数12件 / 依申请公开申请共计12件
        (
            "apply.new",
            re.compile(r"申请(?:总数|总量|数量)" + GAP + r"{0,4}?" + NUM + COUNT_UNIT),
            apply_veto,
            0.8,
        ),
        (
            "apply.reply.partial",
            re.compile(r"(?<!公开及)(?<!公开和)(?<!公开与)(?<!公开、)部分(?:予以)?公开" + GAP + r"{0,6}?" + NUM + COUNT_UNIT),
            reply_veto,
            0.85,
        ),
        (
            "apply.reply.partial",
            re.compile(NUM + COUNT_UNIT + GAP + r"{0,4}?部分(?:予以)?公开"),
            reply_veto,
            0.8,
        ),
        (
            "apply.reply.granted",
            re.compile(
                r"(?<!部分)(?<!不)(?:同意公开|予以公开|全部公开|准予公开)(?!\s*(?:及|和|与|、)\s*部分)"
                + GAP
                + r"{0,6}?"
                + NUM
                + COUNT_UNIT
            ),
            reply_veto,
            0.85,
        ),
        (
            "apply.reply.granted",
            re.compile(NUM + COUNT_UNIT + r"[^,。;:!?\d\s部不]{0,4}?(?:同意|予以|全部)公开(?!信息)"),
            reply_veto,
            0.8,
        ),
        (
            "apply.reply.rejected_broad",
            re.compile(r"否决(?:公开)?" + GAP + r"{0,6}?" + NUM + COUNT_UNIT),
            reply_veto,
            0.8,
        ),
        (
            "apply.reply.refused",
            re.compile(
                r"(?:不予公开|不同意公开|不予以公开)(?!的?(?:政府)?信息)" + GAP + r"{0,6}?" + NUM + COUNT_UNIT
            ),
            reply_veto,
            0.85,
        ),
        (
            "apply.reply.refused",
            re.compile(NUM + COUNT_UNIT + GAP + r"{0,4}?(?:不予公开|不同意公开|不予以公开)"),
            reply_veto,
            0.8,
        ),
        ("review.total", re.compile(r"行政复议" + GAP + r"{0,10}?" + NUM + COUNT_UNIT), None, 0.85),
        ("review.total", re.compile(NUM + COUNT_UNIT + GAP + r"{0,6}?行政复议"), None, 0.8),
        ("litigation.all.total", re.compile(r"行政诉讼" + GAP + r"{0,10}?" + NUM + COUNT_UNIT), None, 0.85),
        ("litigation.all.total", re.compile(NUM + COUNT_UNIT + GAP + r"{0,6}?行政诉讼"), None, 0.8),
        ("appeal.total", re.compile(r"行政申诉" + GAP + r"{0,10}?" + NUM + COUNT_UNIT), None, 0.85),
        ("appeal.total", re.compile(NUM + COUNT_UNIT + GAP + r"{0,6}?行政申诉"), None, 0.8),
        (
            "fee.processing_fee.notices",
            re.compile(r"(?:收费|缴费)通知(?:书|单)?" + GAP + r"{0,6}?" + NUM + COUNT_UNIT),
            None,
            0.8,
        ),
        (
            "fee.processing_fee.notices",
            re.compile(r"(?:发出|下发|送达|出具)" + NUM + COUNT_UNIT + GAP + r"{0,6}?(?:收费|缴费)通知"),
            None,
            0.8,
        ),
    ]


_COUNT_RULES = _count_rules()
# 复议 / 诉讼 / 申诉 also without 行政: the 2008 model wording (Fujian, Shandong) reads 尚未发生就政府信息公开提出复议、诉讼和申诉情况.
_REVIEW_LIKE = re.compile(r"复议|诉讼|申诉")
# 尚未收到 is 未收到 (2008 model wording: 我局尚未收到权利人申请公开政府信息的申请); 尚未审结 / 尚未办结 are not.
_NEG = r"(?:未(?!经|审|结|办)|没有|无(?!正当))"
_ZERO_RULES = [
    # 未收到有关政府信息公开的申请 / 没有受理依申请公开 / 未发生依申请公开
    (
        "apply.new",
        re.compile(_NEG + r"(?:收到|接到|受理|发生|出现)" + GAP + r"{0,18}?(?:申请(?!人)|依申请公开)"),
        0.85,
    ),
    ("apply.new", re.compile(r"无(?:政府信息)?(?:公开)?(?:依申请公开|公开申请)(?:事项|情况|件)?"), 0.8),
    ("review.total", re.compile(_NEG + r"(?:发生|收到|出现|接到|有|涉及)?" + GAP + r"{0,20}?复议"), 0.85),
    (
        "litigation.all.total",
        re.compile(_NEG + r"(?:发生|收到|出现|接到|有|涉及)?" + GAP + r"{0,28}?诉讼"),
        0.85,
    ),
    ("appeal.total", re.compile(_NEG + r"(?:发生|收到|出现|接到|有|涉及)?" + GAP + r"{0,28}?申诉"), 0.85),
    (
        "fee.processing_fee.notices",
        re.compile(r"未(?:发出|下发|送达|出具)" + GAP + r"{0,6}?(?:收费|缴费)通知"),
        0.8,
    ),
]
_ZERO_TAIL = re.compile(r"(?P<kw>行政复议|行政诉讼|行政申诉)" + GAP + r"{0,16}?(?:均|都|皆)?为(?:0|零)")
_ZERO_KW = {"行政复议": "review.total", "行政诉讼": "litigation.all.total", "行政申诉": "appeal.total"}

_FEE_AMOUNT = re.compile(
    r"(?:收取|收缴|收费|费用|处理费)" + GAP + r"{0,16}?\s*(?P<num>\d+(?:,\d{3})*(?:\.\d+)?)\s*" + MONEY_UNIT
)
_FEE_NOT_COLLECTED = (
    r"(?:未|没有|无|不|均未|并未)(?:向" + GAP + r"{1,16}?)?(?:收取|收缴|产生|发生|收)"  # 未向公民、法人…收取
    + GAP
    + r"{0,8}?(?:信息处理费|任何费用|费用|检索费|复制费|成本费)"
)
_FEE_ZERO_AMOUNT = r"(?:信息处理费|收费)" + GAP + r"{0,6}?(?:为0|为零|0元)"
_FEE_ZERO = re.compile(f"{_FEE_NOT_COLLECTED}|{_FEE_ZERO_AMOUNT}")
# 尚未发生政府信息公开收费及减免的情况 / 没有出现…收费及减免情况: neither fees nor waivers (the 减免 veto is for amounts).
_FEE_NONE = re.compile(r"(?:未|没有|无)(?:发生|出现|产生)?" + GAP + r"{0,10}?收费(?:及|和|与)减免")
_FEE_CONTEXT = re.compile(r"信息公开|依申请|申请人|检索|复制|邮寄|成本费|处理费|收费及减免|申请")
_FEE_VETO = re.compile(r"减免|事业性收费|收费金额|收费项目|收费标准|听证|罚没|非税收入|公示|用于|支出|经费|开支|投入")


_BROAD_REASONS = re.compile(r"不存在|非本(?:机关|部门|单位)|不属于本|不明确|不掌握")
_RESULT_CODES = {
    "apply.reply.granted": "apply.result.granted",
    "apply.reply.partial": "apply.result.partial",
    "apply.reply.refused": "apply.result.withheld",
}


def _reply_code(indicator: str, clause: str, report_year: int | None) -> str:
    """Reply counts use the old-条例 codes before 2019 and the 2019 format's result codes after.

    A pre-2019 不予公开 count whose clause lists not-existing / not-held / unclear requests is the
    broad 否决 sense (apply.reply.rejected_broad), not refusals on statutory grounds.
    """
    if report_year is not None and report_year >= 2019:
        return _RESULT_CODES.get(indicator, indicator)
    if indicator == "apply.reply.refused" and _BROAD_REASONS.search(clause):
        return "apply.reply.rejected_broad"
    return indicator


def _emit_count(indicator: str, m: re.Match, score: float, sentence: str) -> _Candidate | None:
    value = parse_number(m.group("num"))
    if value is None:
        return None
    raw = m.group("num") + m.group("unit")
    return _Candidate(indicator, value, "count", raw, m.group("unit"), score, sentence)


def _candidates(sentence: str, report_year: int | None, previous: str = "") -> list[_Candidate]:
    out: list[_Candidate] = []
    for indicator, pattern, veto, score in _COUNT_RULES:
        for m in pattern.finditer(sentence):
            clause = _clause(sentence, m.start(), m.end())
            if veto is not None and veto.search(clause):
                continue
            if indicator.startswith("apply.reply") and "申请" not in sentence and "答复" not in sentence:
                continue
            if indicator.startswith(("review", "litigation", "appeal")) and re.search(
                r"咨询|累计|主动公开", clause
            ):
                continue
            candidate = _emit_count(_reply_code(indicator, clause, report_year), m, score, sentence)
            if candidate:
                out.append(candidate)
    for indicator, pattern, score in _ZERO_RULES:
        for m in pattern.finditer(sentence):
            clause = _clause(sentence, m.start(), m.end())
            if indicator == "apply.new" and (_REVIEW_LIKE.search(clause) or "咨询" in clause):
                continue
            if re.search(r"\d", m.group(0)):
                continue
            if indicator != "apply.new" and "行政" not in m.group(0) and "信息公开" not in m.group(0):
                continue  # a bare 复议/诉讼/申诉 only about 政府信息公开 (not 群众申诉, 信访诉讼)
            out.append(_Candidate(indicator, 0.0, "count", m.group(0), None, score, sentence))
    for m in _ZERO_TAIL.finditer(sentence):
        head = sentence[: m.end()]
        for kw, indicator in _ZERO_KW.items():
            if kw in head[max(0, m.start() - 12) :]:
                out.append(_Candidate(indicator, 0.0, "count", m.group(0), None, 0.8, sentence))
    out.extend(_fee_candidates(sentence, report_year, previous))
    return out


def _fee_candidates(sentence: str, report_year: int | None, previous: str) -> list[_Candidate]:
    """Fee amounts; the previous sentence counts as context because g0 reports state "未收取任何费用"
    right under the heading "政府信息公开的收费及减免情况"."""
    out: list[_Candidate] = []
    context = previous + sentence
    processing = "信息处理费" in sentence
    if not processing and report_year is not None and report_year >= 2021:
        return out  # after 国办函〔2020〕109号 only the 信息处理费 is an application fee
    for m in _FEE_AMOUNT.finditer(sentence):
        clause = _clause(sentence, m.start(), m.end())
        if _FEE_VETO.search(clause) or not (processing or _FEE_CONTEXT.search(context)):
            continue
        amount = float(m.group("num").replace(",", ""))
        unit_raw = m.group("unit")
        raw = m.group("num") + unit_raw
        if processing:
            value = amount * 10000 if unit_raw == "万元" else amount
            out.append(_Candidate("fee.processing_fee.amount", value, "cny", raw, unit_raw, 0.85, sentence))
        else:
            value = amount / 10000 if unit_raw == "元" else amount
            out.append(_Candidate("fee.application_fees", value, "cny_10k", raw, unit_raw, 0.8, sentence))
    for m in _FEE_NONE.finditer(sentence):
        if not processing and _FEE_CONTEXT.search(context):
            out.append(_Candidate("fee.application_fees", 0.0, "cny_10k", m.group(0), None, 0.75, sentence))
    for m in _FEE_ZERO.finditer(sentence):
        if _FEE_VETO.search(_clause(sentence, m.start(), m.end())):
            continue
        if processing:
            out.append(_Candidate("fee.processing_fee.amount", 0.0, "cny", m.group(0), None, 0.85, sentence))
        elif _FEE_CONTEXT.search(context):
            out.append(_Candidate("fee.application_fees", 0.0, "cny_10k", m.group(0), None, 0.75, sentence))
    return out


def _sentences(text: str) -> list[tuple[str, str]]:
    """(original sentence, NFKC-normalised sentence) pairs; flattened table rows are left out."""
    out = []
    for raw in _SENTENCE_END.split(text):
        original = " ".join(raw.split())
        norm = unicodedata.normalize("NFKC", original)
        if norm and not _TABLE_ROW.search(norm):
            out.append((original, norm))
    return out


def extract_prose_facts(text: str, report_year: int | None = None) -> list[dict]:
    """Fact dicts (schema of facts/, table_id='prose') for the statutory counts and fees stated in prose."""
    best: dict[str, list[_Candidate]] = {}
    previous = ""
    for original, sentence in _sentences(text):
        for cand in _candidates(sentence, report_year, previous):
            cand.sentence = original
            best.setdefault(cand.indicator, []).append(cand)
        previous = sentence
    facts = []
    for indicator, cands in best.items():
        top = max(c.score for c in cands)
        leaders = [c for c in cands if c.score == top]
        if len({c.value for c in leaders}) > 1:
            continue  # two sentences disagree: emitting either would be a guess
        chosen = leaders[0]
        facts.append(
            {
                "indicator": indicator,
                "applicant_type": "na",
                "value": chosen.value,
                "unit": chosen.unit,
                "value_raw": chosen.value_raw,
                "unit_raw": chosen.unit_raw,
                "value_status": "text",
                "row_label_raw": None,
                "col_label_raw": None,
                "table_id": "prose",
                "row_idx": None,
                "col_idx": None,
                "match_method": "regex",
                "match_score": chosen.score,
                "source_text": chosen.sentence,
            }
        )
    return facts


_APPLICANT_VETO = re.compile(r"咨询|主动公开|复议|诉讼|申诉")


def applicants_named(text: str, names: dict[str, str]) -> frozenset[str]:
    """Applicant types the prose gives a positive count of applications for ('自然人政府信息公开申请19条、
    社会公益组织政府信息公开申请1条' → {natural_person, org.public_interest}); `names` maps a header word
    (社会公益组织) to its applicant type. The count must sit in the name's own clause, which must be about
    申请 and not about 咨询, 复议 or 诉讼."""
    if not names:
        return frozenset()
    alts = "|".join(map(re.escape, sorted(names, key=len, reverse=True)))
    pattern = re.compile(r"(?P<name>" + alts + r")" + GAP + r"{0,16}?" + NUM + COUNT_UNIT)
    found: set[str] = set()
    for _, sentence in _sentences(text):
        if not any(n in sentence for n in names):
            continue
        for m in pattern.finditer(sentence):
            clause = _clause(sentence, m.start(), m.end())
            value = parse_number(m.group("num"))
            if value and "申请" in clause and not _APPLICANT_VETO.search(clause):
                found.add(names[m.group("name")])
    return frozenset(found)
