"""Discovery wired into the crawl: the registry a crawl works from is the national directory + the curated
overlay + what discovery found; a portal with no seed (or a seed never confirmed, or a column gone silent
in its last crawl) is discovered first, in the same crawl run, and its discovered columns are kept under
``$NIANBAO_DATA/registry/discovered`` for the next nights. Proven over real HTTP on loopback (the demo
portal: every demo site has a home page with the 年报 column one to three hops away)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from nianbao.demo_portal.core import DemoServer
from nianbao.demo_portal.score import score
from nianbao.demo_portal.sites import build_portal
from spiders import registry
from spiders.run import CrawlRefused, discovery_plan, last_health, select_portals

from .helpers import ROOT, all_rows, crawl

FAST = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
        "DOWNLOAD_TIMEOUT": 10, "RETRY_TIMES": 1}
PINGTAN = "demo-350128-pingtan"
PINGTAN_HOME = "http://www.pingtan.demo.test/"
PINGTAN_COLUMN = "http://www.pingtan.demo.test/zwgk/zfxxgk/zfxxgknb/"
YONGDING = "demo-430802-yongding"


def _write_registry(path: Path, records: list[dict]) -> str:
    path.write_text(yaml.safe_dump({"portals": records}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return str(path)


def _home_only(pid: str, name: str, region: str, home: str) -> dict:
    return {"id": pid, "name": name, "region_code": region, "admin_level": "county", "home_url": home,
            "demo": True, "politeness": FAST}


def _nianbao_crawl(registry_path: str, data: Path, run_id: str, proxy: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nianbao.cli", "crawl", "--registry", registry_path, "--data", str(data),
                           "--run-id", run_id, "--proxy", proxy, "--progress-every", "60"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.e2e
def test_a_portal_known_only_by_its_home_page_is_discovered_and_crawled_in_one_nianbao_crawl(tmp_path):
    reg = _write_registry(tmp_path / "registry.yaml", [
        _home_only(PINGTAN, "平潭（演示，只有首页）", "350128", PINGTAN_HOME),
        _home_only(YONGDING, "永定（演示，只有首页）", "430802", "http://www.yongding.demo.test/"),
    ])
    data = tmp_path / "data"
    portal = build_portal()
    with DemoServer(portal) as server:
        night1 = _nianbao_crawl(reg, data, "night-1", server.proxy_url)
        assert night1.returncode == 0, night1.stderr[-3000:]
        asked1 = list(server.portal.requests)
        night2 = _nianbao_crawl(reg, data, "night-2", server.proxy_url)
        assert night2.returncode == 0, night2.stderr[-3000:]
        asked2 = server.portal.requests[len(asked1):]
    assert f"discovered {PINGTAN}" in night1.stdout and "no seed yet" in night1.stdout
    rows = all_rows(data)
    for pid in (PINGTAN, YONGDING):
        # every report of the demo truth, found from the home page alone, and nothing else
        result = score(portal.truth(), [r for r in rows if r.get("portal_id") == pid], [pid])
        assert (result.recall, result.precision) == (1.0, 1.0), (pid, result.missing, result.unexpected)
        kept = json.loads((data / "registry" / "discovered" / f"{pid}.json").read_text(encoding="utf-8"))
        assert kept["reason"] == "no seed yet" and kept["run_id"] == "night-1" and kept["family"] == "trs"
        assert all(c["evidence"] for c in kept["columns"]), "every column says why it was taken"
    kept = json.loads((data / "registry" / "discovered" / f"{PINGTAN}.json").read_text(encoding="utf-8"))
    column = next(c for c in kept["columns"] if c["url"] == PINGTAN_COLUMN)
    assert column["confirmed"] and any("政府信息公开年报" in e for e in column["evidence"])
    assert kept["requests"] <= 30
    # the next night crawls the discovered column and asks nothing of the home page or hubs again
    assert "discovering" not in night2.stdout
    assert not [r for r in asked2 if r[2] in ("/", "/zwgk/")], "a discovered column is not looked for again"
    assert [r for r in asked2 if r[2] == "/zwgk/zfxxgk/zfxxgknb/"]
    # and the registry the operator sees says where the seed came from
    shown = subprocess.run([sys.executable, "-m", "nianbao.cli", "portals", "list", "--registry", reg],
                           cwd=ROOT, capture_output=True, text=True, env={**_env(), "NIANBAO_DATA": str(data)})
    assert shown.returncode == 0, shown.stderr
    line = next(x for x in shown.stdout.splitlines() if x.startswith(PINGTAN))
    assert "\ttrs\tdiscovered\t" in line


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k not in ("NIANBAO_DIRECTORY",)}


@pytest.mark.e2e
def test_a_confirmed_column_that_went_silent_is_rediscovered_on_the_next_night(tmp_path):
    moved = "http://www.pingtan.demo.test/zwgk/zfxxgk/nb-old/"  # the column the curator confirmed, now gone
    reg = _write_registry(tmp_path / "registry.yaml", [{
        "id": PINGTAN, "name": "平潭（演示，栏目已迁移）", "region_code": "350128", "admin_level": "county",
        "family": "trs", "seed_urls": [moved], "seed_status": "confirmed", "home_url": PINGTAN_HOME, "demo": True,
        "politeness": FAST}])
    data = tmp_path / "data"
    portal = build_portal()
    with DemoServer(portal) as server:
        first = crawl(server, data, "night-1", registry=reg)
        second = crawl(server, data, "night-2", registry=reg)
        third = crawl(server, data, "night-3", registry=reg)
    # night 1: a confirmed seed is crawled as it is (no discovery) and is found gone
    assert not [r for r in first["requests"] if r[2] == "/"]
    assert not [r for r in first["rows"] if r.get("outcome") == "stored"]
    assert [r["outcome"] for r in first["rows"] if r["kind"] == "listing"] == ["not_found"]
    # night 2: rediscovered from the home page, the new column crawled in the same run
    assert [r for r in second["requests"] if r[2] == "/"]
    assert second["stats"][PINGTAN]["nianbao/discovery/reason"].startswith("column went silent")
    assert second["stats"][PINGTAN]["nianbao/discovery/seeds"] == [PINGTAN_COLUMN]
    result = score(portal.truth(), second["rows"], [PINGTAN])
    assert (result.recall, result.precision) == (1.0, 1.0), result.missing
    kept = json.loads((data / "registry" / "discovered" / f"{PINGTAN}.json").read_text(encoding="utf-8"))
    assert kept["replaces"] == [moved] and kept["reason"].startswith("column went silent")
    # night 3: the rediscovered column replaces the silent confirmed seed; nothing is looked for again
    assert not [r for r in third["requests"] if r[2] in ("/", "/zwgk/zfxxgk/nb-old/")]
    assert "nianbao/discovery/reason" not in third["stats"][PINGTAN]
    assert last_health(data, [PINGTAN])[PINGTAN]["silent"] is None
    merged = select_portals(reg, data_dir=data, need_contact=False)[0]
    assert merged.seed_urls == (PINGTAN_COLUMN,) and merged.origin("seed_urls") == "discovered"


@pytest.mark.e2e
def test_a_portal_where_discovery_finds_nothing_is_skipped_counted_and_reported(tmp_path):
    reg = _write_registry(tmp_path / "registry.yaml", [
        _home_only(PINGTAN, "平潭（演示）", "350128", PINGTAN_HOME),
        _home_only("demo-350128-nowhere", "无年报栏目的站点（演示）", "350128", "http://www.pingtan.demo.test/nowhere/"),
    ])
    data = tmp_path / "data"
    with DemoServer(build_portal()) as server:
        out = crawl(server, data, "night-1", registry=reg)
    skipped = out["stats"]["demo-350128-nowhere"]
    assert skipped["nianbao/skipped"].startswith("no annual-report column found from http://www.pingtan.demo.test/nowhere/")
    assert skipped["nianbao/discovery/requests"] >= 1 and skipped["nianbao/discovery/seeds"] == []
    assert "skipped 1 of 2 portal(s) with no seed after discovery: demo-350128-nowhere" in out["stdout"]
    assert [r for r in out["rows"] if r.get("portal_id") == PINGTAN and r.get("outcome") == "stored"]


def test_the_crawl_registry_merges_directory_curated_and_discovered(tmp_path):
    data = tmp_path / "data"
    registry.write([{"id": "350128-pingtan", "name": "平潭综合实验区", "region_code": "350128", "admin_level": "county",
                     "home_url": "https://www.pingtan.gov.cn/", "site_code": "3590000001", "source": "directory",
                     "seed_status": "none"},
                    {"id": "510132-xinjin", "name": "新津区人民政府", "region_code": "510132", "admin_level": "county",
                     "home_url": "http://www.xinjin.gov.cn/", "source": "directory", "seed_status": "none"}],
                   registry.directory_file(data))
    curated = _write_registry(tmp_path / "portals.yaml", [{
        "id": "350128-pingtan-curated", "name": "平潭综合实验区", "region_code": "350128", "admin_level": "county",
        "family": "fujian_trs", "seed_urls": ["https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/"],
        "seed_status": "confirmed", "site_code": "3590000001"}])
    found = registry.discovered_dir(data)
    found.mkdir(parents=True)
    (found / "510132-xinjin.json").write_text(json.dumps({
        "home_url": "http://www.xinjin.gov.cn/", "family": "trs", "family_evidence": "createPageHTML", "requests": 7,
        "pages": [], "stopped": "done", "reason": "no seed yet", "columns": [{
            "url": "http://www.xinjin.gov.cn/xxgk/zfxxgknb/", "label": "政府信息公开年报", "kind": "column",
            "evidence": ["link text '政府信息公开年报' on http://www.xinjin.gov.cn/xxgk/"], "family": "trs",
            "confirmed": True}]}, ensure_ascii=False), encoding="utf-8")
    chosen = {p.id: p for p in select_portals(curated, data_dir=data, contact="mailto:ops@example.org")}
    assert set(chosen) == {"350128-pingtan-curated", "510132-xinjin"}, "the curated record wins over its directory twin"
    assert chosen["350128-pingtan-curated"].home_url == "https://www.pingtan.gov.cn/"
    assert chosen["510132-xinjin"].seed_urls == ("http://www.xinjin.gov.cn/xxgk/zfxxgknb/",)
    assert chosen["510132-xinjin"].origin("seed_urls") == "discovered"
    assert chosen["510132-xinjin"].origin("home_url") == "directory"
    # never crawled: the discovered seed is checked again first; the confirmed seed is crawled as it is
    assert discovery_plan(list(chosen.values()), data, "night-1") == {"510132-xinjin": "seed is discovered, never crawled"}
    # without the data directory, only the named registry
    assert [p.id for p in select_portals(curated, contact="x")] == ["350128-pingtan-curated"]


def test_a_demo_registry_never_takes_in_the_national_directory(tmp_path):
    data = tmp_path / "data"
    registry.write([{"id": "510132-xinjin", "name": "新津区人民政府", "region_code": "510132", "admin_level": "county",
                     "home_url": "http://www.xinjin.gov.cn/", "source": "directory", "seed_status": "none"}],
                   registry.directory_file(data))
    reg = _write_registry(tmp_path / "demo.yaml", [_home_only(PINGTAN, "平潭（演示）", "350128", PINGTAN_HOME)])
    assert [p.id for p in select_portals(reg, data_dir=data)] == [PINGTAN]


def test_a_broken_discovery_result_is_a_one_line_refusal(tmp_path):
    data = tmp_path / "data"
    reg = _write_registry(tmp_path / "demo.yaml", [_home_only(PINGTAN, "平潭（演示）", "350128", PINGTAN_HOME)])
    registry.discovered_dir(data).mkdir(parents=True)
    (registry.discovered_dir(data) / f"{PINGTAN}.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(CrawlRefused, match=reg):
        select_portals(reg, data_dir=data)
