"""Column contracts of the published dataset (pyarrow schemas).

Every table is hive-partitioned by ``report_year``; the partition column is also stored inside the
files so that a single file is self-describing. Region codes are strings, never integers.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import pyarrow as pa

from .numbers import CANONICAL_MONEY, nfkc

# Bumped on any change a reader would notice (a column added, removed, renamed or retyped).
SCHEMA_VERSION = "2.0.0"
VERSION_METADATA = {"nianbao.schema_version": SCHEMA_VERSION}  # stored in every Parquet file's schema

# Money in the canonical unit, exactly: 51655052.62元 is 5165.505262 万元 (8 places hold 元 → 万元 with
# cents and 千元/亿元 conversions).
MONEY_DECIMAL = pa.decimal128(38, 8)

_MONEY_FACTORS = {"元": Decimal(1), "千元": Decimal(1000), "万元": Decimal(10000), "亿元": Decimal(100000000)}
_DIGITS = re.compile(r"[+\-]?\d[\d,]*(?:\.\d+)?")


def exact_money(fact: dict) -> Decimal | None:
    """``value`` of a money fact as an exact decimal, re-read from the printed digits (a float cannot hold
    5165.505262 万元); None for other units, for non-numbers, and when the printed digits do not give the
    float value (a derived or imputed value is taken from the float, rounded to 8 places)."""
    unit, value = fact.get("unit"), fact.get("value")
    if unit not in CANONICAL_MONEY or value is None:
        return None
    canonical = Decimal(int(CANONICAL_MONEY[unit]))
    raw_unit = fact.get("unit_raw")  # none printed: the number is in the canonical unit already
    factor = _MONEY_FACTORS.get(raw_unit) if raw_unit else canonical
    m = _DIGITS.search(nfkc(str(fact.get("value_raw") or "")).replace(" ", ""))
    exact = None
    if m and factor is not None:
        try:
            exact = Decimal(m.group().replace(",", "")) * factor / canonical
        except InvalidOperation:
            exact = None
    if exact is None or abs(float(exact) - float(value)) > 1e-6 * max(1.0, abs(float(value))):
        exact = Decimal(repr(float(value)))
    return exact.quantize(Decimal("0.00000001"))


PARTITION_FIELD = pa.field("report_year", pa.int16())

REPORTS = pa.schema(
    [
        ("report_id", pa.string()),  # one per (agency, report year), stable across runs
        ("report_year", pa.int16()),
        ("year_source", pa.string()),  # title / period / body_title / body_sentence / table_caption / listing / publish_date
        ("title", pa.string()),  # the report's title as published
        ("agency_name", pa.string()),  # as printed
        ("agency_name_norm", pa.string()),  # canonical agency name (place + organ), the deduplication key
        ("agency_type", pa.string()),  # provincial_gov county_dept township_gov dev_zone_admin …
        ("parent_government", pa.string()),  # the government the organ belongs to
        ("is_regional_aggregate", pa.bool_()),  # the report sums every agency of a region (全区各级行政机关)
        ("admin_level", pa.string()),  # national / provincial / prefectural / county / township
        ("region_code", pa.string()),  # GB/T 2260, 6 digits
        ("region_source", pa.string()),  # credit_code registry site_id_code agency_name agency_name_ocr domain breadcrumb text
        ("province", pa.string()),  # names as valid in the report year
        ("prefecture", pa.string()),  # null for 直辖 districts and 省直辖县级 units
        ("county", pa.string()),
        ("township", pa.string()),  # 乡/镇/街道 named in the agency name
        ("township_code", pa.string()),  # 12-digit NBS 统计用区划代码 (2023 vintage) of the township, when it resolves
        ("template_generation", pa.string()),  # g0 g1 g2 g3 unknown (detected from content)
        ("template_cited", pa.string()),
        ("parse_status", pa.string()),  # ok / no_tables / not_a_report / unreadable
        ("parse_reason", pa.string()),  # why the status is not ok, or how an ok report was read
        ("source_url", pa.string()),  # URL of the chosen copy
        ("source_site", pa.string()),  # its host
        ("portal_id", pa.string()),  # registry id of the portal it was crawled from
        ("source_format", pa.string()),  # html text pdf_text pdf_scan doc docx xls image
        ("publish_date", pa.date32()),  # of the chosen copy
        ("first_publish_date", pa.date32()),  # earliest publication of any copy
        ("deadline", pa.date32()),  # last lawful publication day (31 January or 31 March of the next year)
        ("days_late", pa.int32()),  # first_publish_date - deadline in days (negative: early)
        ("fetched_at", pa.timestamp("s", tz="UTC")),  # when the chosen copy was downloaded
        ("content_sha256", pa.string()),  # raw bytes of the chosen copy: data/raw/<sha[:2]>/<sha>.<ext>
        ("parser_version", pa.string()),
        ("n_facts", pa.int32()),  # facts read from the chosen copy
        ("checks_passed", pa.int16()),  # rows of checks/ with status passed (cross-year ones included)
        ("checks_failed", pa.int16()),  # rows of checks/ with status failed
        ("has_table2", pa.bool_()),  # table 二 (proactive disclosure) found
        ("has_table3", pa.bool_()),  # table 三 (applications) found
        ("has_table4", pa.bool_()),  # table 四 (review and litigation) found
        ("text_section6", pa.string()),  # text of section 六 (problems and improvements)
        ("n_sources", pa.int16()),  # copies found (mirrors, corrections)
    ],
    metadata=VERSION_METADATA,
)

FACTS = pa.schema(
    [
        ("report_id", pa.string()),  # → reports.report_id
        ("report_year", pa.int16()),
        ("indicator", pa.string()),  # code from spec/indicators.csv or local.<sha1[:8]>
        ("applicant_type", pa.string()),  # natural_person org.commercial … total; na when the row has no applicant columns
        ("value", pa.float64()),  # canonical unit; null when not numeric
        ("value_decimal", MONEY_DECIMAL),  # money only: the same value, exact
        ("unit", pa.string()),  # canonical unit: count cny cny_10k person person_time
        ("value_raw", pa.string()),  # the cell as printed
        ("unit_raw", pa.string()),  # unit printed in or next to the cell
        ("value_status", pa.string()),  # reported blank dash text derived imputed_zero
        ("row_label_raw", pa.string()),  # row label as printed
        ("col_label_raw", pa.string()),  # column label as printed
        ("table_id", pa.string()),  # t2 t3 t4 stat regional prose
        ("row_idx", pa.int16()),  # grid position of the cell in its table
        ("col_idx", pa.int16()),
        ("match_method", pa.string()),  # how the label was mapped to the code (exact, alias, fuzzy, position …)
        ("match_score", pa.float32()),
        ("source_text", pa.string()),  # the sentence, for prose facts
        ("content_sha256", pa.string()),  # raw bytes the fact was read from
        ("source_url", pa.string()),
    ],
    metadata=VERSION_METADATA,
)

CHECKS = pa.schema(
    [
        ("report_id", pa.string()),
        ("report_year", pa.int16()),
        ("rule_id", pa.string()),  # identity of spec/checks.csv, or xyear.* (against the previous year)
        ("applicant_type", pa.string()),
        ("severity", pa.string()),
        ("status", pa.string()),  # passed failed skipped
        ("passed", pa.bool_()),
        ("expected", pa.float64()),  # the value the identity predicts
        ("observed", pa.float64()),  # the value printed
        ("detail", pa.string()),
    ],
    metadata=VERSION_METADATA,
)

SOURCES = pa.schema(
    [
        ("report_id", pa.string()),
        ("report_year", pa.int16()),
        ("source_url", pa.string()),
        ("source_site", pa.string()),
        ("portal_id", pa.string()),
        ("content_sha256", pa.string()),
        ("title", pa.string()),
        ("publish_date", pa.date32()),
        ("fetched_at", pa.timestamp("s", tz="UTC")),
        ("is_correction", pa.bool_()),  # a re-issue (更正, 修订版 …)
        ("is_chosen", pa.bool_()),  # the copy the report row and its facts come from
        ("n_facts", pa.int32()),
    ],
    metadata=VERSION_METADATA,
)

TABLES: dict[str, pa.Schema] = {"reports": REPORTS, "facts": FACTS, "checks": CHECKS, "sources": SOURCES}

# The document log: every stored document and what parsing made of it (unpartitioned: documents
# without a report year, such as pages that are not reports, must be visible too).
DOCUMENTS = pa.schema(
    [
        ("url", pa.string()),
        ("portal_id", pa.string()),
        ("kind", pa.string()),  # report / attachment
        ("parent_url", pa.string()),  # the page an attachment hangs from
        ("content_sha256", pa.string()),
        ("raw_path", pa.string()),  # relative to the data directory: raw/<sha[:2]>/<sha>.<ext>
        ("fetched_at", pa.timestamp("s", tz="UTC")),
        ("title", pa.string()),
        ("report_year", pa.int16()),
        ("template_generation", pa.string()),
        ("parse_status", pa.string()),  # ok no_tables not_a_report unreadable error not_parsed missing_raw
        ("parse_reason", pa.string()),
        ("n_facts", pa.int32()),
        ("parser_version", pa.string()),
    ],
    metadata=VERSION_METADATA,
)

# One row per (portal, report year): what the dataset holds and what it does not know (pipeline/coverage.py).
COVERAGE = pa.schema(
    [
        ("portal_id", pa.string()),  # registry id; agency:<name> for reports found outside any portal
        ("portal_name", pa.string()),
        ("region_code", pa.string()),
        ("province", pa.string()),
        ("admin_level", pa.string()),
        ("report_year", pa.int16()),
        ("deadline", pa.date32()),
        ("status", pa.string()),  # published late not_yet_due not_found blocked robots too_large parse_failed
        ("published", pa.int32()),  # reports in the dataset
        ("late", pa.int32()),  # of which first published after the deadline
        ("not_yet_due", pa.bool_()),  # nothing published and the deadline has not passed
        ("not_found", pa.int32()),  # URLs that answered 404/410
        ("blocked", pa.int32()),  # URLs behind a bot wall / refused
        ("robots", pa.int32()),  # URLs closed by robots.txt
        ("too_large", pa.int32()),  # documents dropped for their size
        ("parse_failed", pa.int32()),  # stored documents that could not be read
        ("partial", pa.int32()),  # reports without tables, unreadable, or with failed checks
        ("documents", pa.int32()),  # stored documents of that year
    ],
    metadata=VERSION_METADATA,
)

# The indicator catalogue (spec/indicators.csv), one row per code and generation.
INDICATORS = pa.schema(
    [
        ("code", pa.string()),
        ("table_id", pa.string()),  # where the template prints it: t2 t3 t4 stat regional prose
        ("generation", pa.string()),
        ("label_zh", pa.string()),  # printed label(s) of that generation, variants joined by " | "
        ("label_en", pa.string()),
        ("unit", pa.string()),
        ("parent", pa.string()),
        ("domain", pa.string()),
        ("applicant_breakdown", pa.bool_()),
        ("printed", pa.string()),  # yes / derived in that generation
        ("comparability_note", pa.string()),
    ],
    metadata=VERSION_METADATA,
)

# GB/T 2260 administrative divisions, each as valid over [valid_from, valid_to] report years.
REGIONS = pa.schema(
    [
        ("code", pa.string()),
        ("name", pa.string()),
        ("level", pa.string()),
        ("parent_code", pa.string()),
        ("province", pa.string()),
        ("prefecture", pa.string()),
        ("county", pa.string()),
        ("valid_from", pa.int16()),
        ("valid_to", pa.int16()),
    ],
    metadata=VERSION_METADATA,
)

# Unpartitioned tables (one part-0.parquet each) and their schemas.
UNPARTITIONED: dict[str, pa.Schema] = {"documents": DOCUMENTS, "coverage": COVERAGE, "indicators": INDICATORS,
                                       "regions": REGIONS}
