"""Derived values and the identities of spec/checks.csv, evaluated per report.

A failed identity is a finding about the published table, never a reason to change a value: printed
facts are left as they are. Derived facts fill only what the template does not print (group subtotals,
g2/g3 litigation totals, a blank 总计 column).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache

from pipeline.indicators import APPLICANT_TYPES, SPEC_DIR, catalogue
from pipeline.templates import derived_groups, derived_sums

SIX = APPLICANT_TYPES[:-1]
_TERM = re.compile(r"^([a-z0-9_.]+)(?:\[([a-z_.]+)\])?$")


@dataclass(frozen=True)
class Rule:
    rule_id: str
    generations: frozenset[str]
    per_applicant: bool
    lhs: tuple[str, ...]
    rhs: tuple[str, ...]
    severity: str
    expression: str


@cache
def rules() -> list[Rule]:
    out = []
    with (SPEC_DIR / "checks.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            expr = row["expression"]
            lhs, _, rhs = expr.partition("==")
            out.append(
                Rule(
                    rule_id=row["rule_id"],
                    generations=frozenset(row["generations"].split()),
                    per_applicant=row["applies_to"].startswith("each applicant"),
                    lhs=tuple(t.strip() for t in lhs.split("+")),
                    rhs=tuple(t.strip() for t in rhs.split("+")),
                    severity=row["severity"],
                    expression=expr,
                )
            )
    return out


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
    index: dict[tuple[str, str], int] = {(f["indicator"], f["applicant_type"]): i for i, f in enumerate(facts)}
    out = list(facts)

    def val(code: str, app: str) -> float | None:
        i = index.get((code, app))
        return out[i]["value"] if i is not None else None

    # 1. Blank 总计 column: Σ of the six applicant columns.
    for i, f in enumerate(facts):
        if f["table_id"] != "t3" or f["applicant_type"] != "total" or f["value"] is not None:
            continue
        if f["value_status"] not in ("blank", "dash"):
            continue
        parts = [val(f["indicator"], a) for a in SIX]
        if any(p is not None for p in parts):
            d = _derived_fact(f["indicator"], "total", float(sum(p for p in parts if p is not None)),
                              f["row_label_raw"] or "", "t3")
            d.update(value_raw=f["value_raw"], col_label_raw=f["col_label_raw"], row_idx=f["row_idx"],
                     col_idx=f["col_idx"], row_label_raw=f["row_label_raw"])
            out[i] = d
    # 2. Group subtotals the template does not print (spec/tables/<gen>-t3.yaml `derived`).
    cat = catalogue()
    for group in derived_groups(generation):
        children = [c for c, ind in cat.items() if ind.parent == group]
        for app in APPLICANT_TYPES:
            if (group, app) in index:
                continue
            vals = [val(c, app) for c in children]
            if any(v is not None for v in vals):
                label = "Σ " + " + ".join(children)
                index[(group, app)] = len(out)
                out.append(_derived_fact(group, app, float(sum(v for v in vals if v is not None)), label, "t3"))
    # 3. Sums the spec defines (g2/g3 print no overall litigation block: direct + after review).
    for code, terms in derived_sums(generation):
        if (code, "na") in index:
            continue
        vals = [val(t, "na") for t in terms]
        if all(v is not None for v in vals):
            index[(code, "na")] = len(out)
            out.append(_derived_fact(code, "na", float(sum(vals)), " + ".join(terms), "t4"))
    return out


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


@cache
def _plan(generation: str) -> tuple:
    """Rule evaluations for one generation, compiled once: (rule, applicant, lhs keys, rhs keys, kind)."""
    plan = []
    for rule in rules():
        if generation not in rule.generations:
            continue
        if rule.rule_id.startswith("xyear."):
            plan.append((rule, "na", (), (), "xyear"))
            continue
        if rule.rule_id == "t3.total_column":
            for code, ind in catalogue().items():
                if ind.applicant_breakdown and generation in ind.generations and ind.printed_in(generation) == "yes":
                    sub = Rule(rule.rule_id, rule.generations, False, (f"{code}[total]",),
                               tuple(f"{code}[{a}]" for a in SIX), rule.severity, rule.expression)
                    plan.append((sub, "total", (), (), "total_column:" + code))
            continue
        for app in APPLICANT_TYPES if rule.per_applicant else ("na",):
            plan.append((rule, app, (), (), "plain"))
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
    for res in out:
        keys = closed.get((res["rule_id"], res["applicant_type"], res["detail"]))
        if keys and res["status"] == "passed":
            res["detail"] = f"{res['detail']} (passed with blank terms read as 0, imputed_zero: {', '.join(keys)})"
    return out


def _closable_blanks(rule: Rule, app: str, by_key: dict[tuple[str, str], dict]) -> list[dict] | None:
    """The blank facts whose reading as 0 closes this identity, or None (absent terms, non-blank gaps,
    a blank total, a derived term, no printed number to anchor it, or the identity still does not close).

    A derived term is no evidence: a 总计 summed from the applicant columns closes with their blanks
    read as 0 by construction."""
    if any(t.startswith("sum(") for t in rule.lhs + rule.rhs):
        return None
    sides = []
    for terms in (rule.lhs, rule.rhs):
        side = [by_key.get((code, col or app)) for code, col in _parsed_terms(terms)]
        if any(f is None for f in side):
            return None
        sides.append(side)
    every = sides[0] + sides[1]
    if any(f["value_status"] == "derived" for f in every):
        return None
    blanks = [f for f in every if f["value"] is None]
    if not blanks or not any(f["value"] is not None and f["value_status"] == "reported" for f in every):
        return None
    if any(f["value_status"] != "blank" or f["applicant_type"] == "total" or f["indicator"].endswith(".total")
           for f in blanks):
        return None
    lhs, rhs = (float(sum(f["value"] or 0.0 for f in side)) for side in sides)
    return blanks if _close(lhs, rhs) else None


def _impute_zeros(facts: list[dict], generation: str) -> dict[tuple[str, str, str], list[str]]:
    """Blank facts set to 0 where a skipped identity closes with them read as 0; returns, per check
    (rule, applicant, detail), the imputed terms."""
    by_key: dict[tuple[str, str], dict] = {}
    for f in facts:
        by_key.setdefault((f["indicator"], f["applicant_type"]), f)
    if not any(f["value_status"] == "blank" for f in by_key.values()):
        return {}
    closed: dict[tuple[str, str, str], list[str]] = {}
    touching = _plan_by_key(generation)
    changed = True
    while changed:
        changed = False
        blank = [k for k, f in by_key.items() if f["value_status"] == "blank"]
        todo = sorted({i for k in blank for i in touching.get(k, ())})
        plan = _plan(generation)
        for i in todo:
            rule, app, _, _, kind = plan[i]
            col = "total" if kind.startswith("total_column:") else app
            blanks = _closable_blanks(rule, col, by_key)
            if not blanks:
                continue
            for f in blanks:
                f["value"] = 0.0
                f["value_status"] = "imputed_zero"
            detail = rule.expression
            if kind.startswith("total_column:"):
                detail = f"{kind.partition(':')[2]}: {rule.expression}"
            closed[(rule.rule_id, col, detail)] = [f"{f['indicator']}[{f['applicant_type']}]" for f in blanks]
            changed = True
    return closed


@cache
def _plan_by_key(generation: str) -> dict[tuple[str, str], tuple[int, ...]]:
    """(code, applicant) → plan entries whose identity has that term, so imputation looks only at rules
    that touch a blank cell."""
    out: dict[tuple[str, str], list[int]] = {}
    for i, (rule, app, _, _, kind) in enumerate(_plan(generation)):
        if kind == "xyear":
            continue
        col = "total" if kind.startswith("total_column:") else app
        for code, c in _parsed_terms(rule.lhs + rule.rhs):
            out.setdefault((code, c or col), []).append(i)
    return {k: tuple(v) for k, v in out.items()}


def _evaluate(facts: list[dict], generation: str) -> list[dict]:
    values: dict[tuple[str, str], float | None] = {}
    status: dict[tuple[str, str], str] = {}
    for f in facts:
        key = (f["indicator"], f["applicant_type"])
        if key not in values:
            values[key] = f["value"]
            status[key] = f["value_status"]
    out: list[dict] = []
    for rule, app, _, _, kind in _plan(generation):
        if kind == "xyear":
            out.append(_result(rule, "na", "skipped", None, None, "needs two report years of one agency"))
        elif kind.startswith("total_column:"):
            code = kind.partition(":")[2]
            if (code, "total") not in values and not any((code, a) in values for a in SIX):
                continue
            if status.get((code, "total")) == "derived":
                out.append(_result(rule, "total", "skipped", None, None, f"{code}: 总计 blank, derived from the six columns"))
                continue
            res = _eval_one(rule, "total", values, status)
            res["detail"] = f"{code}: {res['detail']}"
            out.append(res)
        else:
            out.append(_eval_one(rule, app, values, status))
    return out


@cache
def _parsed_terms(terms: tuple[str, ...]) -> tuple[tuple[str, str | None], ...]:
    out = []
    for t in terms:
        m = _TERM.match(t)
        out.append((m.group(1), m.group(2)) if m else (t, None))
    return tuple(out)


def _terms(terms: tuple[str, ...], app: str, values: dict) -> tuple[list[float | None], list[str]]:
    if not any(t.startswith("sum(") for t in terms):
        parsed = _parsed_terms(terms)
        return [values.get((code, col or app)) for code, col in parsed], [code for code, _ in parsed]
    vals: list[float | None] = []
    names: list[str] = []
    for t in terms:
        if t.startswith("sum(") and "apply.new.channel.*" in t:
            chans = [k for k in values if k[0].startswith("apply.new.channel.") and k[1] == app]
            if not chans:
                vals.append(None)
            else:
                vs = [values[k] for k in chans]
                vals.append(None if any(v is None for v in vs) else float(sum(vs)))
            names.append("Σ apply.new.channel.*")
            continue
        m = _TERM.match(t)
        code, col = (m.group(1), m.group(2) or app) if m else (t, app)
        vals.append(values.get((code, col)))
        names.append(code)
    return vals, names


def _eval_one(rule: Rule, app: str, values: dict, status: dict) -> dict:
    lv, ln = _terms(rule.lhs, app, values)
    rv, rn = _terms(rule.rhs, app, values)
    if rule.rule_id == "t3.other_split" and status.get(("apply.result.other", app)) == "derived":
        return _result(rule, app, "skipped", None, None, "（六） subtotal not printed: derived from the same rows")
    missing = [n for n, v in zip(ln + rn, lv + rv, strict=True) if v is None]
    if missing:
        if len(missing) == len(ln) + len(rn):
            detail = "all terms missing or blank"
        else:
            detail = "missing or blank: " + ", ".join(missing[:6])
        return _result(rule, app, "skipped", None, None, detail)
    observed = float(sum(lv))
    expected = float(sum(rv))
    ok = _close(observed, expected)
    return _result(rule, app, "passed" if ok else "failed", expected, observed,
                   rule.expression if ok else f"{' + '.join(rule.lhs)} = {observed:g} but {' + '.join(rule.rhs)} = {expected:g}")


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
