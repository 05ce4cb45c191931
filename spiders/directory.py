"""Import the 全国政府网站基本信息数据库 (the State Council General Office's national directory of government
sites) into typed registry records.

The directory is published as zip files of CSVs (per scope: 部委门户, 省级门户, 地方所属网站, or per province
or city) with the columns 网站名称, 首页网址, 主办单位, 主管单位, 政府网站标识码, ICP备案号, 公安备案号, 地区,
网站类型. Files come GBK- or UTF-8(-BOM)-encoded, sometimes with a title line above the header; the same
site appears in several scope files. The 标识码's first 6 characters are the region code of the organising
government; ministries' codes start with ``bm`` (national, ``100000`` as in ``pipeline.who``).

A directory record knows where a site is and who runs it, not where its annual reports are: it has a home
URL and no seed, and column discovery (``spiders.discovery``) finds the seeds.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

COLUMNS = ("网站名称", "首页网址", "主办单位", "主管单位", "政府网站标识码", "ICP备案号", "公安备案号", "地区", "网站类型")
NATIONAL_CODE = "100000"  # pipeline.who.NATIONAL_CODE: GB/T 2260 has no code for the nation
_SITE_CODE = re.compile(r"^(?:\d{10}|bm\d{8})$", re.I)
_SLUG_DROP = re.compile(r"^(?:www\d?|web)\.|\.gov\.cn$|\.(?:com|org|net)(?:\.cn)?$|\.cn$")
_NON_SLUG = re.compile(r"[^a-z0-9]+")
_TOWNSHIP = re.compile(r"(?:镇|乡|街道|街道办事处)(?:人民政府)?$")


class DirectoryError(ValueError):
    """A directory file that cannot be read; the message names the file and what is wrong."""


@dataclass(frozen=True)
class DirectoryRow:
    """One CSV row as published (whitespace trimmed)."""

    name: str
    home_url: str
    organiser: str  # 主办单位
    supervisor: str  # 主管单位
    site_code: str  # 政府网站标识码
    icp: str
    police_record: str  # 公安备案号
    area: str  # 地区
    site_type: str  # 网站类型: 政府门户网站 / 部门网站
    source: str = ""  # file (and zip member) it came from


@dataclass(frozen=True)
class DirectoryRecord:
    """A registry record built from the directory: a site with no seed yet."""

    id: str
    name: str
    home_url: str
    hosts: tuple[str, ...]
    region_code: str
    admin_level: str
    organiser: str
    site_code: str
    site_type: str
    area: str = ""
    supervisor: str = ""
    source: str = ""  # the file the record was taken from
    also_in: tuple[str, ...] = ()  # other files that list the same site

    def as_registry(self) -> dict:
        """The record as ``spiders.registry`` reads it (no family and no seed: discovery fills them)."""
        return {
            "id": self.id, "name": self.name, "region_code": self.region_code, "admin_level": self.admin_level,
            "home_url": self.home_url, "hosts": list(self.hosts), "organiser": self.organiser,
            "site_code": self.site_code, "site_type": self.site_type, "area": self.area, "source": "directory",
            "directory_file": self.source,
            "seed_status": "none", "note": f"全国政府网站基本信息数据库: {self.site_type or 'site'} {self.site_code}",
        }


def decode(data: bytes, name: str = "<bytes>") -> str:
    """The text of a directory CSV: UTF-8 (with or without BOM) or GBK (GB18030, its superset)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DirectoryError(f"{name}: neither UTF-8 nor GBK text")


def _csv_blobs(path: Path) -> Iterator[tuple[str, bytes]]:
    """(source name, bytes) of every CSV in ``path`` (a CSV, a zip of CSVs, or a directory of either)."""
    if path.is_dir():
        for child in sorted(path.iterdir()):
            if child.suffix.lower() in (".csv", ".zip"):
                yield from _csv_blobs(child)
        return
    if not path.is_file():
        raise DirectoryError(f"{path}: no such file")
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                member = info.filename
                if not info.flag_bits & 0x800:  # not flagged UTF-8: Chinese zip tools write GBK names
                    try:
                        member = member.encode("cp437").decode("gb18030")
                    except (UnicodeEncodeError, UnicodeDecodeError):
                        pass
                if member.lower().endswith(".csv"):
                    yield f"{path.name}!{member}", zf.read(info)
        return
    yield path.name, path.read_bytes()


