"""The raw store on S3-compatible object storage (moto in server mode on loopback), through the same code as
local disk: bytes by hash, checked on read, repaired by a re-put, found by ``check()`` and ``nianbao verify``."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.rawstore import CorruptRawDocument, RawStore, sha256_hex

PAGE = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "pingtan" / "t20220208_80613.htm"


def test_bytes_are_stored_under_their_hash_as_one_object(s3_server):
    s3, template = s3_server
    store = RawStore(template.format("rs-put"))
    body = PAGE.read_bytes()
    sha, where = store.put(body, ".html")
    assert sha == sha256_hex(body)
    assert where == f"s3://nianbao/rs-put/{sha[:2]}/{sha}.html", "the URI names the object, without credentials"
    with s3.open_input_stream(f"nianbao/rs-put/{sha[:2]}/{sha}.html") as fh:
        assert fh.read() == body, "byte-exact (GB-encoded pages stay as served)"
    mtime = s3.get_file_info(f"nianbao/rs-put/{sha[:2]}/{sha}.html").mtime
    assert store.put(body, ".html") == (sha, where)
    assert s3.get_file_info(f"nianbao/rs-put/{sha[:2]}/{sha}.html").mtime == mtime, "an intact copy is not rewritten"
    assert store.get(sha) == body and store.get(sha, ".html") == body
    assert store.candidates(sha) == [where]
    assert list(store.check()) == []
    with pytest.raises(FileNotFoundError):
        store.get("0" * 64)


def test_an_object_overwritten_with_other_bytes_is_never_read_and_a_re_put_repairs_it(s3_server):
    s3, template = s3_server
    store = RawStore(template.format("rs-corrupt"))
    body = "一、本年新收政府信息公开申请数量 34".encode()
    sha, where = store.put(body, ".html")
    key = f"nianbao/rs-corrupt/{sha[:2]}/{sha}.html"
    with s3.open_output_stream(key) as fh:
        fh.write(body.replace(b"34", b"811"))
    with s3.open_output_stream("nianbao/rs-corrupt/notes.txt") as fh:
        fh.write(b"hello")
    with pytest.raises(CorruptRawDocument, match=sha):
        store.get(sha, ".html")
    assert [(p.path, p.problem) for p in store.check()] == [(where, "corrupt"),
                                                            ("s3://nianbao/rs-corrupt/notes.txt", "misplaced")]
    store.put(body, ".html")  # the re-download
    assert store.get(sha) == body
    assert [p.problem for p in store.check()] == ["misplaced"]


def test_verify_checks_the_store_named_by_nianbao_raw_uri(s3_server, tmp_path, monkeypatch, capsys):
    from nianbao.cli import main
    from pipeline.manifest import ManifestRow, ManifestWriter

    s3, template = s3_server
    monkeypatch.setenv("NIANBAO_RAW_URI", template.format("rs-verify"))
    store = RawStore(template.format("rs-verify"))
    body = PAGE.read_bytes()
    sha, where = store.put(body, ".html")
    writer = ManifestWriter(tmp_path, "night")
    writer.write(ManifestRow(url="http://www.pingtan.gov.cn/zfxxgk/t20220208_80613.htm", portal_id="pingtan",
                             fetched_at="2022-02-09T00:00:00Z", outcome="stored", status=200, content_type="text/html",
                             sha256=sha, raw_path=str(where), size=len(body)))
    writer.close()
    assert main(["verify", "--data", str(tmp_path)]) == 0
    assert "verify: 1 raw files, 1 URLs in the manifest" in capsys.readouterr().out
    assert not (tmp_path / "raw").exists(), "nothing of the raw store on local disk"
    s3.delete_file(f"nianbao/rs-verify/{sha[:2]}/{sha}.html")
    assert main(["verify", "--data", str(tmp_path)]) == 1
    assert f"missing\thttp://www.pingtan.gov.cn/zfxxgk/t20220208_80613.htm\t{sha}" in capsys.readouterr().out
