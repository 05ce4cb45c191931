"""Decoding real-world charset mistakes."""

from pipeline.decode import decode

TEXT = "政府信息公开工作年度报告：镕堃"  # 镕 and 堃 exist only in GBK, not in GB2312


def test_gbk_bytes_under_a_gb2312_label_decode_cleanly():
    body = f'<html><head><meta charset="gb2312"></head><body>{TEXT}</body></html>'.encode("gbk")
    got = decode(body, "text/html; charset=gb2312")
    assert TEXT in got.text
    assert got.detected == "gb18030"


def test_a_wrong_utf8_header_on_gbk_bytes_falls_back():
    body = f"<html><body>{TEXT}</body></html>".encode("gbk")
    got = decode(body, "text/html; charset=utf-8")
    assert TEXT in got.text and "\ufffd" not in got.text
    assert got.declared == "utf-8"


def _traditional_report() -> str:
    """A real report (莆田市科学技术局 2022, tests/fixtures) in Traditional characters, as a 繁體 gateway
    serves it."""
    from pathlib import Path

    from opencc import OpenCC

    path = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "putian-kjj" / "t20230112_1794364.archive.txt"
    return OpenCC("s2tw").convert(path.read_text(encoding="utf-8").replace("\u00a0", " "))


def test_undeclared_big5_is_not_read_as_gb18030():
    """Big5 bytes decode without error as GB18030, into kana and rare characters (莆田 came out as 矦バ)."""
    text = _traditional_report()
    got = decode(text.encode("big5"))
    assert got.detected == "big5" and got.text == text
    assert decode(text.encode("big5"), "text/html; charset=gb2312").text == text  # a wrong label too


def test_gbk_text_stays_gb18030():
    simplified = "莆田市科学技术局2022年政府信息公开工作年度报告。本年度新收政府信息公开申请3件。" * 20
    got = decode(simplified.encode("gbk"))
    assert got.detected == "gb18030" and got.text == simplified
