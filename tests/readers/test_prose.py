"""Prose extraction on real report sentences (平潭 2011/2016/2019/2021 on pingtan.gov.cn) and sentences in the
real g0 style of formats.md §1.2. The 平潭 sentences are copied verbatim from the captured pages in
shared/fixtures/real/pingtan/."""

from __future__ import annotations

import pytest

from pipeline.prose import cn_to_int, extract_prose_facts

FACT_KEYS = {
    "indicator",
    "applicant_type",
    "value",
    "unit",
    "value_raw",
    "unit_raw",
    "value_status",
    "row_label_raw",
    "col_label_raw",
    "table_id",
    "row_idx",
    "col_idx",
    "match_method",
    "match_score",
    "source_text",
}

# 平潭县人民政府2011年政府信息公开工作年度报告 (t20120418_80716.htm), sections 二 and 三
PINGTAN_2011 = (
    "（一）主动公开政府信息的数量各乡镇、县直各单位对政府信息进行了梳理和编目，2011年制作、获取政府信息总数1873条，"
    "其中主动公开政府信息425条，作为依申请公开信息数46条，不予公开信息数1402。"
    "2011年政府信息公开专栏访问量达11460人次。"
    "三、政府信息依申请公开工作情况 2011年全县未收到有关政府信息公开的申请，未收到有关政府信息公开行政复议申请。"
)
# 平潭综合实验区2016年度报告 (t20170118_80485.htm)
PINGTAN_2016 = (
    "2016年全区未收到有关政府信息公开申请。2016年我区未收到有关政府信息公开行政复议、提起行政诉讼的申请。"
)
# 平潭综合实验区2021年度报告 (t20220208_80613.htm): 总体情况 and section 六
PINGTAN_2021 = (
    "全年主动公开我区各级单位政府信息2645条，主要通过政府网站、政务新媒体、办公场所的LED屏及宣传栏进行公开。"
    "推进监管执法信息公开,通过微信公众号发布20680批次农产品抽检情况；加强决策预公开信息公开。"
    "召开68海里景区观光区收费标准定价听证会并将相关信息上网公开。"
    "本年度全区共收到70件申请，及时依法依规办结69件，1件结转下年度继续办理。"
    "六、其他需要报告的事项\n2021年，无收取信息处理费情况。"
)
# 平潭综合实验区2019年度报告 (t20200120_80576.htm): counts that are not applications
PINGTAN_2019 = (
    "区社会事业局不断公开社会保障、医疗救助、临时救助、减灾救灾、城乡低保、特困人员等信息，受理各类群众诉求259起。"
    "全年公开核准企业资质条、施工许可证76条、安全生产许可证121条、排水许可证5条、申请户外广告设置许可证783条、申请竣工验收备案16条；"
    "通过热线电话、家园985后台以及网络直播间的方式解答群众问题，其中热线电话11通，网络诉求3件，创新了信息公开渠道及形式。"
)


def facts_by_indicator(text: str, year: int | None = None) -> dict[str, dict]:
    facts = extract_prose_facts(text, year)
    assert len({f["indicator"] for f in facts}) == len(facts)
    return {f["indicator"]: f for f in facts}


def test_pingtan_2011_zero_applications_and_reviews_not_the_item_counts():
    facts = facts_by_indicator(PINGTAN_2011, 2011)
    assert set(facts) == {"apply.new", "review.total"}
    assert facts["apply.new"]["value"] == 0
    assert facts["apply.new"]["value_raw"] == "未收到有关政府信息公开的申请"
    assert facts["review.total"]["value"] == 0
    assert "行政复议" in facts["review.total"]["value_raw"]
    # the sentence is kept as printed, full-width punctuation included
    assert facts["apply.new"]["source_text"] == (
        "三、政府信息依申请公开工作情况 2011年全县未收到有关政府信息公开的申请，未收到有关政府信息公开行政复议申请"
    )


def test_pingtan_2016_review_and_litigation_zero_from_one_phrase():
    facts = facts_by_indicator(PINGTAN_2016, 2016)
    assert {k: v["value"] for k, v in facts.items()} == {
        "apply.new": 0,
        "review.total": 0,
        "litigation.all.total": 0,
    }


def test_pingtan_2021_applications_and_processing_fee():
    facts = facts_by_indicator(PINGTAN_2021, 2021)
    assert set(facts) == {"apply.new", "fee.processing_fee.amount"}
    new = facts["apply.new"]
    assert (new["value"], new["unit"], new["value_raw"], new["unit_raw"]) == (70.0, "count", "70件", "件")
    fee = facts["fee.processing_fee.amount"]
    assert (fee["value"], fee["unit"], fee["value_raw"]) == (0.0, "cny", "无收取信息处理费")
    assert fee["source_text"] == "2021年，无收取信息处理费情况"


