"""The address guard: real portals never reach loopback, private, link-local or metadata addresses, whether
by a registry seed, a redirect or a link. Decisions are tested without sending traffic anywhere; the only
socket used is the loopback demo server, to prove it receives nothing."""

from __future__ import annotations

import json
import socket

import pytest
import scrapy
import yaml

from nianbao.demo_portal.core import DemoServer
from nianbao.demo_portal.sites import build_portal
from spiders.middlewares import AddressGuardMiddleware, AddressRefused, address_refusal

from .helpers import crawl


def fake_resolver(table: dict[str, list[str]]):
    def resolve(host, port, family=0, type=0, *args):  # noqa: A002 - getaddrinfo signature
        if host not in table:
            raise socket.gaierror(f"unknown host {host}")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, 0)) for ip in table[host]]
    return resolve


@pytest.mark.parametrize("host", [
    "127.0.0.1", "127.8.9.10", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "0.0.0.0", "::1",
    "[::1]", "fd00::1", "fe80::1", "::ffff:127.0.0.1", "100.100.100.200", "100.64.0.1",
    "localhost", "LOCALHOST.", "metadata.google.internal", "db.local",
])
def test_non_public_addresses_are_refused(host):
    assert address_refusal(host, fake_resolver({})) is not None


def test_localhost_is_refused_even_through_real_name_resolution():
    assert address_refusal("localhost") is not None  # /etc/hosts: 127.0.0.1 / ::1, no network involved


def test_a_name_resolving_to_a_private_address_is_refused():
    resolver = fake_resolver({"www.sneaky.gov.cn": ["202.108.22.5", "10.1.2.3"], "www.ok.gov.cn": ["202.108.22.5"]})
    assert "10.1.2.3" in address_refusal("www.sneaky.gov.cn", resolver)
    assert address_refusal("www.ok.gov.cn", resolver) is None


def test_an_unresolvable_name_is_refused_rather_than_guessed():
    assert "does not resolve" in address_refusal("nowhere.gov.cn", fake_resolver({}))


class _Stats:
    def inc_value(self, *args: object) -> None:
        return None


class _Crawler:
    stats = _Stats()
    spider = None


class _Spider:
    def __init__(self, demo: bool) -> None:
        self.portal = {"demo": demo}


def test_a_redirect_into_the_metadata_service_is_refused_for_real_portals():
    guard = AddressGuardMiddleware(_Crawler(), fake_resolver({}))
    redirected = scrapy.Request("http://169.254.169.254/latest/meta-data/", meta={"redirect_urls": ["https://www.x.gov.cn/"]})
    with pytest.raises(AddressRefused):
        guard.process_request(redirected, _Spider(demo=False))
    assert guard.process_request(redirected, _Spider(demo=True)) is None  # the demo is the one exception


def test_a_real_portal_pointing_at_loopback_gets_no_request_and_a_refused_row(tmp_path):
    portal = build_portal()
    with DemoServer(portal) as server:
        rec = {"id": "350128-evil", "name": "looks real", "region_code": "350128", "admin_level": "county",
               "family": "trs", "seed_urls": [f"http://localhost:{server.port}/zwgk/zfxxgknb/"], "hosts": ["localhost"]}
        reg = tmp_path / "real.yaml"
        reg.write_text(yaml.safe_dump({"portals": [rec]}), encoding="utf-8")
        result = crawl(server, tmp_path / "data", "r1", registry=str(reg), proxy=False)
    assert portal.requests == []
    assert [(r["outcome"], r["kind"]) for r in result["rows"]] == [("refused", "listing")]
    assert "address guard" in result["rows"][0]["reason"]
    assert json.dumps(result["stats"])  # the crawl finished and reported
