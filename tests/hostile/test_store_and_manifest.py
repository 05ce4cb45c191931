"""Silent corruption: manifest lines that are not rows are rejected by file and line, a crashed writer's
partial line does not swallow the next row, and ``nianbao verify`` finds (and ``--repair`` queues for
re-download) every stored document whose bytes are missing or corrupt."""

from __future__ import annotations

import subprocess
import sys

from pipeline.manifest import ManifestRow, ManifestWriter, latest_by_url, read_rows
from pipeline.publish import stored_documents
from pipeline.rawstore import RawStore


def _row(url: str, **kw) -> ManifestRow:
    return ManifestRow(url=url, portal_id="p", fetched_at="2026-12-05T00:00:00Z", **kw)


def _nianbao(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nianbao.cli", *args], capture_output=True, text=True, timeout=120)


def test_lines_that_are_json_but_not_rows_are_rejected_with_file_and_line(tmp_path, caplog):
    writer = ManifestWriter(tmp_path, "night")
    writer.write(_row("http://a.gov.cn/1.htm", outcome="stored", sha256="a" * 64))
    writer.close()
    path = tmp_path / "manifest" / "night.jsonl"
    with path.open("a", encoding="utf-8") as fh:
        fh.write('[1, 2]\n"stored"\n42\n{"outcome": "stored"}\n\xff\n')
    problems: list = []
    rows = list(read_rows(tmp_path, problems))
    assert [r["url"] for r in rows] == ["http://a.gov.cn/1.htm"]
    assert [(p.line, p.problem) for p in problems] == [
        (2, "not a JSON object (list)"), (3, "not a JSON object (str)"), (4, "not a JSON object (int)"),
        (5, "not a row (a JSON object with a url)"), (6, problems[-1].problem)]
    assert problems[-1].problem.startswith("not JSON")
    assert f"{path}:2: not a JSON object (list)" in caplog.text
    assert [r["url"] for r in stored_documents(tmp_path)] == ["http://a.gov.cn/1.htm"]  # parse goes on


def test_a_partial_last_line_does_not_swallow_the_next_row(tmp_path):
    writer = ManifestWriter(tmp_path, "night")
    writer.write(_row("http://a.gov.cn/1.htm", outcome="stored", sha256="a" * 64))
    writer.close()
    path = tmp_path / "manifest" / "night.jsonl"
    with path.open("a", encoding="utf-8") as fh:
        fh.write('{"url": "http://a.gov.cn/2.htm", "outc')  # killed mid-write
    again = ManifestWriter(tmp_path, "night")  # the same run id resumed
    again.write(_row("http://a.gov.cn/3.htm", outcome="stored", sha256="b" * 64))
    again.close()
    problems: list = []
    assert sorted(latest_by_url(read_rows(tmp_path, problems))) == ["http://a.gov.cn/1.htm", "http://a.gov.cn/3.htm"]
    assert [p.line for p in problems] == [2] and problems[0].problem.startswith("not JSON")


def test_a_partial_last_line_is_named_as_such(tmp_path):
    (tmp_path / "manifest").mkdir()
    (tmp_path / "manifest" / "night.jsonl").write_text('{"url": "http://a.gov.cn/1.htm", "outcome": "st')
    problems: list = []
    assert list(read_rows(tmp_path, problems)) == []
    assert [(p.line, p.problem) for p in problems] == [(1, "not JSON (a partial last line)")]


def _stored(tmp_path, url: str, body: bytes) -> tuple[str, object]:
    sha, path = RawStore(tmp_path / "raw").put(body, ".html")
    writer = ManifestWriter(tmp_path, f"crawl-{sha[:6]}")
    writer.write(_row(url, outcome="stored", sha256=sha, raw_path=str(path), kind="report", title="年报"))
    writer.close()
    return sha, path


def test_nianbao_verify_finds_corrupt_and_missing_bytes_and_repair_queues_them(tmp_path):
    _stored(tmp_path, "http://a.gov.cn/ok.htm", b"<html>intact</html>")
    sha_bad, path_bad = _stored(tmp_path, "http://a.gov.cn/edited.htm", b"<html>apply.new 34</html>")
    sha_gone, path_gone = _stored(tmp_path, "http://a.gov.cn/gone.htm", b"<html>deleted</html>")
    path_bad.write_bytes(b"<html>apply.new 811</html>")
    path_gone.unlink()
    proc = _nianbao("verify", "--data", str(tmp_path))
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert f"corrupt\t{path_bad}" in lines
    assert f"corrupt\thttp://a.gov.cn/edited.htm\t{sha_bad}" in lines
    assert f"missing\thttp://a.gov.cn/gone.htm\t{sha_gone}" in lines
    assert "2 stored documents missing or corrupt" in lines[-1]

    repaired = _nianbao("verify", "--data", str(tmp_path), "--repair")
    assert "2 documents will be downloaded again" in repaired.stdout
    latest = latest_by_url(read_rows(tmp_path))
    assert {u: r["outcome"] for u, r in latest.items()} == {
        "http://a.gov.cn/ok.htm": "stored", "http://a.gov.cn/edited.htm": "failed", "http://a.gov.cn/gone.htm": "failed"}
    assert latest["http://a.gov.cn/edited.htm"]["reason"] == "raw bytes corrupt: download again"

    RawStore(tmp_path / "raw").put(b"<html>apply.new 34</html>", ".html")  # what the re-download stores
    _stored(tmp_path, "http://a.gov.cn/gone.htm", b"<html>deleted</html>")
    _stored(tmp_path, "http://a.gov.cn/edited.htm", b"<html>apply.new 34</html>")
    clean = _nianbao("verify", "--data", str(tmp_path))
    assert clean.returncode == 0, clean.stdout
    assert clean.stdout.splitlines()[-1].endswith("0 stored documents missing or corrupt")


def test_nianbao_verify_on_a_missing_directory_is_one_line(tmp_path):
    proc = _nianbao("verify", "--data", str(tmp_path / "nope"))
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"nianbao: {tmp_path / 'nope'}: no such data directory"
