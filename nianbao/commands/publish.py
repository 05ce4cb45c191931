"""``nianbao publish --year Y [--through Y2]``: run the code location's ``publish_year`` job for report
years (stage → check → promote), in the persistent Dagster instance so the runs show in the UI.

A year outside the partitions (before 2008, or the current year, not yet complete) is a one-line error
rather than Dagster's traceback."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from . import EXIT_BAD_INPUT, err


def cmd_publish(args: argparse.Namespace) -> int:
    from dagster_project.partitions import report_years

    keys = report_years.get_partition_keys()
    last = int(args.through or args.year)
    wanted = [str(y) for y in range(int(args.year), last + 1)]
    outside = [y for y in wanted if y not in keys]
    if not wanted or outside:
        err(f"report year {outside[0] if outside else args.year} is not a partition: report years run "
            f"{keys[0]}–{keys[-1]} (the first reports are for 2008; the current year is not complete)")
        return EXIT_BAD_INPUT
    if not args.registry or not Path(args.registry).is_file():
        print("note: no registry named (NIANBAO_REGISTRY): regions come from the documents alone")
    home = Path(args.dagster_home).resolve()
    home.mkdir(parents=True, exist_ok=True)
    os.environ["DAGSTER_HOME"] = str(home)
    import dagster as dg

    from dagster_project.definitions import defs

    config = {"nianbao": {"config": {"data_dir": str(Path(args.data).resolve())}}}
    if args.registry:
        config["nianbao"]["config"]["registry_path"] = args.registry
    job = defs.resolve_job_def("publish_year")
    failed = 0
    with dg.DagsterInstance.get() as instance:
        for year in wanted:
            res = job.execute_in_process(run_config={"resources": config}, instance=instance, partition_key=year,
                                         raise_on_error=False)
            if res.success:
                rows = {m.asset_key.to_user_string(): m.metadata["dagster/row_count"].value
                        for m in res.asset_materializations_for_node("dataset")}
                print(f"{year}: published {rows}")
            else:
                failed += 1
                why = next((e.step_failure_data.error.message.strip() for e in res.all_events
                            if e.is_step_failure and e.step_failure_data.error), "see the Dagster run logs")
                print(f"{year}: not published: {why}")
    return 1 if failed else 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("publish", help="stage, check and promote report years of the dataset (Dagster publish_year)")
    p.add_argument("--year", type=int, required=True, help="report year (2008 to last year)")
    p.add_argument("--through", type=int, help="publish every year from --year through this one")
    p.add_argument("--data", default=os.environ.get("NIANBAO_DATA", "data"), help="data directory (default ./data)")
    p.add_argument("--registry", default=os.environ.get("NIANBAO_REGISTRY"),
                   help="portal registry for region enrichment (default $NIANBAO_REGISTRY)")
    p.add_argument("--dagster-home", default=os.environ.get("DAGSTER_HOME", ".dagster_home"),
                   help="Dagster instance directory (default $DAGSTER_HOME or ./.dagster_home)")
    p.set_defaults(func=cmd_publish)
