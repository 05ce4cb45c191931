"""Derived values and the identities of spec/checks.csv, evaluated per report.

A failed identity is a finding about the published table, never a reason to change a value: printed
facts are left as they are. Derived facts fill only what the template does not print (group subtotals,
g2/g3 litigation totals, a blank 总计 column).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache, cached_property

from pipeline.indicators import APPLICANT_TYPES, SPEC_DIR, catalogue
from pipeline.templates import derived_groups, derived_sums, t3_row_order

SIX = APPLICANT_TYPES[:-1]
_ANY_TERM = re.compile(
    r"(?P<sign>[+\-])?\s*(?:sum\((?P<prefix>[a-z0-9_.]+)\.\*[^)]*\)"
    r"|(?P<code>[A-Za-z0-9_.<>]+)(?:\[(?P<col>[a-z_.]+)\])?(?:\((?P<year>N(?:-1)?)\))?)\s*"
)


@dataclass(frozen=True)
class Term:
    """One term of an identity: ±code[col](N or N-1), or the sum of the printed codes under a prefix."""

    sign: int
    code: str
    col: str | None = None
    year: int = 0  # 0: this report; -1: the same agency's report of the year before
    prefix: bool = False

    def render(self) -> str:
        if self.prefix:
            return f"Σ {self.code}.*"
        return self.code + (f"[{self.col}]" if self.col else "") + ("(N-1)" if self.year else "")


@dataclass(frozen=True)
class Rule:
    rule_id: str
    generations: frozenset[str]
    per_applicant: bool
    lhs: tuple[str, ...]
    rhs: tuple[str, ...]
    severity: str
    expression: str
    for_each: str = ""

    @property
    def cross_year(self) -> bool:
        return "(N-1)" in self.expression


def parse_side(text: str) -> tuple[Term, ...]:
    """'a + b[total] - c(N-1)' → terms (the whole grammar of checks.csv expressions)."""
    out: list[Term] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _ANY_TERM.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(f"checks.csv: cannot read {text[pos:]!r}")
        sign = -1 if m.group("sign") == "-" else 1
        if m.group("prefix"):
            out.append(Term(sign, m.group("prefix"), prefix=True))
        else:
            year = -1 if m.group("year") == "N-1" else 0
            out.append(Term(sign, m.group("code"), m.group("col"), year))
        pos = m.end()
    return tuple(out)


@cache
def rules() -> list[Rule]:
    out = []
    with (SPEC_DIR / "checks.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            expr = row["expression"]
            lhs, _, rhs = expr.partition("==")
            rule = Rule(
                rule_id=row["rule_id"],
                generations=frozenset(row["generations"].split()),
                per_applicant=row["applies_to"].startswith("each applicant"),
                lhs=tuple(t.strip() for t in lhs.split("+")),
                rhs=tuple(t.strip() for t in rhs.split("+")),
                severity=row["severity"],
                expression=expr,
                for_each=(row.get("for_each") or "").strip(),
            )
            parse_side(lhs), parse_side(rhs)  # fail on load, not on the first report
            out.append(rule)
    return out


def _bindings(rule: Rule, generation: str | None) -> list[tuple[str, str]]:
    """(placeholder, value) pairs of a for_each rule; [('', '')] for a plain rule."""
    if not rule.for_each:
        return [("", "")]
    name, _, values = rule.for_each.partition("=")
    if values.strip() == "@t3.rows":
        vals = t3_row_order(generation) if generation else []
    else:
        vals = values.split()
    return [(name.strip(), v) for v in vals]


def _instantiate(rule: Rule, name: str, value: str) -> tuple[str, tuple[Term, ...], tuple[Term, ...]]:
    expr = rule.expression
    if name:
        expr = re.sub(rf"<{re.escape(name)}>|\b{re.escape(name)}(?=\[)", value, expr)
    lhs, _, rhs = expr.partition("==")
    return expr, parse_side(lhs), parse_side(rhs)


def _derived_fact(code: str, applicant: str, value: float, detail: str, table_id: str) -> dict:
    ind = catalogue().get(code)
    return {
        "indicator": code,
        "applicant_type": applicant,
        "value": value,
        "unit": ind.unit if ind else "count",
        "value_raw": None,
        "unit_raw": None,
        "value_status": "derived",
        "row_label_raw": detail,
        "col_label_raw": None,
        "table_id": table_id,
        "row_idx": None,
        "col_idx": None,
        "match_method": "derived",
        "match_score": 1.0,
        "source_text": None,
    }


def derive(facts: list[dict], generation: str) -> list[dict]:
    """Return facts with derived values added (and blank 总计 cells replaced by their derived sum)."""
    if generation not in ("g2", "g3"):
        return facts
    # The value of each (code, applicant): its last fact's, kept in step with the facts derived below.
    value: dict[tuple[str, str], float | None] = {(f["indicator"], f["applicant_type"]): f["value"] for f in facts}
    get = value.get
    last = None if len(value) == len(facts) else {(f["indicator"], f["applicant_type"]): i for i, f in enumerate(facts)}
    out = list(facts)

    # 1. Blank 总计 column: Σ of the six applicant columns.
    for i, f in enumerate(facts):
        if f["table_id"] != "t3" or f["applicant_type"] != "total" or f["value"] is not None:
            continue
        if f["value_status"] not in ("blank", "dash"):
            continue
        code = f["indicator"]
        parts = [get((code, a)) for a in SIX]
        if parts.count(None) < len(parts):
            d = _derived_fact(code, "total", float(sum([p for p in parts if p is not None])),
                              f["row_label_raw"] or "", "t3")
            d.update(value_raw=f["value_raw"], col_label_raw=f["col_label_raw"], row_idx=f["row_idx"],
                     col_idx=f["col_idx"], row_label_raw=f["row_label_raw"])
            out[i] = d
            if last is None or last[(code, "total")] == i:
                value[(code, "total")] = d["value"]
    # 2. Group subtotals the template does not print (spec/tables/<gen>-t3.yaml `derived`).
    for group in derived_groups(generation):
        label = None
        for app, keys in _child_keys(group):
            if (group, app) in value:
                continue
            vals = list(map(get, keys))
            if vals.count(None) < len(vals):
                label = label or "Σ " + " + ".join(_children(group))
                total = float(sum([v for v in vals if v is not None]))
                value[(group, app)] = total
                out.append(_derived_fact(group, app, total, label, "t3"))
    # 3. Sums the spec defines (g2/g3 print no overall litigation block: direct + after review).
    for code, terms in derived_sums(generation):
        if (code, "na") in value:
            continue
        vals = [get((t, "na")) for t in terms]
        if None not in vals:
            total = float(sum(vals))
            value[(code, "na")] = total
            out.append(_derived_fact(code, "na", total, " + ".join(terms), "t4"))
    return out


@cache
def _child_keys(group: str) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """(applicant, (child code, applicant) keys) of a derived group, per applicant column."""
    return tuple((app, tuple((c, app) for c in _children(group))) for app in APPLICANT_TYPES)


@cache
def _children(group: str) -> tuple[str, ...]:
    return tuple(c for c, ind in catalogue().items() if ind.parent == group)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


@dataclass(frozen=True)
class Check:
    """One identity to evaluate per report: a rule instantiated for one applicant column (and for_each value)."""

    rule: Rule
    app: str
    lhs: tuple[Term, ...]
    rhs: tuple[Term, ...]
    label: str  # detail prefix of a for_each rule ('apply.new: '), '' otherwise
    expression: str
    per_value: bool  # a for_each rule: emitted only when one of its terms is present

    def keys(self) -> tuple[tuple[str, str], ...]:
        return self.term_keys

    @cached_property
    def term_keys(self) -> tuple[tuple[str, str], ...]:
        """(code, applicant) of every plain term, computed once per plan entry."""
        return tuple((t.code, t.col or self.app) for t in self.lhs + self.rhs if not t.prefix)

    @cached_property
    def lhs_text(self) -> str:
        return _render(self.lhs)

    @cached_property
    def rhs_text(self) -> str:
        return _render(self.rhs)

    @cached_property
    def plain(self) -> tuple[tuple[tuple[int, tuple[str, str], str], ...], ...] | None:
        """(lhs, rhs) as (sign, (code, applicant), rendered term) when every term is a plain term of this
        report (no Σ, no previous year): summed without _side."""
        if any(t.prefix or t.year for t in self.lhs + self.rhs):
            return None
        return tuple(tuple((t.sign, (t.code, t.col or self.app), t.render()) for t in side)
                     for side in (self.lhs, self.rhs))

    @cached_property
    def imputable(self) -> bool:
        """Only sums of plain terms can close with blanks read as 0 (no Σ, no subtraction)."""
        return not any(t.prefix or t.sign < 0 for t in self.lhs + self.rhs)

    @cached_property
    def passed_detail(self) -> str:
        return self.label + self.expression

    @cached_property
    def lhs_key(self) -> tuple[str, str] | None:
        """The one plain term of a one-term left side (a printed total checked against its parts)."""
        if len(self.lhs) == 1 and not self.lhs[0].prefix:
            return self.lhs[0].code, self.lhs[0].col or self.app
        return None


@cache
def _plan(generation: str) -> tuple[Check, ...]:
    """Every identity of checks.csv for one generation, instantiated once (rules × columns × for_each)."""
    plan: list[Check] = []
    for rule in rules():
        if generation not in rule.generations:
            continue
        if rule.cross_year:
            plan.append(Check(rule, "na", (), (), "", rule.expression, False))
            continue
        for name, value in _bindings(rule, generation):
            expr, lhs, rhs = _instantiate(rule, name, value)
            cols_fixed = all(t.col for t in lhs + rhs if not t.prefix)
            apps = ("na",) if not rule.per_applicant and not cols_fixed else APPLICANT_TYPES
            if cols_fixed:
                apps = (lhs[0].col or "na",)
            for app in apps:
                plan.append(Check(rule, app, lhs, rhs, f"{value}: " if name else "", rule.expression, bool(name)))
    return tuple(plan)


def derive_and_evaluate(facts: list[dict], generation: str) -> tuple[list[dict], list[dict]]:
    """Impute, then derive, then check: the facts with derived values added, and the check results.

    Imputation comes first so that a blank 总计 is derived from the applicant columns as they finally
    read (a row of blanks closed to 0 gets a derived 0 total), and so that a total derived from blank
    cells can never be the evidence that those same cells are 0.
    """
    closed = _impute_zeros(facts, generation)
    facts = derive(facts, generation)
    return facts, evaluate(facts, generation, closed)


def evaluate(facts: list[dict], generation: str,
             closed: dict[tuple[str, str, str], list[str]] | None = None) -> list[dict]:
    """One result per (rule, applicant column) of the rules that apply to this generation.

    A rule skipped only because some terms are blank is re-evaluated with those blanks read as 0; when it
    then closes, the blank facts become value 0 with value_status='imputed_zero' (the fact dicts are
    updated in place) and the rule is recorded as passed, saying so. A blank total is never imputed.
    `closed` is what an earlier imputation pass returned (see derive_and_evaluate).
    """
    if closed is None:
        closed = _impute_zeros(facts, generation)
    out = _evaluate(facts, generation)
    for res in out if closed else ():
        keys = closed.get((res["rule_id"], res["applicant_type"], res["detail"]))
        if keys and res["status"] == "passed":
            res["detail"] = f"{res['detail']} (passed with blank terms read as 0, imputed_zero: {', '.join(keys)})"
    return out


def _closable_blanks(chk: Check, by_key: dict[tuple[str, str], dict]) -> list[dict] | None:
    """The blank facts whose reading as 0 closes this identity, or None (absent terms, non-blank gaps,
    a blank total, a derived term, no printed number to anchor it, or the identity still does not close).

    A derived term is no evidence: a 总计 summed from the applicant columns closes with their blanks
    read as 0 by construction."""
    if not chk.imputable:
        return None
    every = [by_key.get(k) for k in chk.keys()]
    if any(f is None for f in every):
        return None
    if any(f["value_status"] == "derived" for f in every):
        return None
    blanks = [f for f in every if f["value"] is None]
    if not blanks or not any(f["value"] is not None and f["value_status"] == "reported" for f in every):
        return None
    if any(f["value_status"] != "blank" or f["applicant_type"] == "total" or f["indicator"].endswith(".total")
           for f in blanks):
        return None
    n = len(chk.lhs)
    lhs = float(sum(f["value"] or 0.0 for f in every[:n]))
    rhs = float(sum(f["value"] or 0.0 for f in every[n:]))
    return blanks if _close(lhs, rhs) else None


def _impute_zeros(facts: list[dict], generation: str) -> dict[tuple[str, str, str], list[str]]:
    """Blank facts set to 0 where a skipped identity closes with them read as 0; returns, per check
    (rule, applicant, detail), the imputed terms."""
    if not any(f["value_status"] == "blank" for f in facts):
        return {}  # no blank fact at all (most reports): nothing to impute
    by_key: dict[tuple[str, str], dict] = dict(zip([(f["indicator"], f["applicant_type"]) for f in facts], facts,
                                                   strict=True))
    if len(by_key) != len(facts):  # a repeated key: its first fact counts
        by_key = {}
        for f in facts:
            by_key.setdefault((f["indicator"], f["applicant_type"]), f)
    if not any(f["value_status"] == "blank" for f in by_key.values()):
        return {}
    closed: dict[tuple[str, str, str], list[str]] = {}
    touching = _plan_by_key(generation)
    plan = _plan(generation)
    changed = True
    while changed:
        changed = False
        blank = [k for k, f in by_key.items() if f["value_status"] == "blank"]
        for i in sorted({i for k in blank for i in touching.get(k, ())}):
            chk = plan[i]
            blanks = _closable_blanks(chk, by_key)
            if not blanks:
                continue
            for f in blanks:
                f["value"] = 0.0
                f["value_status"] = "imputed_zero"
            closed[(chk.rule.rule_id, chk.app, chk.label + chk.expression)] = [
                f"{f['indicator']}[{f['applicant_type']}]" for f in blanks]
            changed = True
    return closed


@cache
def _plan_by_key(generation: str) -> dict[tuple[str, str], tuple[int, ...]]:
    """(code, applicant) → plan entries whose identity has that term, so imputation looks only at rules
    that touch a blank cell."""
    out: dict[tuple[str, str], list[int]] = {}
    for i, chk in enumerate(_plan(generation)):
        for k in chk.keys():
            out.setdefault(k, []).append(i)
    return {k: tuple(v) for k, v in out.items()}


def _evaluate(facts: list[dict], generation: str) -> list[dict]:
    keys = [(f["indicator"], f["applicant_type"]) for f in facts]
    values: dict[tuple[str, str], float | None] = dict(zip(keys, [f["value"] for f in facts], strict=True))
    status: dict[tuple[str, str], str] = dict(zip(keys, [f["value_status"] for f in facts], strict=True))
    if len(values) != len(facts):  # a repeated key: its first fact counts
        values, status = {}, {}
        for key, f in zip(keys, facts, strict=True):
            if key not in values:
                values[key] = f["value"]
                status[key] = f["value_status"]
    out: list[dict] = []
    under = _PrefixIndex(values)
    present = values.keys()
    for chk, cross_year in _plan_entries(generation):
        if cross_year:
            out.append(_result(chk.rule, "na", "skipped", None, None, "needs two report years of one agency"))
            continue
        if chk.per_value and present.isdisjoint(chk.term_keys):
            continue
        res = _eval_one(chk, values, status, under)
        if res is not None:
            out.append(res)
    return out


@cache
def _plan_entries(generation: str) -> tuple[tuple[Check, bool], ...]:
    """The plan with each rule's cross-year flag read once."""
    return tuple((chk, chk.rule.cross_year) for chk in _plan(generation))


