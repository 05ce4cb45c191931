"""Column contracts of the published dataset (pyarrow schemas).

Every table is hive-partitioned by ``report_year``; the partition column is also stored inside the
files so that a single file is self-describing. Region codes are strings, never integers.
"""

from __future__ import annotations

import pyarrow as pa

PARTITION_FIELD = pa.field("report_year", pa.int16())

REPORTS = pa.schema(
    [
        ("report_id", pa.string()),  # one per (agency, report year), stable across runs
        ("report_year", pa.int16()),
        ("title", pa.string()),
        ("agency_name", pa.string()),  # as printed
        ("agency_name_norm", pa.string()),
        ("agency_type", pa.string()),
        ("parent_government", pa.string()),
        ("is_regional_aggregate", pa.bool_()),
        ("admin_level", pa.string()),  # national / provincial / prefectural / county / township
        ("region_code", pa.string()),  # GB/T 2260, 6 digits
        ("region_source", pa.string()),  # registry / site_id_code / agency_name / breadcrumb
        ("province", pa.string()),
        ("prefecture", pa.string()),
        ("county", pa.string()),
        ("township", pa.string()),
        ("township_code", pa.string()),  # 9-digit statistical code when known
        ("template_generation", pa.string()),  # g0 g1 g2 g3 unknown (detected from content)
        ("template_cited", pa.string()),
        ("parse_status", pa.string()),  # ok / no_tables / not_a_report / unreadable
        ("parse_reason", pa.string()),
        ("source_url", pa.string()),
        ("source_site", pa.string()),
        ("portal_id", pa.string()),
        ("source_format", pa.string()),  # html text pdf_text pdf_scan doc docx xls image
        ("publish_date", pa.date32()),
        ("deadline", pa.date32()),
        ("days_late", pa.int32()),
        ("fetched_at", pa.timestamp("s", tz="UTC")),
        ("content_sha256", pa.string()),
        ("parser_version", pa.string()),
        ("n_facts", pa.int32()),
        ("checks_passed", pa.int16()),
        ("checks_failed", pa.int16()),
        ("has_table2", pa.bool_()),
        ("has_table3", pa.bool_()),
        ("has_table4", pa.bool_()),
        ("text_section6", pa.string()),
        ("n_sources", pa.int16()),
    ]
)

FACTS = pa.schema(
    [
        ("report_id", pa.string()),
        ("report_year", pa.int16()),
        ("indicator", pa.string()),  # code from spec/indicators.csv or local.<sha1[:8]>
        ("applicant_type", pa.string()),
        ("value", pa.float64()),  # canonical unit; null when not numeric
        ("unit", pa.string()),
        ("value_raw", pa.string()),
        ("unit_raw", pa.string()),
        ("value_status", pa.string()),  # reported blank dash text derived imputed_zero
        ("row_label_raw", pa.string()),
        ("col_label_raw", pa.string()),
        ("table_id", pa.string()),  # t2 t3 t4 stat regional prose
        ("row_idx", pa.int16()),
        ("col_idx", pa.int16()),
        ("match_method", pa.string()),
        ("match_score", pa.float32()),
        ("source_text", pa.string()),  # the sentence, for prose facts
        ("content_sha256", pa.string()),
        ("source_url", pa.string()),
    ]
)

CHECKS = pa.schema(
    [
        ("report_id", pa.string()),
        ("report_year", pa.int16()),
        ("rule_id", pa.string()),
        ("applicant_type", pa.string()),
        ("severity", pa.string()),
        ("status", pa.string()),  # passed failed skipped
        ("passed", pa.bool_()),
        ("expected", pa.float64()),
        ("observed", pa.float64()),
        ("detail", pa.string()),
    ]
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
        ("is_correction", pa.bool_()),
        ("is_chosen", pa.bool_()),
        ("n_facts", pa.int32()),
    ]
)

TABLES: dict[str, pa.Schema] = {"reports": REPORTS, "facts": FACTS, "checks": CHECKS, "sources": SOURCES}

# The document log: every stored document and what parsing made of it (unpartitioned: documents
# without a report year, such as pages that are not reports, must be visible too).
DOCUMENTS = pa.schema(
    [
        ("url", pa.string()),
        ("portal_id", pa.string()),
        ("kind", pa.string()),  # report / attachment
        ("parent_url", pa.string()),
        ("content_sha256", pa.string()),
        ("raw_path", pa.string()),
        ("fetched_at", pa.timestamp("s", tz="UTC")),
        ("title", pa.string()),
        ("report_year", pa.int16()),
        ("template_generation", pa.string()),
        ("parse_status", pa.string()),
        ("parse_reason", pa.string()),
        ("n_facts", pa.int32()),
        ("parser_version", pa.string()),
    ]
)
