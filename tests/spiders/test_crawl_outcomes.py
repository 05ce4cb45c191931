"""Every URL a crawl asks ends with an explained manifest row (issue 13): a redirect to another host is
``offsite_redirect`` (Scrapy drops it where no errback sees it), a body cut short is ``truncated`` (not
stored as whole), a body over the size limit is ``too_large`` (asked again only once the limit is raised),
a URL that never answers in time is ``timeout`` (asked once the next night, then backed off). A crawl that
cannot write exits non-zero with one line saying why, and the next run stores what it could not."""

from __future__ import annotations

import resource
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import yaml
from scrapy import Request
from scrapy.exceptions import (
    DownloadCancelledError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import HtmlResponse
from twisted.python.failure import Failure

from benchmarks.crawl_kill import ARCHETYPES, ROOT, complete, env, patient_registry
from nianbao.demo_portal.core import DemoResponse, DemoServer
from nianbao.demo_portal.score import score
from nianbao.demo_portal.sites import build_portal
from pipeline.manifest import RETRY_OUTCOMES, latest_by_url, read_rows
from spiders.middlewares import OffsiteRedirect, TimeoutRetryCapMiddleware, Truncated, truncation_reason
from spiders.run import EXIT_WRITE_FAILED

CITY = "demo-150600-mockcity"
SMALL = ["demo-350128-pingtan", "demo-430802-yongding"]
COLUMN = "/zwgk/zfxxgk/zfxxgknb/"
EVIL = "evil.example.com"


def _registry(path, portals, **politeness):  # noqa: ANN001, ANN202
    data = yaml.safe_load(open(ARCHETYPES, encoding="utf-8").read())
    data["portals"] = [p for p in data["portals"] if p["id"] in portals]
    for p in data["portals"]:
        p["politeness"] = {**p["politeness"], **politeness}
    data.pop("x-fast", None)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _asked(portal, since: int, path: str) -> int:  # noqa: ANN001
    return sum(1 for _, _, p in portal.requests[since:] if p == path)


@pytest.fixture(scope="module")
def nights(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("outcomes")
    portal = build_portal()
    truth = sorted((t for t in portal.truth() if t["portal_id"] == CITY and COLUMN in t["url"]),
                   key=lambda t: t["publish_date"], reverse=True)
    small = [t for t in truth[3:] if t["attachments"]]
    redirected, cut, parent = truth[1]["url"], truth[2]["url"], small[0]
    slow = parent["attachments"][0]["url"]
    traps = {urlsplit(redirected).path: "redirect", urlsplit(cut).path: "cut", urlsplit(slow).path: "slow"}
    dispatch = portal.dispatch

    def trapped(req):  # noqa: ANN001, ANN202
        resp = dispatch(req)
        trap = traps.get(req.path)
        if trap == "redirect":
            return DemoResponse(302, b"", {"Location": f"http://{EVIL}/steal.html"})
        if trap == "cut":
            resp.truncate_to = len(resp.body) // 2
        if trap == "slow":
            resp.delay = 6
        return resp

    portal.dispatch = trapped
    strict = _registry(tmp / "strict.yaml", [CITY], RETRY_TIMES=1, DOWNLOAD_MAXSIZE=30_000)
    roomy = _registry(tmp / "roomy.yaml", [CITY], RETRY_TIMES=1)
    data = tmp / "data"
    out = {"portal": portal, "data": data, "redirected": redirected, "cut": cut, "slow": slow, "parent": parent}
    with DemoServer(portal) as server:
        for night, registry in (("n1", strict), ("n2", strict), ("n3", roomy)):
            out[f"{night}_from"] = len(portal.requests)
            complete(server, registry, data, night)
            out[f"{night}_rows"] = latest_by_url(read_rows(data))  # every night so far, latest row per URL
    return out


@pytest.mark.e2e
def test_a_redirect_to_another_host_ends_with_an_offsite_redirect_row(nights):
    row = nights["n1_rows"][nights["redirected"]]
    assert row["outcome"] == "offsite_redirect" and EVIL in row["reason"]
    assert EVIL not in {host for _, host, _ in nights["portal"].requests}  # never followed
    assert _asked(nights["portal"], nights["n2_from"], urlsplit(nights["redirected"]).path) == 0  # nor asked again


@pytest.mark.e2e
def test_a_body_cut_short_is_truncated_not_stored_and_asked_again(nights):
    row = nights["n1_rows"][nights["cut"]]
    assert row["outcome"] == "truncated" and "Content-Length" in row["reason"]
    assert "truncated" in RETRY_OUTCOMES
    path = urlsplit(nights["cut"]).path
    assert _asked(nights["portal"], nights["n1_from"], path) - _asked(nights["portal"], nights["n2_from"], path) == 2
    assert _asked(nights["portal"], nights["n2_from"], path) - _asked(nights["portal"], nights["n3_from"], path) == 2


@pytest.mark.e2e
def test_a_url_that_never_answers_in_time_is_a_timeout_asked_once_the_next_night(nights):
    row = nights["n1_rows"][nights["slow"]]
    assert row["outcome"] == "timeout" and row["kind"] == "attachment"
    assert row["parent_url"] == nights["parent"]["url"]
    path, portal = urlsplit(nights["slow"]).path, nights["portal"]
    assert _asked(portal, nights["n1_from"], path) - _asked(portal, nights["n2_from"], path) == 2  # one retry
    assert _asked(portal, nights["n2_from"], path) - _asked(portal, nights["n3_from"], path) == 1  # no retry


@pytest.mark.e2e
def test_too_large_is_explained_and_asked_again_only_when_the_limit_is_raised(nights):
    too_large = {u: r for u, r in nights["n1_rows"].items() if r["outcome"] == "too_large"}
    assert len(too_large) >= 3
    assert all("max size (30000)" in r["reason"] for r in too_large.values())
    portal = nights["portal"]
    paths = {urlsplit(u).path for u in too_large}
    assert not [p for _, _, p in portal.requests[nights["n2_from"]:nights["n3_from"]] if p in paths]
    after = nights["n3_rows"]
    huge = {a["url"] for t in portal.truth() for a in t["attachments"] if a["expect"] == "too_large"}
    assert all(after[u]["outcome"] == "stored" for u in set(too_large) - huge)
    assert huge and all(after[u]["outcome"] == "too_large" and "(2097152)" in after[u]["reason"] for u in huge)


@pytest.mark.e2e
def test_every_url_asked_has_a_manifest_row(nights):
    rows = {urlsplit(u)._replace(scheme="").geturl().lstrip("/") for u in nights["n3_rows"]}
    asked = {f"{host}{path}" for _, host, path in nights["portal"].requests if not path.endswith("/robots.txt")}
    assert asked - rows == set()


# -- classification and policies, without a crawl ----------------------------------------------------
def _spider(rows=()):  # noqa: ANN001, ANN202
    from spiders.families.trs import TrsSpider

    portal = {"id": "p", "hosts": ["www.x.gov.cn"], "seed_urls": ["http://www.x.gov.cn/nb/"]}
    spider = TrsSpider(portal=portal)
    spider.load_state(iter(rows))
    return spider


def _failure(exc: Exception) -> Failure:
    failure = Failure(exc)
    failure.request = Request("http://www.x.gov.cn/P1.pdf", meta={"kind": "attachment"})
    return failure


@pytest.mark.parametrize(("exc", "outcome"), [
    (DownloadCancelledError("Received 3000000 bytes which is larger than download max size (2097152) in request"),
     "too_large"),
    (DownloadCancelledError("Expected to receive 9000000 bytes which is larger than download max size (2097152)"),
     "too_large"),
    (IgnoreRequest("Ignored response because its body (2097152 B compressed, 2147483648 B decompressed so far) "
                   "exceeded DOWNLOAD_MAXSIZE (2097152 B) during decompression."), "too_large"),
    (ResponseDataLossError(), "truncated"),
    (Truncated("truncated: no '%%EOF' at the end"), "truncated"),
    (OffsiteRedirect("offsite redirect: a redirects to b"), "offsite_redirect"),
    (DownloadTimeoutError("Getting http://www.x.gov.cn/P1.pdf took longer than 60.0 seconds."), "timeout"),
])
def test_download_errors_are_classified(exc, outcome):
    spider = _spider()
    [item] = list(spider._failed(_failure(exc)))
    assert item.outcome == outcome


def test_too_large_is_retried_only_above_the_limit_it_was_refused_at():
    from scrapy.settings import Settings

    row = {"url": "http://www.x.gov.cn/P1.pdf", "outcome": "too_large", "kind": "attachment",
           "reason": "DownloadCancelledError: Received 3000000 bytes which is larger than download max size (2097152)"}
    spider = _spider()

    class _Crawler:
        settings = Settings({"DOWNLOAD_MAXSIZE": 2097152})

    spider.crawler = _Crawler()
    assert not spider.size_limit_raised(row)
    _Crawler.settings = Settings({"DOWNLOAD_MAXSIZE": 8 * 2097152})
    assert spider.size_limit_raised(row)
    assert "too_large" not in RETRY_OUTCOMES


def test_a_url_timing_out_night_after_night_is_backed_off_exponentially():
    url = "http://www.x.gov.cn/slow.pdf"
    now = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)

    def rows(n: int, last: datetime) -> list[dict]:
        return [{"url": url, "outcome": "timeout", "kind": "attachment",
                 "fetched_at": (last - timedelta(days=n - 1 - i)).strftime("%Y-%m-%dT%H:%M:%SZ")} for i in range(n)]

    def asked_on(n: int, nights_later: int) -> bool:
        spider = _spider(rows(n, now))
        return not spider.backed_off(spider.retry_rows[0], now + timedelta(days=nights_later))

    assert asked_on(1, 1)  # timed out once: asked the next night
    assert not asked_on(2, 1) and asked_on(2, 2)  # twice: skips one night
    assert not asked_on(3, 3) and asked_on(3, 4)  # three times: skips three
    assert not asked_on(12, 30) and asked_on(12, 33)  # capped


def test_timeouts_are_retried_within_a_time_budget():
    mw = TimeoutRetryCapMiddleware(budget=120, timeout=60, retry_times=3)
    request = Request("http://www.x.gov.cn/slow.pdf")
    mw.process_exception(request, DownloadTimeoutError())
    assert request.meta["max_retry_times"] == 1  # 60 s + one retry = the 120 s budget
    fast = Request("http://www.x.gov.cn/a.html", meta={"download_timeout": 2})
    mw.process_exception(fast, DownloadTimeoutError())
    assert fast.meta["max_retry_times"] == 3  # short timeouts keep RETRY_TIMES
    once = Request("http://www.x.gov.cn/b.html", meta={"max_retry_times": 0})
    mw.process_exception(once, DownloadTimeoutError())
    assert once.meta["max_retry_times"] == 0


@pytest.mark.parametrize(("body", "flags", "cut"), [
    (b"%PDF-1.7\n" + b"x" * 5000, ["partial"], True),
    (b"%PDF-1.7\n" + b"x" * 5000 + b"\n%%EOF\n", ["partial"], False),
    (b"PK\x03\x04" + b"x" * 100, ["partial"], True),
    (b"<html><body><p>" + b"x" * 100, ["partial"], True),
    (b"<html><body><p>x</p></body></html>", ["partial"], False),
    (b"<html><body><p>" + b"x" * 100, [], False),  # a Content-Length was sent and met
    (b"anything", ["dataloss"], True),
])
def test_a_body_without_its_end_marker_is_truncated(body, flags, cut):
    response = HtmlResponse("http://www.x.gov.cn/a", body=body, flags=flags)
    assert (truncation_reason(response) is not None) == cut


# -- a crawl that cannot write -------------------------------------------------------------------------
DISK_FULL = """
import errno, sys
from pipeline import rawstore
put, n = rawstore.RawStore.put, [0]
def full(self, data, ext=".bin"):
    n[0] += 1
    if n[0] > 3:
        raise OSError(errno.ENOSPC, "No space left on device", str(self.root))
    return put(self, data, ext)
rawstore.RawStore.put = full
from spiders.run import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.e2e
def test_a_disk_full_crawl_exits_non_zero_with_one_line_and_the_next_run_stores_everything(tmp_path):
    portal = build_portal()
    registry = patient_registry(tmp_path / "registry.yaml", portals=SMALL)
    data = tmp_path / "data"
    with DemoServer(portal) as server:
        proc = subprocess.run([sys.executable, "-c", DISK_FULL, "--registry", str(registry), "--data", str(data),
                               "--run-id", "full", "--proxy", server.proxy_url], cwd=ROOT, env=env(),
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == EXIT_WRITE_FAILED, proc.stderr[-3000:]
        last = proc.stderr.strip().splitlines()[-1]
        assert last.startswith("spiders.run: crawl failed: ") and "No space left on device" in last, last
        assert score(portal.truth(), read_rows(data), SMALL).recall < 1.0
        complete(server, registry, data, "after")
    assert score(portal.truth(), read_rows(data), SMALL).recall == 1.0


def _limit_file_size(limit: int):  # noqa: ANN202
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # write() then fails with EFBIG instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


@pytest.mark.e2e
def test_nianbao_crawl_under_a_file_size_limit_exits_non_zero_with_one_line(tmp_path):
    portal = build_portal()
    registry = patient_registry(tmp_path / "registry.yaml", portals=SMALL)
    with DemoServer(portal) as server:
        proc = subprocess.run([str(ROOT / ".venv" / "bin" / "nianbao"), "crawl", "--registry", str(registry),
                               "--data", str(tmp_path / "data"), "--proxy", server.proxy_url, "--run-id", "limited"],
                              cwd=ROOT, env=env(), capture_output=True, text=True, timeout=300,
                              preexec_fn=_limit_file_size(150_000))
    assert proc.returncode == EXIT_WRITE_FAILED, (proc.stdout[-2000:], proc.stderr[-2000:])
    lines = [line for line in proc.stderr.splitlines() if "crawl failed" in line]
    assert len(lines) == 1 and ("File too large" in lines[0] or "disk I/O" in lines[0]), proc.stderr[-2000:]


def test_a_body_cut_short_is_asked_again_then_refused_as_truncated():
    from scrapy import Spider
    from scrapy.utils.test import get_crawler

    from spiders.middlewares import TruncationMiddleware

    crawler = get_crawler(Spider, {"RETRY_TIMES": 1})
    crawler.spider = crawler._create_spider("t")
    mw = TruncationMiddleware.from_crawler(crawler)
    request = Request("http://www.x.gov.cn/a.pdf")
    cut = HtmlResponse(request.url, body=b"%PDF-1.7\n" + b"x" * 100, flags=["partial"], request=request)
    again = mw.process_response(request, cut)
    assert isinstance(again, Request) and again.meta["retry_times"] == 1
    with pytest.raises(Truncated, match="%%EOF"):
        mw.process_response(again, cut)
    whole = HtmlResponse(request.url, body=b"%PDF-1.7\nx\n%%EOF\n", flags=["partial"], request=request)
    assert mw.process_response(request, whole) is whole
