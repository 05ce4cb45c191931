"""Parse what the crawl stored (only documents whose bytes or parser version changed), and the document log."""


import dagster as dg

from pipeline.dataset import write_unpartitioned
from pipeline.publish import document_log, parse_new
from pipeline.schema import DOCUMENTS
from pipeline.version import components, parser_version

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
    run = parse_new(nianbao.data)
    failures = "\n".join(f"| {f['url']} | {f['status']} | {f['reason']} |" for f in run.failures[:50])
    if run.reparsed:
        context.log.info("re-parsed %d document(s) made by an older parser (changed: %s)",
                         sum(run.reparsed.values()), dict(run.reparsed))
    return dg.MaterializeResult(metadata={
        "parsed": run.parsed,
        "unchanged": run.unchanged,
        "reparsed_for_new_parser": dict(run.reparsed),
        "missing_raw": run.missing_raw,
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
                "report year, parser version). Unpartitioned; rewritten after every parse.",
)
def documents(nianbao: NianbaoResource) -> dg.MaterializeResult:
    """Rewrite the document log from the parse index."""
    log = document_log(nianbao.data)
    path = write_unpartitioned(nianbao.dataset_root, "documents", log, DOCUMENTS)
    statuses: dict[str, int] = {}
    for row in log:
        statuses[str(row.get("parse_status"))] = statuses.get(str(row.get("parse_status")), 0) + 1
    return dg.MaterializeResult(metadata={"dagster/row_count": len(log), "path": dg.MetadataValue.path(str(path)),
                                          "by_parse_status": statuses})
