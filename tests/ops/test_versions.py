"""Parse results know what made them: a change to the spec files re-parses the documents it affects
and republishes their year; a failing blocking check keeps the previous year published."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

from pipeline.dataset import read_table
from pipeline.manifest import ManifestRow, ManifestWriter
from pipeline.publish import parse_new, publish_year
from pipeline.rawstore import RawStore

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "tests" / "fixtures" / "real" / "pingtan" / "t20220208_80613.htm"
URL = "http://www.pingtan.demo.test/zwgk/zfxxgk/zfxxgknb/202202/t20220208_80613.htm"
DELETED = "proactive.coercion.decisions"  # printed in table 二 of the 2021 report

STEP = """
import json, sys
from pipeline.publish import parse_new, publish_year
from pipeline.version import parser_version
run = parse_new(sys.argv[1])
pub = publish_year(sys.argv[1], 2021)
print(json.dumps({"parsed": run.parsed, "unchanged": run.unchanged, "reparsed": dict(run.reparsed),
                  "years_changed": sorted(run.years_changed), "published": pub.published, "reason": pub.reason,
                  "version": parser_version()}))
"""


def _store_page(data: Path) -> None:
    sha, path = RawStore(data / "raw").put(PAGE.read_bytes(), ".html")
    writer = ManifestWriter(data, "night-1")
    writer.write(ManifestRow(url=URL, portal_id="p", fetched_at="2026-11-27T00:00:00Z", outcome="stored",
                             sha256=sha, raw_path=str(path), content_type="text/html; charset=utf-8"))
    writer.close()


def _step(code: Path, data: Path) -> dict:
    """The parse step and the year's publish, run on the pipeline package under ``code``."""
    proc = subprocess.run([sys.executable, "-c", STEP, str(data)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(code)}, cwd=code)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_a_spec_change_reparses_the_document_and_republishes_its_year(tmp_path):
    code, data = tmp_path / "code", tmp_path / "data"
    shutil.copytree(REPO / "pipeline", code / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    _store_page(data)
    first = _step(code, data)
    assert (first["parsed"], first["published"], first["years_changed"]) == (1, True, [2021])
    assert DELETED in set(read_table(data / "dataset", "facts", 2021)["indicator"].to_pylist())
    again = _step(code, data)
    assert (again["parsed"], again["unchanged"]) == (0, 1), "nothing changed: nothing re-parsed"

    spec = code / "pipeline" / "spec" / "indicators.csv"
    lines = spec.read_text(encoding="utf-8").splitlines(keepends=True)
    spec.write_text("".join(line for line in lines if not line.startswith(DELETED + ",")), encoding="utf-8")
    changed = _step(code, data)
    assert changed["version"] != first["version"] and changed["version"].split(".")[0] == first["version"].split(".")[0]
    assert (changed["parsed"], changed["reparsed"], changed["years_changed"]) == (1, {"spec": 1}, [2021])
    assert changed["published"], changed["reason"]
    facts = read_table(data / "dataset", "facts", 2021)
    assert DELETED not in set(facts["indicator"].to_pylist()), "the republished year reflects the new spec"
    reports = read_table(data / "dataset", "reports", 2021)
    assert reports["parser_version"].to_pylist() == [changed["version"]]


def test_a_failing_blocking_check_keeps_the_previous_year_published(tmp_path, monkeypatch):
    from pipeline import year_checks

    _store_page(tmp_path)
    parse_new(tmp_path)
    good = publish_year(tmp_path, 2021)
    assert good.published and good.reason is None
    published = pq.read_table(good.paths["facts"])
    # The catalogue loses a code the year's facts use (e.g. a spec edit that dropped a row while the
    # parse results still carry it): the staged year fails indicator_codes_in_catalogue.
    codes = year_checks.catalogue()
    monkeypatch.setattr(year_checks, "catalogue", lambda: {c: v for c, v in codes.items() if c != "apply.new"})
    bad = publish_year(tmp_path, 2021)
    assert not bad.published
    assert "indicator_codes_in_catalogue" in bad.reason and "apply.new" in bad.reason
    assert "previous version stays" in bad.reason
    assert pq.read_table(good.paths["facts"]).equals(published), "the published year is the previous one"
    assert not list((tmp_path / ".dataset-versions" / ".staging").iterdir()), "the rejected stage is cleaned up"
