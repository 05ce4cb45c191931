"""The durable frontier: what a ``kill -9`` leaves pending is resumed by the next run, so no discovered
document is lost (issue 13: attachments found only through their parent page, paging that stops at known
reports, in-flight requests with no manifest row).

The deterministic tests hang two requests on the demo server (page 2 of a TRS column and one attachment of
a page-1 report), kill the crawl with SIGKILL once everything else is stored, and resume. A copy of the
killed data directory resumed *without* its frontier (and without the one-time re-visit) shows the loss the
frontier prevents (so the test can fail); with the re-visit, a data directory from before the frontier heals.
A request that is in flight at every kill is abandoned after three runs, with a row; a link over the URL
length limit ends with a ``url_too_long`` row. The kill loop kills real crawls at random moments."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from scrapy import FormRequest, Request, Spider
from scrapy.settings import Settings

from benchmarks.crawl_kill import ROOT, command, complete, env, kill_loop, patient_registry
from nianbao.demo_portal.core import DemoServer
from nianbao.demo_portal.score import score
from nianbao.demo_portal.sites import build_portal
from pipeline.manifest import RETRY_OUTCOMES, latest_by_url, read_rows
from spiders.families.trs import TrsSpider
from spiders.frontier import KEY, RESUMED, FrontierStore, decode, encode, frontier_path

CITY = "demo-150600-mockcity"
PINGTAN = "demo-350128-pingtan"
COLUMN = "/zwgk/zfxxgk/zfxxgknb/"


class _Spider(Spider):
    name = "t"

    def parse_group(self, response):  # noqa: ANN001, ANN201 - a callback to bind
        return []

    def failed(self, failure):  # noqa: ANN001, ANN201
        return []


def test_a_request_round_trips_with_its_form_callback_and_paging_state():
    spider = _Spider()
    request = FormRequest("http://www.x.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=46&perpage=15",
                          formdata={"col": "1", "webid": "110"}, callback=spider.parse_group, errback=spider.failed,
                          meta={"kind": "listing", "column": "c", "group_seen": {"u1", "u2"},
                                "walk_seen": frozenset({"a"}), "attachments": [("u", "n")], "depth": 3,
                                "download_slot": "x", "retry_times": 2})
    again = decode(encode(request), spider, "k1")
    assert (again.url, again.method, again.body) == (request.url, "POST", request.body)
    assert again.headers.get("Content-Type") == b"application/x-www-form-urlencoded"
    assert again.callback == spider.parse_group and again.errback == spider.failed
    assert again.meta["group_seen"] == {"u1", "u2"} and isinstance(again.meta["group_seen"], set)
    assert again.meta["walk_seen"] == frozenset({"a"}) and isinstance(again.meta["walk_seen"], frozenset)
    assert again.meta["attachments"] == [["u", "n"]]
    assert again.meta[KEY] == "k1" and again.meta[RESUMED] is True
    assert not {"depth", "download_slot", "retry_times"} & set(again.meta)  # one download's state stays behind


def test_the_store_keeps_the_first_record_of_a_key_until_it_is_done(tmp_path):
    store = FrontierStore(tmp_path / "f.sqlite")
    assert store.add("k1", "http://a/1", "report", "first", "r1")
    assert not store.add("k1", "http://a/1", "report", "second", "r1")
    store.add("k2", "http://a/2", "attachment", "x", "r1")
    assert [(k, r) for k, _, _, r, _ in store.pending()] == [("k1", "first"), ("k2", "x")]
    store.done(["k1"])
    store.close()
    reopened = FrontierStore(tmp_path / "f.sqlite")  # what a new process sees
    assert [k for k, *_ in reopened.pending()] == ["k2"]

def test_attempts_count_runs_not_retries_and_an_older_frontier_gains_them(tmp_path):
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as db:  # the layout before attempts were counted
        db.execute("CREATE TABLE pending (key TEXT PRIMARY KEY, url TEXT NOT NULL, kind TEXT, request TEXT NOT NULL, "
                   "added_run TEXT, added_at TEXT, issued INTEGER NOT NULL DEFAULT 0)")
        db.execute("INSERT INTO pending (key, url, kind, request) VALUES ('k1', 'http://a/1', 'report', 'x')")
    store = FrontierStore(path)
    store.issued("k1", "night-1")
    store.issued("k1", "night-1")  # a retry or redirect in the same run
    store.issued("k1", "night-2")
    assert [a for *_, a in store.pending()] == [2]
    assert store.needs_revisit_seed  # never queued re-visits: the next crawl of the portal does


def test_revisits_are_queued_once_and_taken_a_bounded_share_per_run(tmp_path):
    store = FrontierStore(tmp_path / "f.sqlite")
    assert store.seed_revisits([(f"http://a/{i}", "{}") for i in range(5)]) == 5
    assert not store.needs_revisit_seed
    first = store.revisits(2)
    assert [u for u, _ in first] == ["http://a/0", "http://a/1"]
    for url, _ in first:
        store.revisit_taken(url)
    store.close()
    again = FrontierStore(tmp_path / "f.sqlite")
    assert [u for u, _ in again.revisits(2)] == ["http://a/2", "http://a/3"] and again.revisits_left() == 3
    assert not again.needs_revisit_seed


def _trs(rows: list[dict]) -> TrsSpider:
    spider = TrsSpider(portal={"id": "p", "hosts": ["www.x.gov.cn"], "seed_urls": ["http://www.x.gov.cn/nb/"]})
    spider.load_state(iter(rows))
    return spider


def test_an_abandoned_url_is_retried_on_the_failure_schedule_backed_off():
    """The crawl reads only each URL's latest row, so the streak travels in the row's reason: an abandoned
    URL waits 1 night, then (abandoned again) 3; a timeout streak read from one row backs off as from many."""
    url, now = "http://www.x.gov.cn/nb/t1.html", datetime(2026, 12, 5, 2, 0, tzinfo=UTC)
    request = Request(url, meta={"kind": "report", "listing_url": "http://www.x.gov.cn/nb/", "title": "t"})
    first = _trs([]).failure_item(request, "abandoned", "issued in 3 runs without an answer")
    assert first.reason.endswith("[abandoned 1 night running]") and "abandoned" in RETRY_OUTCOMES
    row = {"url": url, "outcome": "abandoned", "kind": "report", "reason": first.reason,
           "fetched_at": now.strftime("%Y-%m-%dT%H:%M:%SZ")}
    spider = _trs([row])
    assert spider.retry_rows == [row]
    assert spider.backed_off(row, now + timedelta(days=1)) and not spider.backed_off(row, now + timedelta(days=2))
    second = spider.failure_item(request, "abandoned", "issued in 3 runs without an answer")
    assert second.reason.endswith("[abandoned 2 nights running]")
    again = {**row, "reason": second.reason}
    assert _trs([again]).backed_off(again, now + timedelta(days=3))
    assert not _trs([again]).backed_off(again, now + timedelta(days=4))
    slow = {"url": url, "outcome": "timeout", "kind": "report", "fetched_at": row["fetched_at"],
            "reason": "DownloadTimeoutError: took longer than 60 s [timeout 3 nights running]"}
    assert _trs([slow]).backed_off(slow, now + timedelta(days=3)) and not _trs([slow]).backed_off(
        slow, now + timedelta(days=4))


def test_a_url_over_the_length_limit_is_explained_until_the_limit_is_raised():
    url = "http://www.x.gov.cn/nb/" + "x" * 3000 + ".pdf"
    row = {"url": url, "outcome": "url_too_long", "kind": "attachment"}
    spider = _trs([row])
    spider.crawler = type("C", (), {"settings": Settings({"URLLENGTH_LIMIT": 2083})})()
    spider.explained, spider.retry_rows = {}, []
    spider.load_state(iter([row]))
    assert url in spider.explained and not spider.retry_rows
    spider.crawler.settings = Settings({"URLLENGTH_LIMIT": 4096})
    spider.explained, spider.retry_rows = {}, []
    spider.load_state(iter([row]))
    assert spider.retry_rows == [row]


def _hang(portal, paths: set[str], hanging: dict) -> None:
    """Requests for ``paths`` wait a minute while ``hanging['on']`` is set."""
    dispatch = portal.dispatch

    def slow(req):  # noqa: ANN001, ANN202
        resp = dispatch(req)
        if hanging["on"] and req.path in paths:
            resp.delay = 60
        return resp

    portal.dispatch = slow


def _registry(path, portals: list[str]):  # noqa: ANN001, ANN202
    """The patient demo registry (60 s timeout: a hung request stays in flight)."""
    return patient_registry(path, timeout=60.0, portals=portals)


def _kill_when_quiet(server, registry, data, run_id: str, path: str, times: int) -> None:  # noqa: ANN001
    """Start a crawl, and SIGKILL it once ``path`` was asked ``times`` times in all and nothing else was
    asked for 2 s (everything that could finish has finished)."""
    portal = server.portal
    proc = subprocess.Popen(command(server, registry, data, run_id), cwd=ROOT, env=env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline, last, quiet_since = time.monotonic() + 120, -1, time.monotonic()
        while time.monotonic() < deadline:
            asked = sum(1 for _, _, p in portal.requests if p.split("?")[0] == path)
            if len(portal.requests) != last:
                last, quiet_since = len(portal.requests), time.monotonic()
            elif asked >= times and time.monotonic() - quiet_since > 2:
                break
            time.sleep(0.1)
        assert proc.poll() is None, "the crawl ended before the kill"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()


def _pending(data, portal_id: str) -> dict[str, int]:  # noqa: ANN001
    """URL → attempts of what the portal's frontier holds."""
    with sqlite3.connect(frontier_path(data, portal_id)) as db:
        return dict(db.execute("SELECT url, attempts FROM pending"))


