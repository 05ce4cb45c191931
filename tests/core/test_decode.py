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
