"""Year-aware division lookups: abolished and renamed divisions, ambiguous names, year clamping."""

from __future__ import annotations

import pytest

from pipeline.regions import clamp_year, lookup_code, resolve_name


def test_lookup_code_is_year_aware() -> None:
    laiwu = lookup_code("371200", 2015)
    assert laiwu is not None and laiwu.name == "莱芜市" and laiwu.level == "prefectural"
    assert lookup_code("371200", 2024) is None
    assert lookup_code("370116", 2024).name == "莱芜区"


def test_pingtan_2011_is_a_county_of_fuzhou() -> None:
    d = lookup_code("350128", 2011)
    assert (d.name, d.level, d.province, d.prefecture, d.county) == ("平潭县", "county", "福建省", "福州市", "平潭县")


def test_site_id_prefix_that_is_no_region_code() -> None:
    assert lookup_code("359000", 2016) is None


@pytest.mark.parametrize(
    ("text", "year", "code"),
    [
        ("莱芜市人民政府", 2015, "371200"),
        ("济南市莱芜区人民政府", 2024, "370116"),
        ("襄樊市人民政府", 2010, "420600"),  # renamed 襄阳市 in 2010: the name of the year before resolves
        ("襄阳市人民政府", 2012, "420600"),
        ("北京市海淀区人民政府办公室", 2015, "110108"),
        ("张家界市永定区政府", 2018, "430802"),
        ("仪陇县新政镇人民政府", 2023, "511324"),
        ("平潭县人民政府", 2011, "350128"),
        ("平潭综合实验区", 2021, "350128"),
        ("龙岩市永定县人民政府", 2012, "350822"),  # 撤县设区: 永定县 350822 became 永定区 350803
        ("龙岩市永定区人民政府", 2019, "350803"),
        ("凉山州人民政府", 2020, "513400"),
        ("天津市河西区", 2020, "120103"),  # 西区 (攀枝花) must not match inside 河西区
        ("北京市朝阳区人民政府", 2020, "110105"),
        ("长春市朝阳区人民政府", 2020, "220104"),
    ],
)
def test_resolve_name(text: str, year: int, code: str) -> None:
    d = resolve_name(text, year)
    assert d is not None and d.code == code


def test_laiwu_is_gone_in_2024() -> None:
    assert resolve_name("莱芜市人民政府", 2024) is None


def test_ambiguous_county_needs_its_parent_or_scope() -> None:
    assert resolve_name("朝阳区人民政府", 2020) is None
    assert resolve_name("鼓楼区人民政府", 2020) is None
    assert resolve_name("朝阳区人民政府", 2020, within="110000").code == "110105"
    assert resolve_name("鼓楼区人民政府", 2020, within="350100").code == "350102"


def test_national_organs_name_no_place() -> None:
    for name in ("生态环境部", "国家市场监督管理总局", "住房和城乡建设部"):
        assert resolve_name(name, 2020) is None


def test_years_are_clamped() -> None:
    assert clamp_year(1975) == 1980 and clamp_year(2026) == 2024
    assert lookup_code("430802", 2025).name == "永定区"
