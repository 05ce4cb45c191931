"""Where the data lives and which portals to crawl: the one resource every asset uses.

The same assets run on the demo portal (tests, ``nianbao demo``) and on real portals (production); only
this configuration changes. ``definitions.py`` binds the fields to environment variables with
``dg.EnvVar`` (resolved when a run starts, shown as such in the UI): NIANBAO_DATA (default ./data),
NIANBAO_REGISTRY (no default: nothing is crawled until a registry is named), NIANBAO_CONTACT (required
for real portals), NIANBAO_PROXY (the demo portal, demo registries only), NIANBAO_BACKFILL_TO, and
NIANBAO_RAW_URI / NIANBAO_DATASET_URI (the raw store and the dataset on object storage, e.g.
``s3://bucket/nianbao/raw``; default ``<data>/raw`` and ``<data>/dataset``, see ``pipeline.locations``).
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from pydantic import Field

from pipeline import locations
from spiders import registry
from spiders.run import CrawlRefused, load_registry, select_portals


class NianbaoResource(dg.ConfigurableResource):
    """The data directory, the portal registry and how to reach the portals."""

    data_dir: str = Field(default="data", description="data directory: raw store, manifest, parsed results, dataset")
    registry_path: str | None = Field(default=None, description="portal registry YAML; unset = crawl nothing")
    contact: str | None = Field(default=None, description="e-mail or URL for the User-Agent (real portals)")
    proxy: str | None = Field(default=None, description="the demo portal's address (demo registries only)")
    portal_ids: list[str] = Field(default=[], description="crawl only these portals (default: all of the registry)")
    backfill_to: int | None = Field(default=None, description="page whole columns back to this report year")
    raw_uri: str | None = Field(default=None, description="raw store: a folder or s3://bucket/prefix?endpoint_override=… "
                                                          "(default <data_dir>/raw)")
    dataset_uri: str | None = Field(default=None, description="published dataset: a folder or s3://bucket/prefix?… "
                                                              "(default <data_dir>/dataset)")

    @property
    def data(self) -> Path:
        return Path(self.data_dir).resolve()

    @property
    def raw_root(self) -> Path | str:
        """The raw store: a local folder, or a URI (``s3://…``) when ``raw_uri`` names object storage."""
        return locations.raw_root(self.data, self.raw_uri)

    @property
    def dataset_root(self) -> Path | str:
        """The published dataset: a local folder, or a URI (``s3://…``) when ``dataset_uri`` names object storage."""
        return locations.dataset_root(self.data, self.dataset_uri)

    def portals(self) -> dict[str, registry.Portal]:
        """The portals to crawl; ``dg.Failure`` with the fix when none may be contacted."""
        try:
            chosen = select_portals(self.registry_path, self.portal_ids, contact=self.contact, data_dir=self.data_dir)
        except CrawlRefused as exc:
            raise dg.Failure(description=str(exc)) from None
        return {p.id: p for p in chosen}

    def registry_records(self) -> dict[str, dict]:
        """Every record of the named registry (for enrichment at assembly); empty when none is named."""
        if not self.registry_path or not Path(self.registry_path).is_file():
            return {}
        return {pid: p.as_dict() for pid, p in load_registry(self.registry_path, self.data_dir).items()}
