"""The portal registry: one record per portal, kept as data (YAML) and validated here.

A record names the portal (``id`` = region code + slug), where it is (region code, admin level), how it
is built (``family`` = which spider, ``params`` for that family), where to start (``seed_urls``, and how
sure we are of them: ``seed_status``), which hosts discovery may stay on (``hosts``) and optional
politeness overrides (Scrapy settings).

Records come from three places, and each record says which (``source``, and per field ``provenance``):
the national directory (``spiders.directory``: name, home URL, region, organiser; no seed), the curated
``portals.yaml`` (an overlay that wins where both name a portal) and column discovery
(``spiders.discovery``: family and seeds found on the site itself). ``merge`` combines them.
No Scrapy import here: the pipeline and Dagster read the registry too.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from ..detect import families as _known_families

# Every family spiders/registry/families.yaml can name (the detector's list), in detection order.
FAMILIES = tuple(_known_families())
ADMIN_LEVELS = ("national", "provincial", "prefectural", "county", "township")
_REGION = re.compile(r"^\d{6}$")
_ID = re.compile(r"^[a-z0-9][a-z0-9\-]*$")
# confirmed: the seed is an annual-report column seen on a real capture; discovered: found by column
# discovery (or in research evidence) but not yet crawled; conventional: a guessed path, discover first;
# none: no seed at all (a directory record awaiting discovery).
SEED_STATUSES = ("confirmed", "discovered", "conventional", "none")
SOURCES = ("curated", "directory", "discovered", "demo")
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
    home_url: str = ""
    seed_status: str = ""  # one of SEED_STATUSES ("" in old registries: treated as conventional)
    source: str = "curated"  # where the record comes from (SOURCES)
    organiser: str = ""  # 主办单位
    site_code: str = ""  # 政府网站标识码
    site_type: str = ""  # 网站类型
    family_evidence: str = ""  # the marker that named the family
    columns: tuple[dict, ...] = ()  # discovered columns: {url, label, kind, evidence, family, found_on}
    provenance: dict = field(default_factory=dict)  # field → directory / curated / discovered

    @property
    def needs_discovery(self) -> bool:
        """A confirmed seed is crawled as it is; anything else is found (again) on the site first."""
        return self.seed_status != "confirmed"

    def as_dict(self) -> dict:
        return {
            "id": self.id, "name": self.name, "region_code": self.region_code, "admin_level": self.admin_level,
            "family": self.family, "seed_urls": list(self.seed_urls), "hosts": list(self.hosts),
            "params": dict(self.params), "politeness": dict(self.politeness), "demo": self.demo, "note": self.note,
            "home_url": self.home_url, "seed_status": self.seed_status, "source": self.source,
            "organiser": self.organiser, "site_code": self.site_code, "site_type": self.site_type,
            "family_evidence": self.family_evidence, "columns": [dict(c) for c in self.columns],
            "provenance": dict(self.provenance),
        }

    def origin(self, name: str) -> str:
        """Where this record's field ``name`` came from."""
        return self.provenance.get(name) or ("demo" if self.demo else self.source)


def seed_status(rec: dict) -> str:
    """A raw record's seed status; the demo's seeds are the demo's truth (we built the site), so confirmed
    unless the record says otherwise. "" (an old registry) is treated as conventional."""
    seeds = rec.get("seed_urls") or rec.get("seed_url")
    return str(rec.get("seed_status") or ("none" if not seeds else "confirmed" if rec.get("demo") else ""))


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
    home = str(rec.get("home_url") or "")
    seeds = list(rec.get("seed_urls") or ([rec["seed_url"]] if rec.get("seed_url") else []))
    if not seeds and not home:
        raise RegistryError(f"portal {pid}: missing 'seed_urls' (or a 'home_url' for discovery to start from)")
    family = str(rec.get("family") or "")
    if seeds and not family:
        need("family")
    if family and family not in FAMILIES:
        raise RegistryError(f"portal {pid}: family '{family}' not in {FAMILIES}")
    status = seed_status(rec)
    if status and status not in SEED_STATUSES:
        raise RegistryError(f"portal {pid}: seed_status '{status}' not in {SEED_STATUSES}")
    source = str(rec.get("source") or ("demo" if rec.get("demo") else "curated"))
    if source not in SOURCES:
        raise RegistryError(f"portal {pid}: source '{source}' not in {SOURCES}")
    hosts = tuple(rec.get("hosts") or sorted({urlsplit(u).hostname or "" for u in [*seeds, *([home] if home else [])]}))
    for url in [*seeds, *([home] if home else [])]:
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
        demo=bool(rec.get("demo", False)), note=str(rec.get("note") or ""), home_url=home, seed_status=status,
        source=source, organiser=str(rec.get("organiser") or ""), site_code=str(rec.get("site_code") or ""),
        site_type=str(rec.get("site_type") or ""), family_evidence=str(rec.get("family_evidence") or ""),
        columns=tuple(dict(c) for c in rec.get("columns") or ()), provenance=dict(rec.get("provenance") or {}),
    )