def test_pingtan_2019_petitions_and_permits_are_not_applications():
    assert extract_prose_facts(PINGTAN_2019, 2019) == []


def test_fact_rows_have_the_facts_schema():
    (fact, *_) = extract_prose_facts("收到12起政府信息依申请公开。", 2014)
    assert set(fact) == FACT_KEYS
    assert fact["indicator"] == "apply.new"
    assert fact["value"] == 12.0 and isinstance(fact["value"], float)
    assert fact["applicant_type"] == "na"
    assert fact["value_status"] == "text"
    assert fact["table_id"] == "prose"
    assert fact["match_method"] == "regex"
    assert 0 < fact["match_score"] <= 1
    assert fact["row_idx"] is None and fact["col_label_raw"] is None


def test_g0_replies_with_chinese_numerals():
    text = "全年共受理政府信息公开申请一百二十三件，其中同意公开八十件，同意部分公开十二件，不予公开两件。"
    facts = facts_by_indicator(text, 2012)
    assert {k: v["value"] for k, v in facts.items()} == {
        "apply.new": 123,
        "apply.reply.granted": 80,
        "apply.reply.partial": 12,
        "apply.reply.refused": 2,
    }
    assert facts["apply.reply.refused"]["value_raw"] == "两件"


def test_replies_after_2019_use_the_result_codes():
    text = "本年度共收到政府信息公开申请15件，其中予以公开10件，部分公开3件，不予公开2件。"
    facts = facts_by_indicator(text, 2020)
    assert {k: v["value"] for k, v in facts.items()} == {
        "apply.new": 15,
        "apply.result.granted": 10,
        "apply.result.partial": 3,
        "apply.result.withheld": 2,
    }


def test_broad_refusals():
    assert (
        facts_by_indicator("对申请的答复中，否决公开答复3件。", 2010)["apply.reply.rejected_broad"]["value"]
        == 3
    )
    facts = facts_by_indicator("答复申请8件，不予公开5件（其中信息不存在3件，非本部门掌握2件）。", 2011)
    assert facts["apply.reply.rejected_broad"]["value"] == 5
    assert "apply.reply.refused" not in facts


def test_no_review_or_litigation_phrase():
    text = "未发生因政府信息公开申请行政复议、提起行政诉讼的情况。"
    facts = facts_by_indicator(text, 2013)
    assert set(facts) == {"review.total", "litigation.all.total"}  # not "no applications"
    assert facts["review.total"]["value"] == 0 and facts["litigation.all.total"]["value"] == 0
    assert facts["litigation.all.total"]["value_raw"] == "未发生因政府信息公开申请行政复议、提起行政诉讼"
    assert facts["review.total"]["unit"] == "count"


def test_review_litigation_appeal_counts():
    facts = facts_by_indicator("本年度因政府信息公开被申请行政复议1起，提起行政诉讼2起，行政申诉1件。", 2012)
    assert {k: v["value"] for k, v in facts.items()} == {
        "review.total": 1,
        "litigation.all.total": 2,
        "appeal.total": 1,
    }
    facts = facts_by_indicator("行政复议和行政诉讼均为零。", 2012)
    assert {k: v["value"] for k, v in facts.items()} == {"review.total": 0, "litigation.all.total": 0}


@pytest.mark.parametrize(
    "text",
    [
        "全年共接受群众咨询360人次，收到政府信息公开咨询45件。",
        "主动公开政府信息1234条，其中规范性文件12件。",
        "受理申请后15个工作日内予以答复。",
        "2011年收到的申请均已按时办结。",
        "一、本年新收政府信息公开申请数量 64 0 0 2 0 4 70",
        "4.无正当理由大量反复申请 0 0 0 0 0 0 0",
        "结果维持 结果纠正 其他结果 尚未审结 总计 未经复议直接起诉 复议后起诉",
        "其中当面申请3件，网上申请9件。",
        "第二十条第（八）项 行政事业性收费 本年收费金额 24252.311082万元。",
    ],
)
def test_numbers_that_are_not_the_indicators(text):
    assert extract_prose_facts(text, 2012) == []


def test_conflicting_statements_emit_nothing():
    text = "本年度共收到政府信息公开申请12件。本年度共收到政府信息公开申请15件。"
    assert extract_prose_facts(text, 2012) == []
    same = "本年度共收到政府信息公开申请12件。全年受理依申请公开12件。"
    assert facts_by_indicator(same, 2012)["apply.new"]["value"] == 12


