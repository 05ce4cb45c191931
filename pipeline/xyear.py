"""The identities of spec/checks.csv that span two report years of one agency (``xyear.*``).

One report cannot evaluate them, so they run when a report year is assembled, against the same
agency's chosen report of the year before. Like every check they are findings: a mismatch flags the
pair of reports and changes no value.
"""

from __future__ import annotations

from pipeline.checks import rules
from pipeline.indicators import APPLICANT_TYPES

STOCKS = ("proactive.normative_docs", "proactive.regulations")  # in_force(N) = in_force(N-1) + issued - repealed
ITEM_LISTS = ("licensing", "other_services", "penalty", "coercion", "admin_fees")


def _values(facts: list[dict]) -> dict[tuple[str, str], float]:
    return {(f["indicator"], f["applicant_type"]): float(f["value"]) for f in facts if f.get("value") is not None}


def _row(rule_id: str, app: str, expected: float, observed: float, detail: str) -> dict:
    rule = next(r for r in rules() if r.rule_id == rule_id)
    passed = abs(expected - observed) < 1e-6
    return {"rule_id": rule_id, "applicant_type": app, "severity": rule.severity,
            "status": "passed" if passed else "failed", "passed": passed, "expected": expected,
            "observed": observed, "detail": detail if passed else f"{detail}: expected {expected:g}, printed {observed:g}"}


def evaluate(previous: list[dict], current: list[dict]) -> list[dict]:
    """Results of every xyear rule whose terms are all printed in both years (others are not emitted)."""
    before, now = _values(previous), _values(current)
    out: list[dict] = []
    for app in APPLICANT_TYPES:
        a, b = now.get(("apply.carried_in", app)), before.get(("apply.carried_forward", app))
        if a is not None and b is not None:
            out.append(_row("xyear.carry", app, b, a, "apply.carried_in(N) == apply.carried_forward(N-1)"))
    for stock in STOCKS:
        terms = (now.get((f"{stock}.in_force", "na")), before.get((f"{stock}.in_force", "na")),
                 now.get((f"{stock}.issued", "na")), now.get((f"{stock}.repealed", "na")))
        if None not in terms:
            in_force, last, issued, repealed = terms
            out.append(_row("xyear.normative_in_force", "na", last + issued - repealed, in_force,
                            f"{stock}.in_force(N) == in_force(N-1) + issued(N) - repealed(N)"))
    for x in ITEM_LISTS:
        base = f"proactive.{x}"
        terms = (now.get((f"{base}.items_prev_year", "na")), before.get((f"{base}.items_prev_year", "na")),
                 before.get((f"{base}.items_change", "na")))
        if None not in terms:
            items, last, change = terms
            out.append(_row("xyear.items_prev_year", "na", last + change, items,
                            f"{base}.items_prev_year(N) == items_prev_year(N-1) + items_change(N-1)"))
    return out
