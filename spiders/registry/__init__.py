"""The portal registry: one record per portal, kept as data (YAML) and validated here.

A record names the portal (``id`` = region code + slug), where it is (region code, admin level), how it
is built (``family`` = which spider, ``params`` for that family), where to start (``seed_urls``),
which hosts discovery may stay on (``hosts``) and optional politeness overrides (Scrapy settings).
No Scrapy import here: the pipeline and Dagster read the registry too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import yaml

FAMILIES = ("trs", "hanweb", "gkmlpt", "legacy", "scriptjson")
ADMIN_LEVELS = ("national", "provincial", "prefectural", "county", "township")
_REGION = re.compile(r"^\d{6}$")
_ID = re.compile(r"^[a-z0-9][a-z0-9\-]*$")
POLITENESS_KEYS = frozenset({
    "DOWNLOAD_DELAY", "AUTOTHROTTLE_ENABLED", "AUTOTHROTTLE_START_DELAY", "AUTOTHROTTLE_MAX_DELAY",
    "AUTOTHROTTLE_TARGET_CONCURRENCY", "CONCURRENT_REQUESTS_PER_DOMAIN", "DOWNLOAD_TIMEOUT", "RETRY_TIMES",
    "DOWNLOAD_MAXSIZE", "ROBOTSTXT_OBEY",
})


class RegistryError(ValueError):
    """A registry record that cannot be used; the message names the record and the field."""


@dataclass(frozen=True)
class Portal:
    id: str
    name: str
    region_code: str
    admin_level: str
    family: str
    seed_urls: tuple[str, ...]
    hosts: tuple[str, ...]
    params: dict = field(default_factory=dict)
    politeness: dict = field(default_factory=dict)
    demo: bool = False
    note: str = ""  # provenance of the seed (research note, or a conventional path still to confirm)

    def as_dict(self) -> dict:
        return {
            "id": self.id, "name": self.name, "region_code": self.region_code, "admin_level": self.admin_level,
            "family": self.family, "seed_urls": list(self.seed_urls), "hosts": list(self.hosts),
            "params": dict(self.params), "politeness": dict(self.politeness), "demo": self.demo, "note": self.note,
        }


def _portal(rec: dict) -> Portal:
    pid = rec.get("id") or "<no id>"

    def need(key: str) -> object:
        if rec.get(key) in (None, "", []):
            raise RegistryError(f"portal {pid}: missing '{key}'")
        return rec[key]

    if not _ID.match(str(need("id"))):
        raise RegistryError(f"portal {pid}: id must be lowercase letters, digits and dashes")
    region = str(need("region_code"))
    if not _REGION.match(region):
        raise RegistryError(f"portal {pid}: region_code '{region}' is not 6 digits")
    level = need("admin_level")
    if level not in ADMIN_LEVELS:
        raise RegistryError(f"portal {pid}: admin_level '{level}' not in {ADMIN_LEVELS}")
    family = need("family")
    if family not in FAMILIES:
        raise RegistryError(f"portal {pid}: family '{family}' not in {FAMILIES}")
    seeds = rec.get("seed_urls") or [need("seed_url")]
    hosts = tuple(rec.get("hosts") or sorted({urlsplit(u).hostname or "" for u in seeds}))
    for url in seeds:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise RegistryError(f"portal {pid}: seed URL '{url}' is not an http(s) URL")
        if parts.hostname not in hosts:
            raise RegistryError(f"portal {pid}: seed host '{parts.hostname}' is not among its hosts {hosts}")
    politeness = dict(rec.get("politeness") or {})
    unknown = set(politeness) - POLITENESS_KEYS
    if unknown:
        raise RegistryError(f"portal {pid}: unknown politeness settings {sorted(unknown)}")
    return Portal(
        id=str(rec["id"]), name=str(need("name")), region_code=region, admin_level=str(level), family=str(family),
        seed_urls=tuple(seeds), hosts=hosts, params=dict(rec.get("params") or {}), politeness=politeness,
        demo=bool(rec.get("demo", False)), note=str(rec.get("note") or ""),
    )


def load(path: str | Path | None = None) -> dict[str, Portal]:
    """Load and validate a registry file (default: the shipped registry of real portals)."""
    if path is None:
        text = resources.files("spiders.registry").joinpath("portals.yaml").read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    data = yaml.safe_load(text) or {}
    records = data.get("portals", data) if isinstance(data, dict) else data
    portals: dict[str, Portal] = {}
    for rec in records:
        portal = _portal(rec)
        if portal.id in portals:
            raise RegistryError(f"portal {portal.id}: duplicate id")
        portals[portal.id] = portal
    return portals
