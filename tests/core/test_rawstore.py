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
