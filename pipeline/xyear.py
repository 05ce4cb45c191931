"""The identities of spec/checks.csv that span two report years of one agency (terms with ``(N-1)``).

One report cannot evaluate them, so they run when a report year is assembled, against the same
agency's chosen report of the year before, through the one evaluator of pipeline.checks. Like every
check they are findings: a mismatch flags the pair of reports and changes no value.

They read few indicators (carried-over applications, stocks of documents, lists of matters), so the
streamed assembly (``pipeline.assemble``) keeps only those facts of the year before: ``read_mask``
selects them from an Arrow column, and a pair evaluated on that subset gives the same rows as on all facts.
"""

from __future__ import annotations

from functools import cache

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.checks import APPLICANT_TYPES, _bindings, _instantiate, _result, _side, rules


@cache
def _plan() -> tuple:
    """Every cross-year rule instantiated once (rule, expression, lhs, rhs, applicant columns), in the order
    ``pipeline.checks.evaluate_pair`` takes them: a year evaluates one pair per agency, and re-reading
    the expressions for each pair cost more than evaluating them."""
    out = []
    for rule in rules():
        if not rule.cross_year:
            continue
        for name, value in _bindings(rule, None):
            expr, lhs, rhs = _instantiate(rule, name, value)
            out.append((rule, expr, lhs, rhs, APPLICANT_TYPES if rule.per_applicant else ("na",)))
    return tuple(out)


def evaluate(previous: list[dict], current: list[dict]) -> list[dict]:
    """Results of every cross-year rule whose terms are all printed in both years (others are not emitted):
    ``pipeline.checks.evaluate_pair`` over the rules instantiated once."""
    return evaluate_values(values(previous), values(current))


def values(facts: list[dict]) -> dict[tuple[str, str], float]:
    """(indicator, applicant type) → value of the facts that have one."""
    return {(f["indicator"], f["applicant_type"]): float(f["value"]) for f in facts if f.get("value") is not None}


def evaluate_values(before: dict[tuple[str, str], float], now: dict[tuple[str, str], float]) -> list[dict]:
    """``evaluate`` on the two years' values (``values``)."""
    out: list[dict] = []
    for rule, expr, lhs, rhs, applicants in _plan():
        for app in applicants:
            observed, lm = _side(lhs, app, now, before)
            expected, rm = _side(rhs, app, now, before)
            if lm or rm:
                continue
            ok = abs(expected - observed) < 1e-6
            detail = expr if ok else f"{expr}: expected {expected:g}, printed {observed:g}"
            out.append(_result(rule, app, "passed" if ok else "failed", expected, observed, detail))
    return out


@cache
def read_terms() -> tuple[frozenset[str], tuple[str, ...]]:
    """(indicator codes, code prefixes of Σ terms) that the cross-year rules read, on either side."""
    codes: set[str] = set()
    prefixes: set[str] = set()
    for _, _, lhs, rhs, _ in _plan():
        for term in lhs + rhs:
            (prefixes if term.prefix else codes).add(term.code)
    return frozenset(codes), tuple(sorted(p + "." for p in prefixes))


def read_mask(indicator: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """True where the indicator is one a cross-year rule reads."""
    codes, prefixes = read_terms()
    mask = pc.is_in(indicator, value_set=pa.array(sorted(codes), pa.string()))
    for prefix in prefixes:
        mask = pc.or_(mask, pc.starts_with(indicator, prefix))
    return pc.fill_null(mask, False)
