"""One report row per (agency, year); every copy a source row; corrections chosen over originals."""

from __future__ import annotations

from datetime import UTC, datetime

from pipeline.dedup import choose_versions, is_correction, report_key
from pipeline.schema import SOURCES


def _cand(url: str, **kw) -> dict:
    base = {
        "agency_name_norm": "张家界市永定区人民政府",
        "report_year": 2018,
        "source_url": url,
        "title": "张家界市永定区政府2018年度政府信息公开工作年度报告",
        "publish_date": "2019-03-05",
        "fetched_at": datetime(2026, 1, 2, tzinfo=UTC),
        "content_sha256": "a" * 64,
        "n_facts": 40,
        "portal_id": "demo-430802-yongding",
        "source_site": None,
    }
    base.update(kw)
    return base


def test_report_key_is_stable_and_short() -> None:
    k = report_key("张家界市永定区人民政府", 2018)
    assert k == report_key("张家界市永定区人民政府", 2018) and len(k) == 16
    assert k != report_key("张家界市永定区人民政府", 2019)


def test_is_correction() -> None:
    assert is_correction("XX县人民政府2019年政府信息公开工作年度报告（更正）")
    assert is_correction("XX县2019年政府信息公开工作年度报告(更正版)")
    assert is_correction("XX县2019年政府信息公开工作年度报告修订版")
    assert not is_correction("XX县2019年政府信息公开工作年度报告")


def test_same_report_on_three_urls_is_one_report_and_three_sources() -> None:
    cands = [
        _cand("http://www.yongding.gov.cn/zw/zfxxgkndbg/201903/t20190305_1.html"),
        _cand("http://m.yongding.gov.cn/zw/zfxxgkndbg/201903/t20190305_1.html"),  # mobile twin
        # department subdomain: title parsed without the city, same bytes
        _cand("http://fgw.yongding.gov.cn/xxgk/nb/1.html", agency_name_norm="永定区人民政府", n_facts=38),
    ]
    reports, sources = choose_versions(cands)
    assert len(reports) == 1 and len(sources) == 3
    rid = reports[0]["report_id"]
    assert rid == report_key("张家界市永定区人民政府", 2018)
    assert reports[0]["n_sources"] == 3
    assert {s["report_id"] for s in sources} == {rid}
    assert sum(s["is_chosen"] for s in sources) == 1
    chosen = next(s for s in sources if s["is_chosen"])
    assert chosen["source_url"] == "http://m.yongding.gov.cn/zw/zfxxgkndbg/201903/t20190305_1.html"  # tie → smallest URL
    assert all(set(s) == set(SOURCES.names) for s in sources)
    assert {s["source_site"] for s in sources} == {"www.yongding.gov.cn", "m.yongding.gov.cn", "fgw.yongding.gov.cn"}
    # Stable across runs and input order.
    assert choose_versions(list(reversed(cands))) == (reports, sources)


def test_correction_is_chosen_over_the_original() -> None:
    original = _cand("http://www.x.gov.cn/a.html", n_facts=60, content_sha256="b" * 64)
    fixed = _cand("http://www.x.gov.cn/b.html", title=original["title"] + "（更正）", n_facts=55,
                  publish_date="2019-03-20", content_sha256="c" * 64)
    reports, sources = choose_versions([original, fixed])
    assert len(reports) == 1 and reports[0]["source_url"] == "http://www.x.gov.cn/b.html"
    flags = {s["source_url"]: (s["is_correction"], s["is_chosen"]) for s in sources}
    assert flags == {"http://www.x.gov.cn/a.html": (False, False), "http://www.x.gov.cn/b.html": (True, True)}


def test_without_corrections_the_most_complete_copy_wins() -> None:
    thin = _cand("http://a.gov.cn/1.html", n_facts=3, content_sha256="d" * 64)
    full = _cand("http://b.gov.cn/1.html", n_facts=80, content_sha256="e" * 64, publish_date="2019-03-01")
    reports, _ = choose_versions([thin, full])
    assert reports[0]["source_url"] == "http://b.gov.cn/1.html"


def test_different_agencies_and_years_stay_apart() -> None:
    cands = [
        _cand("http://a.gov.cn/1.html", content_sha256="1" * 64),
        _cand("http://a.gov.cn/2.html", report_year=2019, content_sha256="2" * 64),
        _cand("http://a.gov.cn/3.html", agency_name_norm="张家界市永定区商务局", content_sha256="3" * 64),
    ]
    reports, sources = choose_versions(cands)
    assert len(reports) == 3 and len(sources) == 3 and len({r["report_id"] for r in reports}) == 3


def test_days_late_counts_from_the_first_appearance_not_the_chosen_repost() -> None:
    # 鄂尔多斯市教育局 2019: posted on time 2020-01-13, re-posted as a correction 2020-03-31.
    base = dict(agency_name_norm="鄂尔多斯市教育局", report_year=2019, agency_type="department",
                title="鄂尔多斯市教育局2019年政府信息公开工作年度报告")
    first = _cand("http://jyj.ordos.gov.cn/a.html", publish_date="2020-01-13", content_sha256="1" * 64, **base)
    base["title"] += "（更正）"
    repost = _cand("http://jyj.ordos.gov.cn/b.html", publish_date="2020-03-31", content_sha256="2" * 64, **base)
    reports, sources = choose_versions([repost, first])
    rep = reports[0]
    assert rep["source_url"] == "http://jyj.ordos.gov.cn/b.html"  # the correction is still the chosen text
    assert rep["first_publish_date"] == "2020-01-13"
    assert rep["days_late"] == -18  # departments: due 2020-01-31
    alone, _ = choose_versions([repost])
    assert alone[0]["days_late"] == 60  # without the first copy the re-post is all we know


def test_a_date_inside_the_report_year_is_not_a_first_publication() -> None:
    bad = _cand("http://a.gov.cn/1.html", publish_date="2018-06-01", content_sha256="3" * 64)
    good = _cand("http://b.gov.cn/1.html", publish_date="2019-04-02", content_sha256="4" * 64, agency_type="county_gov")
    reports, _ = choose_versions([bad, good])
    assert reports[0]["first_publish_date"] == "2019-04-02" and reports[0]["days_late"] == 2
