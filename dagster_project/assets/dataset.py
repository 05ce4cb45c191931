"""The published dataset, one report-year partition at a time: reports, facts, checks, sources."""


from collections import Counter

import dagster as dg

from pipeline.dataset import write_year
from pipeline.indicators import catalogue
from pipeline.publish import all_results, assemble_year

from ..partitions import report_years
from ..resources import NianbaoResource
from .parse import parsed_documents

TABLES = ("reports", "facts", "checks", "sources")
CHECKS = [
    dg.AssetCheckSpec("indicator_codes_in_catalogue", asset="facts", blocking=True,
                      description="Every fact's indicator is a catalogue code or local.<hash>."),
    dg.AssetCheckSpec("one_row_per_report", asset="reports", blocking=True,
                      description="report_id is unique within the year (deduplication held)."),
    dg.AssetCheckSpec("region_resolved", asset="reports",
                      description="Every report carries a 6-digit region code."),
    dg.AssetCheckSpec("table3_balance", asset="checks",
                      description="Share of evaluated t3.balance identities that hold (a finding, not an error)."),
]


@dg.multi_asset(
    specs=[dg.AssetSpec(name, group_name="dataset", deps=[parsed_documents], kinds={"parquet"}) for name in TABLES],
    check_specs=CHECKS,
    partitions_def=report_years,
    can_subset=False,
)
def dataset(context: dg.AssetExecutionContext, nianbao: NianbaoResource):
    """Write one report year of every table; re-running a year replaces it exactly."""
    year = int(context.partition_key)
    rows = assemble_year(all_results(nianbao.data, years={year, year - 1}), year)
    paths = write_year(nianbao.dataset_root, year, {table: rows[table] for table in TABLES})
    for table in TABLES:
        path = paths[table]
        meta: dict[str, object] = {"rows": len(rows[table]), "path": dg.MetadataValue.path(str(path))}
        if table == "reports":
            meta["by_generation"] = dict(Counter(r.get("template_generation") for r in rows["reports"]))
            meta["by_parse_status"] = dict(Counter(r.get("parse_status") for r in rows["reports"]))
        if table == "checks":
            meta["failed"] = sum(1 for c in rows["checks"] if c.get("status") == "failed")
        yield dg.MaterializeResult(asset_key=table, metadata=meta)

    codes = catalogue()
    bad_codes = sorted({f["indicator"] for f in rows["facts"]
                        if f["indicator"] not in codes and not str(f["indicator"]).startswith("local.")})
    yield dg.AssetCheckResult(check_name="indicator_codes_in_catalogue", asset_key="facts", passed=not bad_codes,
                              metadata={"unknown_codes": bad_codes[:20]})
    dup = [k for k, n in Counter(r["report_id"] for r in rows["reports"]).items() if n > 1]
    yield dg.AssetCheckResult(check_name="one_row_per_report", asset_key="reports", passed=not dup,
                              metadata={"duplicated_report_ids": dup[:20]})
    missing = [r.get("source_url") for r in rows["reports"] if not r.get("region_code")]
    yield dg.AssetCheckResult(check_name="region_resolved", asset_key="reports", passed=not missing,
                              severity=dg.AssetCheckSeverity.WARN, metadata={"unresolved": missing[:20]})
    balance = [c for c in rows["checks"] if c.get("rule_id") == "t3.balance" and c.get("status") in ("passed", "failed")]
    held = sum(1 for c in balance if c["status"] == "passed")
    yield dg.AssetCheckResult(check_name="table3_balance", asset_key="checks", passed=held == len(balance),
                              severity=dg.AssetCheckSeverity.WARN,
                              metadata={"evaluated": len(balance), "held": held})
