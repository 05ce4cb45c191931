"""The manifest's current-state table: what a reader of the latest row per URL sees, at the cost of what
was appended since the last read."""

from __future__ import annotations

from pipeline.manifest import ManifestRow, ManifestWriter, latest_by_url, read_rows
from pipeline.state import ManifestState, current_rows, get, state_path


def _row(url: str, outcome: str = "stored", portal: str = "p", **kw) -> ManifestRow:
    return ManifestRow(url=url, portal_id=portal, fetched_at="2026-12-05T00:00:00Z", outcome=outcome,
                       sha256=kw.pop("sha256", "a" * 64), **kw)


def _night(data, run: str, rows: list[ManifestRow]) -> None:
    writer = ManifestWriter(data, run)
    for row in rows:
        writer.write(row)
    writer.close()


def _history(data) -> dict[str, dict]:
    return latest_by_url(read_rows(data))


def test_the_latest_row_per_url_is_what_the_history_says(tmp_path):
    _night(tmp_path, "1-night", [_row("http://a.gov.cn/1.htm"), _row("http://a.gov.cn/2.htm", portal="q"),
                                 _row("http://a.gov.cn/1.htm", "unchanged", title="年报")])
    _night(tmp_path, "2-night", [_row("http://a.gov.cn/2.htm", "withdrawn", portal="q", sha256=None)])
    assert {r["url"]: r for r in current_rows(tmp_path)} == _history(tmp_path)
    assert [r["url"] for r in current_rows(tmp_path, "q")] == ["http://a.gov.cn/2.htm"]
    assert get(tmp_path, "http://a.gov.cn/1.htm")["title"] == "年报"
    assert get(tmp_path, "http://a.gov.cn/never.htm") is None


def test_a_new_manifest_line_shows_up_and_only_new_lines_are_read(tmp_path):
    _night(tmp_path, "1-night", [_row(f"http://a.gov.cn/{i}.htm") for i in range(50)])
    state = ManifestState(tmp_path)
    assert state.refresh() == 50
    assert state.refresh() == 0  # nothing appended: nothing read
    _night(tmp_path, "1-night", [_row("http://a.gov.cn/7.htm", "withdrawn", sha256=None)])  # same run, resumed
    _night(tmp_path, "2-night", [_row("http://a.gov.cn/new.htm")])
    assert state.refresh() == 2
    assert get(tmp_path, "http://a.gov.cn/7.htm")["outcome"] == "withdrawn"
    assert get(tmp_path, "http://a.gov.cn/new.htm")["outcome"] == "stored"
    assert {r["url"]: r for r in current_rows(tmp_path)} == _history(tmp_path)


def test_a_run_file_that_sorts_earlier_does_not_override_a_later_one(tmp_path):
    _night(tmp_path, "2-night", [_row("http://a.gov.cn/1.htm", "unchanged")])
    assert get(tmp_path, "http://a.gov.cn/1.htm")["outcome"] == "unchanged"
    _night(tmp_path, "1-night", [_row("http://a.gov.cn/1.htm", "failed", sha256=None)])  # written late, sorts first
    assert get(tmp_path, "http://a.gov.cn/1.htm")["outcome"] == "unchanged"
    assert {r["url"]: r for r in current_rows(tmp_path)} == _history(tmp_path)


def test_a_line_being_written_is_picked_up_once_complete(tmp_path):
    _night(tmp_path, "night", [_row("http://a.gov.cn/1.htm")])
    path = tmp_path / "manifest" / "night.jsonl"
    line = _row("http://a.gov.cn/2.htm").to_json() + "\n"
    with path.open("a", encoding="utf-8") as fh:
        fh.write(line[:20])
    assert [r["url"] for r in current_rows(tmp_path)] == ["http://a.gov.cn/1.htm"]
    assert [(p.line, p.problem) for p in ManifestState(tmp_path).problems()] == [(2, "not JSON (a partial last line)")]
    with path.open("a", encoding="utf-8") as fh:
        fh.write(line[20:])
    assert [r["url"] for r in current_rows(tmp_path)] == ["http://a.gov.cn/1.htm", "http://a.gov.cn/2.htm"]
    assert ManifestState(tmp_path).problems() == []