def read_rows(text: str, source: str = "") -> Iterator[DirectoryRow]:
    """Rows of one CSV text. The header is the first line naming 政府网站标识码 and 首页网址 (lines above it,
    such as a title, are skipped); column order is taken from the header."""
    lines = list(csv.reader(io.StringIO(text)))
    heads = [[c.strip().lstrip("\ufeff") for c in line] for line in lines[:10]]
    at = next((i for i, cells in enumerate(heads) if "政府网站标识码" in cells and "首页网址" in cells), None)
    if at is None:
        raise DirectoryError(f"{source}: no header with 政府网站标识码 and 首页网址 in the first 10 lines")
    cells = heads[at]
    missing = [c for c in COLUMNS if c not in cells]
    if missing:
        raise DirectoryError(f"{source}: header lacks {', '.join(missing)}")
    pos = {c: cells.index(c) for c in COLUMNS}
    for row in lines[at + 1:]:
        if not any(cell.strip() for cell in row):
            continue
        get = [row[pos[c]].strip() if pos[c] < len(row) else "" for c in COLUMNS]
        yield DirectoryRow(*get, source=source)


def region_of(site_code: str) -> str | None:
    """Region code of the organising government: first 6 digits of the 标识码; ``bm…`` → national."""
    code = site_code.strip()
    if not _SITE_CODE.match(code):
        return None
    return NATIONAL_CODE if code[:2].lower() == "bm" else code[:6]


def admin_level(region: str, organiser: str, name: str) -> str:
    """National for ministries; otherwise from the region code's shape, township when a 乡镇/街道 runs it."""
    if region == NATIONAL_CODE:
        return "national"
    if _TOWNSHIP.search(organiser) or _TOWNSHIP.search(name):
        return "township"
    if region.endswith("0000"):
        return "provincial"
    if region.endswith("00"):
        return "prefectural"
    return "county"


def normalise_url(url: str) -> str | None:
    """An http(s) home URL with a path (``www.x.gov.cn`` → ``http://www.x.gov.cn/``), or None."""
    url = url.strip().replace("\\", "/")
    if not url:
        return None
    if not re.match(r"^https?://", url, re.I):
        url = "http://" + url.lstrip("/")
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".")
    if not host or "." not in host or " " in host:
        return None
    path = parts.path or "/"
    return f"{parts.scheme.lower()}://{host}{':' + str(parts.port) if parts.port else ''}{path}" + (
        f"?{parts.query}" if parts.query else "")


def slug(url: str) -> str:
    """A readable id part from the home URL: host without www./.gov.cn, then the path (``szlh-lhqkjhgyxxhj``)."""
    parts = urlsplit(url)
    host = _SLUG_DROP.sub("", _SLUG_DROP.sub("", parts.hostname or ""))
    words = [*host.split("."), *(p for p in parts.path.split("/") if p and "." not in p)]
    return _NON_SLUG.sub("-", "-".join(words).lower()).strip("-") or "site"


@dataclass
class ImportReport:
    """What an import made of its input: records, and every row it could not use or merged."""

    records: list[DirectoryRecord]
    rows: int = 0
    duplicates: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (source: name, reason)


def build(rows: Iterable[DirectoryRow]) -> ImportReport:
    """Typed records from directory rows; one record per site (same 标识码, or same home URL when the code
    is missing), the first occurrence wins and later ones are noted in ``also_in``."""
    index: dict[str, int] = {}  # 标识码 or host+path → position in report.records
    ids: set[str] = set()
    report = ImportReport(records=[])
    for row in rows:
        report.rows += 1
        where = f"{row.source}: {row.name or row.home_url or row.site_code}"
        url = normalise_url(row.home_url)
        if url is None:
            report.rejected.append((where, f"首页网址 '{row.home_url}' is not a URL"))
            continue
        region = region_of(row.site_code)
        if region is None:
            report.rejected.append((where, f"政府网站标识码 '{row.site_code}' is not 10 characters of region + number"))
            continue
        keys = (row.site_code.lower(), url.rstrip("/").lower().split("://", 1)[1])
        pos = next((index[k] for k in keys if k in index), None)
        if pos is not None:
            report.duplicates += 1
            seen = report.records[pos]
            if row.source and row.source not in (seen.source, *seen.also_in):
                report.records[pos] = replace(seen, also_in=(*seen.also_in, row.source))
            continue
        rid = f"{region}-{slug(url)}"
        if rid in ids:
            rid = f"{rid}-{row.site_code.lower()[-4:]}"
        ids.add(rid)
        index.update(dict.fromkeys(keys, len(report.records)))
        report.records.append(DirectoryRecord(
            id=rid, name=row.name, home_url=url, hosts=(urlsplit(url).hostname or "",), region_code=region,
            admin_level=admin_level(region, row.organiser, row.name), organiser=row.organiser,
            site_code=row.site_code, site_type=row.site_type, area=row.area, supervisor=row.supervisor,
            source=row.source,
        ))
    return report


def import_files(paths: Iterable[str | Path]) -> ImportReport:
    """Read every CSV in ``paths`` (CSV files, zip files of CSVs, directories of either) into records."""
    def rows() -> Iterator[DirectoryRow]:
        for path in paths:
            for source, blob in _csv_blobs(Path(path)):
                yield from read_rows(decode(blob, source), source)
    return build(rows())
