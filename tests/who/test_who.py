"""enrich_report: region, level and agency of the demo portal's and the real fixtures' reports."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from pipeline.who import NATIONAL_CODE, enrich_report

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT / "nianbao" / "demo_portal" / "site" / "pingtan"


def _registry() -> dict[str, dict]:
    """Every demo portal record: the demo's own registry and the crawl archetypes'."""
    records = {}
    for name in ("registry.yaml", "archetypes.yaml"):
        data = yaml.safe_load((ROOT / "nianbao" / "demo_portal" / name).read_text(encoding="utf-8"))
        records.update({p["id"]: p for p in data["portals"]})
    return records


def _meta(path: Path) -> dict:
    html = path.read_text(encoding="utf-8")
    meta = dict(re.findall(r'<meta name="(\w+)" content="([^"]*)"', html))
    return {
        "title": meta["ArticleTitle"],
        "site_id_code": meta["SiteIDCode"],
        "site_name": meta["SiteName"],
        "site_domain": meta["SiteDomain"],
        "column_name": meta["ColumnName"],
        "content_source": meta["ContentSource"] or None,
        "publish_date": meta["PubDate"][:10],
        "report_year": int(re.search(r"(20\d\d)年", meta["ArticleTitle"]).group(1)),
    }


PINGTAN = [
    # file, year, agency type: the real pages, region 350128 平潭县 under 福州市 in every year
    ("t20120418_80716.htm", 2011, "county_gov"),
    ("t20170118_80485.htm", 2016, "dev_zone_admin"),
    ("t20200120_80576.htm", 2019, "dev_zone_admin"),
    ("t20220208_80613.htm", 2021, "dev_zone_admin"),
]


@pytest.mark.parametrize(("name", "year", "agency_type"), PINGTAN)
@pytest.mark.parametrize("with_registry", [True, False])
def test_real_pingtan_pages(name: str, year: int, agency_type: str, with_registry: bool) -> None:
    report = _meta(REAL / name)
    portal = _registry()["demo-350128-pingtan"] if with_registry else None
    out = enrich_report(report, portal=portal)
    assert report["report_year"] == year
    assert out["region_code"] == "350128"
    # Without the registry, SiteIDCode 3590000001 (359000 is no code) is rejected and the name decides.
    assert out["region_source"] == ("registry" if with_registry else "agency_name")
    assert (out["province"], out["prefecture"], out["county"]) == ("福建省", "福州市", "平潭县")
    assert out["admin_level"] == "county"
    assert out["agency_type"] == agency_type
    assert out["township"] is None


# Demo-portal reports whose organ is not the portal's own place: the organ named in the title wins.
DEMO_OTHER_ORGAN = {"内蒙古自治区2018年政府信息公开工作年度报告": ("150000", "provincial", "agency_name")}


def test_demo_portal_reports_all_resolve() -> None:
    """Every report the demo portal serves resolves to its portal's region and level (townships to
    the township level, superiors' reports in a column to the superior)."""
    from nianbao.demo_portal.sites import all_sites

    registry = _registry()
    seen = 0
    for site in all_sites():
        for truth in site.truth("http://127.0.0.1:0"):
            portal = registry[truth["portal_id"]]
            report = {"title": truth["title"], "agency_name": truth.get("agency"),
                      "report_year": truth["report_year"], "publish_date": truth.get("publish_date")}
            out = enrich_report(report, portal=portal)
            township = re.search(r"(镇|乡|街道)(人民政府)?$", truth.get("agency") or "")
            level = "township" if township else portal["admin_level"]
            expected = DEMO_OTHER_ORGAN.get(truth["title"], (portal["region_code"], level, "registry"))
            assert (out["region_code"], out["admin_level"], out["region_source"]) == expected, truth["title"]
            assert out["agency_type"] != "other", truth["title"]
            assert out["deadline"] is not None and out["agency_name_norm"], truth["title"]
            seen += 1
    assert seen >= 5


def test_yongding_seed_2018() -> None:
    text = (ROOT / "nianbao" / "demo_portal" / "site" / "yongding" / "yongding-2018.txt").read_text(encoding="utf-8")
    title = next(ln.strip() for ln in text.splitlines() if re.search(r"\d{4}年度政府信息", ln))
    out = enrich_report({"title": title, "report_year": 2018, "publish_date": "2019-03-05", "text_head": text[:1500]})
    assert out["region_code"] == "430802"
    assert (out["province"], out["prefecture"], out["county"]) == ("湖南省", "张家界市", "永定区")
    assert out["admin_level"] == "county" and out["agency_type"] == "county_gov"
    assert out["agency_name_norm"] == "张家界市永定区人民政府"
    assert out["parent_government"] == "张家界市人民政府"
    assert out["is_regional_aggregate"] is False
    assert (out["deadline"], out["days_late"]) == ("2019-03-31", -26)


