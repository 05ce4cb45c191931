"""nianbao's Dagster code location: crawl → parsed documents → one dataset partition per report year."""

import dagster as dg

from .assets.crawl import crawl
from .assets.dataset import dataset
from .assets.parse import parsed_documents
from .jobs import nightly, nightly_schedule, publish, publish_after_crawl
from .resources import NianbaoResource

defs = dg.Definitions(
    assets=[crawl, parsed_documents, dataset],
    jobs=[nightly, publish],
    schedules=[nightly_schedule],
    sensors=[publish_after_crawl],
    resources={"nianbao": NianbaoResource()},
)
