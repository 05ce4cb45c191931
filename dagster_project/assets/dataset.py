"""The published dataset, one report-year partition at a time: reports, facts, checks, sources.

A year is staged, checked and promoted as one unit (``pipeline.publish.publish_year``): its blocking
checks run on the staged files, and a failing year leaves the previous version published, fails the
run and says why. Selecting one of the four tables still writes the year's four tables together.
"""


import warnings
from collections import Counter

import dagster as dg
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline import schema
from pipeline.publish import YEAR_TABLES, publish_year
from pipeline.version import assembly_version
from pipeline.year_checks import YEAR_CHECKS

from ..partitions import report_years, year_backfill
from ..resources import NianbaoResource
from .crawl import OWNERS
from .parse import parsed_documents
from .schemas import column_schema

DESCRIPTIONS = {
    "reports": "reports/: one row per report (agency × report year, the chosen version among its copies): who "
               "published it, where (6-digit region code), when, template generation, parse status.",
    "facts": "facts/: one row per report × indicator × applicant type: the value in the catalogue's unit, the "
             "printed cell, its label and grid position, how it was matched, source URL and content hash.",
    "checks": "checks/: one row per report × identity of spec/checks.csv (and the cross-year identities): "
              "expected, observed, passed/failed/skipped.",
    "sources": "sources/: every URL and copy a report was found at (mirrors, corrections, attachments), "
               "with the one chosen for the reports row.",
}
ARROW = {"reports": schema.REPORTS, "facts": schema.FACTS, "checks": schema.CHECKS, "sources": schema.SOURCES}


with warnings.catch_warnings():  # partitioned check specs are a Dagster preview: they give each year its check rows
    warnings.simplefilter("ignore", dg.PreviewWarning)
    YEAR_CHECK_SPECS = [dg.AssetCheckSpec(c.name, asset=c.table, blocking=c.blocking, description=c.description,
                                          partitions_def=report_years) for c in YEAR_CHECKS]


@dg.multi_asset(
    specs=[dg.AssetSpec(table, group_name="dataset", deps=[parsed_documents], kinds={"parquet"}, owners=OWNERS,
                        tags={"layer": "published"}, description=DESCRIPTIONS[table], code_version=assembly_version(),
                        metadata=column_schema(ARROW[table]), skippable=True) for table in YEAR_TABLES],
    check_specs=YEAR_CHECK_SPECS,
    partitions_def=report_years,
    backfill_policy=year_backfill,
    can_subset=True,
)
def dataset(context: dg.AssetExecutionContext, nianbao: NianbaoResource):
    """Stage, check and promote one report year of every table; re-running a year replaces it exactly."""
    year = int(context.partition_key)
    selected = {key.to_user_string() for key in context.selected_asset_keys}
    if selected != set(YEAR_TABLES):
        context.log.warning("%s selected: the year's four tables are written together (%s)", sorted(selected),
                            ", ".join(YEAR_TABLES))
    pub = publish_year(nianbao.data, year, nianbao.registry_records(), dataset_root=nianbao.dataset_root)
    selected_checks = {key.name for key in context.selected_asset_check_keys}
    results = [dg.AssetCheckResult(check_name=c.check.name, asset_key=c.check.table, passed=c.passed,
                                   severity=dg.AssetCheckSeverity.ERROR if c.check.blocking else dg.AssetCheckSeverity.WARN,
                                   metadata={**c.metadata, "staged_year_published": pub.published})
               for c in pub.checks if c.check.name in selected_checks]
    if not pub.published:
        yield from results
        raise dg.Failure(description=pub.reason, metadata={"rows_staged": {t: pub.counts[t] for t in YEAR_TABLES}})
    for table in YEAR_TABLES:
        if table not in selected:
            continue
        meta: dict[str, object] = {"dagster/row_count": pub.counts[table],
                                   "path": dg.MetadataValue.path(str(pub.paths[table]))}
        if table == "reports":  # three columns of the published file, not a dict per row
            cols = pq.read_table(str(pub.paths["reports"]), filesystem=pub.filesystem,
                                 columns=["template_generation", "parse_status", "parser_version"]).to_pydict()
            meta["by_generation"] = dict(Counter(str(v) for v in cols["template_generation"]))
            meta["by_parse_status"] = dict(Counter(str(v) for v in cols["parse_status"]))
            meta["parser_versions"] = sorted({str(v) for v in cols["parser_version"]})
        if table == "checks":  # the status column only (a national year has millions of checks)
            status = pq.read_table(str(pub.paths["checks"]), filesystem=pub.filesystem, columns=["status"])["status"]
            meta["failed"] = pc.sum(pc.equal(status, "failed")).as_py() or 0
        yield dg.MaterializeResult(asset_key=table, metadata=meta)
    yield from results
