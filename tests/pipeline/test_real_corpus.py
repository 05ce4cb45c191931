"""Real reports from portals the parser was not built on (issue 9): no regression below today's floors.

Goldens (`tests/golden/real/*.json`) were typed from the page text. `tests/golden/real_corpus_floors.json` holds,
per report, the number of golden cells the parser gets exactly and which of generation / year / region it gets
right; a change that loses any of them fails here. Raise the floors with
`python benchmarks/real_corpus.py --raise-floors` after an improvement.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from benchmarks.real_corpus import FIXTURES, FLOORS, GOLDEN_DIR, load_goldens, score

ROOT = Path(__file__).resolve().parents[2]
GOLDENS = load_goldens()
FLOOR = json.loads(FLOORS.read_text(encoding="utf-8"))
APPLICANTS = {"na", "total", "natural_person", "org.commercial", "org.research", "org.public_interest",
              "org.legal_service", "org.other"}


def _codes() -> set[str]:
    with (ROOT / "pipeline" / "spec" / "indicators.csv").open(encoding="utf-8") as fh:
        return {row["code"] for row in csv.DictReader(fh)}


@pytest.mark.parametrize(("name", "golden"), GOLDENS, ids=[n for n, _ in GOLDENS])
def test_report_keeps_its_floor(name: str, golden: dict) -> None:
    s = score(name, golden)
    assert not s.below(FLOOR[name]), (s.below(FLOOR[name]), s.got, sorted(s.wrong)[:20])


def test_every_golden_has_a_floor_and_a_real_fixture() -> None:
    assert GOLDENS and set(FLOOR) == {n for n, _ in GOLDENS}
    for name, g in GOLDENS:
        path = FIXTURES / g["fixture"]
        assert path.is_file(), name
        if g["split"] == "holdout":
            assert g["fixture"].startswith("real-holdout/") and "reused_from" not in g, name
        else:
            assert g["fixture"].startswith(("real/", "seed/")), name
        if "reused_from" not in g:  # a new page: its archive copy is named down to the commit
            assert g["source"]["repo"] and g["source"]["path"] and len(g["source"]["commit"]) == 40, name
        assert len(g["report"]["region_code"]) == 6 and g["report"]["template_generation"] in {"g0", "g1", "g2", "g3"}


def test_holdout_portals_are_not_dev_portals() -> None:
    """No HOLDOUT report comes from a portal the parser was developed on. A report moved to DEV after it
    was examined (`moved_from_holdout`, named in SOURCES.md) does not make its portal a DEV portal: the
    portal's other reports were never looked at and stay in the HOLDOUT."""
    dev = {g["portal"] for _, g in GOLDENS if g["split"] == "dev" and "moved_from_holdout" not in g}
    hold = {g["portal"] for _, g in GOLDENS if g["split"] == "holdout"}
    assert hold and not dev & hold, dev & hold
    for name, g in GOLDENS:
        if "moved_from_holdout" in g:
            assert g["split"] == "dev" and "Moved from HOLDOUT to DEV" in g["notes"], name


def test_golden_cells_use_catalogue_codes() -> None:
    codes = _codes()
    for name, g in GOLDENS:
        for key in g["facts"]:
            code, applicant = key.split("|")
            assert code in codes and applicant in APPLICANTS, (name, key)


def test_goldens_live_outside_the_exact_golden_glob() -> None:
    """tests/pipeline/test_golden.py requires exactness on tests/golden/*.json; these goldens are scored by floor."""
    assert GOLDEN_DIR.parent.name == "golden" and GOLDEN_DIR.name == "real"