@pytest.fixture(scope="module")
def killed(tmp_path_factory):
    """A mockcity crawl SIGKILLed while page 2 of a column and one attachment of a page-1 report hang; the
    demo server stays up for the tests' next nights (each on its own copy of the data directory)."""
    tmp = tmp_path_factory.mktemp("killed")
    portal = build_portal()
    truth = [t for t in portal.truth() if t["portal_id"] == CITY]
    newest = max((t for t in truth if COLUMN in t["url"] and t["attachments"]), key=lambda t: t["publish_date"])
    attachment = newest["attachments"][0]["url"]
    page_2 = COLUMN + "index_1.html"
    hanging = {"on": True}
    _hang(portal, {page_2, urlsplit(attachment).path}, hanging)
    registry = patient_registry(tmp / "registry.yaml", timeout=60.0, portals=[CITY])
    data = tmp / "data"
    with DemoServer(portal) as server:
        proc = subprocess.Popen(command(server, registry, data, "killed"), cwd=ROOT, env=env(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline, last, quiet_since = time.monotonic() + 120, -1, time.monotonic()
            while time.monotonic() < deadline:  # both hung requests asked, then nothing else for 2 s
                asked = {p.split("?")[0] for _, _, p in portal.requests}
                if len(portal.requests) != last:
                    last, quiet_since = len(portal.requests), time.monotonic()
                elif {page_2, urlsplit(attachment).path} <= asked and time.monotonic() - quiet_since > 2:
                    break
                time.sleep(0.1)
            assert proc.poll() is None, "the crawl ended before the kill"
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        hanging["on"] = False
        yield {"server": server, "portal": portal, "truth": truth, "newest": newest, "attachment": attachment,
               "page_2": page_2, "registry": registry, "data": data, "tmp": tmp}


def _copy(killed, name: str, frontier: bool) -> object:  # noqa: ANN001
    copy = killed["tmp"] / name
    shutil.copytree(killed["data"], copy)
    if not frontier:
        shutil.rmtree(copy / "frontier")
    return copy


@pytest.mark.e2e
def test_a_crawl_killed_mid_walk_loses_nothing_after_resume(killed):
    data, attachment, newest, portal = killed["data"], killed["attachment"], killed["newest"], killed["portal"]
    killed_rows = latest_by_url(read_rows(data))
    assert killed_rows[newest["url"]]["outcome"] == "stored" and attachment not in killed_rows
    assert {attachment, f"http://www.mockcity.demo.test{killed['page_2']}"} <= set(_pending(data, CITY))

    resumed = _copy(killed, "resumed", frontier=True)
    before = len(portal.requests)
    complete(killed["server"], killed["registry"], resumed, "night-2")
    resumed_requests = {p for _, _, p in portal.requests[before:]}
    result = score(killed["truth"], read_rows(resumed), [CITY])
    assert (result.recall, result.attachment_recall, result.missing) == (1.0, 1.0, [])
    row = latest_by_url(read_rows(resumed))[attachment]
    assert row["outcome"] == "stored" and row["parent_url"] == newest["url"]  # with its parent context
    assert urlsplit(newest["url"]).path not in resumed_requests  # the parent was done: not fetched again
    assert _pending(resumed, CITY) == {}


@pytest.mark.e2e
def test_without_the_frontier_and_its_revisit_the_next_night_loses_them_for_good(killed):
    """The loss the frontier prevents: page 1 is all known and the parent stored, so nothing leads back."""
    control = _copy(killed, "control", frontier=False)
    proc = subprocess.run(command(killed["server"], killed["registry"], control, "night-2"), cwd=ROOT,
                          env={**env(), "NIANBAO_REVISIT_PER_RUN": "0"}, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lost = score(killed["truth"], read_rows(control), [CITY])
    assert lost.recall < 1.0 and killed["attachment"] in lost.missing_attachments


@pytest.mark.e2e
def test_a_data_directory_from_before_the_frontier_heals_in_one_crawl(killed):
    """Stored pages but not their attachment, and no frontier: the first frontier re-visits the stored report
    pages once (the attachment is found again) and walks the columns past known reports once (page 2)."""
    healed = _copy(killed, "healed", frontier=False)
    stored_pages = {u for u, r in latest_by_url(read_rows(healed)).items() if r["kind"] == "report"}
    portal, before = killed["portal"], len(killed["portal"].requests)
    complete(killed["server"], killed["registry"], healed, "night-2")
    asked = {p for _, _, p in portal.requests[before:]}
    rows = latest_by_url(read_rows(healed))
    attachment, parent = rows[killed["attachment"]], rows[killed["newest"]["url"]]
    assert attachment["outcome"] == "stored" and attachment["parent_url"] == killed["newest"]["url"]
    assert parent["outcome"] == "unchanged" and "re-visited" in parent["reason"]
    assert {urlsplit(u).path for u in stored_pages} <= asked  # each stored report page asked once more
    result = score(killed["truth"], read_rows(healed), [CITY])
    assert (result.recall, result.attachment_recall, result.missing) == (1.0, 1.0, [])
    assert _pending(healed, CITY) == {}
    with sqlite3.connect(frontier_path(healed, CITY)) as db:
        assert db.execute("SELECT count(*) FROM revisit").fetchone()[0] == 0

    before = len(portal.requests)
    complete(killed["server"], killed["registry"], healed, "night-3")  # once: the next night is incremental
    assert not {urlsplit(u).path for u in stored_pages} & {p for _, _, p in portal.requests[before:]}


@pytest.mark.e2e
def test_a_request_in_flight_at_every_kill_is_abandoned_after_three_runs(tmp_path):
    """A report page that never answers before the kill, three runs running: the fourth run records it
    ``abandoned`` (with its listing context) instead of issuing it again, and the portal's other reports
    are stored. (When it is asked again: ``test_an_abandoned_url_is_retried_on_the_failure_schedule_backed_off``.)"""
    portal = build_portal()
    truth = [t for t in portal.truth() if t["portal_id"] == PINGTAN]
    victim = max(truth, key=lambda t: t["publish_date"])
    path = urlsplit(victim["url"]).path
    hanging = {"on": True}
    _hang(portal, {path}, hanging)
    registry = _registry(tmp_path / "registry.yaml", [PINGTAN])
    data = tmp_path / "data"
    with DemoServer(portal) as server:
        for run in range(1, 4):
            before = len(portal.requests)
            _kill_when_quiet(server, registry, data, f"k{run}", path, times=run)
            assert _pending(data, PINGTAN)[victim["url"]] == run  # counted before it went out
        assert portal.requests[-1][2] == path and len(portal.requests) - before > 1  # its last chance came last
        before = len(portal.requests)
        complete(server, registry, data, "night-4")
        assert not any(p == path for _, _, p in portal.requests[before:])  # not issued a fourth time
        rows = latest_by_url(read_rows(data))
        row = rows[victim["url"]]
        assert row["outcome"] == "abandoned" and "issued in 3 runs without an answer" in row["reason"]
        assert row["kind"] == "report" and row["listing_url"] and row["title"] == victim["title"]
        assert _pending(data, PINGTAN) == {}
        others = score([t for t in truth if t is not victim], read_rows(data), [PINGTAN])
        assert (others.recall, others.missing) == (1.0, [])



@pytest.mark.e2e
def test_a_link_over_the_url_length_limit_ends_with_a_url_too_long_row(tmp_path):
    """A listing links a report, and a report page an attachment, by 3000-character URLs: Scrapy's
    UrlLengthMiddleware would drop both with a log line; each gets a ``url_too_long`` row with the page it
    was found on, is never fetched, and is not recorded again the next night."""
    portal = build_portal()
    truth = [t for t in portal.truth() if t["portal_id"] == PINGTAN]
    page = max(truth, key=lambda t: t["publish_date"])
    base = "http://www.pingtan.demo.test"
    long_report = f"{base}{COLUMN}202301/t20230201_1.htm?from=" + "x" * 3000
    long_attachment = f"{base}{COLUMN}202301/" + "a" * 3000 + ".pdf"
    dispatch = portal.dispatch

    def linked(req):  # noqa: ANN001, ANN202
        resp = dispatch(req)
        if req.path == COLUMN and not req.raw_query:
            entry = (f'<li><a href="{long_report}" title="平潭综合实验区2022年度政府信息公开工作年度报告">平潭综合实验区'
                     "2022年度政府信息公开工作年度报告</a><span>2023-02-01</span></li>")
            resp.body = resp.body.replace(b'<ul class="rsb_con_rightUl">',
                                          b'<ul class="rsb_con_rightUl">\n' + entry.encode())
        elif req.path == urlsplit(page["url"]).path:
            resp.body = resp.body.replace(b"</body>", f'<a href="{long_attachment}">附件1</a></body>'.encode())
        return resp

    portal.dispatch = linked
    registry = _registry(tmp_path / "registry.yaml", [PINGTAN])
    data = tmp_path / "data"
    with DemoServer(portal) as server:
        complete(server, registry, data, "night-1")
        rows = latest_by_url(read_rows(data))
        report, attachment = rows[long_report], rows[long_attachment]
        assert report["outcome"] == attachment["outcome"] == "url_too_long"
        assert f"URL of {len(long_report)} characters is over URLLENGTH_LIMIT (2083)" in report["reason"]
        assert report["kind"] == "report" and report["listing_url"] == f"{base}{COLUMN}"
        assert attachment["kind"] == "attachment" and attachment["parent_url"] == page["url"]
        assert not any(len(p) > 2083 for _, _, p in portal.requests)  # never fetched
        assert _pending(data, PINGTAN) == {}
        assert score(truth, read_rows(data), [PINGTAN]).recall == 1.0  # the page linking it is stored

        complete(server, registry, data, "night-2")
        assert [r["outcome"] for r in read_rows(data) if r["url"] == long_report] == ["url_too_long"]


@pytest.mark.e2e
def test_five_random_kills_and_a_final_crawl_lose_no_document(tmp_path):
    """The CI size of ``benchmarks/crawl_kill.py`` (20 kills of every portal there): three portal families,
    SIGKILL within 1 s of each run's first manifest row (later runs have less left to do)."""
    result = kill_loop(5, seed=13, portals=[CITY, "demo-621102-mockcounty", "demo-510683-oldxian"], work=tmp_path,
                       kill_between=(0.0, 1.0))
    print(result)
    assert result["killed"] >= 3  # the kills landed in crawls, not after them
    assert (result["missing_documents"], result["unexplained_urls"], result["pending_after"]) == (0, 0, 0), result
    assert result["clean_documents"] > 150
