"""Dagster column schemas (``dagster/column_schema``) from the dataset's pyarrow contracts in pipeline.schema."""

from __future__ import annotations

import re

import dagster as dg
import pyarrow as pa

from pipeline import schema

_COMMENT = re.compile(r'\("(\w+)",[^)]*\)[^#\n]*#\s*(.+)')


def _comments() -> dict[str, str]:
    """Column → the comment written next to it in pipeline/schema.py (the column's meaning)."""
    text = open(schema.__file__, encoding="utf-8").read()
    return {m.group(1): m.group(2).strip() for m in _COMMENT.finditer(text)}


def table_schema(arrow: pa.Schema) -> dg.TableSchema:
    notes = _comments()
    return dg.TableSchema(columns=[dg.TableColumn(f.name, str(f.type), description=notes.get(f.name)) for f in arrow])


def column_schema(arrow: pa.Schema) -> dict[str, dg.TableSchema]:
    return {"dagster/column_schema": table_schema(arrow)}
