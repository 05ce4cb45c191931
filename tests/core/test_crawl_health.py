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
