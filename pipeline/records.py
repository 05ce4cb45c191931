"""Typed records between the parser and the writers: Report, Fact, Check.

Stages pass plain dicts (JSON and Parquet rows), so each record type states its exact field set and
``validate`` rejects a row with an unknown or a missing field, or a value of the wrong type: a field
renamed in one stage fails where it is written, not as a silently empty column downstream.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields
from functools import cache
from typing import Any, get_type_hints


@dataclass(frozen=True, slots=True)
class Fact:
    """One printed (or derived) cell mapped to an indicator code."""

    indicator: str
    applicant_type: str
    value: float | None
    unit: str
    value_raw: str | None
    unit_raw: str | None
    value_status: str  # reported blank dash text derived imputed_zero
    row_label_raw: str | None
    col_label_raw: str | None
    table_id: str
    row_idx: int | None
    col_idx: int | None
    match_method: str
    match_score: float
    source_text: str | None


@dataclass(frozen=True, slots=True)
class Check:
    """One identity of spec/checks.csv evaluated for one applicant column of one report."""

    rule_id: str
    applicant_type: str
    severity: str
    status: str  # passed failed skipped
    passed: bool | None
    expected: float | None
    observed: float | None
    detail: str


@dataclass(frozen=True, slots=True)
class Report:
    """What the parser says about one document (who/where enrichment adds its own fields later)."""

    title: str | None
    agency_name: str | None
    report_year: int | None
    publish_date: str | None
    template_generation: str
    template_cited: str | None
    parse_status: str
    parse_reason: str | None
    source_format: str | None
    source_url: str | None
    content_sha256: str
    parser_version: str
    n_facts: int
    checks_passed: int
    checks_failed: int
    has_table2: bool
    has_table3: bool
    has_table4: bool
    text_section6: str | None
    site_id_code: str | None
    site_name: str | None
    site_domain: str | None
    column_name: str | None
    breadcrumb: str | None
    content_source: str | None
    text_head: str | None = None
    credit_code: str | None = None
    year_source: str | None = None


RECORDS: dict[str, type] = {"report": Report, "fact": Fact, "check": Check}


def _accepts(hint: Any, value: Any) -> bool:
    args = getattr(hint, "__args__", None)
    types = args if args else (hint,)
    if value is None:
        return type(None) in types
    if isinstance(value, bool):
        return bool in types
    if isinstance(value, int) and float in types:
        return True
    return any(isinstance(value, t) for t in types if isinstance(t, type) and t is not type(None))


def validate(kind: str, row: dict) -> dict:
    """The row itself when it has exactly the fields of its record type with values of their types;
    ValueError naming the unknown, missing or mistyped fields otherwise."""
    hints, names, required = _shape(kind)
    unknown = set(row) - names
    missing = required - set(row)
    wrong = [k for k, v in row.items() if k in names and not _accepts(hints[k], v)]
    if unknown or missing or wrong:
        raise ValueError(f"{kind} record: unknown {sorted(unknown)}, missing {sorted(missing)}, wrong type {sorted(wrong)}")
    return row


@cache
def _shape(kind: str) -> tuple[dict[str, Any], frozenset[str], frozenset[str]]:
    cls = RECORDS[kind]
    required = frozenset(f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING)
    return get_type_hints(cls), frozenset(f.name for f in fields(cls)), required


def to_record(kind: str, row: dict):
    """The typed record of a validated row."""
    return RECORDS[kind](**validate(kind, row))
