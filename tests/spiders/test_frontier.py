"""The durable frontier: what a ``kill -9`` leaves pending is resumed by the next run, so no discovered
document is lost (issue 13: attachments found only through their parent page, paging that stops at known
reports, in-flight requests with no manifest row).

The deterministic test hangs two requests on the demo server (page 2 of a TRS column and one attachment of
a page-1 report), kills the crawl with SIGKILL once everything else is stored, and resumes. A copy of the
killed data directory resumed *without* its frontier shows the loss the frontier prevents (so the test can
fail). The kill loop kills real crawls at random moments."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import time
from urllib.parse import urlsplit

import pytest
from scrapy import FormRequest, Spider

from benchmarks.crawl_kill import ROOT, command, complete, env, kill_loop, patient_registry
from nianbao.demo_portal.core import DemoServer
from nianbao.demo_portal.score import score
from nianbao.demo_portal.sites import build_portal
from pipeline.manifest import latest_by_url, read_rows
from spiders.frontier import KEY, RESUMED, FrontierStore, decode, encode

CITY = "demo-150600-mockcity"
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


def _hang(portal, paths: set[str], hanging: dict) -> None:
    """Requests for ``paths`` wait a minute while ``hanging['on']`` is set."""
    dispatch = portal.dispatch

    def slow(req):  # noqa: ANN001, ANN202
        resp = dispatch(req)
        if hanging["on"] and req.path in paths:
            resp.delay = 60
        return resp

    portal.dispatch = slow


def _documents(data) -> dict[str, str]:  # noqa: ANN001
    return {u: r["sha256"] for u, r in latest_by_url(read_rows(data)).items() if r["outcome"] in ("stored", "unchanged")}


@pytest.mark.e2e
def test_a_crawl_killed_mid_walk_loses_nothing_after_resume(tmp_path):
    portal = build_portal()
    truth = [t for t in portal.truth() if t["portal_id"] == CITY]
    newest = max((t for t in truth if COLUMN in t["url"] and t["attachments"]), key=lambda t: t["publish_date"])
    attachment = newest["attachments"][0]["url"]
    page_2 = COLUMN + "index_1.html"
    hanging = {"on": True}
    _hang(portal, {page_2, urlsplit(attachment).path}, hanging)
    registry = patient_registry(tmp_path / "registry.yaml", timeout=60.0, portals=[CITY])
    data = tmp_path / "data"
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
        killed_rows = latest_by_url(read_rows(data))
        assert killed_rows[newest["url"]]["outcome"] == "stored" and attachment not in killed_rows
        with sqlite3.connect(data / "frontier" / f"{CITY}.sqlite") as db:
            pending = {url for (url,) in db.execute("SELECT url FROM pending")}
        assert {attachment, f"http://www.mockcity.demo.test{page_2}"} <= pending

        # without the frontier, the next night loses them for good: page 1 is all known, the parent stored
        control = tmp_path / "control"
        shutil.copytree(data, control)
        shutil.rmtree(control / "frontier")
        complete(server, registry, control, "night-2")
        lost = score(truth, read_rows(control), [CITY])
        assert lost.recall < 1.0 and attachment in lost.missing_attachments

        before = len(portal.requests)
        complete(server, registry, data, "night-2")
        resumed_requests = {p for _, _, p in portal.requests[before:]}
    result = score(truth, read_rows(data), [CITY])
    assert (result.recall, result.attachment_recall, result.missing) == (1.0, 1.0, [])
    row = latest_by_url(read_rows(data))[attachment]
    assert row["outcome"] == "stored" and row["parent_url"] == newest["url"]  # with its parent context
    assert urlsplit(newest["url"]).path not in resumed_requests  # the parent was done: not fetched again
    with sqlite3.connect(data / "frontier" / f"{CITY}.sqlite") as db:
        assert db.execute("SELECT count(*) FROM pending").fetchone()[0] == 0


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
