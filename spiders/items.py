"""What spiders hand to the item pipeline: one fetched document (page or attachment) or a failure."""

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
    extra: dict = field(default_factory=dict)


@dataclass
class FetchFailure:
    url: str
    portal_id: str
    kind: str
    outcome: str  # failed / blocked / robots / too_large / not_found / withdrawn
    reason: str
    status: int | None = None
    listing_url: str | None = None
    parent_url: str | None = None


@dataclass
class ListingPage:
    url: str
    portal_id: str
    status: int
    n_reports: int  # report links found on the page
    n_new: int  # of which not yet stored
