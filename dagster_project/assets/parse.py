"""Parse what the crawl stored: only documents whose bytes or parser version changed."""


import dagster as dg

from pipeline.dataset import write_unpartitioned
from pipeline.publish import document_log, parse_new
from pipeline.schema import DOCUMENTS

from ..resources import NianbaoResource
from .crawl import crawl


@dg.asset(group_name="parse", deps=[crawl], kinds={"python"})
def parsed_documents(context: dg.AssetExecutionContext, nianbao: NianbaoResource) -> dg.MaterializeResult:
    """Every stored document parsed into report, facts and checks; failures recorded with their reason."""
    run = parse_new(nianbao.data, nianbao.portal_dicts())
    log = document_log(nianbao.data)
    write_unpartitioned(nianbao.dataset_root, "documents", log, DOCUMENTS)
    failures = "\n".join(f"| {f['url']} | {f['status']} | {f['reason']} |" for f in run.failures[:50])
    return dg.MaterializeResult(metadata={
        "parsed": run.parsed,
        "unchanged": run.unchanged,
        "missing_raw": run.missing_raw,
        "withdrawn": run.withdrawn,
        "documents": len(log),
        "by_status": dict(run.statuses),
        "years_changed": sorted(run.years_changed),
        "failures": dg.MetadataValue.md("| url | status | reason |\n|---|---|---|\n" + failures) if failures else "none",
    })
