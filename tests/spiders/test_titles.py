"""is_report_title / report_year on real titles. Sources: the 平潭 政府信息公开年报 column as archived in
changwu/pingtan-gov-zwgk-archive (pingtan/zwgk/zfxxgk/zfxxgknb/README.md, all 20 entries), the 三明 list-API
captures and the Ordos and Dingxi listings in tests/spiders/fixtures (SOURCES.md), and the two titles issue 8
quotes from the 工业和信息化部 and 重庆大足 sites."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.titles import is_report_title, report_year
from spiders.listing import read_listing

FIXTURES = Path(__file__).parent / "fixtures"

REPORTS = {
    # issue 8: year after 工作, a department of a district government
    "工业和信息化部政府信息公开工作2011年度报告": 2011,
    "重庆市大足区人民政府外事办公室政府信息公开工作2022年度报告": 2022,
    # 平潭 column (pingtan/zwgk/zfxxgk/zfxxgknb/README.md)
    "平潭综合实验区2025年度政府信息公开工作年度报告": 2025,
    "平潭综合实验区管委会2014年度政府信息公开工作年度报告": 2014,
    "平潭综合实验区地方税务局2013年信息公开年度报告": 2013,
    "平潭县人民政府2012年政府信息公开工作年度报告": 2012,
    "平潭综合实验区2011年政府信息公开工作年度报告": 2011,
    # 三明 list API
    "三明市2013年政府信息公开工作年度报告": 2013,
    # Ordos TRS listing: superiors' reports in a county column
    "鄂尔多斯市人民政府办公室2019年政府信息公开工作年度报告": 2019,
    "鄂尔多斯市2018年政府信息公开年度报告": 2018,
    "内蒙古自治区2018年政府信息公开工作年度报告": 2018,
    # page <title>s of the 平潭 reports (column name and site after the report title)
    "平潭综合实验区2019年度政府信息公开工作年度报告_政府信息公开年报_平潭综合实验区党工委管委会": 2019,
}

NOT_REPORTS = [
    "关于2014年政府信息公开工作要点落实情况的函",  # 平潭 column
    "恩格贝生态示范区召开2020年度工作会暨党风廉政建设会议",  # Ordos
    "一图读懂示范区2017年重点工作",  # Ordos
    "2021年度政府网站年度工作报表",  # Dingxi
    "三明市住房公积金2025年年度报告",  # 三明 住房公积金年度报告 column
    "三明市住房公积金管理中心2024年年度报告解读",
    "三明市2022年住房公积金年度报告解读",
    "信息公开年报",  # the column's own name in the navigation (Ordos)
    "政府信息公开年报",  # 平潭 navigation
]

# shapes the real lists above do not show, written after real titles named in research/real-portals.md
VARIANTS = {
    "平潭综合实验区2019年度政府信息公开工作年度报告（图片版）": 2019,
    "2024 年政府信息公开工作年度报告": 2024,
    "关于公布2019年政府信息公开工作年度报告的公告": 2019,
    "二〇一九年政府信息公开工作年度报告": 2019,
}
NOTICES = [
    "关于报送2020年政府信息公开工作年度报告的通知",
    "关于做好2020年政府信息公开工作年度报告编制和发布工作的通知",
    "关于开展2021年度政府信息公开工作年度报告评议的通知",
    "2019年政府信息公开工作年度报告解读",
    "关于征集2022年政府信息公开工作年度报告意见建议的公告",
    "2023年度政府信息公开工作考核结果通报",
]


@pytest.mark.parametrize("title, year", [*REPORTS.items(), *VARIANTS.items()])
def test_real_report_titles_and_their_year(title, year):
    assert is_report_title(title)
    assert report_year(title) == year


@pytest.mark.parametrize("title", [*NOT_REPORTS, *NOTICES])
def test_titles_about_reports_are_not_reports(title):
    assert not is_report_title(title)


def test_every_title_of_the_real_fujian_captures_is_classified_as_a_reader_would():
    """All 13 三明 disclosure reports are reports; none of the 14 住房公积金 entries is."""
    sanming = json.loads((FIXTURES / "real" / "sanming" / "zfxxgkndbg-index-api_p001.json").read_text("utf-8"))
    assert all(is_report_title(d["doctitle"]) for d in sanming["data"])
    gjj = json.loads((FIXTURES / "real" / "heldout" / "sanming-gjjndbg-api_p001.json").read_text("utf-8"))
    assert not any(is_report_title(d["doctitle"]) for d in gjj["data"])
    dingxi = read_listing("http://zwgk.dingxi.gov.cn/module/web/jpage/dataproxy.jsp",
                          (FIXTURES / "hanweb-jpage_dingxi-zwgk_dataproxy-response.xml").read_bytes())
    assert len(dingxi.entries) == 45 and not dingxi.reports
