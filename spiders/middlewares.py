"""Downloader middlewares shared by every family spider."""

from __future__ import annotations

from scrapy import Request, Spider
from scrapy.crawler import Crawler


class DemoProxyMiddleware:
    """Route every request of a demo crawl through the demo portal on loopback.

    The demo portal hosts virtual sites by name; using it as the HTTP proxy keeps realistic host names
    in URLs while no byte leaves the machine. Only set for registries whose portals are all ``demo``.
    """

    def __init__(self, proxy: str | None) -> None:
        self.proxy = proxy

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DemoProxyMiddleware:
        return cls(crawler.settings.get("NIANBAO_PROXY"))

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if self.proxy:
            request.meta["proxy"] = self.proxy
        return None
