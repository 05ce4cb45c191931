"""``nianbao query`` and ``nianbao export`` as a researcher uses them."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest
from openpyxl import load_workbook

from nianbao.cli import main


def test_query_without_a_dataset_points_to_data(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["query", "SELECT count(*) FROM reports"]) == 2
    assert "--data" in capsys.readouterr().err


def test_query_prints_duckdbs_whole_error(release, capsys) -> None:
    assert main(["query", "--data", str(release["data"]), "SELECT agency FROM reports"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("nianbao: Binder Error") and "agency_name" in err  # the candidate line is kept


@pytest.mark.parametrize("fmt", ["csv", "json", "table"])
def test_query_formats_keep_region_codes_as_text(release, capsys, fmt) -> None:
    sql = "SELECT region_code, report_year FROM reports WHERE region_code = '350128' ORDER BY report_year LIMIT 2"
    assert main(["query", "--data", str(release["data"]), "--format", fmt, sql]) == 0
    out = capsys.readouterr().out
    if fmt == "json":
        assert json.loads(out)[0] == {"region_code": "350128", "report_year": 2011}
    elif fmt == "csv":
        assert out.splitlines()[:2] == ['"region_code","report_year"', '"350128",2011']
    else:
        assert out.splitlines()[0].split() == ["region_code", "report_year"] and "(2 rows)" in out


def test_query_accepts_the_dataset_directory_itself(release, capsys) -> None:
    assert main(["query", "--data", str(release["root"]), "--format", "csv", "SELECT count(*) AS n FROM coverage"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == '"n"'


def test_query_output_file(release, tmp_path) -> None:
    out = tmp_path / "r.csv"
    assert main(["query", "--data", str(release["data"]), "--format", "csv", "--output", str(out),
                 "SELECT report_id FROM reports"]) == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 1 + len(pd.read_parquet(release["root"] / "reports"))


def test_version(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["--version"])
    assert "schema" in capsys.readouterr().out


def test_every_option_has_help() -> None:
    from nianbao.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name in ("query", "export", "report"):
        for action in sub.choices[name]._actions:
            assert action.help, f"{name} {action.dest} has no help"


def test_export_csv_and_xlsx_keep_codes_as_text(release, tmp_path) -> None:
    data = str(release["data"])
    assert main(["export", "--data", data, "--table", "reports", "--year", "2021", "--format", "csv",
                 "--output", str(tmp_path / "r.csv")]) == 0
    rows = list(csv.reader((tmp_path / "r.csv").open(encoding="utf-8")))
    raw = (tmp_path / "r.csv").read_text(encoding="utf-8")
    assert len(rows) == 2 and '"350128"' in raw
    assert main(["export", "--data", data, "--table", "reports", "--format", "xlsx",
                 "--output", str(tmp_path / "r.xlsx")]) == 0
    sheet = load_workbook(tmp_path / "r.xlsx").worksheets[0]
    header = [c.value for c in sheet[1]]
    codes = {sheet.cell(row=i, column=header.index("region_code") + 1).value for i in range(2, sheet.max_row + 1)}
    assert "350128" in codes and all(isinstance(c, str) for c in codes if c is not None)


def test_export_wide_has_one_row_per_report_and_bilingual_headers(release, tmp_path) -> None:
    out = tmp_path / "wide.xlsx"
    assert main(["export", "--data", str(release["data"]), "--table", "wide", "--year", "2021",
                 "--output", str(out)]) == 0
    frame = pd.read_excel(out, sheet_name="data", dtype={"region_code": str}, engine="openpyxl")
    assert len(frame) == len(pd.read_parquet(release["root"] / "reports", filters=[("report_year", "=", 2021)]))
    header = "本年新收政府信息公开申请数量 / New disclosure applications received [apply.new]"
    assert header in frame.columns and frame[header].notna().all()
    assert frame.region_code.tolist() == ["350128"]
    pq_out = tmp_path / "wide.parquet"
    assert main(["export", "--data", str(release["data"]), "--table", "wide", "--output", str(pq_out)]) == 0
    assert pd.read_parquet(pq_out).report_id.is_unique


def test_export_refuses_an_unknown_table(release, capsys, tmp_path) -> None:
    assert main(["export", "--data", str(release["data"]), "--table", "fact", "--output", str(tmp_path / "x.csv")]) == 2
    assert "tables:" in capsys.readouterr().err
