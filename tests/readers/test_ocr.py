"""OCR path (rapidocr with the models bundled in its wheel) on renders of the real 平潭 2021 report pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.prose import extract_prose_facts
from pipeline.readers import image as image_reader
from pipeline.readers.image import _lines
from pipeline.readers.office import UnreadableDocument, read_binary

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "office"

needs_ocr = pytest.mark.skipif(not image_reader.ocr_available(), reason="rapidocr/onnxruntime not installed")


def test_boxes_are_grouped_into_reading_order_lines():
    boxes = [
        [[300, 10], [340, 10], [340, 30], [300, 30]],
        [[10, 12], [200, 12], [200, 32], [10, 32]],
        [[10, 50], [120, 50], [120, 70], [10, 70]],
    ]
    lines, mean = _lines(boxes, ["70", "一、本年新收政府信息公开申请数量", "二、上年结转"], [0.9, 1.0, 0.8])
    assert lines == ["一、本年新收政府信息公开申请数量 70", "二、上年结转"]
    assert mean == pytest.approx(0.9)


@needs_ocr
def test_png_page_is_read_by_ocr():
    doc = read_binary((FIXTURES / "pingtan-2021-page1.png").read_bytes(), "image/png", "page1.png")
    assert doc.source_format == "image"
    assert "本年度全区共收到70件申请" in doc.text
    assert float(doc.meta["ocr_mean_confidence"]) > 0.8
    # the OCR text feeds the prose extractor like any other text
    facts = {f["indicator"]: f["value"] for f in extract_prose_facts(doc.text, 2021)}
    assert facts.get("apply.new") == 70


@needs_ocr
def test_scanned_pdf_is_read_by_ocr():
    doc = read_binary((FIXTURES / "pingtan-2021-scan.pdf").read_bytes(), "application/pdf")
    assert doc.source_format == "pdf_scan"
    assert "无收取信息处理费情况" in doc.text
    assert "行政复议" in doc.text
    assert any("OCR" in w for w in doc.warnings)


@needs_ocr
def test_blank_image_is_unreadable():
    from io import BytesIO

    from PIL import Image

    buf = BytesIO()
    Image.new("L", (200, 100), 255).save(buf, format="PNG")
    with pytest.raises(UnreadableDocument, match="no recognisable text"):
        read_binary(buf.getvalue())


def test_corrupt_png_is_unreadable(monkeypatch):
    monkeypatch.setattr(image_reader, "ocr_available", lambda: True)
    with pytest.raises(UnreadableDocument, match="corrupt image"):
        read_binary(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50)
