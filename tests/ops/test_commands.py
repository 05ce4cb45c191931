"""Operator commands: `nianbao crawl` with a progress line per portal, and one-line errors with the fix
for every operator mistake (no registry, unknown portal, no contact, a year that is not a partition)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nianbao.cli import demo_registry_path, main
from nianbao.demo_portal.core import DemoServer
from nianbao.demo_portal.sites import build_portal

REAL = str(Path(__file__).resolve().parents[2] / "spiders" / "registry" / "portals.yaml")


@pytest.mark.parametrize(("argv", "says"), [
    (["crawl"], "no registry named"),
    (["crawl", "--registry", REAL, "--portal", "nope"], "unknown portal 'nope'"),
    (["crawl", "--registry", "missing.yaml"], "missing.yaml: no such file"),
    (["crawl", "--registry", REAL, "--sample", "1"], "NIANBAO_CONTACT"),
    (["publish", "--year", "2007"], "report year 2007 is not a partition"),
])
def test_operator_mistakes_are_one_line_errors(argv, says, capsys, monkeypatch, tmp_path):
    for var in ("NIANBAO_REGISTRY", "NIANBAO_CONTACT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert says in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "data").exists(), "nothing written, nothing requested"


def test_dry_run_lists_a_sample_without_a_request(capsys, tmp_path):
    assert main(["crawl", "--registry", REAL, "--sample", "3", "--contact", "ops@example.org", "--dry-run",
                 "--data", str(tmp_path / "data")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 4 and out[-1].startswith("3 portal(s) would be crawled")
    assert not (tmp_path / "data").exists()


def test_crawl_prints_a_progress_line_per_portal(capfd, tmp_path):
    with DemoServer(build_portal()) as server:
        rc = main(["crawl", "--registry", demo_registry_path(), "--proxy", server.proxy_url,
                   "--data", str(tmp_path / "data"), "--run-id", "t1"])
    out = capfd.readouterr().out
    assert rc == 0, out
    done = [line for line in out.splitlines() if line.startswith("done ")]
    assert {line.split(":")[0] for line in done} == {"done demo-350128-pingtan", "done demo-430802-yongding"}
    assert all("pages" in line and "stored" in line and "failures" in line and "(finished)" in line for line in done)
    assert (tmp_path / "data" / "manifest" / "t1.jsonl").exists()


def test_the_instruction_benchmark_says_what_it_needs(capsys, monkeypatch):
    """benchmarks/parse.py --insn counts instructions with valgrind; without it, one line says how to get it."""
    import benchmarks.parse as bench

    monkeypatch.setattr(bench.shutil, "which", lambda name: None)
    assert bench.main(["--insn"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "parse.py --insn needs valgrind: apt-get install valgrind"
