"""The demo portal serves all five archetypes with their traps, and its truth manifest is stable."""

from __future__ import annotations

import collections
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from nianbao.demo_portal.core import DemoRequest
from nianbao.demo_portal.sites import (
    BLOCKED_HOSTS,
    COUNTY_HOST,
    MOCKCITY_HOST,
    OLDXIAN_HOST,
    PINGTAN_HOST,
    PROV_HOST,
    SHI_HOST,
    YONGDING_HOST,
    build_portal,
)


def get(portal, url: str, method: str = "GET", body: bytes = b""):
    parts = urlsplit(url)
    return portal.dispatch(DemoRequest(method, parts.hostname, parts.path or "/",
                                       parse_qs(parts.query, keep_blank_values=True), {}, body, parts.query))


def test_the_leads_demo_truth_is_unchanged(portal):
    truth = portal.truth()
    pingtan = sorted(t["report_year"] for t in truth if t["portal_id"] == "demo-350128-pingtan")
    assert pingtan == [2011, 2016, 2019, 2021]
    assert [t["report_year"] for t in truth if t["portal_id"] == "demo-430802-yongding"] == [2018]
    assert get(portal, f"http://{PINGTAN_HOST}/zwgk/zfxxgk/zfxxgknb/202202/t20220208_80613.htm").status == 200
    assert get(portal, f"http://{YONGDING_HOST}/zw/zfxxgkndbg/").status == 200


def test_truth_is_deterministic_unique_and_marks_generated_bodies(portal):
    truth = portal.truth()
    assert json.dumps(truth, ensure_ascii=False) == json.dumps(build_portal().truth(), ensure_ascii=False)
    urls = [t["url"] for t in truth]
    assert len(urls) == len(set(urls)) > 400
    assert {t["generated"] for t in truth} == {True, False}
    assert collections.Counter(t["expect"] for t in truth)["blocked"] == 6
    for t in truth:
        if t["expect"] == "stored":  # at the latest on a retry: some fail once by design
            assert 200 in (get(portal, t["url"]).status, get(portal, t["url"]).status), t["url"]


def test_trs_pagers_lie_and_past_the_end_is_a_404_or_a_refresh(portal):
    first = get(portal, f"http://{PINGTAN_HOST}/zwgk/zfxxgk/zfxxgknb/").body.decode()
    assert 'createPageHTML(3, 0, "index", "html")' in first  # 6 items, 3 per page: 2 real pages
    assert get(portal, f"http://{PINGTAN_HOST}/zwgk/zfxxgk/zfxxgknb/index_2.html").status == 404
    city = get(portal, f"http://{MOCKCITY_HOST}/zwgk/zfxxgk/zfxxgknb/index_9.html")
    assert city.status == 200 and b'http-equiv="refresh"' in city.body


def test_hanweb_dataproxy_traps(portal):
    proxy = f"http://{COUNTY_HOST}/module/web/jpage/dataproxy.jsp"
    form = b"col=1&appid=1&webid=110&path=/&columnid=12377&sourceContentType=1&unitid=38486&webname=x&permissiontype=0"
    group = get(portal, proxy + "?startrecord=46&endrecord=90&perpage=15", "POST", form)
    assert group.status == 200 and group.headers["Content-Type"].startswith("text/html")
    assert group.body.count(b"<record>") == 45
    past = get(portal, proxy + "?startrecord=991&endrecord=1035&perpage=15", "POST", form)
    assert past.body.count(b"<record>") > 0  # the last group again, not an empty answer
    assert get(portal, proxy + "?startrecord=1&endrecord=5000&perpage=5000", "POST", form).status == 500
    bare = get(portal, proxy + "?page=2")
    assert bare.status == 200 and b"<recordset/>" in bare.body


def test_gkmlpt_past_the_end_empty_on_one_host_repeated_on_another(portal):
    prov = json.loads(get(portal, f"http://{PROV_HOST}/gkmlpt/api/all/2801?page=99&sid=760001").body)
    assert prov["articles"] == [] and prov["total"] > 0
    last = json.loads(get(portal, f"http://{SHI_HOST}/gkmlpt/api/all/3001?page=3&sid=755001").body)
    again = json.loads(get(portal, f"http://{SHI_HOST}/gkmlpt/api/all/3001?page=99&sid=755001").body)
    assert again == last and again["articles"]


def test_legacy_pagination_never_ends_and_bytes_are_gbk_under_a_gb2312_label(portal):
    url = f"http://{OLDXIAN_HOST}/InfoPublic.aspx?cid=1019&pid=971&page={{}}&kw="
    last, beyond = get(portal, url.format(5)), get(portal, url.format(500))
    assert beyond.status == 200 and beyond.body == last.body
    page = get(portal, url.format(1)).body
    assert b"charset=gb2312" in page
    article = next(t["url"] for t in portal.truth() if "镕城镇" in t["title"])
    body = get(portal, article).body
    assert "堃".encode("gbk") in body
    with pytest.raises(UnicodeDecodeError):
        body.decode("gb2312")  # GBK-only characters: a strict gb2312 decoder fails


def test_blocked_hosts_answer_challenges_to_everything(portal):
    statuses = {kind: get(portal, f"http://{host}/zfxxgknb/").status for kind, host in BLOCKED_HOSTS.items()}
    assert statuses == {"412": 412, "521": 521, "edgeone": 200}
    assert b"WTKkN" in get(portal, f"http://{BLOCKED_HOSTS['edgeone']}/robots.txt").body


def test_time_control_publish_revise_withdraw():
    from nianbao.demo_portal.sites import site_of, trs_doc

    portal = build_portal()  # changed by this test: not the shared one
    city = site_of(portal, "demo-150600-mockcity")
    col = "/zwgk/zfxxgk/zfxxgknb/"
    url = city.publish(trs_doc(col, 1, "2030-01-01", "鄂尔多斯市2029年政府信息公开工作年度报告", ["x"], 2029, "鄂尔多斯市"), col)
    assert "2029年" in get(portal, f"http://{MOCKCITY_HOST}{col}").body.decode()
    before = get(portal, url).body
    city.revise(url, "2030-02-01")
    assert get(portal, url).body != before
    city.withdraw(url)
    assert get(portal, url).status == 404
    assert url not in {t["url"] for t in portal.truth()}
