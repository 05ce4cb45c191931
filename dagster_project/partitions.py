"""Report years from 2008 (the first year of the 2008 Regulations) to the last complete year."""

import dagster as dg

report_years = dg.TimeWindowPartitionsDefinition(cron_schedule="0 0 1 1 *", fmt="%Y", start="2008")
# One run per year: a year is assembled, checked and promoted as one unit.
year_backfill = dg.BackfillPolicy.multi_run(max_partitions_per_run=1)
