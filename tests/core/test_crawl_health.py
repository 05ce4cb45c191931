"""A portal that gave nothing usable is flagged, never read as 'no new reports'."""

from pipeline.crawl_health import portal_health


def _listing(pid: str, outcome: str = "listed", n_reports: int = 0) -> dict:
    return {"portal_id": pid, "kind": "listing", "outcome": outcome, "extra": {"n_reports": n_reports}}


def test_blocked_robots_and_emptied_columns_are_silent_portals():
    rows = [
        _listing("ok", n_reports=10), {"portal_id": "ok", "kind": "report", "outcome": "stored"},
        _listing("quiet-but-fine", n_reports=4),  # all already stored: nothing new is not silence
        _listing("blocked", "blocked"),
        _listing("robots", "robots"),
        _listing("emptied", n_reports=0),
    ]
    health = {h["portal_id"]: h for h in portal_health(rows, ["ok", "quiet-but-fine", "blocked", "robots", "emptied",
                                                              "never-asked"], {"emptied": 12, "quiet-but-fine": 4})}
    assert health["ok"]["silent"] is None and health["ok"]["stored"] == 1 and health["ok"]["report_links"] == 10
    assert health["quiet-but-fine"]["silent"] is None
    assert "blocked" in health["blocked"]["silent"]
    assert "robots" in health["robots"]["silent"]
    assert "12 were stored before" in health["emptied"]["silent"]
    assert "no request made" in health["never-asked"]["silent"]


def _stats(requests: int, responses: int, reason: str = "finished", **exceptions: int) -> dict:
    st = {"downloader/request_count": requests, "downloader/response_count": responses, "finish_reason": reason}
    st.update({f"downloader/exception_type_count/twisted.internet.error.{k}": v for k, v in exceptions.items()})
    return st


def test_a_dead_proxy_on_every_portal_is_an_infrastructure_error_with_the_reason():
    from pipeline.crawl_health import infrastructure_errors, portal_failures

    dead = {"a": _stats(3, 0, ConnectionRefusedError=3), "b": _stats(3, 0, ConnectionRefusedError=3)}
    (problem,) = infrastructure_errors(dead)
    assert "every portal unreachable" in problem and "ConnectionRefusedError ×3" in problem and "proxy" in problem
    assert set(portal_failures(dead)) == {"a", "b"}
    one_down = {"a": _stats(3, 0, DNSLookupError=3), "b": _stats(5, 5)}
    assert infrastructure_errors(one_down) == [], "one unreachable portal is a finding, not a failed crawl"
    assert "DNSLookupError" in portal_failures(one_down)["a"] and "b" not in portal_failures(one_down)


def test_no_request_or_an_abnormal_finish_fails_the_crawl():
    from pipeline.crawl_health import infrastructure_errors

    assert any("no request was made" in p for p in infrastructure_errors({"a": _stats(0, 0)}))
    assert any("'shutdown'" in p for p in infrastructure_errors({"a": _stats(4, 4, "shutdown"), "b": _stats(2, 2)}))
    assert infrastructure_errors({}) == ["no portal was crawled"]


def test_a_normal_finish_that_left_frontier_requests_pending_names_the_portal():
    from pipeline.crawl_health import portal_failures

    stats = {"a": {"finish_reason": "finished", "downloader/request_count": 9, "nianbao/frontier/pending_at_close": 2},
             "b": {"finish_reason": "finished", "downloader/request_count": 9, "nianbao/frontier/pending_at_close": 0}}
    failures = portal_failures(stats)
    assert list(failures) == ["a"]
    assert "2 request(s) still pending" in failures["a"]
