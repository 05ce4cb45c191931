"""Random mutations of real reports never crash the parser and always give a well-formed result."""

from __future__ import annotations

import json
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.parse import parse_document

FIX = Path(__file__).resolve().parents[1] / "fixtures"
# The table part of each page keeps examples small and the mutations where they matter.
_PAGES = []
for p in sorted((FIX / "real").rglob("*.htm")):
    html = p.read_text(encoding="utf-8")
    i = html.find("<table")
    j = html.rfind("</table>")
    _PAGES.append(html[max(0, i - 2000): j + 2000] if i >= 0 else html[:20000])
_SEED = (FIX / "seed/yongding-2018.txt").read_text(encoding="utf-8")
_FW = str.maketrans("0123456789()|:", "０１２３４５６７８９（）｜：")
_HW = str.maketrans("０１２３４５６７８９（）｜：", "0123456789()|:")
STATUSES = {"ok", "no_tables", "not_a_report", "unreadable"}
FACT_STATUSES = {"reported", "blank", "dash", "text", "derived", "imputed_zero"}


def _mutate(doc: str, ops: list[tuple[int, int, int]]) -> str:
    for op, a, b in ops:
        n = len(doc)
        if n == 0:
            break
        i, j = sorted((a % n, b % n))
        if op == 0:  # drop a cell
            k = doc.find("<td", i)
            e = doc.find("</td>", k)
            if k >= 0 and e >= 0:
                doc = doc[:k] + doc[e + 5:]
        elif op == 1:  # shuffle whitespace
            doc = doc[:i] + re.sub(r"\s+", lambda m, a=a, b=b: " \n\t"[(a + len(m.group())) % 3] * (b % 3 + 1), doc[i:j]) + doc[j:]
        elif op == 2:  # full-width digits and punctuation
            doc = doc[:i] + doc[i:j].translate(_FW) + doc[j:]
        elif op == 3:  # back to half-width
            doc = doc[:i] + doc[i:j].translate(_HW) + doc[j:]
        elif op == 4:  # extra nested tags
            doc = doc[:i] + "<div><span><table><tr><td>" + doc[i:j] + "</td></tr></table></span></div>" + doc[j:]
        elif op == 5:  # truncate
            doc = doc[:j]
        elif op == 6:  # delete a slice
            doc = doc[:i] + doc[j: j + (b % 200)] + doc[j + (b % 200):]
        elif op == 7:  # odd spans
            doc = doc.replace("<td", f"<td rowspan='{a % 9999}' colspan='{b % 70}'", 1 + a % 3)
        elif op == 8:  # dashes into values
            doc = re.sub(r">(\d+)<", lambda m, a=a: ">" + "—-/"[(a + len(m.group(1))) % 3] + "<", doc, count=1 + b % 5)
    return doc


def _well_formed(res) -> None:
    out = res.to_json()
    json.dumps(out, ensure_ascii=False)
    r = out["report"]
    assert r["parse_status"] in STATUSES
    if r["parse_status"] != "ok":
        assert r["parse_reason"]
    # parse_document turns internal exceptions into rows; a fuzz case must not need that safety net.
    assert not (r["parse_reason"] or "").startswith("parser error"), r["parse_reason"]
    assert r["n_facts"] == len(out["facts"])
    keys = set()
    for f in out["facts"]:
        assert f["value_status"] in FACT_STATUSES
        assert f["value"] is None or isinstance(f["value"], float)
        k = (f["indicator"], f["applicant_type"])
        assert k not in keys
        keys.add(k)
    for c in out["checks"]:
        assert c["status"] in ("passed", "failed", "skipped")


ops = st.lists(st.tuples(st.integers(0, 8), st.integers(0, 10**6), st.integers(0, 10**6)), max_size=8)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(page=st.integers(0, len(_PAGES) - 1), ops=ops)
def test_mutated_html_never_crashes(page: int, ops: list[tuple[int, int, int]]) -> None:
    doc = _mutate(_PAGES[page], ops)
    _well_formed(parse_document(doc.encode("utf-8"), filename="x.htm"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=ops)
def test_mutated_flat_text_never_crashes(ops: list[tuple[int, int, int]]) -> None:
    doc = _mutate(_SEED, ops)
    _well_formed(parse_document(doc.encode("utf-8"), filename="x.txt"))


@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=2000))
def test_random_bytes_never_crash(data: bytes) -> None:
    _well_formed(parse_document(data))


def test_parser_errors_are_reported_as_rows(monkeypatch) -> None:
    import pipeline.parse as mod

    def boom(*_a, **_k):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(mod, "classify", boom)
    res = parse_document((FIX / "real/pingtan/t20220208_80613.htm").read_bytes())
    assert res.report["parse_status"] == "unreadable" and "kaboom" in res.report["parse_reason"]
