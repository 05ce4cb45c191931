"""Recall and precision of the listing reader on labelled real listing pages.

``python benchmarks/listing_recall.py [LABELS.yaml]`` (default: the held-out set in
tests/spiders/fixtures/real/heldout/labels.yaml) prints one line per page and
``listing: pages=<n> recall=<r> precision=<p> next_pages=<k>/<m>``: report links found / labelled, true / found,
and labelled next pages named.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from spiders.listing import read_listing  # noqa: E402

DEFAULT = ROOT / "tests" / "spiders" / "fixtures" / "real" / "heldout" / "labels.yaml"


def main(argv: list[str]) -> int:
    labels_path = Path(argv[0]) if argv else DEFAULT
    pages = yaml.safe_load(labels_path.read_text(encoding="utf-8"))["pages"]
    truth_n = found_n = hit_n = next_want = next_hit = 0
    for page in pages:
        body = (labels_path.parent / page["file"]).read_bytes()
        listing = read_listing(page["url"], body, page.get("content_type"))
        found = {r.url for r in listing.reports}
        truth = set(page.get("reports") or [])
        hits = found & truth
        truth_n, found_n, hit_n = truth_n + len(truth), found_n + len(found), hit_n + len(hits)
        if "next_pages" in page:
            want = set(page["next_pages"])
            next_want += len(want) or 1
            next_hit += len(want & set(listing.next_pages)) if want else int(not listing.next_pages)
        print(f"  {page['file']}: family={listing.family} found={len(found)} true={len(truth)} hit={len(hits)} "
              f"missed={sorted(truth - found)} extra={sorted(found - truth)} next={listing.next_pages}")
    recall = hit_n / truth_n if truth_n else 1.0
    precision = hit_n / found_n if found_n else 1.0
    print(f"listing: pages={len(pages)} recall={recall:.3f} precision={precision:.3f} next_pages={next_hit}/{next_want}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
