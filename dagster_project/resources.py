"""Where the data lives and which portals to crawl: the one resource every asset uses.

The same assets run on the demo portal (tests, ``nianbao demo``) and on real portals (production);
only this configuration changes. Defaults come from the environment so that ``dagster dev`` picks up
the deployment's settings: NIANBAO_DATA (default ./data), NIANBAO_REGISTRY (default: the shipped registry
of real portals), NIANBAO_PROXY (only for the demo registry), NIANBAO_BACKFILL_TO.
"""


import os
from pathlib import Path

import dagster as dg

from spiders import registry


class NianbaoResource(dg.ConfigurableResource):
    data_dir: str = os.environ.get("NIANBAO_DATA", "data")
    registry_path: str | None = os.environ.get("NIANBAO_REGISTRY")
    proxy: str | None = os.environ.get("NIANBAO_PROXY")
    portal_ids: list[str] = []
    backfill_to: int | None = int(os.environ["NIANBAO_BACKFILL_TO"]) if os.environ.get("NIANBAO_BACKFILL_TO") else None

    @property
    def data(self) -> Path:
        return Path(self.data_dir).resolve()

    @property
    def dataset_root(self) -> Path:
        return self.data / "dataset"

    def portals(self) -> dict[str, registry.Portal]:
        portals = registry.load(self.registry_path)
        if self.portal_ids:
            return {pid: portals[pid] for pid in self.portal_ids}
        return portals

    def portal_dicts(self) -> dict[str, dict]:
        return {pid: p.as_dict() for pid, p in self.portals().items()}
