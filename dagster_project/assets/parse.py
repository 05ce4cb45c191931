"""Parse what the crawl stored (only documents whose bytes or parser version changed); the unpartitioned
tables built from the parse and the published years: the document log and the coverage table."""


from collections import Counter

import dagster as dg
import pyarrow.parquet as pq

from pipeline.coverage import write_coverage, write_documents
from pipeline.dataset import current_path
from pipeline.publish import document_log, parse_new
from pipeline.schema import COVERAGE, DOCUMENTS
from pipeline.version import assembly_version, components, parser_version

from ..resources import NianbaoResource
from .crawl import OWNERS, crawl
from .schemas import column_schema


@dg.asset(
    group_name="parse", deps=[crawl], kinds={"python"}, owners=OWNERS, tags={"layer": "parsed"},
    code_version=parser_version(),
    description="Every stored document parsed into report, facts and checks (data/parsed), cached per "
                "document: a document is parsed again when its bytes change or when the parser version (a "
                "hash of the parsing code, pipeline/spec/ and pipeline/data/) differs from the one it was "
                "parsed with. Failures are recorded with their reason, never dropped.",
)
def parsed_documents(context: dg.AssetExecutionContext, nianbao: NianbaoResource) -> dg.MaterializeResult:
    """Parse every stored document that is new, changed, or parsed by another parser version."""
    run = parse_new(nianbao.data, raw_root=nianbao.raw_root)
    failures = "\n".join(f"| {f['url']} | {f['status']} | {f['reason']} |" for f in run.failures[:50])
    if run.reparsed:
        context.log.info("re-parsed %d document(s) made by an older parser (changed: %s)",
                         sum(run.reparsed.values()), dict(run.reparsed))
    return dg.MaterializeResult(metadata={
        "parsed": run.parsed,
        "unchanged": run.unchanged,
        "reparsed_for_new_parser": dict(run.reparsed),
        "missing_raw": run.missing_raw,
        "corrupt_raw": run.corrupt_raw,
        "withdrawn": run.withdrawn,
        "by_status": dict(run.statuses),
        "years_changed": sorted(run.years_changed),
        "parser_version": parser_version(),
        "parser_parts": {k: v[:12] for k, v in components().items()},
        "failures": dg.MetadataValue.md("| url | status | reason |\n|---|---|---|\n" + failures) if failures else "none",
    })


@dg.asset(
    group_name="dataset", deps=[parsed_documents], kinds={"parquet"}, owners=OWNERS, tags={"layer": "published"},
    code_version=parser_version(), metadata=column_schema(DOCUMENTS),
    description="documents/: one row per stored document and what parsing made of it (status, reason, "
                "report year, parser version; not_parsed / missing_raw for documents the parser has not read). "
                "Unpartitioned; rewritten after every parse.",
)
def documents(nianbao: NianbaoResource) -> dg.MaterializeResult:
    """Rewrite the document log from the parse index and the manifest."""
    path = write_documents(nianbao.data, nianbao.dataset_root, document_log(nianbao.data), raw_root=nianbao.raw_root)
    fs, _ = current_path(nianbao.dataset_root)  # None on local disk; the object store's filesystem otherwise
    statuses = Counter(pq.read_table(str(path), columns=["parse_status"], filesystem=fs)["parse_status"].to_pylist())
    return dg.MaterializeResult(metadata={"dagster/row_count": sum(statuses.values()),
                                          "path": dg.MetadataValue.path(str(path)),
                                          "by_parse_status": {str(k): v for k, v in statuses.items()}})


@dg.asset(
    group_name="dataset", deps=[documents, dg.AssetKey("reports")], kinds={"parquet"}, owners=OWNERS,
    tags={"layer": "published"}, code_version=assembly_version(), metadata=column_schema(COVERAGE),
    description="coverage/: one row per portal (or agency found outside any portal) × report year: published "
                "on time or late, not yet due, or why it is absent (nothing found, bot wall, robots.txt, too "
                "large, parse failed). Built from the manifest, documents/ and reports/ (pipeline/coverage.py).",
)
def coverage(nianbao: NianbaoResource) -> dg.MaterializeResult:
    """Rebuild the coverage table from what was crawled, parsed and published."""
    path = write_coverage(nianbao.data, nianbao.dataset_root, nianbao.registry_records())
    fs, _ = current_path(nianbao.dataset_root)  # None on local disk; the object store's filesystem otherwise
    status = Counter(pq.read_table(str(path), columns=["status"], filesystem=fs)["status"].to_pylist())
    return dg.MaterializeResult(metadata={"dagster/row_count": sum(status.values()),
                                          "path": dg.MetadataValue.path(str(path)),
                                          "by_status": {str(k): v for k, v in status.items()}})
