"""What spiders hand to the item pipeline: a fetched document, a revalidated one, a listing page or a failure."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FetchedDocument:
    url: str
    portal_id: str
    kind: str  # report / attachment
    status: int
    body: bytes
    content_type: str | None = None
    title: str | None = None
    publish_date: str | None = None
    listing_url: str | None = None
    parent_url: str | None = None
    column: str | None = None
    listing_date: str | None = None
    change: str | None = None  # new / changed / reissued
    extra: dict = field(default_factory=dict)


@dataclass
class Unchanged:
    """A stored document asked again (its listing looked different) whose bytes did not change."""

    url: str
    portal_id: str
    previous: dict  # the manifest row that stored it
    listing_date: str | None = None
    reason: str | None = None


@dataclass
class FetchFailure:
    url: str
    portal_id: str
    kind: str
    outcome: str  # failed / timeout / abandoned / blocked / robots / too_large / url_too_long / not_found / withdrawn /
    # refused / offsite / offsite_redirect
    reason: str
    status: int | None = None
    listing_url: str | None = None
    parent_url: str | None = None
    title: str | None = None
    column: str | None = None
    listing_date: str | None = None
    change: str | None = None


@dataclass
class ListingPage:
    url: str
    portal_id: str
    status: int
    n_reports: int  # report links found on the page
    n_new: int  # of which fetched in this crawl (new, changed or re-issued)
    column: str | None = None
