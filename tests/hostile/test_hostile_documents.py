"""Every document of the hostile corpus ends with a recorded parse status, and the night goes on.

Documents are parsed the way the nightly parse step does: in the budgeted worker (a child process with a
time and memory budget). Budgets here are small so the suite stays fast; a document that is ``handled``
must be parsed for real (not stopped by the budget), one that is ``contained`` may be stopped by it, and
the worker must parse a real report right after either.
"""

from __future__ import annotations

import os
import signal
import threading

import pytest

from pipeline import worker as worker_mod
from pipeline.manifest import ManifestRow, ManifestWriter
from pipeline.rawstore import RawStore
from pipeline.worker import Budget, BudgetedWorker

from .corpus import CASES, SEED_TEXT, big_table_page

PARSED = {"ok", "no_tables", "not_a_report", "unreadable"}


def _row(case) -> dict:
    return {"url": f"http://www.hostile.gov.cn/{case.filename}", "content_type": case.content_type,
            "kind": "report", "portal_id": "p", "sha256": case.name}


def _real_report(worker: BudgetedWorker) -> dict:
    row = {"url": "http://www.yongding.gov.cn/zw/t1.txt", "content_type": "text/plain", "kind": "report"}
    return worker.process(SEED_TEXT.read_bytes(), row)["report"]


@pytest.fixture(scope="module")
def roomy():
    """A budget no bounded document comes near (they finish in about a second each)."""
    with BudgetedWorker(Budget(seconds=20, memory_mb=2048)) as w:
        assert _real_report(w)["parse_status"] == "ok"  # warm: imports and lazy tables loaded
        yield w


@pytest.fixture(scope="module")
def tight():
    with BudgetedWorker(Budget(seconds=2, memory_mb=2048)) as w:
        yield w


@pytest.mark.parametrize("case", [c for c in CASES if c.expect == "handled"], ids=lambda c: c.name)
def test_bounded_documents_are_parsed_not_stopped(case, roomy):
    report = roomy.process(case.build(), _row(case))["report"]
    assert report["parse_status"] in PARSED, (case.why, report.get("parse_reason"))
    assert not str(report.get("parse_reason") or "").startswith("budget:"), case.why
    if case.status:
        assert report["parse_status"] == case.status, (case.why, report.get("parse_reason"))
    if case.reason:
        assert case.reason in report["parse_reason"], case.why
    assert report["source_url"] == _row(case)["url"]


@pytest.mark.parametrize("case", [c for c in CASES if c.expect == "contained"], ids=lambda c: c.name)
def test_documents_over_the_budget_are_recorded_and_the_worker_goes_on(case, tight):
    report = tight.process(case.build(), _row(case))["report"]
    assert report["parse_status"] in PARSED | {"error"}
    if report["parse_status"] == "error":
        assert report["parse_reason"] == "budget: timeout after 2 s"
    assert report["content_sha256"] == case.name  # the row is kept, so the document log shows it
    tight.budget = Budget(seconds=20, memory_mb=2048)  # a real report needs more than 2 s on a busy machine
    try:
        assert _real_report(tight)["parse_status"] == "ok"
    finally:
        tight.budget = Budget(seconds=2, memory_mb=2048)


def _abort_child_soon(w: BudgetedWorker, after: float = 0.5) -> None:
    """SIGABRT the worker's child shortly after a document is sent: what python-calamine's allocator did."""
    threading.Timer(after, os.kill, (w._proc.pid, signal.SIGABRT)).start()


SLOW = big_table_page()  # takes the parser many seconds: the signal lands mid-document


def test_a_native_crash_is_recorded_and_the_next_document_parses():
    with BudgetedWorker(Budget(seconds=60, memory_mb=2048)) as w:
        assert _real_report(w)["parse_status"] == "ok"
        _abort_child_soon(w)
        report = w.process(SLOW, {"url": "http://www.hostile.gov.cn/abort.html", "kind": "report", "sha256": "x"})["report"]
        assert (report["parse_status"], report["parse_reason"]) == ("error", "budget: crashed (SIGABRT)")
        assert report["content_sha256"] == "x"
        assert _real_report(w)["parse_status"] == "ok"
        assert w.starts == 2


@pytest.mark.parametrize("megabytes", [150, 300])
def test_a_memory_budget_overrun_is_recorded_and_the_next_document_parses(megabytes):
    with BudgetedWorker(Budget(seconds=60, memory_mb=400)) as w:
        assert _real_report(w)["parse_status"] == "ok"  # the parser itself fits in 400 MB of address space
        page = b"<html><body><p>" + "年报".encode() * (megabytes * 1024 * 1024 // 6)
        report = w.process(page, {"url": "http://x/huge.html", "content_type": "text/html", "kind": "report"})["report"]
        assert report["parse_status"] in {"error", "unreadable"}
        assert "MemoryError" in report["parse_reason"] or report["parse_reason"] == "budget: memory over 400 MB"
        assert _real_report(w)["parse_status"] == "ok"


def test_the_parse_step_survives_a_poison_pill_and_keeps_the_reports_before_it(tmp_path, monkeypatch):
    """The nightly step (publish.parse_new) over a report, a document that kills the worker, another report."""
    from pipeline import publish

    monkeypatch.setattr(worker_mod, "_DEFAULT", None)
    store, writer = RawStore(tmp_path / "raw"), ManifestWriter(tmp_path, "night")
    seed = SEED_TEXT.read_bytes()
    docs = [("http://a.gov.cn/1.txt", seed, "text/plain"), ("http://a.gov.cn/2.html", SLOW, "text/html"),
            ("http://a.gov.cn/3.txt", seed + b"\n", "text/plain")]
    for url, body, ctype in docs:
        sha, path = store.put(body, ".txt")
        writer.write(ManifestRow(url=url, portal_id="p", fetched_at="2026-12-05T00:00:00Z", outcome="stored",
                                 sha256=sha, raw_path=str(path), content_type=ctype))
    writer.close()
    real = worker_mod.BudgetedWorker.process

    def aborting(self, data, row, *args, **kwargs):
        if data == SLOW and self._proc is not None:
            _abort_child_soon(self)
        return real(self, data, row, *args, **kwargs)

    monkeypatch.setattr(worker_mod.BudgetedWorker, "process", aborting)
    try:
        run = publish.parse_new(tmp_path)
    finally:
        if worker_mod._DEFAULT is not None:
            worker_mod._DEFAULT.close()
    log = {row["url"]: row for row in publish.document_log(tmp_path)}
    assert run.parsed == 3
    assert log["http://a.gov.cn/1.txt"]["parse_status"] == "ok"
    assert log["http://a.gov.cn/3.txt"]["parse_status"] == "ok"
    assert (log["http://a.gov.cn/2.html"]["parse_status"], log["http://a.gov.cn/2.html"]["parse_reason"]) == (
        "error", "budget: crashed (SIGABRT)")
