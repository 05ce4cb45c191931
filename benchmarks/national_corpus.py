"""A generated national report year, built from the parse results of the real fixtures, with its truth.

    python benchmarks/national_corpus.py --reports 150000 --year 2023 --out /tmp/national

Templates are the real documents under ``tests/fixtures/real``, ``tests/fixtures/real-holdout`` and the
office renderings of 平潭 2021 (DOCX, XLS, XLSX, text PDF, a DOC the parser cannot read), parsed once with
``pipeline.process.process_document`` (cached per parser version). A report of year Y is a clone of a
template of the generation Y uses (``MIX``: most agencies on the current format, some late on the old
one, a few with no readable tables), with:

- an agency of a real county-level division valid in Y (``pipeline.dictionaries.regions_table``) and an
  organ from ``ORGANS``, so who/where resolution at publish time has real work to do;
- every count and money figure multiplied by one integer per report, which keeps every arithmetic
  identity of the tables (they are sums) and so every check's outcome;
- its own URL, content hash and publication date.

The corpus is streamed: results are produced one by one and written in batches (``write_parsed_store``:
today's publish input, the crawl manifest plus ``pipeline.parsed_store``), with the truth as Parquet
(``truth-<shard>.parquet``: one row per generated document with what publishing must make of it). Memory does not
grow with the number of reports.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
TEMPLATE_GLOBS = ("real/*/t*.*", "real/shanghai/*.html", "real-holdout/*/t*.*")
# Office renderings of a real report; the scanned PDF and the PNG are left out (OCR: minutes to template).
OFFICE = ("pingtan-2021.docx", "pingtan-2021.pdf", "pingtan-2021-tables.xls", "pingtan-2021-tables.xlsx",
          "pingtan-2021.doc")
MEDIA = {".htm": "text/html", ".html": "text/html", ".txt": "text/plain", ".pdf": "application/pdf",
         ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         ".doc": "application/msword", ".xls": "application/vnd.ms-excel",
         ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
# Share of a year's reports per generation printed (the format of the year, late adopters of the old
# one) and of documents with no readable tables: data, not code.
MIX = {
    "g3": {"g3": 0.90, "g2": 0.07, "unreadable": 0.03},  # report years 2021 onwards
    "g2": {"g2": 0.93, "g0": 0.04, "unreadable": 0.03},  # 2019–2020
    "g0": {"g0": 0.97, "unreadable": 0.03},  # 2008–2018 (no real g1 fixture yet: g0 stands in)
}
ORGANS = ("人民政府", "人民政府办公室", "发展和改革局", "教育局", "科学技术局", "工业和信息化局", "民族宗教事务局", "公安局",
          "民政局", "司法局", "财政局", "人力资源和社会保障局", "自然资源局", "生态环境局", "住房和城乡建设局",
          "交通运输局", "水利局", "农业农村局", "商务局", "文化和旅游局", "卫生健康委员会", "退役军人事务局",
          "应急管理局", "审计局", "国有资产监督管理委员会", "市场监督管理局", "体育局", "统计局", "医疗保障局",
          "林业局", "信访局", "城市管理局", "行政审批局", "数据资源管理局", "机关事务管理局", "人民防空办公室",
          "地方金融监督管理局", "粮食和物资储备局", "乡村振兴局", "档案局", "地震局", "气象局", "供销合作社联合社",
          "住房公积金管理中心", "投资促进局", "外事办公室", "港口管理局", "园林局", "水务局", "民防局", "税务局",
          "消防救援大队", "交通运输综合行政执法大队", "公共资源交易中心", "政务服务中心", "残疾人联合会",
          "红十字会", "妇女联合会", "总工会", "科学技术协会", "文学艺术界联合会", "工商业联合会", "经济开发区管理委员会",
          "高新技术产业开发区管理委员会")
SCALED_UNITS = frozenset({"count", "signed_count", "cny", "cny_10k"})
TRUTH_SCHEMA = pa.schema([
    ("source_url", pa.string()), ("report_year", pa.int16()), ("agency_name", pa.string()),
    ("region_code", pa.string()), ("province", pa.string()), ("template", pa.string()),
    ("template_generation", pa.string()), ("source_format", pa.string()), ("parse_status", pa.string()),
    ("scale", pa.int32()), ("n_facts", pa.int32()), ("apply_new_total", pa.float64()),
])


def year_era(year: int) -> str:
    return "g3" if year >= 2021 else "g2" if year >= 2019 else "g0"


@dataclass(frozen=True)
class Template:
    name: str
    generation: str  # template_generation, or "unreadable"
    result: dict


def _template_files() -> list[Path]:
    files = sorted({p for g in TEMPLATE_GLOBS for p in FIXTURES.glob(g) if p.suffix in MEDIA})
    return files + [FIXTURES / "office" / name for name in OFFICE if (FIXTURES / "office" / name).exists()]


def load_templates(cache_dir: Path) -> list[Template]:
    """Parse every real template document once per parser version (cached as JSON in ``cache_dir``)."""
    from pipeline.process import process_document
    from pipeline.version import parser_version

    cache = Path(cache_dir) / f"templates-{parser_version()}.json"
    if cache.exists():
        raw = json.loads(cache.read_text(encoding="utf-8"))
    else:
        raw = {}
        for path in _template_files():
            name = str(path.relative_to(FIXTURES))
            row = {"url": f"http://fixture.invalid/{name}", "portal_id": "fixture", "sha256": "0" * 64,
                   "kind": "report", "content_type": MEDIA[path.suffix]}
            raw[name] = process_document(path.read_bytes(), row, None, None, enrich=False)
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(raw, ensure_ascii=False, default=str), encoding="utf-8")
    out = []
    for name, res in sorted(raw.items()):
        rep = res["report"]
        if rep.get("parse_status") == "ok" and rep.get("template_generation") in ("g0", "g1", "g2", "g3"):
            out.append(Template(name, rep["template_generation"], res))
        elif rep.get("parse_status") in ("unreadable", "no_tables"):
            out.append(Template(name, "unreadable", res))
    return out


def _divisions(year: int) -> list[tuple[str, str, str]]:
    """(code, name with its prefecture, province) of every county- and prefecture-level division valid in
    ``year`` and the year before (agency ``i`` is the same agency in both)."""
    from pipeline.dictionaries import regions_table

    t = regions_table().to_pandas()
    t = t[t.level.isin(["county", "prefectural"]) & (t.valid_from <= year - 1) & (t.valid_to >= year)]
    out = []
    for code, name, level, prefecture, province in zip(t.code, t.name, t.level, t.prefecture.fillna(""), t.province,
                                                         strict=True):
        full = name if level != "county" or name.startswith(prefecture) else f"{prefecture}{name}"
        out.append((code, full, province))
    return sorted(out)


def agency_of(i: int, divisions: list[tuple[str, str, str]], seed: int) -> tuple[str, str, str]:
    """(division code, agency name, province) of agency ``i``: a bijection of ``range(capacity)`` onto
    division × organ, so no two generated agencies collide (a collision would be deduplicated)."""
    capacity = len(divisions) * len(ORGANS)
    if i >= capacity:
        raise ValueError(f"at most {capacity} distinct agencies per year ({len(divisions)} divisions × {len(ORGANS)} organs)")
    step = 7919 + seed * 2
    while math.gcd(step, capacity) != 1:
        step += 1
    j = (i * step + seed) % capacity
    code, name, province = divisions[j % len(divisions)]
    return code, f"{name}{ORGANS[j // len(divisions)]}", province


def _scale_fact(fact: dict, k: int, sha: str, url: str) -> dict:
    fact = {**fact, "content_sha256": sha, "source_url": url}
    if k != 1 and fact.get("unit") in SCALED_UNITS and isinstance(fact.get("value"), (int, float)):
        fact["value"] = fact["value"] * k
        fact["value_raw"] = f"{fact['value']:g}"
    return fact


def _scale_check(check: dict, k: int) -> dict:
    check = dict(check)
    for key in ("expected", "observed"):
        if isinstance(check.get(key), (int, float)) and not isinstance(check.get(key), bool):
            check[key] = check[key] * k
    return check


@dataclass(frozen=True)
class _Doc:
    """One generated report before its rows are made: its template, scale, manifest row, report record and
    the truth columns that do not depend on the rows."""

    tpl: Template
    k: int
    row: dict
    report: dict
    truth: dict


def _docs(year: int, n_reports: int, templates: list[Template], seed: int, start: int,
          agency_year: int | None) -> Iterator[_Doc]:
    by_gen: dict[str, list[Template]] = {}
    for tpl in templates:
        by_gen.setdefault(tpl.generation, []).append(tpl)
    mix = {g: share for g, share in MIX[year_era(year)].items() if by_gen.get(g)}
    gens, weights = list(mix), list(mix.values())
    divisions = _divisions(agency_year or year)
    publish_start = date(year + 1, 1, 10)
    for i in range(start, start + n_reports):
        code, agency, province = agency_of(i, divisions, seed)
        rng = random.Random(f"{seed}:{year}:{i}")
        gen = rng.choices(gens, weights)[0]
        tpl = rng.choice(by_gen[gen])
        k = rng.randint(1, 40)
        url = f"http://gk{int(code):06d}.gov.cn/zfxxgk/ndbg/{year}/report-{i}{Path(tpl.name).suffix}"
        sha = hashlib.sha256(f"{url}|{k}".encode()).hexdigest()
        published = (publish_start + timedelta(days=rng.randrange(80))).isoformat()
        title = f"{agency}{year}年政府信息公开工作年度报告"
        rep = {**tpl.result["report"], "title": title, "agency_name": agency, "report_year": year,
               "publish_date": published, "source_url": url, "source_site": url.split("/")[2],
               "portal_id": f"portal-{code}", "content_sha256": sha, "raw_path": f"raw/{sha[:2]}/{sha}",
               "fetched_at": f"{publish_start.isoformat()}T00:00:00Z", "kind": "report", "parent_url": None,
               "site_domain": url.split("/")[2]}
        row = {"url": url, "portal_id": rep["portal_id"], "fetched_at": rep["fetched_at"], "outcome": "stored",
               "kind": "report", "status": 200, "content_type": MEDIA[Path(tpl.name).suffix], "sha256": sha,
               "raw_path": rep["raw_path"], "title": title, "publish_date": published}
        truth = {"source_url": url, "report_year": year, "agency_name": agency, "region_code": code,
                 "province": province, "template": tpl.name, "template_generation": rep.get("template_generation"),
                 "source_format": rep.get("source_format"), "parse_status": rep.get("parse_status"), "scale": k,
                 "n_facts": len(tpl.result["facts"])}
        yield _Doc(tpl, k, row, rep, truth)


def generate(year: int, n_reports: int, templates: list[Template], seed: int = 2023, start: int = 0,
             agency_year: int | None = None) -> Iterator[tuple[dict, dict, dict]]:
    """(manifest row, parse result, truth row) for ``n_reports`` documents of one report year: the
    reference (dicts); ``write_parsed_store`` makes the same rows as Arrow columns (``_Columns``).

    Agency ``i`` is the same agency in every year generated with the same ``agency_year`` (the latest
    year of the corpus: its divisions) and seed, so year Y and Y-1 exercise the cross-year identities."""
    for d in _docs(year, n_reports, templates, seed, start, agency_year):
        sha, url = d.row["sha256"], d.row["url"]
        facts = [_scale_fact(f, d.k, sha, url) for f in d.tpl.result["facts"]]
        checks = [_scale_check(c, d.k) for c in d.tpl.result["checks"]]
        apply_new = sum(f["value"] for f in facts if f.get("indicator") == "apply.new"
                        and f.get("applicant_type") in ("total", "na") and f.get("value") is not None)
        yield d.row, {"report": d.report, "facts": facts, "checks": checks}, {**d.truth, "apply_new_total": float(apply_new)}


class _Columns:
    """The facts and checks of generated reports made as Arrow columns: each template's rows converted once
    (``pipeline.parsed_store`` row tables), then per batch concatenated, re-keyed (url, source_url,
    content_sha256) and scaled with vector arithmetic — the rows ``generate`` makes, without a dict per fact."""

    def __init__(self, templates: list[Template]) -> None:
        from pipeline.parsed_store import ROW_COLUMNS, _rows_table

        self.facts: dict[str, pa.Table] = {}
        self.checks: dict[str, pa.Table] = {}
        self.scaled: dict[str, np.ndarray] = {}  # per fact of the template: its value is scaled
        self.apply_new: dict[str, tuple[float, float]] = {}  # (scaled, unscaled) sums of apply.new totals
        self.raw_bit = 1 << [n for n, _ in ROW_COLUMNS["facts"]].index("value_raw")
        for tpl in templates:
            facts = tpl.result["facts"]
            if any(isinstance(f.get("value"), bool) for f in facts):
                raise ValueError(f"template {tpl.name}: a boolean fact value (generate would scale it as a number)")
            self.facts[tpl.name] = _rows_table("facts", [("", [_scale_fact(f, 1, "", "") for f in facts])])
            self.checks[tpl.name] = _rows_table("checks", [("", tpl.result["checks"])])
            scaled = [f.get("unit") in SCALED_UNITS and isinstance(f.get("value"), (int, float)) for f in facts]
            self.scaled[tpl.name] = np.array(scaled, dtype=bool)
            totals = [(s, f["value"]) for f, s in zip(facts, scaled, strict=True) if f.get("indicator") == "apply.new"
                      and f.get("applicant_type") in ("total", "na") and f.get("value") is not None]
            self.apply_new[tpl.name] = (sum(v for s, v in totals if s), sum(v for s, v in totals if not s))

    def truth(self, doc: _Doc) -> dict:
        scaled, unscaled = self.apply_new[doc.tpl.name]
        return {**doc.truth, "apply_new_total": float(scaled * doc.k + unscaled)}

    def rows(self, docs: list[_Doc]) -> dict[str, pa.Table]:
        urls = pa.array([d.row["url"] for d in docs], pa.string())
        ks = np.array([d.k for d in docs], dtype=np.float64)
        out = {}
        for table, tables in (("facts", self.facts), ("checks", self.checks)):
            rows = pa.concat_tables([tables[d.tpl.name] for d in docs]).combine_chunks()
            owner = np.repeat(np.arange(len(docs)), [tables[d.tpl.name].num_rows for d in docs])
            k = ks[owner]
            rows = rows.set_column(0, "url", urls.take(pa.array(owner)))
            if table == "facts":
                for name in ("source_url", "content_sha256"):
                    column = urls if name == "source_url" else pa.array([d.row["sha256"] for d in docs], pa.string())
                    rows = rows.set_column(rows.schema.get_field_index(name), name, column.take(pa.array(owner)))
                scale = np.concatenate([self.scaled[d.tpl.name] for d in docs]) & (k != 1)
                value = rows["value"].to_numpy(zero_copy_only=False)
                value = np.where(scale, value * k, value)
                rows = rows.set_column(rows.schema.get_field_index("value"), "value",
                                       pa.array(value, pa.float64(), mask=rows["value"].is_null().to_numpy(
                                           zero_copy_only=False)))
                raw = np.array(rows["value_raw"].to_pylist(), dtype=object)
                raw[scale] = [f"{v:g}" for v in value[scale].tolist()]
                rows = rows.set_column(rows.schema.get_field_index("value_raw"), "value_raw", pa.array(raw, pa.string()))
                absent = rows["_absent"].to_numpy(zero_copy_only=False)
                rows = rows.set_column(rows.schema.get_field_index("_absent"), "_absent",
                                       pa.array(np.where(scale, absent & ~self.raw_bit, absent), pa.int64()))
            else:
                for name in ("expected", "observed"):
                    column = rows[name]
                    rows = rows.set_column(rows.schema.get_field_index(name), name,
                                           pa.array(column.to_numpy(zero_copy_only=False) * k, pa.float64(),
                                                    mask=column.is_null().to_numpy(zero_copy_only=False)))
            out[table] = rows
        return out


def write_parsed_store(data_dir: Path, years: dict[int, int], templates: list[Template], seed: int = 2023,
                       batch: int = 500, workers: int = 2) -> dict:
    """Write the corpus as the pipeline reads it: ``manifest/<run>.jsonl`` + the columnar parsed store
    (``pipeline.parsed_store``, ``batch`` documents per batch, the store's default), and the truth
    (``truth-<shard>.parquet``) beside them. ``years``: year → reports. ``workers`` processes each write a
    contiguous share of every year (the store takes concurrent committers: each batch is its own files)."""
    import multiprocessing as mp

    data_dir = Path(data_dir)
    (data_dir / "manifest").mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    shards = []
    for shard in range(workers):
        part = {year: (n * shard // workers, n * (shard + 1) // workers) for year, n in years.items()}
        shards.append((data_dir, part, max(years), templates, seed, batch, shard))
    if workers == 1:
        written = [_write_shard(*shards[0])]
    else:
        with mp.get_context("spawn").Pool(workers) as pool:
            written = pool.starmap(_write_shard, shards)
    return {"documents": sum(written), "seconds": time.perf_counter() - started}


def _write_shard(data_dir: Path, part: dict[int, tuple[int, int]], agency_year: int, templates: list[Template],
                 seed: int, batch: int, shard: int) -> int:
    """One process's share: agencies ``[start, stop)`` of each year, ``batch`` documents per stored batch."""
    sys.path.insert(0, str(ROOT))
    from pipeline.parsed_store import ParsedStore
    from pipeline.publish import document_row

    store = ParsedStore(data_dir, batch_size=batch)
    columns = _Columns(templates)
    written = 0

    def flush(pending: list[_Doc]) -> None:
        store.put_tables([(d.row["url"], d.row["sha256"], d.report,
                           document_row({"report": d.report, "facts": d.tpl.result["facts"]})) for d in pending],
                         columns.rows(pending))
        truth_out.write_table(pa.Table.from_pylist([columns.truth(d) for d in pending], TRUTH_SCHEMA))

    with (data_dir / "manifest" / f"national-corpus-{shard}.jsonl").open("w", encoding="utf-8") as manifest, \
            pq.ParquetWriter(data_dir / f"truth-{shard}.parquet", TRUTH_SCHEMA, compression="zstd") as truth_out:
        for year, (start, stop) in sorted(part.items()):
            pending: list[_Doc] = []
            for doc in _docs(year, stop - start, templates, seed, start, agency_year):
                manifest.write(json.dumps(doc.row, ensure_ascii=False) + "\n")
                pending.append(doc)
                written += 1
                if len(pending) >= batch:
                    flush(pending)
                    pending = []
            if pending:
                flush(pending)
    store.close()
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reports", type=int, default=150_000, help="reports in the year")
    ap.add_argument("--year", type=int, default=2023)
    ap.add_argument("--previous", type=float, default=1.0,
                    help="reports of the year before, as a share of --reports (cross-year identities)")
    ap.add_argument("--seed", type=int, default=2023)
    ap.add_argument("--out", type=Path, required=True, help="data directory to create")
    ap.add_argument("--workers", type=int, default=2, help="processes writing the corpus")
    args = ap.parse_args(argv)
    templates = load_templates(args.out.parent / ".national-templates")
    years = {args.year: args.reports}
    if args.previous > 0:
        years[args.year - 1] = int(args.reports * args.previous)
    done = write_parsed_store(args.out, years, templates, args.seed, workers=args.workers)
    print(f"national_corpus: documents={done['documents']} templates={len(templates)} "
          f"docs_per_s={done['documents'] / done['seconds']:.0f} out={args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
