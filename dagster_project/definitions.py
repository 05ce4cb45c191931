"""nianbao's Dagster code location: crawl → parsed documents → one dataset partition per report year.

Configuration comes from the environment through ``dg.EnvVar`` (resolved when a run starts): nothing
is crawled until NIANBAO_REGISTRY names a registry, and real portals need NIANBAO_CONTACT.
"""

from __future__ import annotations

import os

import dagster as dg

from .assets.crawl import crawl
from .assets.dataset import dataset
from .assets.parse import coverage, documents, parsed_documents
from .jobs import nightly, nightly_schedule, publish, publish_after_crawl, refresh_coverage
from .resources import NianbaoResource


def _env(name: str, default: str | None = None) -> dg.EnvVar | str | None:
    """The variable as an EnvVar when it is set (the UI shows where the value comes from), else the default."""
    return dg.EnvVar(name) if os.environ.get(name) else default


def _env_int(name: str) -> dg.EnvVar | None:
    return dg.EnvVar.int(name) if os.environ.get(name) else None


resource = NianbaoResource(data_dir=_env("NIANBAO_DATA", "data"), registry_path=_env("NIANBAO_REGISTRY"),
                           contact=_env("NIANBAO_CONTACT"), proxy=_env("NIANBAO_PROXY"),
                           backfill_to=_env_int("NIANBAO_BACKFILL_TO"), raw_uri=_env("NIANBAO_RAW_URI"),
                           dataset_uri=_env("NIANBAO_DATASET_URI"))

defs = dg.Definitions(
    assets=[crawl, parsed_documents, documents, dataset, coverage],
    jobs=[nightly, publish, refresh_coverage],
    schedules=[nightly_schedule],
    sensors=[publish_after_crawl],
    resources={"nianbao": resource},
)
