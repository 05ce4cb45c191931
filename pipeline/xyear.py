"""The identities of spec/checks.csv that span two report years of one agency (terms with ``(N-1)``).

One report cannot evaluate them, so they run when a report year is assembled, against the same
agency's chosen report of the year before, through the one evaluator of pipeline.checks. Like every
check they are findings: a mismatch flags the pair of reports and changes no value.
"""

from __future__ import annotations

from pipeline.checks import evaluate_pair


def evaluate(previous: list[dict], current: list[dict]) -> list[dict]:
    """Results of every cross-year rule whose terms are all printed in both years (others are not emitted)."""
    return evaluate_pair(previous, current)
