"""What one crawl run did per portal, read from its manifest file, and whether a portal went silent.

"Silent zero is a failure": a portal whose listing could not be read (blocked, robots, errors) or that
listed no report at all while earlier runs stored reports from it must be flagged, never taken as "no
new reports".
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

from .manifest import manifest_dir
from .state import ManifestState

_UNREADABLE = frozenset({"blocked", "robots", "failed", "timeout", "refused", "not_found"})


def run_rows(data_dir: str | Path, run_id: str) -> list[dict]:
    """The manifest rows written by one crawl run."""
    path = manifest_dir(data_dir) / f"{run_id}.jsonl"
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def portal_health(rows: Iterable[dict], portal_ids: Iterable[str], stored_before: dict[str, int]) -> list[dict]:
    """One summary per portal: listing pages read/unreadable, report links seen, documents stored,
    failures by outcome, and ``silent`` with the reason when the portal gave nothing usable."""
    by_portal: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        c = by_portal[row.get("portal_id") or ""]
        kind, outcome = row.get("kind"), row.get("outcome")
        if kind == "listing":
            if outcome == "listed":
                c["listing_pages"] += 1
                c["report_links"] += int((row.get("extra") or {}).get("n_reports", 0))
            else:
                c["listing_unreadable"] += 1
                c[f"listing_{outcome}"] += 1
        elif outcome in ("stored", "unchanged"):
            c["stored"] += 1
        else:
            c[f"failed_{outcome}"] += 1
    out = []
    for pid in portal_ids:
        c = by_portal.get(pid, Counter())
        silent = None
        if not c["listing_pages"]:
            kinds = sorted(k.removeprefix("listing_") for k in c if k.startswith("listing_") and k != "listing_unreadable")
            silent = f"no listing page could be read ({', '.join(kinds) or 'no request made'})"
        elif not c["report_links"] and stored_before.get(pid, 0):
            silent = f"listing shows no report although {stored_before[pid]} were stored before"
        out.append({"portal_id": pid, **dict(c), "silent": silent})
    return out


def stored_counts(data_dir: str | Path, exclude_run: str | None = None) -> dict[str, int]:
    """Documents held per portal (URLs whose latest manifest row says their bytes are stored) other than
    those last written by ``exclude_run``: from the manifest's current state (``pipeline.state``), so a
    crawl's start does not read the whole manifest history."""
    return ManifestState(data_dir).stored_per_portal(exclude_run)


# Exceptions that mean the network path (proxy, DNS, routing) failed, not the site's answer.
_NETWORK = ("ConnectionRefusedError", "DNSLookupError", "TunnelError", "TCPTimedOutError", "NoRouteError",
            "ConnectError", "ConnectionLost", "TimeoutError", "ResponseNeverReceived", "ConnectionDone")


def portal_figures(stats: dict) -> dict[str, int]:
    """The figures of one portal's Scrapy stats an operator watches: pages, stored, failures, requests."""
    failures = sum(int(v) for k, v in stats.items()
                   if k.startswith("nianbao/outcome/") and k not in ("nianbao/outcome/stored", "nianbao/outcome/unchanged"))
    return {"pages": int(stats.get("downloader/response_count", 0)), "stored": int(stats.get("nianbao/outcome/stored", 0)),
            "failures": failures, "requests": int(stats.get("downloader/request_count", 0))}


def unreachable_reason(stats: dict) -> str | None:
    """Why a portal got no answer at all, when every request it made failed in the network."""
    if int(stats.get("downloader/response_count", 0)) or not int(stats.get("downloader/request_count", 0)):
        return None
    errors = {k.rsplit("/", 1)[1].rsplit(".", 1)[-1]: int(v) for k, v in stats.items()
              if k.startswith("downloader/exception_type_count/")}
    if not errors:
        return None
    kind = max(errors, key=errors.__getitem__)
    network = " (network: proxy, DNS or route)" if kind in _NETWORK else ""
    return f"no response to {stats.get('downloader/request_count')} requests: {kind} ×{errors[kind]}{network}"


def portal_failures(stats: dict[str, dict]) -> dict[str, str]:
    """portal id → why its crawl failed (unreachable, a finish reason other than ``finished``, or a
    normal finish that still left requests pending in the durable frontier: they are re-issued next run)."""
    out: dict[str, str] = {}
    for pid, st in stats.items():
        reason = st.get("finish_reason")
        why = unreachable_reason(st)
        if reason not in (None, "finished"):
            why = f"crawl ended with '{reason}'" + (f"; {why}" if why else "")
        elif int(st.get("nianbao/frontier/pending_at_close", 0)):
            pending = int(st["nianbao/frontier/pending_at_close"])
            why = f"{pending} request(s) still pending at close (re-issued on the next run)" + (f"; {why}" if why else "")
        if why:
            out[pid] = why
    return out


def infrastructure_errors(stats: dict[str, dict]) -> list[str]:
    """Reasons the whole crawl must count as failed (not a finding about one portal): no request made at
    all, a crawl that did not finish normally, or every portal unreachable through the network."""
    if not stats:
        return ["no portal was crawled"]
    problems = []
    if not sum(int(st.get("downloader/request_count", 0)) for st in stats.values()):
        problems.append("no request was made (every host refused before a request, or the crawl never started)")
    ended = {pid: st.get("finish_reason") for pid, st in stats.items() if st.get("finish_reason") != "finished"}
    if ended:
        problems.append("crawl did not finish normally: " + ", ".join(f"{pid} '{r}'" for pid, r in sorted(ended.items())))
    unreachable = {pid: unreachable_reason(st) for pid, st in stats.items()}
    if all(unreachable.values()):
        pid, why = sorted(unreachable.items())[0]
        problems.append(f"every portal unreachable ({len(stats)}), e.g. {pid}: {why}")
    return problems
