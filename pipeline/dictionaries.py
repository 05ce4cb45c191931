"""The dictionaries shipped beside the facts: ``indicators/`` (the catalogue, one row per code and table
generation) and ``regions/`` (GB/T 2260 divisions with their years of validity), so that a researcher
can label and join without the source tree."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa

from .dataset import rows_to_arrow, write_unpartitioned
from .indicators import SPEC_DIR
from .regions import _table as division_table
from .schema import INDICATORS, REGIONS

# Where a generation's template prints a domain (facts.table_id); g0/g1 print one 统计表.
_TABLE_BY_DOMAIN = {"proactive": "t2", "apply": "t3", "review": "t4", "litigation": "t4"}


def _table_id(domain: str, generation: str) -> str:
    if generation in ("g0", "g1"):
        return "stat"
    return _TABLE_BY_DOMAIN.get(domain, "prose")


def indicator_rows() -> list[dict]:
    """One row per (code, generation) of ``spec/indicators.csv``, with the Chinese label of that generation."""
    rows = []
    with (SPEC_DIR / "indicators.csv").open(encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh):
            for gen in rec["generations"].split():
                printed = rec["printed"]
                if "=" in printed:  # mixed codes list it per generation: 'g2=yes g3=derived'
                    printed = dict(p.split("=", 1) for p in printed.split()).get(gen, "yes")
                rows.append({
                    "code": rec["code"], "table_id": _table_id(rec["domain"], gen), "generation": gen,
                    "label_zh": rec[f"label_{gen}"] or None, "label_en": rec["label_en"], "unit": rec["unit"],
                    "parent": rec["parent"] or None, "domain": rec["domain"],
                    "applicant_breakdown": rec["applicant_breakdown"] == "yes", "printed": printed,
                    "comparability_note": rec["notes"] or None,
                })
    return rows


def indicators_table() -> pa.Table:
    return rows_to_arrow(indicator_rows(), INDICATORS)


def regions_table() -> pa.Table:
    """Every division as valid over [valid_from, valid_to] (report years; the table spans 1980–2024)."""
    rows = [{"code": d.code, "name": d.name, "level": d.level, "parent_code": d.parent_code,
             "province": d.province, "prefecture": d.prefecture, "county": d.county,
             "valid_from": d.first_year, "valid_to": d.last_year} for d in division_table()]
    return rows_to_arrow(rows, REGIONS)


def write_dictionaries(dataset_root: str | Path) -> dict[str, Path]:
    """Replace ``indicators/`` and ``regions/`` under the dataset root."""
    return {
        "indicators": write_unpartitioned(dataset_root, "indicators", indicator_rows(), INDICATORS),
        "regions": write_unpartitioned(dataset_root, "regions", regions_table().to_pylist(), REGIONS),
    }
