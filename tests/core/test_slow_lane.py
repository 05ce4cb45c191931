"""The parse step's slow lane: a document that runs out of the normal time budget (a scanned report of a dozen
pages) is parsed once more with the slow lane's time in the same run, instead of staying an error for good."""

from __future__ import annotations

from pathlib import Path

from pipeline.manifest import ManifestRow, ManifestWriter
from pipeline.publish import document_log, parse_new
from pipeline.rawstore import RawStore

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
URL = "http://www.pingtan.demo.test/zwgk/zfxxgk/zfxxgknb/202202/P020220208.pdf"


def _store_pdf(data: Path) -> None:
    body = (FIXTURES / "office" / "pingtan-2021.pdf").read_bytes()
    sha, path = RawStore(data / "raw").put(body, ".pdf")
    writer = ManifestWriter(data, "night")
    writer.write(ManifestRow(url=URL, portal_id="p", fetched_at="2026-12-01T00:00:00Z", outcome="stored",
                             sha256=sha, raw_path=str(path), content_type="application/pdf", kind="report"))
    writer.close()


def _status(data: Path) -> tuple[str, str | None]:
    [row] = [r for r in document_log(data) if r["url"] == URL]
    return row["parse_status"], row["parse_reason"]


def test_a_document_that_times_out_is_parsed_in_the_slow_lane_of_the_same_run(tmp_path, monkeypatch):
    _store_pdf(tmp_path)
    monkeypatch.setenv("NIANBAO_PARSE_SECONDS", "0.001")  # no PDF parses in a millisecond
    monkeypatch.setenv("NIANBAO_PARSE_SLOW_SECONDS", "300")
    run = parse_new(tmp_path, workers=1)
    assert _status(tmp_path) == ("ok", None)
    assert (run.parsed, dict(run.statuses), run.failures) == (1, {"ok": 1}, [])
    again = parse_new(tmp_path, workers=1)
    assert (again.parsed, again.unchanged) == (0, 1)


def test_a_timeout_in_the_slow_lane_is_kept_and_not_asked_again(tmp_path, monkeypatch):
    _store_pdf(tmp_path)
    monkeypatch.setenv("NIANBAO_PARSE_SECONDS", "0.001")
    monkeypatch.setenv("NIANBAO_PARSE_SLOW_SECONDS", "0.002")
    run = parse_new(tmp_path, workers=1)
    assert _status(tmp_path) == ("error", "budget: timeout after 0.002 s")
    assert [f["reason"] for f in run.failures] == ["budget: timeout after 0.002 s"]
    assert parse_new(tmp_path, workers=1).parsed == 0  # kept until its bytes or the parser change


def test_a_timeout_of_an_earlier_run_is_retried_when_the_slow_lane_allows_more(tmp_path, monkeypatch):
    _store_pdf(tmp_path)
    monkeypatch.setenv("NIANBAO_PARSE_SECONDS", "0.001")
    monkeypatch.setenv("NIANBAO_PARSE_SLOW_PER_RUN", "0")  # a night whose slow lane is full
    parse_new(tmp_path, workers=1)
    assert _status(tmp_path) == ("error", "budget: timeout after 0.001 s")
    monkeypatch.setenv("NIANBAO_PARSE_SLOW_PER_RUN", "5")
    monkeypatch.setenv("NIANBAO_PARSE_SLOW_SECONDS", "300")
    run = parse_new(tmp_path, workers=1)
    assert (run.parsed, dict(run.statuses)) == (1, {"ok": 1})
    assert _status(tmp_path) == ("ok", None)
