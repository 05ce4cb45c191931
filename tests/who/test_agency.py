"""Agency names: normalisation, organ of a title, types, townships, regional aggregates."""

from __future__ import annotations

import pytest

from pipeline.agency import (
    classify_agency,
    extract_township,
    is_regional_aggregate,
    normalise_agency,
    organ_from_title,
)
from pipeline.who import enrich_report


def test_normalise_agency() -> None:
    assert normalise_agency("張家界市永定區人民政府") == "张家界市永定区人民政府"
    assert normalise_agency(" 平潭县\u3000人民政府 ") == "平潭县人民政府"
    assert normalise_agency("ＸＸ县人民政府（办公室）") == "XX县人民政府(办公室)"
    assert normalise_agency(None) == ""


@pytest.mark.parametrize(
    ("title", "organ"),
    [
        ("平潭综合实验区2016年度政府信息公开工作年度报告", "平潭综合实验区"),
        ("2022年上海市政府信息公开工作年度报告", "上海市"),
        ("张家界市永定区政府2018年度政府信息 公开工作年度报告", "张家界市永定区政府"),
        ("高岭镇_2017年_政府信息公开工作年度报告", "高岭镇"),
        ("宿州市人民政府2019年政府信息公开工作年度报告（图片版）", "宿州市人民政府"),
        ("2019年政府信息公开工作年度报告", None),
    ],
)
def test_organ_from_title(title: str, organ: str | None) -> None:
    assert organ_from_title(title) == organ


@pytest.mark.parametrize(
    ("name", "agency_type", "level"),
    [
        ("生态环境部", "state_council_dept", "national"),
        ("中华人民共和国住房和城乡建设部", "state_council_dept", "national"),
        ("国家市场监督管理总局", "state_council_dept", "national"),
        ("海关总署", "state_council_dept", "national"),
        ("国务院办公厅", "state_council_dept", "national"),
        ("湖南省人民政府", "provincial_gov", "provincial"),
        ("内蒙古自治区", "provincial_gov", "provincial"),
        ("上海市人民政府办公厅", "provincial_dept", "provincial"),
        ("鄂尔多斯市", "prefecture_gov", "prefectural"),
        ("凉山州人民政府", "prefecture_gov", "prefectural"),
        ("鄂尔多斯市教育局", "prefecture_dept", "prefectural"),
        ("张家界市永定区政府", "county_gov", "county"),
        ("北京市海淀区教育委员会", "county_dept", "county"),
        ("盐亭县行政审批局", "county_dept", "county"),
        ("区商务局", "county_dept", "county"),
        ("仪陇县新政镇人民政府", "township_gov", "township"),
        ("溪下乡", "township_gov", "township"),
        ("西溪坪街道办事处", "subdistrict_office", "township"),
        ("平潭综合实验区", "dev_zone_admin", "county"),
        ("浦东新区人民政府", "county_gov", "county"),  # a real district, not a zone committee
        ("国家税务总局张家界市永定区税务局", "vertical_bureau", "county"),
        ("福建省气象局", "vertical_bureau", "provincial"),
        ("北京市朝阳区住房公积金管理中心", "authorised_org", "county"),
        ("北京市朝阳区人民法院", "other", "county"),
    ],
)
def test_classify_agency(name: str, agency_type: str, level: str) -> None:
    assert classify_agency(name) == (agency_type, level)


def test_bare_department_name_is_local_on_a_local_site() -> None:
    assert classify_agency("商务局", level="county") == ("county_dept", "county")
    assert classify_agency("商务局") == ("state_council_dept", "national")  # no context: named like a central body


def test_extract_township() -> None:
    assert extract_township("仪陇县新政镇人民政府") == "新政镇"
    assert extract_township("镇安县茅坪回族镇人民政府") == "茅坪回族镇"
    assert extract_township("西咸新区太平镇") == "太平镇"
    assert extract_township("鄂尔多斯市住房和城乡建设局") is None
    assert extract_township("张家界市永定区人民政府") is None


def test_is_regional_aggregate() -> None:
    assert is_regional_aggregate("2022年上海市政府信息公开工作年度报告", "全市各级行政机关认真贯彻落实……")
    assert is_regional_aggregate("辽宁省2022年政府信息公开工作年度报告", "本报告汇总全省数据……")
    assert not is_regional_aggregate("上海市人民政府办公厅2019年政府信息公开工作年度报告", "本机关……")
    # A county government's own report talking about "全县" is not the aggregate.
    assert not is_regional_aggregate("平潭县人民政府2011年政府信息公开工作年度报告", "全县各级政府、各乡镇、各有关单位……")


def test_generic_organ_falls_back_to_the_site() -> None:
    portal = {"id": "p", "name": "张家界市永定区人民政府（演示）", "region_code": "430802", "admin_level": "county"}
    out = enrich_report({"title": "2019年政府信息公开工作年度报告", "agency_name": "政府", "report_year": 2019},
                        portal=portal)
    assert out["agency_name_norm"] == "张家界市永定区人民政府" and out["agency_type"] == "county_gov"


def test_same_organ_printed_differently_has_one_norm() -> None:
    names = ["张家界市永定区人民政府", "永定区人民政府", "湖南省张家界市永定区政府", "張家界市永定區政府"]
    portal = {"id": "p", "name": "x", "region_code": "430802", "admin_level": "county"}
    norms = {enrich_report({"agency_name": n, "report_year": 2019}, portal=portal)["agency_name_norm"] for n in names}
    assert norms == {"张家界市永定区人民政府"}
    town = {enrich_report({"agency_name": n, "report_year": 2023},
                          portal={"id": "q", "name": "x", "region_code": "511324", "admin_level": "county"})["agency_name_norm"]
            for n in ["新政镇人民政府", "仪陇县新政镇人民政府"]}
    assert town == {"仪陇县新政镇人民政府"}
