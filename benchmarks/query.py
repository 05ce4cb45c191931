"""Query speed and size of a generated national report year, the way a researcher reads the dataset.

    python benchmarks/query.py            # 200,000 reports × 200 facts = 40 M fact rows
    python benchmarks/query.py --quick    # 10,000 reports (2 M facts), under a minute

The year is generated straight into the published layout (``facts/report_year=2023/part-0.parquet``
with the published schema, written in row groups so memory stays bounded): every county-level
division of 2023 publishes reports with a g3-sized set of facts. The query is "total applications by
province and year" (facts ⋈ reports, ``apply.new``, total column) through ``pipeline.query.connect``,
the views ``nianbao query`` uses; the baseline is the same answer from pandas.read_parquet with the
same filter pushed down. The last line is machine-readable:

    query: facts=<n> query_s=<DuckDB, best of 3> duckdb_vs_pandas=<pandas_s / duckdb_s>
           mb_per_million_facts=<facts Parquet MB per million rows>
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from pipeline.dataset import file_schema, partition_dir, write_year  # noqa: E402
from pipeline.dictionaries import indicator_rows, regions_table  # noqa: E402
from pipeline.query import connect  # noqa: E402

YEAR = 2023
FACTS_PER_REPORT = 200
CHUNK_REPORTS = 5_000
APPLICANTS = ("natural_person", "org.commercial", "org.research", "org.public_interest", "org.legal_service",
              "org.other", "total")
SQL = """SELECT r.province, f.report_year, sum(f.value) AS applications
         FROM facts f JOIN reports r USING (report_id)
         WHERE f.indicator = 'apply.new' AND f.applicant_type IN ('total', 'na')
         GROUP BY ALL ORDER BY 1, 2"""


def _layout() -> tuple[pa.Array, pa.Array]:
    """(indicator, applicant_type) of one report's facts: the g3 codes, applicant columns for table 三."""
    codes, apps = [], []
    for row in indicator_rows():
        if row["generation"] != "g3":
            continue
        for app in (APPLICANTS if row["applicant_breakdown"] else ("na",)):
            codes.append(row["code"])
            apps.append(app)
    if ("apply.new", "total") not in set(zip(codes, apps, strict=True)):
        codes.insert(0, "apply.new")
        apps.insert(0, "total")
    return pa.array((codes * 2)[:FACTS_PER_REPORT]), pa.array((apps * 2)[:FACTS_PER_REPORT])