def _plain_side(terms: tuple[tuple[int, tuple[str, str], str], ...], values: dict) -> tuple[float, list[str]]:
    """_side for plain terms (see Check.plain): Σ in the same order, and the missing or blank terms."""
    total = 0.0
    missing: list[str] = []
    for sign, key, name in terms:
        v = values.get(key)
        if v is None:
            missing.append(name)
            continue
        total += sign * v
    return total, missing


def _side(terms: tuple[Term, ...], app: str, values: dict, year: dict | None = None,
          under: _PrefixIndex | None = None) -> tuple[float | None, list[str]]:
    """Σ of one side, and the names of its missing or blank terms. ``under`` (see _prefix_index) finds
    the codes under a prefix of ``values`` without scanning them all."""
    total = 0.0
    missing: list[str] = []
    for t in terms:
        src = year if (t.year and year is not None) else values
        if t.prefix:
            if under is not None and src is values:
                keys = under.get((t.code, app), ())
            else:
                keys = [k for k in src if k[0].startswith(t.code + ".") and k[1] == app]
            vs = [src[k] for k in keys]
            if not keys or any(v is None for v in vs):
                missing.append(t.render())
                continue
            v = float(sum(vs))
        else:
            v = src.get((t.code, t.col or app))
            if v is None:
                missing.append(t.render())
                continue
        total += t.sign * v
    return (None if missing else total), missing


