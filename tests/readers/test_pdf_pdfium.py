"""The PDFium-first PDF reader gives the facts the pdfplumber reader gave, without pdfminer for the pages
PDFium suffices for (issue 12 item 4).

The reference is the same reader forced onto pdfplumber (``pdf.ENGINE = "pdfplumber"``): every page
through pdfminer, PDFium only for garbled pages — the reader before the change.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import nianbao.demo_portal.attachments as attachments
from nianbao.demo_portal.content import generated_report
from pipeline.parse import parse_document
from pipeline.readers import pdf
from pipeline.readers.office import UnreadableDocument
from tests.hostile.corpus import encrypted_pdf

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "office"


def demo_pdf(year: int, seed: int = 0, phantom: bool = False) -> bytes:
    """A demo-portal attachment PDF (ruled tables, UniGB-UCS2-H text); ``phantom`` keeps the real 2021
    layout's phantom column under 商业企业 (merged value cells)."""
    blocks = tuple(generated_report("演示市公安局", year, seed))
    if not phantom:
        return attachments.report_pdf(blocks)
    keep = attachments._without_phantom_columns
    attachments._without_phantom_columns = lambda cells: cells
    try:
        return attachments.report_pdf.__wrapped__(blocks)
    finally:
        attachments._without_phantom_columns = keep


DOCS = {
    "pingtan-2021.pdf": lambda: (FIXTURES / "pingtan-2021.pdf").read_bytes(),
    "demo-g0-2012.pdf": lambda: demo_pdf(2012, 1),
    "demo-g1-2016.pdf": lambda: demo_pdf(2016),
    "demo-g2-2020.pdf": lambda: demo_pdf(2020),
    "demo-g3-2022-phantom.pdf": lambda: demo_pdf(2022, phantom=True),
}


def facts_and_tables(data: bytes, name: str, engine: str, monkeypatch) -> tuple[list, list, dict]:
    monkeypatch.setattr(pdf, "ENGINE", engine)
    result = parse_document(data, filename=name)
    facts = sorted((f["table_id"], f["indicator"], str(f.get("applicant_type")), str(f["value"]))
                   for f in result.facts)
    doc = pdf.read_pdf(data)
    report = {k: result.report.get(k) for k in ("parse_status", "agency_name", "report_year", "template_generation")}
    return facts, [(t.rows, t.ids, t.origin) for t in doc.tables], report


@pytest.mark.parametrize("name", sorted(DOCS))
def test_pdfium_path_gives_the_pdfplumber_facts_and_grids(name, monkeypatch):
    data = DOCS[name]()
    ref_facts, ref_tables, ref_report = facts_and_tables(data, name, "pdfplumber", monkeypatch)
    calls = []
    real = pdf._read_pdfplumber
    monkeypatch.setattr(pdf, "_read_pdfplumber", lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    facts, tables, report = facts_and_tables(data, name, "pdfium", monkeypatch)
    assert calls == []  # every page of these files was read without pdfminer
    assert ref_report["parse_status"] == "ok" and len(ref_facts) > 10
    assert report == ref_report
    assert facts == ref_facts
    assert tables == ref_tables  # the same grids, merged-cell ids and origins


def _pdf(page_ops: bytes, rotate: int = 0, text_matrix: str = "1 0 0 1") -> bytes:
    """A one-page PDF whose ruled 3×3 table (and its text) sits in a form XObject placed by two nested
    matrices: PDFium's path coordinates must be composed as pdfminer's are."""
    rows = [["Item", "Count", "Total"], ["apply new", "12", "30"], ["apply old", "7", "18"]]
    ops = ["q 1 0 0 1 10 10 cm 0.5 w"]
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            x, y = c * 120, 200 - (r + 1) * 30
            ops += [f"{x} {y} 120 30 re S", f"BT /F1 10 Tf {text_matrix} {x + 4} {y + 10} Tm ({cell}) Tj ET"]
    form = "\n".join([*ops, "Q"]).encode()
    page = (b"BT /F1 12 Tf 72 760 Td (Annual report on government information disclosure) Tj ET\n"
            b"q 1 0 0 1 50 300 cm /Fm1 Do Q\n" + page_ops)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Rotate %d /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> /XObject << /Fm1 6 0 R >> >> >>" % rotate,
        b"<< /Length %d >>\nstream\n" % len(page) + page + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /XObject /Subtype /Form /BBox [0 0 400 300] /Matrix [1 0 0 1 5 -5] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Length %d >>\nstream\n" % len(form) + form + b"\nendstream",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@pytest.mark.parametrize(
    ("kwargs", "pdfplumber_pages"),
    [
        ({"page_ops": b""}, []),
        # a curve and a diagonal line (pdfminer: LTCurve / LTLine) next to the table
        ({"page_ops": b"100 100 m 150 150 200 100 250 100 c 300 100 l S 40 40 m 90 90 l S"}, []),
        ({"page_ops": b"", "text_matrix": "1 0 0 1.3"}, []),  # vertically stretched, still upright
        ({"page_ops": b"", "rotate": 90}, [[0]]),  # rotated page: pdfplumber's coordinates
        ({"page_ops": b"", "text_matrix": "0 1 -1 0"}, [[0]]),  # rotated characters: pdfminer's boxes
    ],
)
def test_form_xobjects_curves_and_the_pages_left_to_pdfplumber(kwargs, pdfplumber_pages, monkeypatch):
    data = _pdf(**kwargs)
    monkeypatch.setattr(pdf, "ENGINE", "pdfplumber")
    ref = pdf.read_pdf(data)
    calls = []
    real = pdf._read_pdfplumber
    monkeypatch.setattr(pdf, "_read_pdfplumber", lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    monkeypatch.setattr(pdf, "ENGINE", "pdfium")
    doc = pdf.read_pdf(data)
    assert calls == pdfplumber_pages
    assert [(t.rows, t.ids) for t in doc.tables] == [(t.rows, t.ids) for t in ref.tables]
    assert doc.text == ref.text and doc.meta == ref.meta and doc.warnings == ref.warnings
    assert len(doc.tables) == 1 and len(doc.tables[0].rows) == 3


def test_unopenable_pdfs_keep_their_messages(monkeypatch):
    monkeypatch.setattr(pdf, "ENGINE", "pdfium")
    with pytest.raises(UnreadableDocument, match="^encrypted PDF: a password is needed to open it$"):
        pdf.read_pdf(encrypted_pdf())
    with pytest.raises(UnreadableDocument, match="^corrupt PDF: "):
        pdf.read_pdf(b"%PDF-1.4\n" + b"\x00" * 200)
