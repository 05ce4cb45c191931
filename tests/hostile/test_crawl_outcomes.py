"""Oversized and bomb responses end as ``too_large`` rows (explained), not ``failed`` (a server error)."""

from __future__ import annotations

from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector

from pipeline.manifest import read_rows
from spiders.items import FetchFailure
from spiders.pipelines import RawStorePipeline, failure_outcome

# What Scrapy 2.19's HttpCompressionMiddleware says about a gzip bomb, and the download handler about a
# body over the limit (the spider's errback turns the first into "failed").
BOMB = ("IgnoreRequest: Ignored response <200 http://www.x.gov.cn/P020230101.pdf> because its body (2097152 B "
        "compressed, 2147483648 B decompressed so far) exceeded DOWNLOAD_MAXSIZE (2097152 B) during decompression.")
LARGE = "DownloadCancelledError: Received 2097153 bytes which is larger than download max size (2097152) in request"


class _Crawler:
    def __init__(self) -> None:
        self.settings = Settings()
        self.stats = MemoryStatsCollector(self)


def test_a_decompression_bomb_is_recorded_too_large(tmp_path):
    crawler = _Crawler()
    pipeline = RawStorePipeline(str(tmp_path), "night", crawler)
    pipeline.process_item(FetchFailure(url="http://www.x.gov.cn/P020230101.pdf", portal_id="p", kind="attachment",
                                       outcome="failed", reason=BOMB))
    pipeline.process_item(FetchFailure(url="http://www.x.gov.cn/down.jsp", portal_id="p", kind="attachment",
                                       outcome="failed", reason="HTTP 500"))
    pipeline.close_spider()
    assert [(r["url"].rsplit("/", 1)[1], r["outcome"]) for r in read_rows(tmp_path)] == [
        ("P020230101.pdf", "too_large"), ("down.jsp", "failed")]
    assert crawler.stats.get_value("nianbao/outcome/too_large") == 1


def test_only_size_reasons_change_the_outcome():
    assert failure_outcome("failed", LARGE) == "too_large"
    assert failure_outcome("timeout", BOMB) == "timeout"
    assert failure_outcome("failed", "ConnectionRefusedError: Connection was refused") == "failed"
