"""Report-level fields a user sees first: whether a page is a report at all, and who published it."""

from __future__ import annotations

from pathlib import Path

from pipeline.parse import parse_document

ROOT = Path(__file__).resolve().parents[1]


def test_column_listing_page_is_not_a_report() -> None:
    res = parse_document((ROOT / "fixtures/real/pingtan/zfxxgknb-index.html").read_bytes(), filename="index.html")
    assert res.report["parse_status"] == "not_a_report"
    assert res.facts == []


def _page(title: str, body: str, source: str = "") -> bytes:
    meta = f'<meta name="ContentSource" content="{source}"/>' if source else ""
    return (f"<html><head><title>{title}</title>{meta}</head><body><h1>{title}</h1>{body}</body></html>").encode()


def test_title_without_organ_gives_no_generic_agency() -> None:
    res = parse_document(_page("2019年政府信息公开工作年度报告", "<p>本报告根据条例编制。</p>"))
    assert res.report["agency_name"] is None


def test_title_without_organ_takes_the_page_source_or_signature() -> None:
    res = parse_document(_page("2019年政府信息公开工作年度报告", "<p>本报告根据条例编制。</p>", "某某县民政局"))
    assert res.report["agency_name"] == "某某县民政局"
    signed = _page("2019年政府信息公开工作年度报告", "<p>本报告根据条例编制。</p><p>某某镇人民政府</p><p>2020年1月20日</p>")
    assert parse_document(signed).report["agency_name"] == "某某镇人民政府"


def test_organ_before_the_year_is_kept() -> None:
    res = parse_document(_page("某某市交通运输局2019年政府信息公开工作年度报告", "<p>本报告</p>"))
    assert res.report["agency_name"] == "某某市交通运输局"


# --- Report year from every signal (issue 9, item 3) -----------------------------------------------

PUTIAN_KJJ_2022 = ROOT / "fixtures/real/putian-kjj/t20230112_1794364.archive.txt"


def test_year_in_a_spaced_title_broken_over_lines() -> None:
    from pipeline.report_meta import year_with_source

    assert year_with_source("2024 年上海市科委…\n年度报告", "") == (2024, "title")  # as quoted in issue 9


def test_year_from_the_body_when_the_title_has_none() -> None:
    from pipeline.report_meta import year_with_source

    # Sentences quoted in issue 9 from real reports without a usable title.
    assert year_with_source(None, "特编制2023年政府信息公开年度报告") == (2023, "body_title")
    assert year_with_source(None, "2023年,通过政府门户网站…") == (2023, "body_sentence")
    # Sentences of the real 莆田市科学技术局 2022 report (DEV corpus), one signal at a time.
    lines = PUTIAN_KJJ_2022.read_text(encoding="utf-8").splitlines()
    preamble = next(ln for ln in lines if ln.startswith("根据《中华人民共和国政府信息公开条例》"))
    opening = next(ln for ln in lines if ln.startswith("2022年度，我局"))
    assert year_with_source(None, preamble) == (2022, "period")  # 统计期限自2022年1月1日起至12月31日止
    assert year_with_source(None, preamble.split("报告全文")[0]) == (2022, "body_title")  # 制定…2022年度…年度报告
    assert year_with_source(None, "一、总体情况\n" + opening) == (2022, "body_sentence")


def test_the_period_end_is_the_report_year() -> None:
    """莆田市人民政府's 2008 report counts from 2003: '统计期限自2003年1月1日起至2008年12月31日止'."""
    from pipeline.report_meta import year_with_source

    text = (ROOT / "fixtures/real/putian-gov/t20200221_1448439.archive.txt").read_text(encoding="utf-8")
    body = text.split("正文:", 1)[1]
    assert year_with_source(None, body) == (2008, "period")


def test_every_dev_report_year_is_right_from_its_body_alone() -> None:
    """Without the title, the body's own signals still give the golden year on every DEV report."""
    from benchmarks.real_corpus import FIXTURES, load_goldens
    from pipeline.parse import _read
    from pipeline.report_meta import year_with_source

    dev = [(n, g) for n, g in load_goldens() if g["split"] == "dev"]
    assert dev
    for name, g in dev:
        path = FIXTURES / g["fixture"]
        doc, _ = _read(path.read_bytes(), None, path.name)
        text = doc.text.split("正文:", 1)[-1]  # archive copies put the title in a header line: leave it out
        year, source = year_with_source(None, text)
        assert year == g["report"]["report_year"], (name, year, source)


def test_parsed_report_says_which_signal_gave_the_year() -> None:
    res = parse_document(PUTIAN_KJJ_2022.read_bytes(), filename=PUTIAN_KJJ_2022.name)
    assert (res.report["report_year"], res.report["year_source"]) == (2022, "title")
    assert res.report["content_source"] == "莆田市科技局"  # the page's 发布机构 line


def test_markdown_heading_marks_are_not_part_of_the_title_or_agency() -> None:
    title = "平潭综合实验区2019年度政府信息公开工作年度报告"  # the real Pingtan 2019 title
    res = parse_document(f"# {title}\n\n一、总体情况\n".encode())
    assert res.report["title"] == title and res.report["agency_name"] == "平潭综合实验区"


def test_archive_field_label_is_not_part_of_the_title() -> None:
    """Archive flattenings open with '标题: 莆田市2008年度…' (DEV corpus, 莆田市人民政府 2008)."""
    path = ROOT / "fixtures/real/putian-gov/t20200221_1448439.archive.txt"
    res = parse_document(path.read_bytes(), filename=path.name)
    assert res.report["title"] == "莆田市2008年度政府信息公开工作年度报告"
    assert res.report["agency_name"] == "莆田市" and res.report["report_year"] == 2008


def test_a_2008_title_without_the_words_annual_report_is_the_title() -> None:
    """山东省省级机关事务管理局's 2008 report, as Hanweb's xxgkAnnualReport.jsp serves it on
    jgswj.shandong.gov.cn (read in the search corpus, not stored): the heading says 2008年度信息公开报告, the
    page <title> only the site. Before, the site name was the title and the agency was missing."""
    page = ("<html><head><title>山东省机关事务管理局</title></head><body>"
            "<p>山东省省级机关事务管理局2008年度信息公开报告</p><p>发布时间:2020-07-21</p>"
            "<p>年内,我局尚未收到权利人申请公开政府信息的申请。</p></body></html>").encode()
    report = parse_document(page).report
    assert report["title"] == "山东省省级机关事务管理局2008年度信息公开报告"
    assert (report["agency_name"], report["report_year"], report["year_source"]) == (
        "山东省省级机关事务管理局", 2008, "title")
    assert report["parse_status"] == "ok" and report["template_generation"] == "g0"
    notice = ("<html><head><title>某某局</title></head><body><p>某某局关于做好2008年度信息公开报告编制工作的通知</p>"
              "<p>各科室：请于月底前报送材料。</p></body></html>").encode()
    assert parse_document(notice).report["parse_status"] == "not_a_report"
