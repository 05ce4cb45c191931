"""Township codes: the NBS 2023 统计用区划代码 table, scoped resolution, the tolerated forms, and what stays None."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from nianbao.demo_portal.sites import mockcounty_site
from pipeline import townships, version
from pipeline.parse import parse_document
from pipeline.townships import resolve, township_code
from pipeline.who import enrich_report

ROOT = Path(__file__).resolve().parents[2]


def test_table_is_the_nbs_2023_township_level() -> None:
    rows = townships.table()
    assert len(rows) == 41352
    assert all(len(t.code) == 12 and t.code.endswith("000") and t.code.startswith(t.county_code) for t in rows)
    assert {t.vintage for t in rows} == {2023}
    xinzheng = [t for t in rows if t.county_code == "511324" and t.name == "新政镇"]
    assert [t.code for t in xinzheng] == ["511324101000"]


@pytest.mark.parametrize(
    ("name", "region", "code", "how"),
    [
        ("新政镇", "511324", "511324101000", "exact"),  # 四川省南充市仪陇县新政镇
        ("新政鎮", "511324", "511324101000", "exact"),  # Traditional 鎮
        ("东华门街道", "110101", "110101001000", "exact"),
        # printed 保康街道办事处 by the NBS; extract_township gives 保康街道
        ("保康街道", "150521", "150521403000", "office_form"),
        ("漓东街道办事处", "450305", "450305004000", "office_form"),  # printed 漓东街道 by the NBS
        ("庆北街道", "130273", "130273401000", "office_form"),  # printed 庆北办事处
        # 正定县南牛乡 (NBS 2021: 130123200) became 南牛镇 (2023: 130123106): the 2023 code
        ("南牛乡", "130123", "130123106000", "renamed"),
        ("沐城街道", "321322", "321322001000", "ocr"),  # 沭阳县沭城街道, 沭 misread as 沐
        ("演示县巉口镇", "621102", "621102103000", "prefix"),  # an unknown county name before the township
    ],
)
def test_resolves_within_the_county(name: str, region: str, code: str, how: str) -> None:
    hit = resolve(name, region)
    assert hit is not None and (hit.township.code, hit.how, hit.scope) == (code, how, "county")


def test_prefecture_scope_needs_a_unique_name() -> None:
    hit = resolve("新政镇", "511300")  # 南充市: one 新政镇
    assert hit is not None and (hit.township.code, hit.scope) == ("511324101000", "prefecture")
    # 东莞市 has no counties: its 街道 and 镇 sit right under the prefecture's code
    assert township_code("东城街道", "441900") == "441900003000"
    # 石家庄市 has two 桃园镇 (长安区 and 晋州市): no guess; the county decides
    assert township_code("桃园镇", "130100") is None
    assert township_code("桃园镇", "130102") == "130102103000"
    assert township_code("桃园镇", "130183") == "130183103000"


@pytest.mark.parametrize(
    ("name", "region"),
    [
        ("新政镇", "511322"),  # another county of 南充市 (营山县)
        ("新政镇", "510000"),  # a province is too wide
        ("新政镇", "999999"),  # no such county
        ("凤城街道", "371202"),  # 莱芜市莱城区: renumbered 370116 in 2019, no townships under its old code
        ("城关镇", "621102"),  # 安定区's 城关镇 is not in the 2023 list (split into 街道)
        ("馋口镇", "621102"),  # one character off 巉口镇, but 巉 is not in the stroke table: never guessed
        ("新政镇人民政府", "511324"),  # the caller passes the township, not the organ
        (None, "511324"),
        ("新政镇", None),
    ],
)
def test_no_match_is_none(name: str | None, region: str | None) -> None:
    assert resolve(name, region) is None


def test_enrich_report_fills_township_code() -> None:
    out = enrich_report({"title": "仪陇县新政镇人民政府2023年政府信息公开工作年度报告", "report_year": 2023})
    assert (out["region_code"], out["township"], out["township_code"]) == ("511324", "新政镇", "511324101000")
    dept = enrich_report({"title": "仪陇县商务局2023年政府信息公开工作年度报告", "report_year": 2023})
    assert (dept["region_code"], dept["township"], dept["township_code"]) == ("511324", None, None)


def _portal(portal_id: str) -> dict:
    data = yaml.safe_load((ROOT / "nianbao" / "demo_portal" / "archetypes.yaml").read_text(encoding="utf-8"))
    return next(p for p in data["portals"] if p["id"] == portal_id)


def test_demo_county_portal_township_reports_end_to_end() -> None:
    """The demo 定西-like county portal (registry region 621102 安定区) publishes generated township reports
    under the fictitious county name 演示县 and the real township names of 安定区: parsed from the served
    HTML page, enriched with the portal's registry record."""
    site = mockcounty_site()
    portal = _portal("demo-621102-mockcounty")
    want = {"巉口镇": "621102103000", "新集乡": "621102208000", "城关镇": None, "馋口镇": None}
    got = {}
    for doc in site.docs:
        town = (doc.agency or "").removeprefix("演示县")
        if doc.report_year == 2020 and town in want:
            res = parse_document(site.article(doc).body, url=f"http://www.mockcounty.demo.test{doc.path}")
            assert res.report["parse_status"] == "ok"
            out = enrich_report(res.report, portal=portal)
            assert (out["region_code"], out["agency_type"]) == ("621102", "township_gov")
            got[town] = out["township_code"]
    assert got == want


def test_township_table_is_part_of_the_parser_version() -> None:
    assert version.PACKAGE / "data" / "townships.csv.gz" in version._tree(version.PACKAGE / "data")
    assert version.PACKAGE / "townships.py" in version.code_files()