class _PrefixIndex:
    """(prefix, applicant) → the keys of ``values`` under that dotted prefix, in ``values`` order; built
    on the first Σ term (most generations have none)."""

    def __init__(self, values: dict) -> None:
        self.values = values
        self.index: dict[tuple[str, str], list[tuple[str, str]]] | None = None

    def get(self, key: tuple[str, str], default=()):
        if self.index is None:
            self.index = {}
            for k in self.values:
                code, app = k
                i = code.find(".")
                while i > 0:
                    self.index.setdefault((code[:i], app), []).append(k)
                    i = code.find(".", i + 1)
        return self.index.get(key, default)


def _render(terms: tuple[Term, ...]) -> str:
    out = ""
    for i, t in enumerate(terms):
        out += (t.render() if i == 0 else f" {'-' if t.sign < 0 else '+'} {t.render()}")
    return out


def _eval_one(chk: Check, values: dict, status: dict, under: _PrefixIndex | None = None) -> dict | None:
    app = chk.app
    lhs_key = chk.lhs_key
    if lhs_key is not None and status.get(lhs_key) == "derived":
        return _result(chk.rule, app, "skipped", None, None,
                       f"{chk.label}{lhs_key[0]} not printed: derived from the same cells")
    plain = chk.plain
    if plain is not None:
        observed, lmiss = _plain_side(plain[0], values)
        expected, rmiss = _plain_side(plain[1], values)
    else:
        observed, lmiss = _side(chk.lhs, app, values, under=under)
        expected, rmiss = _side(chk.rhs, app, values, under=under)
    if lmiss or rmiss:
        missing = lmiss + rmiss
        n = len(chk.lhs) + len(chk.rhs)
        detail = "all terms missing or blank" if len(missing) == n else "missing or blank: " + ", ".join(missing[:6])
        return _result(chk.rule, app, "skipped", None, None, chk.label + detail)
    if _close(observed, expected):
        return _result(chk.rule, app, "passed", expected, observed, chk.passed_detail)
    detail = f"{chk.lhs_text} = {observed:g} but {chk.rhs_text} = {expected:g}"
    return _result(chk.rule, app, "failed", expected, observed, chk.label + detail)


