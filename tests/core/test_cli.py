"""`nianbao parse`: the final interface, and one-line errors for bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pipeline.indicators import catalogue

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def nianbao(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nianbao.cli", *args], capture_output=True, text=True)


def test_parse_prints_report_facts_and_checks_with_catalogue_codes():
    proc = nianbao("parse", str(FIXTURES / "seed" / "yongding-2018.txt"), "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) == {"report", "facts", "checks"}
    assert out["report"]["report_year"] == 2018 and out["report"]["region_code"] == "430802"
    codes = catalogue()
    assert out["facts"] and all(f["indicator"] in codes for f in out["facts"])
    assert {"indicator", "applicant_type", "value", "value_status"} <= set(out["facts"][0])
    facts = {f["indicator"]: f["value"] for f in out["facts"]}
    assert facts["proactive.items_total"] == 29009


def test_a_missing_file_is_one_line_not_a_traceback(tmp_path):
    proc = nianbao("parse", str(tmp_path / "nope.html"), "--json")
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "no such file" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_page_that_is_not_a_report_is_one_line_not_a_traceback(tmp_path):
    page = tmp_path / "news.html"
    page.write_text("<html><head><title>平潭综合实验区召开2022年政务公开工作推进会</title></head>"
                    "<body><p>会议要求，各部门要进一步做好政务公开工作。</p></body></html>", encoding="utf-8")
    proc = nianbao("parse", str(page))
    assert proc.returncode == 1
    assert proc.stderr.strip().count("\n") == 0 and "Traceback" not in proc.stderr
    assert "not_a_report" in proc.stderr



def test_a_document_over_its_budget_ends_the_command_with_the_budget_reason():
    """`nianbao parse` runs the document in the budgeted child the nightly parse uses: a document that hangs
    the parser (here: any report under a 1 ms budget) ends the command with one line, not a hang."""
    proc = subprocess.run([sys.executable, "-m", "nianbao.cli", "parse", str(FIXTURES / "seed" / "yongding-2018.txt")],
                          capture_output=True, text=True, env={**os.environ, "NIANBAO_PARSE_SECONDS": "0.001"})
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and "Traceback" not in proc.stderr
    assert "budget: timeout" in proc.stderr
