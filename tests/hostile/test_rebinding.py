"""DNS rebinding: a name that answers a public address to the address guard and 127.0.0.1 to the
connection gets no connection. A real Scrapy crawl, in a child process whose resolver the test controls,
against the loopback demo server, which records every request it receives."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from nianbao.demo_portal.core import DemoServer
from nianbao.demo_portal.sites import build_portal
from spiders.middlewares import forbidden_ip
from tests.spiders.helpers import ROOT

HOST = "www.yongding.demo.test"  # a demo site: whatever reaches the server on this name is served a report


def _crawl(tmp_path, port: int) -> tuple[list[dict], str]:
    rec = {"id": "430802-rebind", "name": "answers public, then loopback", "region_code": "430802",
           "admin_level": "county", "family": "trs", "seed_urls": [f"http://{HOST}:{port}/zw/zfxxgkndbg/"],
           "hosts": [HOST], "seed_status": "confirmed",  # no column discovery first: the seed's own lookups
           "politeness": {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "RETRY_TIMES": 1}}
    reg = tmp_path / "real.yaml"
    reg.write_text(yaml.safe_dump({"portals": [rec]}), encoding="utf-8")
    data = tmp_path / "data"
    proc = subprocess.run(
        [sys.executable, "-m", "tests.hostile.rebind_crawl", "--registry", str(reg), "--data", str(data),
         "--run-id", "r1"], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**__import__("os").environ, "NIANBAO_REBIND": f"{HOST}=202.108.22.5"},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    path = data / "manifest" / "r1.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []
    return rows, proc.stderr


def test_a_host_answering_public_then_loopback_gets_no_connection(tmp_path):
    portal = build_portal()
    with DemoServer(portal) as server:
        rows, stderr = _crawl(tmp_path, server.port)
    assert "lookup 2 of" in stderr  # the guard saw the public answer; the connection asked again
    assert portal.requests == []  # not even robots.txt reached the loopback server
    assert [(r["outcome"], r["kind"]) for r in rows] == [("refused", "listing")]
    assert "at connect" in rows[0]["reason"] and "127.0.0.1 is loopback" in rows[0]["reason"]
    assert not any(r.get("sha256") for r in rows)


@pytest.mark.parametrize(("ip", "via"), [
    ("2002:7f00:1::1", "6to4"), ("2002:a00:1::", "6to4"), ("2001:0:4136:e378:8000:63bf:80ff:fffe", "Teredo"),
    ("64:ff9b::7f00:1", "NAT64"), ("64:ff9b::a9fe:a9fe", "NAT64"), ("64:ff9b:1::ca6c:1605", "local-use NAT64"),
    ("::ffff:10.0.0.1", "IPv4-mapped"), ("::7f00:1", "IPv4-compatible"), ("::ffff:0:7f00:1", "IPv4-translated"),
])
def test_ipv6_transition_addresses_are_judged_by_the_ipv4_they_reach(ip, via):
    assert via in (forbidden_ip(ip) or "")


@pytest.mark.parametrize("ip", ["2002:ca6c:1605::1", "64:ff9b::ca6c:1605", "::ffff:202.108.22.5", "2400:da00::6666"])
def test_transition_addresses_of_public_hosts_stay_allowed(ip):
    assert forbidden_ip(ip) is None
