"""The registry is data: every real record validates and builds its first request offline; bad records are
refused with a message naming the record; politeness defaults are polite unless a record overrides them."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlsplit

import pytest
import yaml

from spiders import registry
from spiders.families import REGISTRY as FAMILIES
from spiders.run import base_settings, portal_settings, run

from .helpers import ARCHETYPES

REAL = registry.load()


async def _first(spider) -> object:
    async for request in spider.start():
        return request
    return None


@pytest.mark.parametrize("portal_id", sorted(REAL))
def test_every_real_portal_builds_its_first_request_offline(portal_id):
    portal = REAL[portal_id]
    spider = FAMILIES[portal.family](portal=json.dumps(portal.as_dict(), ensure_ascii=False))
    request = asyncio.run(_first(spider))
    assert request.url == portal.seed_urls[0]
    assert urlsplit(request.url).hostname in spider.allowed_domains
    assert request.errback is not None, "a failed first request still leaves a manifest row"


def test_the_starter_registry_covers_state_council_and_every_province():
    provinces = [p for p in REAL.values() if p.admin_level == "provincial" and p.region_code.endswith("0000")
                 and p.name.endswith("人民政府")]
    assert len({p.region_code for p in provinces}) == 31
    assert len([p for p in REAL.values() if p.admin_level == "national"]) >= 25
    assert {p.family for p in REAL.values()} <= set(FAMILIES), "every family named has a spider"
    assert not any(p.demo for p in REAL.values())
    assert all(p.note for p in REAL.values()), "every seed says where it comes from"


def test_every_real_seed_says_how_sure_it_is():
    """Corrected from ../shared/research/real-portals.md: confirmed (seen on a real capture), discovered (the
    real column named by the evidence), conventional (a guessed path: discovery runs first)."""
    statuses = {p.seed_status for p in REAL.values()}
    assert statuses <= {"confirmed", "discovered", "conventional"}
    assert all(p.seed_status for p in REAL.values())
    assert not any("/col/col0/" in u for p in REAL.values() for u in p.seed_urls), "no col0 placeholder"
    confirmed = {pid for pid, p in REAL.items() if p.seed_status == "confirmed"}
    assert {"100000-mohrss", "350128-pingtan", "610000-shaanxi-atcm", "530000-yunnan-hrss"} <= confirmed
    assert REAL["100000-mfa"].seed_urls[0].startswith("https://www.fmprc.gov.cn/web/wjb_673085/zfxxgk_674865/zfxxgknb/")
    assert REAL["350128-pingtan"].family == "fujian_trs"
    assert REAL["320000-jiangsu"].seed_status == "conventional", "a news column is not a seed"
    assert not [p.id for p in REAL.values() if p.seed_status == "confirmed" and p.needs_discovery]


def test_demo_registry_covers_every_original_family():
    demo = registry.load(ARCHETYPES)
    assert all(p.demo for p in demo.values())
    assert {p.family for p in demo.values()} == {"trs", "hanweb", "gkmlpt", "legacy", "scriptjson"}
    assert set(FAMILIES) <= set(registry.FAMILIES)


@pytest.mark.parametrize("change, message", [
    ({"region_code": "35012"}, "not 6 digits"),
    ({"family": "wordpress"}, "family"),
    ({"seed_urls": ["https://elsewhere.gov.cn/x/"]}, "not among its hosts"),
    ({"seed_urls": ["ftp://www.example.gov.cn/"]}, "not an http"),
    ({"politeness": {"CONCURRENT_REQUESTS": 64}}, "unknown politeness"),
    ({"admin_level": "galactic"}, "admin_level"),
])
def test_bad_records_are_refused_with_the_record_named(tmp_path, change, message):
    rec = {"id": "350128-x", "name": "x", "region_code": "350128", "admin_level": "county", "family": "trs",
           "seed_urls": ["https://www.example.gov.cn/zfxxgknb/"], "hosts": ["www.example.gov.cn"], **change}
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump({"portals": [rec]}, allow_unicode=True), encoding="utf-8")
    with pytest.raises(registry.RegistryError, match=message) as err:
        registry.load(path)
    assert "350128-x" in str(err.value)


def test_real_portals_are_crawled_politely_by_default():
    settings = portal_settings(base_settings("/tmp/unused", "r", None), REAL["100000-stats"])
    assert settings.getbool("ROBOTSTXT_OBEY")
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 1
    assert settings.getbool("AUTOTHROTTLE_ENABLED")
    assert settings.getfloat("DOWNLOAD_DELAY") >= 1
    assert "+http" in settings.get("USER_AGENT") and "nianbao" in settings.get("USER_AGENT")
    assert settings.getint("DOWNLOAD_MAXSIZE") > 0


def test_registry_overrides_politeness_per_portal():
    slow = portal_settings(base_settings("/tmp/unused", "r", None), REAL["100000-mohrss"])
    assert slow.getfloat("DOWNLOAD_DELAY") == 3.0
    demo = registry.load(ARCHETYPES)["demo-150600-mockcity"]
    fast = portal_settings(base_settings("/tmp/unused", "r", None), demo)
    assert not fast.getbool("AUTOTHROTTLE_ENABLED") and fast.getfloat("DOWNLOAD_DELAY") == 0
    assert fast.getbool("ROBOTSTXT_OBEY"), "robots.txt is obeyed even on the demo"


def test_real_portals_are_never_routed_through_the_demo_proxy(tmp_path):
    with pytest.raises(SystemExit, match="refusing to route real portals"):
        run([REAL["100000-stats"], registry.load(ARCHETYPES)["demo-350128-pingtan"]], data_dir=str(tmp_path),
            run_id="r", proxy="http://127.0.0.1:9")