def evaluate_pair(previous: list[dict], current: list[dict]) -> list[dict]:
    """The cross-year identities (terms with (N-1)) between two report years of one agency: every
    instantiation whose terms are all printed in both years (others are not emitted)."""
    before = {(f["indicator"], f["applicant_type"]): float(f["value"]) for f in previous if f.get("value") is not None}
    now = {(f["indicator"], f["applicant_type"]): float(f["value"]) for f in current if f.get("value") is not None}
    out: list[dict] = []
    for rule in rules():
        if not rule.cross_year:
            continue
        for name, value in _bindings(rule, None):
            expr, lhs, rhs = _instantiate(rule, name, value)
            for app in APPLICANT_TYPES if rule.per_applicant else ("na",):
                observed, lm = _side(lhs, app, now, before)
                expected, rm = _side(rhs, app, now, before)
                if lm or rm:
                    continue
                ok = abs(expected - observed) < 1e-6
                detail = expr if ok else f"{expr}: expected {expected:g}, printed {observed:g}"
                out.append(_result(rule, app, "passed" if ok else "failed", expected, observed, detail))
    return out


def _result(rule: Rule, app: str, st: str, expected: float | None, observed: float | None, detail: str) -> dict:
    return {
        "rule_id": rule.rule_id,
        "applicant_type": app,
        "severity": rule.severity,
        "status": st,
        "passed": None if st == "skipped" else st == "passed",
        "expected": expected,
        "observed": observed,
        "detail": detail,
    }