def read_records(path: str | Path | None = None) -> list[dict]:
    """The raw records of a registry file (YAML, or JSON for the large imported directory)."""
    if path is None:
        text = resources.files("spiders.registry").joinpath("portals.yaml").read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    if path is not None and str(path).endswith(".json"):
        data = json.loads(text)
    else:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    return list(data.get("portals", []) if isinstance(data, dict) else data)


def load(path: str | Path | None = None) -> dict[str, Portal]:
    """Load and validate a registry file (default: the shipped registry of real portals)."""
    portals: dict[str, Portal] = {}
    for rec in read_records(path):
        portal = _portal(rec)
        if portal.id in portals:
            raise RegistryError(f"portal {portal.id}: duplicate id")
        portals[portal.id] = portal
    return portals


def write(records: list[dict], path: str | Path) -> None:
    """Write registry records (JSON when the name ends in .json, else YAML)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".json":
        # one record per line, with the C encoder (any indent would fall back to the pure-Python one)
        text = '{"portals": [\n' + ",\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n]}\n"
    else:
        text = yaml.dump({"portals": records}, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper),
                         allow_unicode=True, sort_keys=False)
    path.write_text(text, encoding="utf-8")


def directory_file(data_dir: str | Path) -> Path:
    """Where ``nianbao portals import`` writes the national directory and the crawl reads it."""
    return Path(os.environ.get("NIANBAO_DIRECTORY") or Path(data_dir) / "registry" / "directory.json")


def discovered_dir(data_dir: str | Path) -> Path:
    """Where discovery results are kept (``<portal id>.json`` each, with their evidence)."""
    return Path(data_dir) / "registry" / "discovered"


_OVERLAY_FILLS = ("home_url", "organiser", "site_code", "site_type")


def merge(directory: list[dict], curated: list[dict], discovered: list[dict] = ()) -> dict[str, Portal]:
    """One registry from the three sources. A curated record names the same portal as a directory record
    when they share an id, a 标识码 or a host; the curated values win and the directory fills only what the
    curated record lacks (home URL, organiser, 标识码, site type). Discovered records (family, seeds,
    columns) apply to records whose seed is not confirmed."""
    by_id: dict[str, dict] = {}
    prov: dict[str, dict] = {}
    code_of: dict[str, str] = {}
    host_of: dict[str, str] = {}
    for rec in directory:
        rid = rec["id"]
        by_id[rid] = {**rec, "source": "directory"}
        prov[rid] = dict.fromkeys((k for k, v in rec.items() if v not in (None, "", [])), "directory")
        if rec.get("site_code"):
            code_of[str(rec["site_code"]).lower()] = rid
        for host in rec.get("hosts") or [urlsplit(rec.get("home_url", "")).hostname]:
            if host:
                host_of[host] = rid
    for rec in curated:
        hosts = list(rec.get("hosts") or []) + [urlsplit(u).hostname for u in rec.get("seed_urls") or []]
        match = (rec["id"] if rec["id"] in by_id else None) or code_of.get(str(rec.get("site_code") or "").lower()) \
            or next((host_of[h] for h in hosts if h in host_of), None)
        base = by_id.pop(match, {}) if match else {}
        fields = dict.fromkeys((k for k, v in rec.items() if v not in (None, "", [])), "curated")
        merged = {**rec}
        merged_prov = dict(fields)
        for key in _OVERLAY_FILLS:
            if not rec.get(key) and base.get(key):
                merged[key] = base[key]
                merged_prov[key] = "directory"
        if base:
            merged["hosts"] = list(dict.fromkeys([*(rec.get("hosts") or []), *(base.get("hosts") or [])]))
        merged["source"] = "demo" if rec.get("demo") else "curated"
        prov.pop(match, None)
        by_id[rec["id"]] = merged
        prov[rec["id"]] = merged_prov
    for rec in discovered:
        target = by_id.get(rec["id"])
        if target is not None and applies(target, rec):
            _apply(target, rec, prov.setdefault(rec["id"], {}))
    portals: dict[str, Portal] = {}
    for rid, rec in by_id.items():
        portals[rid] = _portal({**rec, "provenance": prov.get(rid, {})})
    return portals


_DISCOVERED_KEYS = ("family", "family_evidence", "seed_urls", "columns", "seed_status", "hosts")


def applies(record: dict, update: dict) -> bool:
    """Does a discovery result apply to this record? Not to a confirmed seed, unless the result was made
    because that very seed went silent (``replaces`` names it): a curator's later fix is never overridden."""
    if seed_status(record) != "confirmed":
        return True
    return bool(update.get("replaces")) and list(update["replaces"]) == list(record.get("seed_urls") or [])


def _apply(target: dict, update: dict, prov: dict) -> None:
    """A result that found no column adds its evidence (what was looked at) and keeps the seeds there are."""
    for key in _DISCOVERED_KEYS if update.get("seed_urls") else ("columns",):
        if update.get(key):
            target[key] = update[key]
            prov[key] = "discovered"


def updated(portal: Portal, update: dict) -> Portal:
    """The portal with a discovery result applied (when it applies), provenance included."""
    record = portal.as_dict()
    if not applies(record, update):
        return portal
    prov = dict(portal.provenance)
    _apply(record, update, prov)
    return _portal({**record, "provenance": prov})
