"""Jobs, the nightly schedule and the sensor that publishes what a crawl changed."""


from datetime import UTC, datetime

import dagster as dg

from .assets.crawl import crawl
from .assets.dataset import dataset
from .assets.parse import coverage, documents, parsed_documents
from .partitions import report_years

nightly = dg.define_asset_job(
    "nightly_crawl", selection=dg.AssetSelection.assets(crawl, parsed_documents, documents),
    description="Crawl every registry portal incrementally, parse what is new or made by an older parser, "
                "rewrite the document log. publish_after_crawl then publishes the years it changed.")
publish = dg.define_asset_job(
    "publish_year", selection=dg.AssetSelection.assets(dataset),
    description="Stage, check and promote one report year of the dataset (backfill: launch over a range of years; "
                "one run per year).")

refresh_coverage = dg.define_asset_job(
    "refresh_coverage", selection=dg.AssetSelection.assets(coverage),
    description="Rebuild the coverage table (portal × report year: published, late, not yet due, or why absent) "
                "after publishing years.")

nightly_schedule = dg.ScheduleDefinition(
    name="nightly_crawl_schedule", job=nightly, cron_schedule="0 2 * * *", execution_timezone="Asia/Shanghai",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="02:00 Asia/Shanghai: crawl the registry's portals (real government sites with the shipped "
                "registry). Ships stopped; turn it on once NIANBAO_REGISTRY and NIANBAO_CONTACT are set.")


def years_to_publish(changed: list[int] | None, now: datetime, valid: set[str]) -> list[str]:
    """Partitions to rewrite after a crawl: the years whose documents changed, plus the last complete
    year (late and corrected reports of the current publication season land there)."""
    years = {int(y) for y in changed or []} | {now.year - 1}
    return sorted(str(y) for y in years if str(y) in valid)


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS, monitored_jobs=[nightly], request_job=publish,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="After a successful nightly_crawl, launch publish_year for every report year whose documents "
                "changed (new, withdrawn or re-parsed by a new parser version) and for last year.")
def publish_after_crawl(context: dg.RunStatusSensorContext):
    """After a successful nightly crawl, rewrite the report years it touched."""
    event = context.instance.get_latest_materialization_event(parsed_documents.key)
    changed: list[int] = []
    if event is not None and event.asset_materialization is not None:
        value = event.asset_materialization.metadata.get("years_changed")
        changed = list(value.value) if value is not None else []
    valid = set(report_years.get_partition_keys())
    for key in years_to_publish(changed, datetime.now(UTC), valid):
        yield dg.RunRequest(run_key=f"{context.dagster_run.run_id}:{key}", partition_key=key)
