"""Crawls fail loudly: a dead proxy, an unwritable store or no registry fail the Dagster run with the
reason; nothing is contacted until a registry is named; Scrapy's consoles are off."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.assets.crawl import crawl
from dagster_project.resources import NianbaoResource
from nianbao.cli import demo_registry_path
from spiders.run import base_settings

ROOT = Path(__file__).resolve().parents[2]


def _dead_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _failure(result: dg.ExecuteInProcessResult) -> str:
    return next(e.step_failure_data.error.message for e in result.all_events if e.is_step_failure)


@pytest.mark.e2e
def test_a_dead_proxy_fails_the_run_with_the_reason_and_names_each_portal(tmp_path):
    resource = NianbaoResource(data_dir=str(tmp_path), registry_path=demo_registry_path(),
                               proxy=f"http://127.0.0.1:{_dead_port()}")
    with dg.instance_for_test() as instance:
        result = dg.materialize([crawl], resources={"nianbao": resource}, instance=instance, raise_on_error=False)
    assert not result.success
    message = _failure(result)
    assert "every portal unreachable" in message and "ConnectionRefusedError" in message
    silent = [c for c in result.get_asset_check_evaluations() if c.check_name == "no_silent_portal"]
    assert silent and not silent[0].passed
    reasons = silent[0].metadata["silent"].value
    assert set(reasons) == {"demo-350128-pingtan", "demo-430802-yongding"}
    assert all("ConnectionRefusedError" in why for why in reasons.values())


def test_an_unwritable_data_directory_fails_before_any_request(tmp_path):
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data directory should be")
    resource = NianbaoResource(data_dir=str(blocker), registry_path=demo_registry_path(), proxy="http://127.0.0.1:9")
    with dg.instance_for_test() as instance:
        result = dg.materialize([crawl], resources={"nianbao": resource}, instance=instance, raise_on_error=False)
    assert not result.success
    assert "is not writable" in _failure(result)


def test_without_a_registry_nothing_is_crawled(tmp_path):
    with dg.instance_for_test() as instance:
        result = dg.materialize([crawl], resources={"nianbao": NianbaoResource(data_dir=str(tmp_path))},
                                instance=instance, raise_on_error=False)
    assert not result.success and "no registry named" in _failure(result)
    assert not (tmp_path / "manifest").exists() and not (tmp_path / "raw").exists()
    env = {k: v for k, v in os.environ.items() if k not in ("NIANBAO_REGISTRY", "NIANBAO_CONTACT")}
    proc = subprocess.run([sys.executable, "-m", "spiders.run", "--data", str(tmp_path), "--run-id", "r"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "no registry named" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, "one line, no traceback"
    assert not (tmp_path / "manifest").exists()


def test_real_portals_need_a_contact(tmp_path):
    resource = NianbaoResource(data_dir=str(tmp_path), registry_path=str(ROOT / "spiders" / "registry" / "portals.yaml"))
    with dg.instance_for_test() as instance:
        result = dg.materialize([crawl], resources={"nianbao": resource}, instance=instance, raise_on_error=False)
    assert not result.success and "NIANBAO_CONTACT" in _failure(result)
    assert not (tmp_path / "manifest").exists()


def test_scrapy_consoles_are_off():
    settings = base_settings("data", "r", None)
    assert settings.getbool("REMOTE_CONTROL_ENABLED") is False
    assert settings.getbool("TELNETCONSOLE_ENABLED") is False
