"""The raw store keeps bytes by content hash and never overwrites them."""

from pipeline.rawstore import RawStore, extension_for, sha256_hex


def test_bytes_are_stored_by_hash_once(tmp_path):
    store = RawStore(tmp_path)
    body = "平潭综合实验区2021年度政府信息公开工作年度报告".encode("gb18030")
    sha, path = store.put(body, ".html")
    assert sha == sha256_hex(body)
    assert path == tmp_path / sha[:2] / f"{sha}.html"
    mtime = path.stat().st_mtime_ns
    assert store.put(body, ".html") == (sha, path)
    assert path.stat().st_mtime_ns == mtime
    assert store.get(sha) == body  # byte-exact, GBK stays GBK


def test_extension_comes_from_media_type_then_url():
    assert extension_for("application/pdf", "http://x/downfile.jsp?id=1") == ".pdf"
    assert extension_for(None, "http://x/a/P020220208.DOCX") == ".docx"
    assert extension_for("text/html; charset=gb2312", None) == ".html"
    assert extension_for(None, "http://x/download.jsp?id=3") == ".bin"


def test_a_file_edited_on_disk_is_never_read_as_the_document_it_is_named_after(tmp_path):
    import pytest

    from pipeline.rawstore import CorruptRawDocument

    store = RawStore(tmp_path)
    body = "一、本年新收政府信息公开申请数量 34".encode()
    sha, path = store.put(body, ".html")
    path.write_bytes(body.replace(b"34", b"811"))  # same name, other figures
    with pytest.raises(CorruptRawDocument, match=sha):
        store.get(sha)
    with pytest.raises(FileNotFoundError):  # callers that handle a missing document handle this one too
        store.get(sha)
    assert [(p.path, p.problem) for p in store.check()] == [(path, "corrupt")]


def test_storing_the_same_bytes_again_repairs_a_corrupt_copy(tmp_path):
    store = RawStore(tmp_path)
    body = b"<html>report</html>"
    sha, path = store.put(body, ".html")
    path.write_bytes(b"<html>rep")  # truncated on disk
    assert store.put(body, ".html") == (sha, path)  # the re-download
    assert store.get(sha) == body
    assert list(store.check()) == []


def test_the_store_check_names_leftovers_and_strangers(tmp_path):
    store = RawStore(tmp_path)
    sha, _ = store.put(b"x", ".txt")
    (tmp_path / sha[:2] / ".tmp-abc").write_bytes(b"half")
    (tmp_path / "notes.txt").write_text("hello")
    assert sorted((p.path.name, p.problem) for p in store.check()) == [(".tmp-abc", "temporary"),
                                                                       ("notes.txt", "misplaced")]
