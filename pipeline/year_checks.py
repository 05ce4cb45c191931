"""The checks a report year must pass before it is published, run on the staged Parquet files.

A blocking check that fails keeps the year unpublished (the previous version stays); a non-blocking one
is a finding reported with the year. Dagster's asset checks are declared from ``YEAR_CHECKS`` so the
names, tables and descriptions live in one place.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .dataset import StagedYear
from .indicators import catalogue


@dataclass(frozen=True)
class YearCheck:
    name: str
    table: str
    blocking: bool
    description: str


@dataclass
class CheckOutcome:
    check: YearCheck
    passed: bool
    metadata: dict = field(default_factory=dict)

    @property
    def blocks(self) -> bool:
        return self.check.blocking and not self.passed

    def reason(self) -> str:
        """One line an operator can act on: the check and the first offending values."""
        shown = {k: v for k, v in self.metadata.items() if v not in ([], 0, None)}
        return f"{self.check.name} failed on {self.check.table}: {shown}"


YEAR_CHECKS = (
    YearCheck("indicator_codes_in_catalogue", "facts", True,
              "Every fact's indicator is a catalogue code or local.<hash> (blocking: the year stays unpublished)."),
    YearCheck("one_row_per_report", "reports", True,
              "report_id is unique within the year: deduplication held (blocking)."),
    YearCheck("region_resolved", "reports", False,
              "Every report carries a 6-digit region code (a finding, not blocking)."),
    YearCheck("table3_balance", "checks", False,
              "Share of evaluated t3.balance identities that hold (a finding, not an error)."),
)
_BY_NAME = {c.name: c for c in YEAR_CHECKS}


def run_checks(staged: StagedYear) -> list[CheckOutcome]:
    """Every year check on the staged files (never on the rows in memory: what is checked is what ships)."""
    reports = pq.read_table(staged.files["reports"], columns=["report_id", "region_code", "source_url"],
                            filesystem=staged.filesystem)

    codes = catalogue()
    # facts and checks are read a row group at a time: a national year is 35–40 M facts
    indicators: set = set()
    evaluated = held = 0
    for batch in _batches(staged, "facts", ["indicator"]):
        indicators.update(pc.unique(batch["indicator"]).to_pylist())
    for batch in _batches(staged, "checks", ["rule_id", "status"]):
        balance = pc.equal(batch["rule_id"], "t3.balance")
        evaluated += pc.sum(pc.and_(balance, pc.is_in(batch["status"], value_set=pa.array(["passed", "failed"])))).as_py() or 0
        held += pc.sum(pc.and_(balance, pc.equal(batch["status"], "passed"))).as_py() or 0
    unknown = sorted(str(c) for c in indicators if c not in codes and not str(c).startswith("local."))
    ids = Counter(reports["report_id"].to_pylist())
    dup = sorted(k for k, n in ids.items() if n > 1)
    unresolved = [u for u, code in zip(reports["source_url"].to_pylist(), reports["region_code"].to_pylist(), strict=True)
                  if not code]
    return [
        CheckOutcome(_BY_NAME["indicator_codes_in_catalogue"], not unknown,
                     {"unknown_codes": unknown[:20], "n_unknown": len(unknown)}),
        CheckOutcome(_BY_NAME["one_row_per_report"], not dup, {"duplicated_report_ids": dup[:20], "n_duplicated": len(dup)}),
        CheckOutcome(_BY_NAME["region_resolved"], not unresolved,
                     {"unresolved": unresolved[:20], "n_unresolved": len(unresolved)}),
        CheckOutcome(_BY_NAME["table3_balance"], held == evaluated, {"evaluated": evaluated, "held": held}),
    ]


def _batches(staged: StagedYear, table: str, columns: list[str]):
    """The staged file of ``table``, ``columns`` only, one row group at a time."""
    return pq.ParquetFile(staged.files[table], filesystem=staged.filesystem).iter_batches(columns=columns)
