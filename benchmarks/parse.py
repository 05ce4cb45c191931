"""Parser throughput: real fixtures and a generated corpus, next to lxml-only and pandas.read_html.

    python benchmarks/parse.py            # 10,000 generated reports
    python benchmarks/parse.py --quick    # 500 generated reports (under a minute)

The last line is machine-readable:
    parse: reports_per_s=<n> lxml_floor_ratio=<ours / lxml-only> read_html_ratio=<ours / pandas.read_html>

    python benchmarks/parse.py --insn     # the same ratio in instructions (cachegrind; about 70 s)

counts the instructions of one pass over the same corpus (real fixtures + 500 generated reports) instead of
timing it, which does not drift with the host's load the way wall time does on a shared VM (the same code
measured lxml_floor_ratio 3.08 and 4.14 on one host hours apart). Needs valgrind. Its last line:
    parse_insn: ours_ginsn=<n> lxml_ginsn=<n> insn_ratio=<ours / lxml-only>
All three are timed in the same run over the same bytes (every real HTML fixture + the seed text +
the generated corpus), best of several interleaved passes. Before it, a `fixtures:` line times the whole
per-document step (pipeline.process.process_document) over every real fixture in every form (archive
text, markdown, PDF, DOCX, DOC, XLS; scans and images too unless --quick), cold then warm in a fresh
process. lxml and read_html cannot read those forms, so they are not in the ratios. Before that, a `pdf:` line
times the same step over every PDF fixture and the demo portal's attachment PDFs with the PDFium-first PDF
reader and with the reader forced onto pdfplumber, and counts the documents whose facts agree:
    pdf: docs=<n> pdfplumber_s=<n> pdfium_s=<n> speedup=<pdfplumber / pdfium> same_facts=<n>/<n>
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import random
import re
import shutil
import subprocess
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import lxml.html  # noqa: E402

from pipeline.parse import parse_document  # noqa: E402

APPS = 7
T3_ROWS_G3 = [
    ("一、本年新收政府信息公开申请数量", None),
    ("二、上年结转政府信息公开申请数量", None),
    ("（一）予以公开", "三、本年度办理结果"),
    ("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "三、本年度办理结果"),
    *[(f"{i}.{x}", "（三）不予公开") for i, x in enumerate(
        ["属于国家秘密", "其他法律行政法规禁止公开", "危及“三安全一稳定”", "保护第三方合法权益", "属于三类内部事务信息",
         "属于四类过程性信息", "属于行政执法案卷", "属于行政查询事项"], 1)],
    *[(f"{i}.{x}", "（四）无法提供") for i, x in enumerate(
        ["本机关不掌握相关政府信息", "没有现成信息需要另行制作", "补正后申请内容仍不明确"], 1)],
    *[(f"{i}.{x}", "（五）不予处理") for i, x in enumerate(
        ["信访举报投诉类申请", "重复申请", "要求提供公开出版物", "无正当理由大量反复申请", "要求行政机关确认或重新出具已获取信息"], 1)],
    ("1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", "（六）其他处理"),
    ("2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "（六）其他处理"),
    ("3.其他", "（六）其他处理"),
    ("（七）总计", "三、本年度办理结果"),
    ("四、结转下年度继续办理", None),
]
T3_ROWS_G2 = [r for r in T3_ROWS_G3 if r[1] != "（六）其他处理"]
T3_ROWS_G2.insert(-2, ("（六）其他处理", "三、本年度办理结果"))
CHROME = "".join(f"<li class='nav-item'><a href='/col/col{i}/index.html' title='栏目{i}' target='_blank'>栏目{i}</a></li>"
                 for i in range(300))
FOOTER = "<div class='footer'>" + "".join(f"<a href='http://site{i}.gov.cn/'>链接单位{i}</a>" for i in range(80)) + "</div>"
WORD_P = ("<p class=MsoNormal align=center style='text-align:center;line-height:15.0pt;mso-line-height-rule:exactly'>"
          "<span style='font-family:宋体;mso-ascii-font-family:Calibri;font-size:10.5pt;mso-font-kerning:0pt'>{}</span></p>")
TRAD = str.maketrans("政府信息开务处理结报总计数项规范强制执收费金额决议诉讼维纠审结单位万", "政府信息開務處理結報總計數項規範強製執收費金額決議訴訟維糾審結單位萬")


def _cell(v: int | str, rng: random.Random, fullwidth: bool) -> str:
    s = str(v)
    if fullwidth:
        s = s.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    if s == "0" and rng.random() < 0.05:
        s = "&nbsp;"
    return "<td width=57 style='width:42.5pt;border:solid windowtext 1.0pt;padding:0cm 5.4pt'>" + WORD_P.format(s) + "</td>"


def make_report(i: int, rng: random.Random) -> bytes:
    """One synthetic g2/g3 HTML report with random layout traits (spans, nesting, blanks, variants)."""
    gen = "g3" if rng.random() < 0.7 else "g2"
    year = 2021 + rng.randrange(4) if gen == "g3" else 2019 + rng.randrange(2)
    agency = f"示例县第{i}镇人民政府"
    trad = rng.random() < 0.05
    fullwidth = rng.random() < 0.1
    blank_total = rng.random() < 0.1
    rows = T3_ROWS_G3 if gen == "g3" else T3_ROWS_G2
    body = []
    new = [rng.randrange(40), rng.randrange(4), 0, rng.randrange(2), 0, rng.randrange(3)]
    for label, parent in rows:
        vals = [rng.randrange(5) for _ in range(6)] if "总计" not in label else new
        if label.startswith("一、"):
            vals = new
        total = "" if blank_total else sum(vals)
        left = f"<td colspan='3'>{label}</td>" if parent is None else f"<td>{parent}</td><td colspan='2'>{label}</td>"
        body.append("<tr>" + left + "".join(_cell(v, rng, fullwidth) for v in vals) + _cell(total, rng, fullwidth) + "</tr>")
    head = (
        "<tr><td rowspan='3' colspan='3'>（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）</td>"
        "<td colspan='7'>申请人情况</td></tr><tr><td rowspan='2'>自然人</td><td colspan='5'>法人或其他组织</td>"
        "<td rowspan='2'>总计</td></tr><tr><td>商业<br/>企业</td><td>科研<br/>机构</td><td>社会公益组织</td>"
        "<td>法律服务机构</td><td>其他</td></tr>"
    )
    t3 = f"<table border='1'>{head}{''.join(body)}</table>"
    if gen == "g3":
        t2 = (
            "<table><tr><td colspan='4'>第二十条第（一）项</td></tr><tr><td>信息内容</td><td>本年制发件数</td>"
            f"<td>本年废止件数</td><td>现行有效件数</td></tr><tr><td>规章</td><td>0</td><td>0</td><td>0</td></tr>"
            f"<tr><td>行政规范性文件</td><td>{rng.randrange(30)}</td><td>{rng.randrange(5)}</td><td>{rng.randrange(300)}</td></tr>"
            "<tr><td colspan='4'>第二十条第（五）项</td></tr><tr><td>信息内容</td><td colspan='3'>本年处理决定数量</td></tr>"
            f"<tr><td>行政许可</td><td colspan='3'>{rng.randrange(3000)}</td></tr>"
            "<tr><td colspan='4'>第二十条第（八）项</td></tr><tr><td>信息内容</td><td colspan='3'>本年收费金额（单位：万元）</td></tr>"
            f"<tr><td>行政事业性收费</td><td colspan='3'>{rng.randrange(10**6) / 100}</td></tr></table>"
        )
    else:
        t2 = (
            "<table><tr><td colspan='4'>第二十条第（一）项</td></tr><tr><td>信息内容</td><td>本年新制作数量</td>"
            "<td>本年新公开数量</td><td>对外公开总数量</td></tr><tr><td>规章</td><td>0</td><td>0</td><td>0</td></tr>"
            "<tr><td colspan='4'>第二十条第（九）项</td></tr><tr><td>信息内容</td><td>采购项目数量</td><td colspan='2'>采购总金额</td></tr>"
            f"<tr><td>政府集中采购</td><td>{rng.randrange(50)}</td><td colspan='2'>{rng.randrange(10**7)}元</td></tr></table>"
        )
    r = [rng.randrange(3) for _ in range(4)]
    d = [rng.randrange(2) for _ in range(4)]
    a = [0, 0, 0, 0]
    t4_vals = r + [sum(r)] + d + [sum(d)] + a + [0]
    t4 = (
        "<table><tr><td colspan='5'>行政复议</td><td colspan='10'>行政诉讼</td></tr><tr>"
        + "".join(f"<td rowspan='2'>{x}</td>" for x in ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计"))
        + "<td colspan='5'>未经复议直接起诉</td><td colspan='5'>复议后起诉</td></tr><tr>"
        + "".join(f"<td>{x}</td>" for x in ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计") * 2)
        + "</tr><tr>" + "".join(f"<td>{v}</td>" for v in t4_vals) + "</tr></table>"
    )
    if rng.random() < 0.2:
        t3 = f"<table class='layout'><tr><td><div>{t3}</div></td></tr></table>"
    title = f"{agency}{year}年政府信息公开工作年度报告"
    page = (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}_政府信息公开年报</title>"
        f"<meta name='ArticleTitle' content='{title}'><meta name='PubDate' content='{year + 1}-01-2{rng.randrange(10)}'>"
        f"<meta name='SiteIDCode' content='43080{rng.randrange(10**5):05d}'></head><body><ul class='nav'>{CHROME}</ul>"
        f"<div class='breadcrumb'><a>首页</a> > <a>政务公开</a> > <a>年报</a></div>"
        f"<h1>{title}</h1><p>本报告依据国办公开办函〔2021〕30号要求编制。一、总体情况</p>"
        + "<p>2022年，本机关认真贯彻落实《条例》，扎实推进政务公开工作。</p>" * 15
        + f"<p>二、主动公开政府信息情况</p>{t2}<p>三、收到和处理政府信息公开申请情况</p>{t3}"
        f"<p>四、政府信息公开行政复议、行政诉讼情况</p>{t4}<p>五、存在的主要问题及改进情况</p><p>无。</p>"
        f"<p>六、其他需要报告的事项</p><p>本年度未收取信息处理费。</p><div class='footer'>网站标识码：4308000001</div>"
        f"{FOOTER}</body></html>"
    )
    if trad:
        page = page.translate(TRAD)
    return page.encode("utf-8")


def corpus(n: int, seed: int = 7) -> list[bytes]:
    rng = random.Random(seed)
    return [make_report(i, rng) for i in range(n)]


FIXTURES = ROOT / "tests" / "fixtures"
OCR_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")


def real_fixtures() -> list[bytes]:
    """Every real HTML page (.htm and .html, dev and holdout) and the seed text: the corpus of the ratios."""
    pages = sorted(p for d in ("real", "real-holdout") for p in (FIXTURES / d).rglob("*")
                   if p.suffix in (".htm", ".html"))
    return [p.read_bytes() for p in pages] + [p.read_bytes() for p in sorted((FIXTURES / "seed").glob("*.txt"))]


def every_fixture(ocr: bool) -> list[Path]:
    """Every real fixture in every form (HTML, archive text, markdown, PDF, DOCX, DOC, XLS; scans and
    images when ``ocr``): what the per-document step meets."""
    out = []
    for d in ("real", "real-holdout", "seed", "office"):
        for p in sorted((FIXTURES / d).rglob("*")):
            if not p.is_file() or p.name == "SOURCES.md" or p.suffix == ".py":
                continue
            if not ocr and (p.suffix in OCR_SUFFIXES or "scan" in p.name):
                continue
            out.append(p)
    return out


def _step_pass(paths: list[str]) -> tuple[float, dict[str, float]]:
    """One pass of the whole per-document step (pipeline.process.process_document: parse, provenance,
    who/where) over the files; (total seconds, seconds per file suffix)."""
    from pipeline.process import process_document

    per: dict[str, float] = {}
    t0 = time.perf_counter()
    for name in paths:
        p = Path(name)
        data = p.read_bytes()
        t = time.perf_counter()
        process_document(data, {"url": f"http://fixtures.test/{p.parent.name}/{p.name}"})
        per[p.suffix] = per.get(p.suffix, 0.0) + time.perf_counter() - t
    return time.perf_counter() - t0, per


def _cold_and_warm(paths: list[str]) -> tuple[float, float, dict[str, float]]:
    """Run in a fresh process: the first pass is cold (no label, template, reader or OCR-model caches),
    the second warm."""
    warnings.simplefilter("ignore")
    cold, _ = _step_pass(paths)
    warm, per = _step_pass(paths)
    return cold, warm, per


def pdf_docs(quick: bool) -> list[tuple[str, bytes]]:
    """The PDFs of the pdf: line: every real PDF fixture (the scan only without --quick: OCR) and the demo
    portal's attachment PDFs (ruled tables as the demo serves them): one per generation and g0 form with
    --quick, every year 2012-2023 otherwise."""
    from nianbao.demo_portal.attachments import report_pdf
    from nianbao.demo_portal.content import generated_report

    docs = [(p.name, p.read_bytes()) for p in sorted(FIXTURES.rglob("*.pdf")) if not (quick and "scan" in p.name)]
    years = [(2012, 0), (2013, 1), (2016, 0), (2020, 0), (2022, 0)] if quick else [
        (y, s) for y in range(2012, 2024) for s in ((0, 1) if y <= 2013 else (0,))]
    agencies = ("演示市公安局", "演示县人民政府", "演示市教育局")
    for y, seed in years:
        docs.append((f"demo-{y}-{seed}.pdf", report_pdf(tuple(generated_report(agencies[y % 3], y, seed)))))
    return docs


def _pdf_engines(docs: list[tuple[str, bytes]], repeats: int) -> tuple[dict[str, float], int]:
    """The whole per-document step over the PDFs with the PDFium-first reader and with the reader forced
    onto pdfplumber (the reader before issue 12), best of ``repeats`` interleaved passes; and on how many
    documents both give the same facts (indicator, applicant, value)."""
    from pipeline.process import process_document
    from pipeline.readers import pdf

    best = {"pdfplumber": float("inf"), "pdfium": float("inf")}
    facts: dict[str, list[set]] = {k: [] for k in best}
    engine = pdf.ENGINE
    try:
        for rep in range(repeats):
            for name in best:
                pdf.ENGINE = name
                t0 = time.perf_counter()
                out = [process_document(data, {"url": f"http://fixtures.test/pdf/{n}"}) for n, data in docs]
                best[name] = min(best[name], time.perf_counter() - t0)
                if rep == 0:
                    facts[name] = [{(f["table_id"], f["indicator"], f.get("applicant_type"), str(f["value"]))
                                    for f in r["facts"]} for r in out]
    finally:
        pdf.ENGINE = engine
    same = sum(a == b for a, b in zip(facts["pdfplumber"], facts["pdfium"], strict=True))
    return best, same


def _time(fns: dict, docs: list[bytes], repeats: int) -> dict[str, float]:
    """Best of `repeats` interleaved passes per method: the machine is shared, the minimum is the signal."""
    best = {k: float("inf") for k in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            for d in docs:
                fn(d)
            best[name] = min(best[name], time.perf_counter() - t0)
    return best


def _lxml_only(data: bytes) -> None:
    lxml.html.document_fromstring(data)


def _read_html(data: bytes) -> None:
    import pandas as pd

    try:
        pd.read_html(io.StringIO(data.decode("utf-8", "replace")), flavor="lxml")
    except ValueError:  # no <table>: read_html's way of saying so
        pass


def _passes(which: str, passes: int, n: int) -> None:
    """Run under cachegrind by insn_ratio: warm-up, then ``passes`` passes of ``which`` over the corpus."""
    warnings.simplefilter("ignore")
    docs = real_fixtures() + corpus(n)
    for d in docs[:3]:
        parse_document(d)
    fn = parse_document if which == "ours" else _lxml_only
    for _ in range(passes):
        for d in docs:
            fn(d)


def _instructions(which: str, passes: int, n: int) -> int:
    cmd = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
           sys.executable, str(Path(__file__).resolve()), "--passes", which, str(passes), "-n", str(n)]
    # One hash seed for every run: set and dict orders (and so the work) otherwise differ by ~1 % per run.
    out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    m = re.search(r"I\s+refs:\s+([\d,]+)", out.stderr)
    if out.returncode or not m:
        raise RuntimeError(f"cachegrind run failed ({which}, {passes} passes): {out.stderr.strip()[-300:]}")
    return int(m.group(1).replace(",", ""))


def insn_ratio(n: int) -> tuple[float, float]:
    """(G instructions of one pass of parse_document, of lxml.html.document_fromstring): a run with one pass
    minus a run with none, so interpreter start, imports and warm-up cancel out; two runs at a time."""
    jobs = [(which, passes) for which in ("ours", "lxml") for passes in (0, 1)]
    with ThreadPoolExecutor(2) as pool:
        counts = dict(zip(jobs, pool.map(lambda job: _instructions(*job, n), jobs), strict=True))
    return ((counts["ours", 1] - counts["ours", 0]) / 1e9, (counts["lxml", 1] - counts["lxml", 0]) / 1e9)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="500 generated reports instead of 10,000")
    ap.add_argument("-n", type=int, default=None, help="generated corpus size")
    ap.add_argument("--insn", action="store_true", help="the lxml floor ratio in instructions (valgrind)")
    ap.add_argument("--passes", nargs=2, metavar=("WHICH", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    n = args.n or (500 if args.quick or args.insn or args.passes else 10_000)
    if args.passes:
        _passes(args.passes[0], int(args.passes[1]), n)
        return 0
    if args.insn:
        if shutil.which("valgrind") is None:
            print("parse.py --insn needs valgrind: apt-get install valgrind", file=sys.stderr)
            return 2
        ours, floor = insn_ratio(n)
        print(f"parse_insn: ours_ginsn={ours:.2f} lxml_ginsn={floor:.2f} insn_ratio={ours / floor:.2f}")
        return 0
    warnings.simplefilter("ignore")
    real = real_fixtures()
    gen = corpus(n)
    for d in real[:1] + gen[:1]:  # warm caches (templates, label keys, OpenCC tables)
        parse_document(d)
    rows = []
    totals = {"ours": 0.0, "lxml": 0.0, "read_html": 0.0}
    fns = {"ours": parse_document, "lxml": _lxml_only, "read_html": _read_html}
    # Best of several interleaved passes: on a shared host the wall time of the same code drifts by ±10 %
    # over minutes, so the small corpus gets more passes (the whole --quick run stays under a minute).
    for name, docs, reps in (("real fixtures", real, 5), (f"generated ({n})", gen, 5 if n <= 1000 else 2)):
        t = _time(fns, docs, reps)
        ours, floor, naive = t["ours"], t["lxml"], t["read_html"]
        totals["ours"] += ours
        totals["lxml"] += floor
        totals["read_html"] += naive
        rows.append((name, len(docs), ours, floor, naive))
    print(f"{'corpus':22} {'docs':>6} {'ours s':>8} {'lxml s':>8} {'read_html s':>12} {'docs/s':>8} {'×lxml':>6} {'×read_html':>10}")
    for name, k, ours, floor, naive in rows:
        print(f"{name:22} {k:6d} {ours:8.2f} {floor:8.2f} {naive:12.2f} {k / ours:8.1f} {ours / floor:6.2f} {ours / naive:10.2f}")
    total_docs = sum(r[1] for r in rows)
    paths = every_fixture(ocr=not args.quick)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        cold, warm, per = pool.apply(_cold_and_warm, ([str(p) for p in paths],))
    counts: dict[str, int] = {}
    for p in paths:
        counts[p.suffix] = counts.get(p.suffix, 0) + 1
    print("every real fixture, whole per-document step (process_document), fresh process:")
    for suffix in sorted(per, key=per.get, reverse=True):
        print(f"  {suffix or '(none)':10} {counts[suffix]:4d} docs  warm {per[suffix]:7.2f} s  "
              f"{per[suffix] / counts[suffix] * 1000:8.1f} ms/doc")
    pdfs = pdf_docs(args.quick)
    _pdf_engines(pdfs[:1], 1)  # warm: label/template caches and both readers' imports
    pdf_t, same = _pdf_engines(pdfs, 2)
    print(f"pdf: docs={len(pdfs)} pdfplumber_s={pdf_t['pdfplumber']:.2f} pdfium_s={pdf_t['pdfium']:.2f} "
          f"speedup={pdf_t['pdfplumber'] / pdf_t['pdfium']:.2f} same_facts={same}/{len(pdfs)}")
    print(f"fixtures: docs={len(paths)} cold_s={cold:.2f} warm_s={warm:.2f} warm_docs_per_s={len(paths) / warm:.1f}"
          f" ocr={'no (--quick)' if args.quick else 'yes'}")
    print(
        f"parse: reports_per_s={total_docs / totals['ours']:.1f} "
        f"lxml_floor_ratio={totals['ours'] / totals['lxml']:.2f} "
        f"read_html_ratio={totals['ours'] / totals['read_html']:.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
