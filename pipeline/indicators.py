"""The indicator catalogue (spec/indicators.csv) loaded once: codes, units, generations, printed labels."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SPEC_DIR = Path(__file__).parent / "spec"
APPLICANT_TYPES = (
    "natural_person",
    "org.commercial",
    "org.research",
    "org.public_interest",
    "org.legal_service",
    "org.other",
    "total",
)


@dataclass(frozen=True)
class Indicator:
    code: str
    parent: str
    domain: str
    unit: str
    applicant_breakdown: bool
    generations: frozenset[str]
    labels: dict[str, tuple[str, ...]]  # generation → printed label variants
    printed: str  # raw column: 'yes', 'derived' or 'g2=yes g3=derived'

    def printed_in(self, generation: str) -> str:
        """'yes' or 'derived' for this generation (mixed codes list it per generation)."""
        if "=" not in self.printed:
            return self.printed
        for part in self.printed.split():
            gen, _, val = part.partition("=")
            if gen == generation:
                return val
        return "yes"


@cache
def catalogue() -> dict[str, Indicator]:
    """code → Indicator, in file order (which is the printed order of the templates)."""
    out: dict[str, Indicator] = {}
    with (SPEC_DIR / "indicators.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            labels = {}
            for gen in ("g0", "g1", "g2", "g3"):
                raw = (row.get(f"label_{gen}") or "").strip()
                if raw:
                    labels[gen] = tuple(x.strip() for x in raw.split(" | ") if x.strip())
            out[row["code"]] = Indicator(
                code=row["code"],
                parent=row["parent"],
                domain=row["domain"],
                unit=row["unit"],
                applicant_breakdown=row["applicant_breakdown"] == "yes",
                generations=frozenset(row["generations"].split()),
                labels=labels,
                printed=row["printed"],
            )
    return out


def unit_of(code: str) -> str:
    """Canonical unit of a code; local codes get 'count' unless told otherwise by the caller."""
    ind = catalogue().get(code)
    return ind.unit if ind else "count"


UNIT_FROM_RAW = {
    "元": "cny",
    "万元": "cny_10k",
    "人": "person",
    "人次": "person_time",
}


def unit_for_local(unit_raw: str | None) -> str:
    """Best canonical unit for a local row from its printed unit."""
    return UNIT_FROM_RAW.get(unit_raw or "", "count")