def test_rejected_lines_are_kept_as_problems_with_file_and_line(tmp_path):
    _night(tmp_path, "night", [_row("http://a.gov.cn/1.htm")])
    with (tmp_path / "manifest" / "night.jsonl").open("a", encoding="utf-8") as fh:
        fh.write('[1, 2]\n{"outcome": "stored"}\n')
    assert [r["url"] for r in current_rows(tmp_path)] == ["http://a.gov.cn/1.htm"]
    assert [(p.path.name, p.line, p.problem) for p in ManifestState(tmp_path).problems()] == [
        ("night.jsonl", 2, "not a JSON object (list)"), ("night.jsonl", 3, "not a row (a JSON object with a url)")]


def test_a_missing_or_corrupt_state_is_rebuilt_from_the_history(tmp_path):
    _night(tmp_path, "1-night", [_row("http://a.gov.cn/1.htm"), _row("http://a.gov.cn/2.htm")])
    _night(tmp_path, "2-night", [_row("http://a.gov.cn/1.htm", "withdrawn", sha256=None)])
    expected = _history(tmp_path)
    assert {r["url"]: r for r in current_rows(tmp_path)} == expected
    state_path(tmp_path).write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        (tmp_path / "state" / f"manifest.sqlite{suffix}").unlink(missing_ok=True)
    assert {r["url"]: r for r in current_rows(tmp_path)} == expected
    for path in (tmp_path / "state").iterdir():
        path.unlink()
    assert {r["url"]: r for r in current_rows(tmp_path)} == expected


def test_a_rewritten_history_rebuilds_the_state(tmp_path):
    _night(tmp_path, "1-night", [_row("http://a.gov.cn/1.htm"), _row("http://a.gov.cn/2.htm")])
    assert len(list(current_rows(tmp_path))) == 2
    _night(tmp_path, "0-other", [_row("http://a.gov.cn/3.htm")])
    (tmp_path / "manifest" / "1-night.jsonl").unlink()  # an operator pruned a run
    assert [r["url"] for r in current_rows(tmp_path)] == ["http://a.gov.cn/3.htm"]


def test_stored_rows_are_those_whose_bytes_are_kept(tmp_path):
    _night(tmp_path, "night", [
        _row("http://a.gov.cn/r.htm"), _row("http://a.gov.cn/a.pdf", "unchanged", kind="attachment"),
        _row("http://a.gov.cn/list.htm", kind="listing"), _row("http://a.gov.cn/f.htm", "failed", sha256=None),
        _row("http://a.gov.cn/nosha.htm", sha256=None)])
    assert [r["url"] for r in ManifestState(tmp_path).stored()] == ["http://a.gov.cn/a.pdf", "http://a.gov.cn/r.htm"]
    assert [r["url"] for r in ManifestState(tmp_path).stored("report")] == ["http://a.gov.cn/r.htm"]


def test_documents_held_per_portal_leave_out_the_run_asked_about(tmp_path):
    _night(tmp_path, "1-night", [_row("http://a.gov.cn/1.htm"), _row("http://a.gov.cn/2.htm"),
                                 _row("http://b.gov.cn/1.htm", portal="q")])
    _night(tmp_path, "2-night", [_row("http://a.gov.cn/2.htm", "withdrawn", sha256=None),
                                 _row("http://b.gov.cn/1.htm", "unchanged", portal="q")])
    state = ManifestState(tmp_path)
    assert state.stored_per_portal() == {"p": 1, "q": 1}
    assert state.stored_per_portal(exclude_run="2-night") == {"p": 1}