def test_abolished_prefecture_laiwu_2015() -> None:
    out = enrich_report({"title": "莱芜市人民政府2015年政府信息公开工作年度报告", "report_year": 2015,
                         "publish_date": "2016-03-30"})
    assert (out["region_code"], out["admin_level"], out["prefecture"]) == ("371200", "prefectural", "莱芜市")
    assert out["agency_type"] == "prefecture_gov" and out["parent_government"] == "山东省人民政府"


def test_renamed_prefecture_xiangfan_2010() -> None:
    out = enrich_report({"title": "襄樊市人民政府2010年政府信息公开工作年度报告", "report_year": 2010})
    assert (out["region_code"], out["admin_level"]) == ("420600", "prefectural")
    assert out["agency_name"] == "襄樊市人民政府"


def test_township_report() -> None:
    out = enrich_report({"title": "仪陇县新政镇人民政府2023年政府信息公开工作年度报告", "report_year": 2023,
                         "publish_date": "2024-01-30"})
    assert out["region_code"] == "511324"
    assert (out["province"], out["prefecture"], out["county"]) == ("四川省", "南充市", "仪陇县")
    assert (out["township"], out["township_code"]) == ("新政镇", "511324101000")
    assert out["admin_level"] == "township" and out["agency_type"] == "township_gov"
    assert out["parent_government"] == "仪陇县人民政府"
    assert (out["deadline"], out["days_late"]) == ("2024-01-31", -1)


def test_subdistrict_office_on_county_portal() -> None:
    portal = {"id": "p", "name": "张家界市永定区人民政府", "region_code": "430802", "admin_level": "county"}
    out = enrich_report({"title": "西溪坪街道办事处2021年政府信息公开工作年度报告", "report_year": 2021}, portal=portal)
    assert (out["region_code"], out["region_source"], out["admin_level"]) == ("430802", "registry", "township")
    assert (out["township"], out["agency_type"]) == ("西溪坪街道", "subdistrict_office")


def test_state_council_department_by_site_id_code() -> None:
    out = enrich_report({"title": "生态环境部2021年政府信息公开工作年度报告", "report_year": 2021,
                         "publish_date": "2022-01-28", "site_id_code": "bm17000009"})
    assert (out["region_code"], out["admin_level"], out["agency_type"]) == (NATIONAL_CODE, "national", "state_council_dept")
    assert out["province"] is None and out["parent_government"] == "国务院"
    assert out["days_late"] == -3


def test_regional_aggregate_shanghai_2022() -> None:
    out = enrich_report({"title": "2022年上海市政府信息公开工作年度报告", "report_year": 2022,
                         "publish_date": "2023-03-31", "site_id_code": "3100000087",
                         "text_head": "本报告由上海市人民政府办公厅编制。全市各级行政机关认真贯彻……"})
    assert out["is_regional_aggregate"] is True
    assert (out["region_code"], out["admin_level"], out["agency_type"]) == ("310000", "provincial", "provincial_gov")
    assert (out["deadline"], out["days_late"]) == ("2023-03-31", 0)


def test_superior_report_in_a_subordinate_column_is_attributed_to_the_superior() -> None:
    # The Ordos 恩格贝 column (SiteIDCode 1506000140) carries 内蒙古自治区's report (portals.md §0).
    out = enrich_report({"title": "内蒙古自治区2018年政府信息公开工作年度报告", "report_year": 2018,
                         "site_id_code": "1506000140"})
    assert (out["region_code"], out["region_source"], out["admin_level"]) == ("150000", "agency_name", "provincial")
    own = enrich_report({"title": "鄂尔多斯市人民政府办公室2019年政府信息公开工作年度报告", "report_year": 2019,
                         "site_id_code": "1506000140"})
    assert (own["region_code"], own["region_source"], own["agency_type"]) == ("150600", "site_id_code", "prefecture_dept")


def test_relative_department_name_is_qualified_by_its_site() -> None:
    out = enrich_report({"title": "区商务局2019年政府信息公开工作年度报告", "report_year": 2019,
                         "site_id_code": "4308020001", "publish_date": "2020-02-03"})
    assert (out["region_code"], out["region_source"], out["agency_type"]) == ("430802", "site_id_code", "county_dept")
    assert out["agency_name_norm"] == "张家界市永定区商务局"
    assert out["days_late"] == 3


def test_breadcrumb_is_the_last_resort() -> None:
    out = enrich_report({"title": "2019年政府信息公开工作年度报告", "report_year": 2019,
                         "breadcrumb": ["首页", "北京市朝阳区", "信息公开年报"]})
    assert (out["region_code"], out["region_source"]) == ("110105", "breadcrumb")


def test_unresolvable_report_keeps_nulls_and_input_is_not_mutated() -> None:
    report = {"title": "2019年政府信息公开工作年度报告", "report_year": 2019}
    out = enrich_report(report)
    assert out["region_code"] is None and out["region_source"] is None
    assert "region_code" not in report
