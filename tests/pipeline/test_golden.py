"""Every labelled value of every real fixture is extracted exactly (golden values read by hand)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.labels import local_code
from pipeline.parse import parse_document

ROOT = Path(__file__).resolve().parents[1]
# Report goldens only (tests/golden/ also holds the real corpus's score floors, read by test_real_corpus).
GOLDEN = sorted(p for p in (ROOT / "golden").glob("*.json") if '"fixture"' in p.read_text(encoding="utf-8"))


def _load(path: Path) -> tuple[dict, object]:
    g = json.loads(path.read_text(encoding="utf-8"))
    fixture = ROOT / "fixtures" / g["fixture"]
    return g, parse_document(fixture.read_bytes(), filename=fixture.name)


@pytest.mark.parametrize("path", GOLDEN, ids=[p.stem for p in GOLDEN])
def test_golden_facts_exact(path: Path) -> None:
    g, res = _load(path)
    got = {f"{f['indicator']}|{f['applicant_type']}": f for f in res.facts}
    wrong = {}
    for key, want in g["facts"].items():
        f = got.get(key)
        if f is None or f["value"] is None or abs(f["value"] - want) > 1e-6 or f["value_status"] != "reported":
            wrong[key] = (want, None if f is None else (f["value"], f["value_status"]))
    assert not wrong, wrong


@pytest.mark.parametrize("path", GOLDEN, ids=[p.stem for p in GOLDEN])
def test_golden_report_metadata(path: Path) -> None:
    g, res = _load(path)
    for key, want in g["report"].items():
        assert res.report[key] == want, key


@pytest.mark.parametrize("path", GOLDEN, ids=[p.stem for p in GOLDEN])
def test_golden_no_unexpected_codes_and_derived(path: Path) -> None:
    g, res = _load(path)
    got = {f"{f['indicator']}|{f['applicant_type']}": f for f in res.facts}
    printed = {k for k, f in got.items() if f["match_method"] not in ("derived", "regex") and not k.startswith("local.")}
    ambiguous = set(g.get("ambiguous", []))
    blank, imputed = set(g.get("blank", [])), set(g.get("imputed_zero", []))
    want = set(g["facts"]) | ambiguous | blank | imputed
    assert printed == want, sorted(printed ^ want)
    for key in ambiguous:  # a glued run that splits more than one way is kept as text, never guessed
        assert got[key]["value"] is None and got[key]["value_status"] == "text", key
    for key in blank:  # an empty cell is not a 0 unless an identity with a printed anchor closes with it
        assert got[key]["value"] is None and got[key]["value_status"] == "blank", key
    for key in imputed:
        assert got[key]["value"] == 0 and got[key]["value_status"] == "imputed_zero", key
    for key, want in g.get("prose", {}).items():
        assert got[key]["value"] == want and got[key]["match_method"] == "regex", key
    for key, want in g.get("derived", {}).items():
        assert got[key]["value_status"] == "derived" and got[key]["value"] == want, key
    for key in g.get("absent", []):
        assert key not in got
    for label, want in g.get("local_rows", {}).items():
        f = got[f"{local_code(label)}|na"]
        assert f["value"] == want and f["row_label_raw"] == label


@pytest.mark.parametrize("path", GOLDEN, ids=[p.stem for p in GOLDEN])
def test_golden_checks_all_pass_and_provenance(path: Path) -> None:
    g, res = _load(path)
    failed = sorted(f"{c['rule_id']}|{c['applicant_type']}" for c in res.checks if c["status"] == "failed")
    assert failed == sorted(g.get("failed_checks", [])), failed  # a published table may not add up
    passed = {f"{c['rule_id']}|{c['applicant_type']}" for c in res.checks if c["status"] == "passed"}
    assert set(g.get("passed_checks", [])) <= passed, sorted(set(g.get("passed_checks", [])) - passed)
    assert res.report["checks_passed"] > 0 or not g["facts"]
    for f in res.facts:
        if f["value_status"] == "derived":
            continue
        if f["match_method"] == "regex":  # prose: the sentence is the provenance
            assert f["value_raw"] and (f["source_text"] or f["row_label_raw"])
            continue
        assert f["row_label_raw"] and f["value_raw"] is not None and f["match_method"]
        assert f["row_idx"] is not None and f["col_idx"] is not None


def test_cumulative_column_is_never_the_annual_value() -> None:
    res = parse_document((ROOT / "fixtures/real/pingtan/t20170118_80485.htm").read_bytes())
    values = {f["indicator"]: f["value"] for f in res.facts}
    assert values["proactive.items_total"] == 3460  # not the 历年累计 85376
    assert 85376 not in values.values()


def test_text_head_carries_the_regional_aggregate_wording() -> None:
    res = parse_document((ROOT / "fixtures/real/pingtan/t20210305_80595.archive.txt").read_bytes(),
                         filename="t20210305_80595.archive.txt")
    head = res.report["text_head"]
    assert head.startswith("平潭综合实验区2020年度政府信息公开工作年度报告") and 1000 <= len(head) <= 1500
    assert "全年我区政府信息公开单位" in head


def test_archive_header_is_metadata_not_title_text() -> None:
    res = parse_document((ROOT / "fixtures/real/pingtan/t20240308_87885.archive.txt").read_bytes(),
                         filename="t20240308_87885.archive.txt")
    assert res.report["site_domain"] == "www.pingtan.gov.cn"  # from the 原文链接 line
    assert res.report["title"] == "平潭综合实验区2023年度政府信息公开工作年度报告"
    assert res.report["content_source"] == "平潭综合实验区管委会办公室"


def test_spending_on_disclosure_is_not_an_application_fee() -> None:
    res = parse_document((ROOT / "fixtures/real/pingtan/t20140225_80774.htm").read_bytes())
    assert not [f for f in res.facts if f["indicator"].startswith("fee.")]
