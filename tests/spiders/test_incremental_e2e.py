"""Night after night against the same demo server: a new report costs one article fetch; changed, re-issued
and withdrawn reports are recorded as such; a backfill pages whole columns back to a year and finds what
the nightly stop rule cannot see."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from nianbao.demo_portal.content import Doc, generated_report
from nianbao.demo_portal.core import DemoServer
from nianbao.demo_portal.gkmlpt import post_path
from nianbao.demo_portal.hanweb import HanwebSite
from nianbao.demo_portal.sites import build_portal, site_of, trs_doc

from .helpers import crawl

CITY, COUNTY, PROV, OLDXIAN = ("demo-150600-mockcity", "demo-621102-mockcounty", "demo-440000-mockprov",
                               "demo-510683-oldxian")
PORTALS = [CITY, COUNTY, PROV, OLDXIAN]
COLUMN = "/zwgk/zfxxgk/zfxxgknb/"


def stored_reports(result: dict) -> dict[str, dict]:
    return {r["url"]: r for r in result["rows"] if r["kind"] == "report" and r["outcome"] == "stored"}


def article_requests(result: dict, urls: set[str]) -> list[str]:
    paths = {(urlsplit(u).hostname, urlsplit(u).path + (f"?{urlsplit(u).query}" if urlsplit(u).query else ""))
             for u in urls}
    return [f"{h}{p}" for _, h, p in result["requests"] if (h, p) in paths]


@pytest.fixture(scope="module")
def nights(tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    portal = build_portal()
    city = site_of(portal, CITY)
    with DemoServer(portal) as server:
        out = {"portal": portal}
        out["first"] = crawl(server, data, "n1", portals=PORTALS)
        truth_urls = {t["url"] for t in portal.truth()}

        # night 2: one new report on the TRS city portal
        new = city.publish(trs_doc(COLUMN, 2749901, "2024-01-15", "鄂尔多斯市财政局2023年政府信息公开工作年度报告",
                                   generated_report("鄂尔多斯市财政局", 2023, 1), 2023, "鄂尔多斯市财政局"), COLUMN)
        out["new"] = new
        out["second"] = crawl(server, data, "n2", portals=PORTALS)
        out["second_articles"] = article_requests(out["second"], truth_urls | {new})

        # night 3: a report revised in place, a correction under a new URL, one withdrawn, new ones elsewhere
        reports = sorted((d for d in city.docs if d.report_year and d.extra.get("column") == COLUMN
                          and city.url(d) != new), key=lambda d: d.date, reverse=True)
        withdrawn, revised, corrected = reports[0], reports[1], reports[2]
        city.withdraw(city.url(withdrawn))
        city.revise(city.url(revised), "2024-02-01")
        reissue = city.publish(trs_doc(COLUMN, 2749902, "2024-02-02", corrected.title + "（更正）",
                                       [*corrected.paragraphs, "更正说明"], corrected.report_year, corrected.agency), COLUMN)
        county = site_of(portal, COUNTY)
        county_new = county.publish(Doc(HanwebSite.art_path(12377, 1499999, "2024-01-20"),
                                        "演示县城关镇2023年政府信息公开工作年度报告", "2024-01-20",
                                        generated_report("演示县城关镇", 2023, 7), 2023, "演示县城关镇"))
        prov = site_of(portal, PROV)
        prov_new = prov.publish(Doc(post_path(12_799_001), "广东省教育厅2024年政府信息公开工作年度报告", "2025-01-22",
                                    generated_report("广东省教育厅", 2024, 8), 2024, "广东省教育厅",
                                    extra={"id": 12_799_001}))
        old = site_of(portal, OLDXIAN)
        old_new = old.publish(Doc("/info/iInfo.jsp?id=999", "旧县人民政府2023年政府信息公开工作年度报告", "2024-01-25",
                                  generated_report("旧县人民政府", 2023, 9), 2023, "旧县人民政府"))
        out.update(withdrawn=city.url(withdrawn), revised=city.url(revised), reissue=reissue,
                   elsewhere={county_new, prov_new, old_new})
        out["third"] = crawl(server, data, "n3", portals=PORTALS)

        # night 4 and a backfill: a late upload of an old report lands deep in the column
        late = city.publish(trs_doc(COLUMN, 2749903, "2016-03-30", "鄂尔多斯市审计局2015年政府信息公开工作年度报告",
                                    generated_report("鄂尔多斯市审计局", 2015, 3), 2015, "鄂尔多斯市审计局"), COLUMN)
        out["late"] = late
        out["fourth"] = crawl(server, data, "n4", portals=[CITY])
        out["backfill"] = crawl(server, data, "b1", portals=[CITY], backfill_to=2015)
        yield out


def test_a_new_report_costs_exactly_one_article_fetch(nights):
    assert list(stored_reports(nights["second"])) == [nights["new"]]
    assert stored_reports(nights["second"])[nights["new"]]["change"] == "new"
    assert nights["second_articles"] == [nights["new"].split("//", 1)[1]]
    assert len(nights["second"]["requests"]) <= 0.05 * len(nights["first"]["requests"]) + 1


def test_changed_reissued_withdrawn_and_new_are_each_recorded(nights):
    rows = {r["url"]: r for r in nights["third"]["rows"] if r["kind"] == "report"}
    assert rows[nights["revised"]]["outcome"] == "stored" and rows[nights["revised"]]["change"] == "changed"
    assert rows[nights["reissue"]]["outcome"] == "stored" and rows[nights["reissue"]]["change"] == "reissued"
    assert rows[nights["withdrawn"]]["outcome"] == "withdrawn" and rows[nights["withdrawn"]]["change"] == "withdrawn"
    for url in nights["elsewhere"]:
        assert rows[url]["outcome"] == "stored" and rows[url]["change"] == "new", url
    stored = stored_reports(nights["third"])
    assert set(stored) == {nights["revised"], nights["reissue"], *nights["elsewhere"]}


def test_a_changed_report_gets_new_bytes_under_the_same_url(nights):
    first = {r["url"]: r for r in nights["first"]["rows"] if r["outcome"] == "stored"}
    third = stored_reports(nights["third"])
    url = nights["revised"]
    assert first[url]["sha256"] != third[url]["sha256"]


def test_nightly_stop_rule_misses_a_deep_late_upload_but_backfill_finds_it(nights):
    assert stored_reports(nights["fourth"]) == {}
    found = stored_reports(nights["backfill"])
    assert list(found) == [nights["late"]]
    # backfill re-reads listings, never re-downloads stored documents
    assert not [r for r in nights["backfill"]["rows"] if r["outcome"] == "unchanged"]
    listed = [r for r in nights["backfill"]["rows"] if r["kind"] == "listing"]
    assert len(listed) > len([r for r in nights["fourth"]["rows"] if r["kind"] == "listing"])