def generate(root: Path, n_reports: int, seed: int = 7) -> int:
    """Write reports/ and facts/ of one national year; returns the number of fact rows."""
    rng = np.random.default_rng(seed)
    regions = regions_table().to_pandas()
    counties = regions[(regions.level == "county") & (regions.valid_from <= YEAR) & (regions.valid_to >= YEAR)]
    pick = rng.integers(0, len(counties), n_reports)
    names = counties.name.to_numpy()[pick]
    ids = [hashlib.sha1(f"agency-{i}|{YEAR}".encode()).hexdigest()[:16] for i in range(n_reports)]
    given = {
        "report_id": ids,
        "title": [f"{name}第{i}机关{YEAR}年政府信息公开工作年度报告" for i, name in enumerate(names)],
        "agency_name": [f"{name}第{i}机关" for i, name in enumerate(names)],
        "region_code": counties.code.to_numpy()[pick], "province": counties.province.to_numpy()[pick],
        "county": names, "template_generation": ["g3"] * n_reports,
        "parse_status": ["ok"] * n_reports, "n_facts": [FACTS_PER_REPORT] * n_reports,
        "source_url": [f"https://www.example.gov.cn/xxgk/nb/{YEAR + 1}01/t{YEAR + 1}0115_{i}.html" for i in range(n_reports)],
        "content_sha256": [hashlib.sha256(i.encode()).hexdigest() for i in ids],
    }
    rschema = file_schema("reports")
    reports = pa.table({f.name: pa.array(given[f.name], f.type) if f.name in given else pa.nulls(n_reports, f.type)
                        for f in rschema}, schema=rschema)
    write_year(root, YEAR, {"reports": reports})
    indicator, applicant = _layout()
    schema = file_schema("facts")
    path = partition_dir(root, "facts", YEAR) / "part-0.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    rid, sha, url = reports["report_id"], reports["content_sha256"], reports["source_url"]
    labels = {r["code"]: (r["label_zh"] or r["code"]) for r in indicator_rows() if r["generation"] == "g3"}
    row_label = pa.array([labels.get(c, c) for c in indicator.to_pylist()])
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for start in range(0, n_reports, CHUNK_REPORTS):
            n = min(CHUNK_REPORTS, n_reports - start)
            rows = n * FACTS_PER_REPORT
            per_report = pa.array(np.repeat(np.arange(start, start + n), FACTS_PER_REPORT))
            within = pa.array(np.tile(np.arange(FACTS_PER_REPORT), n))
            values = rng.poisson(3, rows).astype("float64")
            values[rng.random(rows) < 0.02] = np.nan  # blanks
            value = pa.array(values, from_pandas=True)
            columns = {
                "report_id": pc.take(rid, per_report), "indicator": pc.take(indicator, within),
                "applicant_type": pc.take(applicant, within), "value": value,
                "unit": pc.take(pa.array(["count"]), pa.array(np.zeros(rows, "int32"))),
                "value_raw": pc.cast(pc.cast(value, pa.int64()), pa.string()),
                "value_status": pc.if_else(pc.is_null(value), "blank", "reported"),
                "row_label_raw": pc.take(row_label, within), "col_label_raw": pc.take(applicant, within),
                "table_id": pc.if_else(pc.less(within, 60), "t2", "t3"),
                "row_idx": pc.cast(pc.divide(within, 7), pa.int16()),
                "col_idx": pc.cast(pc.subtract(within, pc.multiply(pc.divide(within, 7), 7)), pa.int16()),
                "match_method": pc.take(pa.array(["exact"]), pa.array(np.zeros(rows, "int32"))),
                "match_score": pa.array(np.ones(rows, "float32")),
                "content_sha256": pc.take(sha, per_report), "source_url": pc.take(url, per_report),
            }
            batch = pa.table({f.name: columns.get(f.name, pa.nulls(rows, f.type)) for f in schema}, schema=schema)
            writer.write_table(batch, row_group_size=1_000_000)
    return n_reports * FACTS_PER_REPORT


def best_of(fn, runs: int = 3) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def with_duckdb(root: Path) -> pd.DataFrame:
    return connect(root).execute(SQL).df()


def with_pandas(root: Path) -> pd.DataFrame:
    facts = pd.read_parquet(root / "facts", columns=["report_id", "report_year", "value"],
                            filters=[("indicator", "==", "apply.new"), ("applicant_type", "in", ["total", "na"])])
    reports = pd.read_parquet(root / "reports", columns=["report_id", "province"])
    merged = facts.merge(reports, on="report_id")
    return merged.groupby(["province", "report_year"], observed=True, as_index=False)["value"].sum()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10,000 reports (2 M facts) instead of 200,000 (40 M)")
    ap.add_argument("--reports", type=int, help="number of reports to generate (overrides --quick)")
    ap.add_argument("--keep", type=Path,
                    help="generate the year into this directory and keep it; if it already holds one, time it again")
    args = ap.parse_args()
    n_reports = args.reports or (10_000 if args.quick else 200_000)
    work = args.keep or Path(tempfile.mkdtemp(prefix="nianbao-query-bench-"))
    try:
        t = time.perf_counter()
        if args.keep and (work / "facts").is_dir():
            facts = pq.ParquetFile(partition_dir(work, "facts", YEAR) / "part-0.parquet").metadata.num_rows
            print(f"reusing {work}: {facts:,} facts", flush=True)
        else:
            facts = generate(work, n_reports)
            print(f"generated {n_reports:,} reports, {facts:,} facts in {time.perf_counter() - t:.1f} s", flush=True)
        duck_s, duck = best_of(lambda: with_duckdb(work))
        pandas_s, pand = best_of(lambda: with_pandas(work))
        assert len(duck) == len(pand) and abs(duck.applications.sum() - pand.value.sum()) < 1e-6 * max(1, pand.value.sum())
        size = sum(p.stat().st_size for p in (work / "facts").rglob("*.parquet"))
        print(f"duckdb {duck_s:.3f} s, pandas {pandas_s:.3f} s, {len(duck)} province-year rows, "
              f"facts {size / 1e6:.1f} MB")
        print(f"query: facts={facts} query_s={duck_s:.3f} duckdb_vs_pandas={pandas_s / duck_s:.2f} "
              f"mb_per_million_facts={size / 1e6 / (facts / 1e6):.2f}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
