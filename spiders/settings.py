"""Scrapy settings for every nianbao crawl. Politeness defaults are explicit here because Scrapy's
built-in defaults (robots ignored, 8 requests per domain, no delay) only come from a project template."""

from __future__ import annotations

import os

BOT_NAME = "nianbao"
SPIDER_MODULES = ["spiders.families"]
NEWSPIDER_MODULE = "spiders.families"

USER_AGENT_TEMPLATE = "nianbao/0.1 (research dataset of government information disclosure annual reports; +{contact})"
# spiders.run sets the operator's contact (NIANBAO_CONTACT, required for real portals); this is the demo's.
USER_AGENT = USER_AGENT_TEMPLATE.format(contact="https://github.com/nianbao/nianbao/issues")

ROBOTSTXT_OBEY = True
# Protego, but a robots.txt answered by an HTML page (soft 404 with status 200) counts as "no robots.txt".
ROBOTSTXT_PARSER = "spiders.middlewares.HtmlAwareRobotParser"
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_ENABLED = True
RETRY_TIMES = 3
# DOWNLOAD_TIMEOUT bounds a whole download (headers and body), so a slow-loris server trickling bytes is cut
# at 60 s; a URL spends at most NIANBAO_TIMEOUT_BUDGET seconds timing out per crawl (one retry at 60 s), is
# asked once without retries the next night, then backed off (spiders.base.PortalSpider.backed_off).
DOWNLOAD_TIMEOUT = 60
NIANBAO_TIMEOUT_BUDGET = 120
# A body shorter than its Content-Length is an error (retried, then recorded ``truncated``), never content.
DOWNLOAD_FAIL_ON_DATALOSS = True
DOWNLOAD_MAXSIZE = 200 * 1024 * 1024
DOWNLOAD_WARNSIZE = 32 * 1024 * 1024
COOKIES_ENABLED = True
# No consoles: the telnet console and Scrapy 2.19's RemoteControl (an HTTP server on localhost that runs
# Python sent to it) would let any local process drive a crawl.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = os.environ.get("NIANBAO_LOG_LEVEL", "INFO")
# The project keeps its own "already stored" state (the manifest); Scrapy's cache would hide new listings.
HTTPCACHE_ENABLED = False

# Every connection resolves through the address guard: the address connected to is the one checked.
TWISTED_DNS_RESOLVER = "spiders.middlewares.GuardedResolver"
DOWNLOADER_MIDDLEWARES = {
    # Scrapy's off-site filter drops a redirect to another host where no errback sees it; this one records it
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "spiders.middlewares.RedirectOffsiteMiddleware": 49,
    "spiders.middlewares.DemoProxyMiddleware": 50,
    # before robots.txt (100): a refused host gets no request at all, not even for its robots.txt
    "spiders.middlewares.AddressGuardMiddleware": 60,
    # responses pass 590 (decompression) → 587 (bot walls) → 586 (charset) → 580 (meta refresh) → …
    # after retry (550): a connection the resolver refused is recorded refused, not retried; checks the peer
    "spiders.middlewares.PeerAddressMiddleware": 600,
    # timeouts are retried within NIANBAO_TIMEOUT_BUDGET seconds (sees the exception before retry, 550)
    "spiders.middlewares.TimeoutRetryCapMiddleware": 560,
    # after decompression (590): a body cut short is retried, then recorded truncated
    "spiders.middlewares.TruncationMiddleware": 589,
    "spiders.middlewares.BlockedHostMiddleware": 587,
    "spiders.middlewares.CharsetRepairMiddleware": 586,
}
# Every request is written to the durable frontier before it is issued and struck off once its manifest
# row is written; an interrupted crawl resumes from it (spiders.frontier; closest to the engine).
SPIDER_MIDDLEWARES = {
    "spiders.frontier.FrontierMiddleware": 10,
    # Scrapy's drops a link longer than URLLENGTH_LIMIT with a log line only; this one records it url_too_long
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
    "spiders.middlewares.RecordedUrlLengthMiddleware": 800,
}
URLLENGTH_LIMIT = 2083
# The download handler counts, before a byte is sent, each run a pending request goes on the wire in; one
# issued in NIANBAO_FRONTIER_MAX_ATTEMPTS runs without an outcome is recorded ``abandoned`` (a crash loop).
DOWNLOAD_HANDLERS = {
    "http": "spiders.frontier.FrontierDownloadHandler",
    "https": "spiders.frontier.FrontierDownloadHandler",
}
NIANBAO_FRONTIER_MAX_ATTEMPTS = int(os.environ.get("NIANBAO_FRONTIER_MAX_ATTEMPTS", "3"))
# A portal's first frontier over stored report pages re-visits them once (their lost attachments), this many a run.
NIANBAO_REVISIT_PER_RUN = int(os.environ.get("NIANBAO_REVISIT_PER_RUN", "500"))
ITEM_PIPELINES = {
    "spiders.pipelines.RawStorePipeline": 300,
}

# Set per run by spiders.run
NIANBAO_DATA_DIR = None
NIANBAO_RUN_ID = None
NIANBAO_PROXY = None  # the demo portal's address; only ever set for demo registries
