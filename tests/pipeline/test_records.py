"""Typed records: every parser row has exactly its record's fields and types."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.parse import parse_document
from pipeline.records import Fact, to_record, validate

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = [p for p in sorted((ROOT / "golden").glob("*.json")) if '"fixture"' in p.read_text(encoding="utf-8")]


@pytest.mark.parametrize("path", GOLDEN, ids=[p.stem for p in GOLDEN])
def test_every_parse_result_matches_its_records(path: Path) -> None:
    fixture = ROOT / "fixtures" / json.loads(path.read_text(encoding="utf-8"))["fixture"]
    res = parse_document(fixture.read_bytes(), filename=fixture.name).validate()
    assert res.facts and isinstance(to_record("fact", res.facts[0]), Fact)


def test_unknown_missing_or_mistyped_fields_are_rejected() -> None:
    res = parse_document((ROOT / "fixtures" / "seed" / "yongding-2018.txt").read_bytes(), filename="y.txt")
    fact = dict(res.facts[0])
    with pytest.raises(ValueError, match="unknown"):
        validate("fact", {**fact, "valeu": 1})
    del fact["unit"]
    with pytest.raises(ValueError, match="missing \\['unit'\\]"):
        validate("fact", fact)
    with pytest.raises(ValueError, match="wrong type \\['n_facts'\\]"):
        validate("report", {**res.report, "n_facts": "12"})
