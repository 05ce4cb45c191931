"""Score a crawl against the demo portal's truth: recall and precision of reports (and attachments).

Truth rows say what an honest crawler must end with (``expect``): ``stored`` reports count for recall;
``robots``/``blocked`` ones must end as such failure rows instead. Precision is over stored report rows:
a stored page that is not a true report (news, soft 404, challenge page, clone) lowers it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pipeline.manifest import latest_by_url


@dataclass
class Score:
    recall: float
    precision: float
    attachment_recall: float
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    missing_attachments: list[str] = field(default_factory=list)
    wrong_outcomes: list[str] = field(default_factory=list)


def score(truth: Iterable[dict], rows: Iterable[dict], portal_ids: Iterable[str] | None = None) -> Score:
    truth = list(truth)
    if portal_ids is not None:
        wanted = set(portal_ids)
        truth = [t for t in truth if t["portal_id"] in wanted]
    latest = latest_by_url(rows)
    stored = {u for u, r in latest.items() if r.get("outcome") in ("stored", "unchanged") and r.get("kind") == "report"}
    expected = {t["url"] for t in truth if t.get("expect", "stored") == "stored"}
    all_true = {t["url"] for t in truth}
    portals = {t["portal_id"] for t in truth}
    stored_here = {u for u in stored if latest[u].get("portal_id") in portals}
    hits = expected & stored_here
    att_expected = {a["url"] for t in truth for a in t["attachments"] if a.get("expect", "stored") == "stored"}
    att_stored = {u for u, r in latest.items() if r.get("outcome") in ("stored", "unchanged") and r.get("kind") == "attachment"}
    wrong = []
    for t in truth:
        want = t.get("expect", "stored")
        if want != "stored":
            row = latest.get(t["url"])
            seeds = [r for r in latest.values() if r.get("portal_id") == t["portal_id"] and r.get("outcome") == want]
            if not (row and row.get("outcome") == want) and not seeds:
                wrong.append(f"{t['url']}: expected {want}")
        for a in t["attachments"]:
            if a.get("expect", "stored") not in ("stored",):
                row = latest.get(a["url"])
                if t.get("expect", "stored") == "stored" and not (row and row.get("outcome") == a["expect"]):
                    wrong.append(f"{a['url']}: expected {a['expect']}, got {row and row.get('outcome')}")
    return Score(
        recall=len(hits) / len(expected) if expected else 1.0,
        precision=len(stored_here & all_true) / len(stored_here) if stored_here else 1.0,
        attachment_recall=len(att_expected & att_stored) / len(att_expected) if att_expected else 1.0,
        missing=sorted(expected - stored_here),
        unexpected=sorted(stored_here - all_true),
        missing_attachments=sorted(att_expected - att_stored),
        wrong_outcomes=wrong,
    )