def test_g0_fees_in_yuan_become_ten_thousand_yuan():
    fee = facts_by_indicator("本年度共收取检索、复制费用120元。", 2010)["fee.application_fees"]
    assert fee["value"] == pytest.approx(0.012)
    assert (fee["unit"], fee["unit_raw"], fee["value_raw"]) == ("cny_10k", "元", "120元")
    zero = facts_by_indicator("三、政府信息公开的收费及减免情况。本年度未收取任何费用。", 2012)[
        "fee.application_fees"
    ]
    assert (zero["value"], zero["unit"]) == (0.0, "cny_10k")


def test_g3_processing_fee_amount_and_notices():
    text = (
        "依据《政府信息公开信息处理费管理办法》规定，本机关共发出收费通知2件，实际收取信息处理费共计400元。"
    )
    facts = facts_by_indicator(text, 2022)
    assert facts["fee.processing_fee.amount"]["value"] == 400
    assert facts["fee.processing_fee.amount"]["unit"] == "cny"
    assert facts["fee.processing_fee.notices"]["value"] == 2
    assert "fee.application_fees" not in facts
    assert (
        facts_by_indicator("本年度收取信息处理费 380 元。", 2023)["fee.processing_fee.amount"]["value"] == 380
    )
    assert facts_by_indicator("本年度未收取信息处理费。", 2022)["fee.processing_fee.amount"]["value"] == 0
    # after 2021 a generic "no fees" sentence is not evidence about the 信息处理费
    assert extract_prose_facts("本年度未收取任何费用。", 2022) == []


@pytest.mark.parametrize(
    ("numeral", "value"),
    [
        ("十二", 12),
        ("一百二十三", 123),
        ("两", 2),
        ("十", 10),
        ("一千零五", 1005),
        ("三万二千", 32000),
        ("二〇一一", 2011),
    ],
)
def test_chinese_numerals(numeral, value):
    assert cn_to_int(numeral) == value


def test_full_width_digits():
    assert facts_by_indicator("全年共收到政府信息公开申请１２件。", 2012)["apply.new"]["value"] == 12


def _real_lines(fixture: str, *starts: str) -> str:
    """The lines of a real archived report that start with the given words, verbatim."""
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "fixtures" / fixture
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.startswith(starts)]
    assert len(lines) >= len(starts), lines
    return "\n".join(lines)


def test_the_2008_model_wording_of_nil_statements_gives_zeros():
    """莆田市文化广电新闻出版局 2008 (real/putian-wgxj) words its three nil sections as the 2008 model report did
    (the same sentences open 山东省省级机关事务管理局's 2008 report on jgswj.shandong.gov.cn): 尚未收到 …
    申请, 尚未发生 … 收费及减免, 复议、诉讼和申诉 without 行政."""
    text = _real_lines("real/putian-wgxj/t20170118_512049.archive.txt", "2008年，我局尚未")
    facts = facts_by_indicator(text, 2008)
    assert {k: v["value"] for k, v in facts.items()} == {
        "apply.new": 0, "fee.application_fees": 0, "review.total": 0, "litigation.all.total": 0, "appeal.total": 0,
    }
    assert facts["appeal.total"]["value_raw"] == "未发生就政府信息公开提出复议、诉讼和申诉"


def test_a_prose_only_2008_report_states_no_applications_and_no_fees():
    """莆田市水利局 2008 (real-holdout/putian-slj), a report with no table: 没有接到书面或其它形式要求公开政府
    信息的申请 (a longer object than before) and 没有出现政府信息公开收费及减免情况 (neither fees nor waivers)."""
    text = _real_lines("real-holdout/putian-slj/t20210831_1642154.archive.txt", "2008年，我局没有接到")
    facts = facts_by_indicator(text, 2008)
    assert {k: v["value"] for k, v in facts.items()} == {
        "apply.new": 0, "fee.application_fees": 0, "review.total": 0, "litigation.all.total": 0,
    }


def test_fees_not_collected_from_anyone_named_in_between():
    """山东省省级机关事务管理局 2008 (jgswj.shandong.gov.cn, xxgkAnnualReport.jsp; read in the search corpus,
    not stored): 未向公民、法人和其他组织收取任何政府信息公开费用."""
    fee = facts_by_indicator("年内,我局未向公民、法人和其他组织收取任何政府信息公开费用。", 2008)["fee.application_fees"]
    assert fee["value"] == 0 and fee["value_raw"] == "未向公民、法人和其他组织收取任何政府信息公开费用"


@pytest.mark.parametrize(
    "text",
    [
        "尚未收到申请人的补正材料。",  # the applicant's papers, not applications
        "本年度未收到群众申诉，信访工作平稳。",  # a complaint, not an appeal about 政府信息公开
        "目前尚未审结的行政诉讼案件1件。",
        "本年度收费及减免共计120元。",
    ],
)
def test_nil_words_that_are_not_nil_statements(text):
    facts = {f["indicator"]: f["value"] for f in extract_prose_facts(text, 2010)}
    assert 0 not in facts.values(), facts
