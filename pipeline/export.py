"""Exports of the dataset for people who do not write SQL: CSV, XLSX or Parquet, one table or the wide
form (one row per report, one column per indicator, the way FOIA.gov offers its annual-report data).

Text stays text: region codes and report ids are written as strings in every format (quoted in CSV,
string cells in XLSX), so no reader turns ``350128`` into a number by accident of the format.
"""

from __future__ import annotations

import decimal
from datetime import date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from .dictionaries import indicator_rows
from .locations import as_root, shown
from .query import connect, tables_present

FORMATS = ("csv", "xlsx", "parquet")
WIDE = "wide"
XLSX_MAX_ROWS = 1_048_575  # one row of Excel's 1,048,576 is the header
# Report columns that lead each row of the wide form.
WIDE_KEYS = ("report_id", "report_year", "agency_name", "agency_type", "admin_level", "region_code", "province",
             "prefecture", "county", "template_generation", "first_publish_date", "days_late", "parse_status",
             "source_url")
_GEN_ORDER = ("g3", "g2", "g1", "g0")


class ExportError(ValueError):
    """An export the caller asked for cannot be made (unknown table, too many rows for XLSX …)."""


def indicator_headers() -> dict[str, tuple[str, str]]:
    """code → (Chinese label, English label); the Chinese label of the latest generation that prints it."""
    best: dict[str, tuple[int, str, str]] = {}
    for row in indicator_rows():
        rank = _GEN_ORDER.index(row["generation"])
        zh = (row["label_zh"] or "").split(" | ")[0]
        if zh and (row["code"] not in best or rank < best[row["code"]][0]):
            best[row["code"]] = (rank, zh, row["label_en"])
        best.setdefault(row["code"], (9, zh, row["label_en"]))
    return {code: (zh, en) for code, (_, zh, en) in best.items()}


def bilingual(code: str, headers: dict[str, tuple[str, str]]) -> str:
    zh, en = headers.get(code, ("", ""))
    return f"{zh} / {en} [{code}]" if zh or en else code


def fetch(dataset_root: str | Path, table: str, year: int | None = None) -> pa.Table:
    """One table (or ``wide``) as Arrow, optionally one report year."""
    root = as_root(dataset_root)
    present = tables_present(root)
    if table != WIDE and table not in present:
        raise ExportError(f"no table {table!r} under {shown(root)} (tables: {', '.join(present) or 'none'}, or wide)")
    con = connect(root)
    if table == WIDE:
        if "facts" not in present or "reports" not in present:
            raise ExportError(f"the wide form needs reports/ and facts/ under {shown(root)}")
        return _wide(con, year)
    where = ""
    if year is not None:
        columns = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
        if "report_year" not in columns:
            raise ExportError(f"{table} has no report_year: export it without --year")
        where = f" WHERE report_year = {int(year)}"
    return con.sql(f"SELECT * FROM {table}{where}").to_arrow_table()


def _wide(con, year: int | None) -> pa.Table:
    """One row per report; one column per indicator (value of the total or the single column)."""
    flt = f"AND f.report_year = {int(year)}" if year is not None else ""
    codes = [r[0] for r in con.execute(
        f"SELECT DISTINCT indicator FROM facts f WHERE applicant_type IN ('total', 'na') {flt} ORDER BY 1").fetchall()]
    catalogue_order = {row["code"]: i for i, row in enumerate(indicator_rows())}
    codes.sort(key=lambda c: (catalogue_order.get(c, len(catalogue_order)), c))
    keys = ", ".join(f"r.{k}" for k in WIDE_KEYS)
    pivots = ", ".join(
        f"max(f.value) FILTER (WHERE f.indicator = '{c.replace(chr(39), chr(39) * 2)}') AS \"{c}\"" for c in codes)
    rflt = f"WHERE r.report_year = {int(year)}" if year is not None else ""
    sql = (f"SELECT {keys}{', ' + pivots if pivots else ''} FROM reports r LEFT JOIN facts f "
           f"ON f.report_id = r.report_id AND f.applicant_type IN ('total', 'na') {rflt} "
           f"GROUP BY ALL ORDER BY r.report_year, r.province NULLS LAST, r.region_code, r.agency_name")
    return con.sql(sql).to_arrow_table()


def _header_names(table: pa.Table, wide: bool) -> list[str]:
    if not wide:
        return table.column_names
    headers = indicator_headers()
    return [n if n in WIDE_KEYS else bilingual(n, headers) for n in table.column_names]


def _cell(value: object) -> object:
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo else value
    return value


def write(table: pa.Table, output: str | Path, fmt: str, *, wide: bool = False) -> Path:
    """Write ``table`` to ``output`` as csv, xlsx or parquet; returns the path."""
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    names = _header_names(table, wide)
    if fmt == "parquet":
        pq.write_table(table.rename_columns(names), out, compression="zstd")
    elif fmt == "csv":
        _write_csv(table, names, out)
    elif fmt == "xlsx":
        _write_xlsx(table, names, out, wide=wide)
    else:
        raise ExportError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    return out


def _write_csv(table: pa.Table, names: list[str], out: Path) -> None:
    """DuckDB's CSV writer (fast on tens of millions of rows), every text column force-quoted."""
    con = duckdb.connect()
    con.register("export_table", table)
    select = ", ".join(f"{_ident(c)} AS {_ident(n)}" for c, n in zip(table.column_names, names, strict=True))
    text = [_ident(n) for n, f in zip(names, table.schema, strict=True)
            if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
    quote = f", FORCE_QUOTE ({', '.join(text)})" if text else ""
    path = out.as_posix().replace("'", "''")
    con.execute(f"COPY (SELECT {select} FROM export_table) TO '{path}' (FORMAT csv, HEADER{quote})")


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def csv_text(value: object) -> str:
    """Text is always quoted (a region code stays "350128", never a number to the reader)."""
    return '"' + str(value).replace('"', '""') + '"'


def csv_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def _write_xlsx(table: pa.Table, names: list[str], out: Path, *, wide: bool) -> None:
    from openpyxl import Workbook

    if table.num_rows > XLSX_MAX_ROWS:
        raise ExportError(f"{table.num_rows} rows do not fit in one XLSX sheet ({XLSX_MAX_ROWS}): "
                          "export one --year, or use csv or parquet")
    book = Workbook(write_only=True)
    sheet = book.create_sheet("data")
    sheet.append(names)
    for batch in table.to_batches(max_chunksize=50_000):
        for row in zip(*(col.to_pylist() for col in batch.columns), strict=True):
            sheet.append([_cell(v) for v in row])
    if wide:
        labels = book.create_sheet("indicators")
        labels.append(["code", "label_zh", "label_en"])
        headers = indicator_headers()
        for name in table.column_names:
            if name not in WIDE_KEYS:
                labels.append([name, *headers.get(name, ("", ""))])
    book.save(out)
