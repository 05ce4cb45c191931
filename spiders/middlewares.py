"""Downloader middlewares shared by every family spider: demo routing, the address guard, bot-wall
detection, charset repair, a robots.txt parser that reads an HTML answer as "no robots.txt", and the ones
that make every URL end with an explained outcome: an off-site redirect, a truncated body, a timeout."""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import CannotResolveHostError, DownloadTimeoutError, IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.robotstxt import ProtegoRobotParser
from scrapy.spidermiddlewares.urllength import UrlLengthMiddleware
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet._resolver import GAIResolver
from twisted.internet.error import DNSLookupError
from twisted.internet.error import TimeoutError as TwistedTimeoutError
from twisted.internet.interfaces import IAddress, IHostnameResolver, IHostResolution, IResolutionReceiver
from zope.interface import implementer

from pipeline.decode import decode

Resolver = Callable[..., list]


class AddressRefused(IgnoreRequest):
    """A request to a loopback, private, link-local, reserved or metadata address (real portals only)."""


class Blocked(IgnoreRequest):
    """The host answered with a bot wall (challenge page, 412, 521); nothing from it is content."""


class OffsiteRedirect(IgnoreRequest):
    """A redirect (3xx or meta refresh) to a host the portal does not own: recorded, not followed."""


class Truncated(IgnoreRequest):
    """The body arrived cut short (data loss, or a closed connection before the format's end marker)."""


# -- address guard ---------------------------------------------------------------------------------
METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata", "instance-data", "instance-data.ec2.internal"})


# IPv6 prefixes that carry an IPv4 address: the connection ends at that IPv4 host, so it is judged instead.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052 well-known prefix
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215 local-use: a private translator
_V4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")  # RFC 2765 IPv4-translated
_V4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated IPv4-compatible
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_METADATA_IPS = frozenset({"100.100.100.200", "fd00:ec2::254"})  # Alibaba Cloud / AWS IPv6 metadata


def embedded_ipv4(addr: ipaddress.IPv6Address) -> tuple[str, list[ipaddress.IPv4Address]] | None:
    """(transition mechanism, the IPv4 addresses it reaches) for an IPv6 address that embeds IPv4."""
    low = ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    if addr.ipv4_mapped:
        return "IPv4-mapped", [addr.ipv4_mapped]
    if addr.sixtofour:
        return "6to4", [addr.sixtofour]
    if addr.teredo:
        return "Teredo", list(addr.teredo)
    for net, name in ((_NAT64, "NAT64"), (_V4_TRANSLATED, "IPv4-translated"), (_V4_COMPATIBLE, "IPv4-compatible")):
        if addr in net:
            return name, [low]
    return None


def _forbidden_plain(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    for attr in ("is_loopback", "is_link_local", "is_private", "is_multicast", "is_reserved", "is_unspecified"):
        if getattr(addr, attr):
            return attr[3:].replace("_", "-")
    if str(addr) in _METADATA_IPS:
        return "a cloud metadata address"
    if addr in _CGNAT:
        return "carrier-grade NAT"
    return None


def forbidden_ip(ip: str) -> str | None:
    """Why this IP address must not be contacted for a real portal, or None when it is public.

    An IPv6 address of a transition prefix (IPv4-mapped, IPv4-compatible, IPv4-translated, 6to4, Teredo,
    NAT64) is judged by the IPv4 address it embeds: ``2002:7f00:1::`` reaches 127.0.0.1.
    """
    addr = ipaddress.ip_address(ip.split("%")[0])
    if isinstance(addr, ipaddress.IPv6Address) and not (addr.is_loopback or addr.is_unspecified):
        if addr in _NAT64_LOCAL:
            return f"{ip} is a local-use NAT64 address"
        embedded = embedded_ipv4(addr)
        if embedded:
            mechanism, v4s = embedded
            for v4 in v4s:
                why = _forbidden_plain(v4)
                if why:
                    return f"{ip} is {mechanism} for {v4}, which is {why}"
            return None
    why = _forbidden_plain(addr)
    return f"{ip} is {why}" if why else None


def address_refusal(host: str | None, resolver: Resolver = socket.getaddrinfo) -> str | None:
    """Why ``host`` must not be contacted for a real portal (None: it resolves only to public addresses).

    Literal IPs are judged directly; names are resolved with ``getaddrinfo`` and every address must be
    public (a name resolving to 127.0.0.1 is as bad as 127.0.0.1).
    """
    if not host:
        return "no host"
    host = host.strip("[]").rstrip(".").lower()
    if host in METADATA_HOSTS or host == "localhost" or host.endswith((".localhost", ".internal", ".local")):
        return f"{host} is a local or metadata name"
    try:
        return forbidden_ip(host)
    except ValueError:
        pass
    try:
        infos = resolver(host, None, 0, socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        return f"{host} does not resolve ({exc})"
    addresses = {info[4][0] for info in infos}
    if not addresses:
        return f"{host} does not resolve"
    for ip in sorted(addresses):
        why = forbidden_ip(ip)
        if why:
            return f"{host} resolves to {why}"
    return None


class AddressGuardMiddleware:
    """Refuse requests (first requests, redirects, robots.txt) to non-public addresses for real portals.

    Demo portals are the one explicit exception: they live on loopback behind the demo proxy. Decisions
    are cached per host for the crawl, so each host is resolved once.
    """

    def __init__(self, crawler: Crawler, resolver: Resolver = socket.getaddrinfo) -> None:
        self.crawler = crawler
        self.resolver = resolver
        self.cache: dict[str, str | None] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AddressGuardMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        spider = spider or self.crawler.spider
        if getattr(spider, "portal", {}).get("demo"):
            return None
        host = urlparse_cached(request).hostname or ""
        if host not in self.cache:
            self.cache[host] = address_refusal(host, self.resolver)
        why = self.cache[host]
        if why:
            self.crawler.stats.inc_value("nianbao/address_refused")
            raise AddressRefused(f"address guard: {why}")
        return None


# -- the connection itself -------------------------------------------------------------------------
# Hosts whose connect-time resolution the GuardedResolver refused, and why (read by PeerAddressMiddleware to
# record the request as refused rather than as a DNS failure). One resolver per crawl process.
RESOLVER_REFUSALS: dict[str, str] = {}


@implementer(IResolutionReceiver)
class _VettingReceiver:
    """Holds back the addresses of one resolution until all are known, then passes them on only if every
    one is public: the connection can only be made to an address that was vetted."""

    def __init__(self, receiver: IResolutionReceiver, host: str, trusted: bool) -> None:
        self.receiver, self.host, self.trusted = receiver, host, trusted
        self.addresses: list[IAddress] = []

    def resolutionBegan(self, resolution: IHostResolution) -> None:  # noqa: N802 - Twisted interface
        self.receiver.resolutionBegan(resolution)

    def addressResolved(self, address: IAddress) -> None:  # noqa: N802 - Twisted interface
        self.addresses.append(address)

    def resolutionComplete(self) -> None:  # noqa: N802 - Twisted interface
        why = None
        if self.addresses and not self.trusted:
            why = address_refusal(self.host, lambda *_: [(0, 0, 0, "", (a.host, 0)) for a in self.addresses])
        if why:
            RESOLVER_REFUSALS[self.host] = why
        else:
            for address in self.addresses:
                self.receiver.addressResolved(address)
        self.receiver.resolutionComplete()


@implementer(IHostnameResolver)
class GuardedResolver:
    """The crawl's name resolver (``TWISTED_DNS_RESOLVER``): the addresses a connection is made to are the
    ones checked, so a name that answers public to the address guard and 127.0.0.1 at connect (DNS
    rebinding) gets no connection. Every request, redirect and robots.txt connects through it.

    Only the demo proxy (``NIANBAO_PROXY``, set for demo registries only) may resolve to loopback. Nothing
    is cached: each connection is vetted on the answer it uses.
    """

    def __init__(self, reactor: object, trusted_hosts: frozenset[str] = frozenset()) -> None:
        self.reactor = reactor
        self.trusted_hosts = trusted_hosts
        # looked up per call, so the resolver is the process's getaddrinfo (and a test's stand-in for it)
        self._gai = GAIResolver(reactor, getaddrinfo=lambda *args: socket.getaddrinfo(*args))

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: object) -> GuardedResolver:
        proxy = crawler.settings.get("NIANBAO_PROXY")
        trusted = frozenset({urlsplit(proxy).hostname or ""}) if proxy else frozenset()
        return cls(reactor, trusted)

    def install_on_reactor(self) -> None:
        self.reactor.installNameResolver(self)

    def resolveHostName(self, resolutionReceiver: IResolutionReceiver, hostName: str,  # noqa: N802, N803
                        portNumber: int = 0, addressTypes: object = None,  # noqa: N803
                        transportSemantics: str = "TCP") -> IHostResolution:  # noqa: N803
        host = hostName.strip("[]").rstrip(".").lower()
        receiver = _VettingReceiver(resolutionReceiver, host, host in self.trusted_hosts)
        return self._gai.resolveHostName(receiver, hostName, portNumber, addressTypes, transportSemantics)


class PeerAddressMiddleware:
    """Record a connection the GuardedResolver refused as ``refused``, and check the address a response
    actually came from (``response.ip_address``) before anything is stored.

    Placed after the retry middleware (its exceptions are seen first): a refused address is not retried.
    Proxied requests (the demo portal) come from the proxy's address and are not judged by it.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PeerAddressMiddleware:
        return cls(crawler)

    def _exempt(self, request: Request, spider: Spider | None) -> bool:
        spider = spider or self.crawler.spider
        return bool(getattr(spider, "portal", {}).get("demo") or request.meta.get("proxy"))

    def _refuse(self, why: str) -> AddressRefused:
        self.crawler.stats.inc_value("nianbao/address_refused")
        return AddressRefused(f"address guard: {why}")

    def process_exception(self, request: Request, exception: Exception, spider: Spider | None = None) -> None:
        if isinstance(exception, (DNSLookupError, CannotResolveHostError)) and not self._exempt(request, spider):
            why = RESOLVER_REFUSALS.get((urlparse_cached(request).hostname or "").rstrip(".").lower())
            if why:
                raise self._refuse(f"at connect: {why}")
        return None

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        if response.ip_address is not None and not self._exempt(request, spider):
            why = forbidden_ip(str(response.ip_address))
            if why:
                raise self._refuse(f"connected to {why}")
        return response


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


# -- bot walls -------------------------------------------------------------------------------------
CHALLENGE_MARKERS = (
    re.compile(rb"\$_ts\s*=|\$_ts\["),  # 瑞数 dynamic cookie
    re.compile(rb"__jsl_clearance|__jsluid"),  # 加速乐
    re.compile(rb"WTKkN|__tst_status|EO_Bot_Ssid"),  # TencentEdgeOne
    re.compile(rb"wzwschallenge|WZWSREL"),  # 网站卫士
    re.compile("安全验证|访问验证|请开启JavaScript并刷新".encode()),
)
BLOCK_STATUSES = frozenset({412, 521})
CHALLENGE_MAX_BYTES = 16 * 1024  # challenge pages are small; a long report quoting "$_ts" is not one


def challenge_reason(status: int, body: bytes) -> str | None:
    """Why this response is a bot wall rather than content, or None."""
    if status in BLOCK_STATUSES:
        return f"HTTP {status} bot wall"
    if status == 202 and b"wzws" in body.lower():
        return "HTTP 202 WZWS challenge"
    if len(body) <= CHALLENGE_MAX_BYTES:
        for marker in CHALLENGE_MARKERS:
            if marker.search(body):
                return f"challenge page ({marker.pattern[:20]!r})"
    return None


class BlockedHostMiddleware:
    """Classify bot-wall answers as blocked, and stop asking a host that has blocked us in this crawl."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.blocked: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BlockedHostMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        host = urlparse_cached(request).hostname or ""
        if host in self.blocked and not request.url.endswith("/robots.txt"):
            raise Blocked(f"host blocked earlier in this crawl: {self.blocked[host]}")
        return None

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        why = challenge_reason(response.status, response.body)
        if why is None:
            return response
        host = urlparse_cached(request).hostname or ""
        if host not in self.blocked:
            self.blocked[host] = why
            self.crawler.stats.inc_value("nianbao/blocked_hosts")
            self.crawler.stats.set_value(f"nianbao/blocked/{host}", why)
        raise Blocked(why)


# -- charsets --------------------------------------------------------------------------------------
class CharsetRepairMiddleware:
    """Re-decode pages whose declared charset does not fit their bytes (GBK under ``charset=utf-8``).

    Scrapy trusts the HTTP header over ``<meta>``; real servers send ``utf-8`` over GBK pages. When the
    body does not decode strictly under the chosen encoding, use the project's decoder (meta charset,
    then GB18030) instead.
    """

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        if not isinstance(response, TextResponse) or not response.body:
            return response
        try:
            response.body.decode(response.encoding)
            return response
        except (UnicodeDecodeError, LookupError):
            pass
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        meta_first = re.sub(r"charset=[^;]*", "", content_type)  # ignore the header that just failed
        detected = decode(response.body, meta_first).detected
        return response.replace(encoding=detected)


# -- robots.txt ------------------------------------------------------------------------------------
class HtmlAwareRobotParser(ProtegoRobotParser):
    """Protego, except that an HTML body (a soft-404 page served as robots.txt) means "no robots.txt"."""

    def __init__(self, robotstxt_body: bytes, spider: Spider | None) -> None:
        head = robotstxt_body[:512].lstrip().lower()
        self.was_html = head.startswith((b"<!doctype", b"<html", b"<?xml", b"<head", b"<body"))
        super().__init__(b"" if self.was_html else robotstxt_body, spider)

    @classmethod
    def from_crawler(cls, crawler: Crawler, robotstxt_body: bytes) -> HtmlAwareRobotParser:
        parser = cls(robotstxt_body, crawler.spider)
        crawler.stats.inc_value("nianbao/robots/html_as_absent" if parser.was_html else "nianbao/robots/parsed")
        return parser




# -- every URL ends with a row ---------------------------------------------------------------------
class RedirectOffsiteMiddleware(OffsiteMiddleware):
    """Scrapy's off-site filter, judged only where a refusal reaches the request's errback: Scrapy also
    drops off-site requests in the ``request_scheduled`` signal, where no errback runs, so a redirect to
    another host (or any off-site request) would end with no manifest row and stay pending in the frontier.
    A redirect is refused as ``OffsiteRedirect`` (recorded ``offsite_redirect``), any other as ``offsite``."""

    def request_scheduled(self, request: Request, spider: Spider) -> None:
        return None  # judged in process_request (the first downloader middleware), before any byte is sent

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        try:
            super().process_request(request)
        except IgnoreRequest:
            redirects = request.meta.get("redirect_urls")
            if not redirects:
                raise
            raise OffsiteRedirect(f"offsite redirect: {redirects[0]} redirects to {request.url}, a host outside "
                                  "the portal") from None
        return None


# PDF ends with %%EOF (a few bytes of slack after it); a ZIP (DOCX, XLSX) with its end-of-central-directory
# record (22 bytes plus a comment of at most 64 KiB).
_END_MARKERS = ((b"%PDF-", b"%%EOF", 2048), (b"PK\x03\x04", b"PK\x05\x06", 65557))


def truncation_reason(response: Response) -> str | None:
    """Why this body is cut short, or None. ``dataloss``: Scrapy accepted a body shorter than its
    Content-Length (``DOWNLOAD_FAIL_ON_DATALOSS`` off). ``partial``: the server sent no length and closed the
    connection, which is also how a cut looks, so the body is judged by its format's end marker."""
    if "dataloss" in response.flags:
        return "truncated: fewer bytes than the announced Content-Length (data loss)"
    if "partial" not in response.flags:
        return None
    body = response.body
    for magic, end, window in _END_MARKERS:
        if body.startswith(magic) and end not in body[-window:]:
            return f"truncated: no {end.decode('latin-1')!r} at the end of a body sent without Content-Length"
    head = body[:1024].lower()
    if b"<html" in head and b"</html" not in body[-4096:].lower():
        return "truncated: an HTML page without </html>, sent without Content-Length"
    return None


class TruncationMiddleware:
    """A truncated body is asked again (Scrapy's retry budget); when every attempt came back cut, the URL
    is recorded ``truncated`` (``Truncated``), never stored as if it were whole. Placed after decompression."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TruncationMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response, spider: Spider | None = None
                         ) -> Request | Response:
        why = truncation_reason(response)
        if why is None:
            return response
        self.crawler.stats.inc_value("nianbao/truncated_responses")
        retry = get_retry_request(request, spider=self.crawler.spider, reason="truncated")
        if retry is not None:
            return retry
        raise Truncated(why)


class TimeoutRetryCapMiddleware:
    """A URL may spend at most ``NIANBAO_TIMEOUT_BUDGET`` seconds (default 120) timing out in one crawl: with
    the 60 s DOWNLOAD_TIMEOUT of real portals a timeout is retried once, so a slow-loris URL holds its host's
    only download slot for 2 minutes, not RETRY_TIMES + 1 times 60 s. Short timeouts (the demo's 4 s) keep
    the full RETRY_TIMES. Runs before the retry middleware (exceptions travel from the downloader outwards)."""

    def __init__(self, budget: float, timeout: float, retry_times: int) -> None:
        self.budget, self.timeout, self.retry_times = budget, timeout, retry_times

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TimeoutRetryCapMiddleware:
        return cls(crawler.settings.getfloat("NIANBAO_TIMEOUT_BUDGET", 120.0),
                   crawler.settings.getfloat("DOWNLOAD_TIMEOUT", 180.0), crawler.settings.getint("RETRY_TIMES", 2))

    def process_exception(self, request: Request, exception: Exception, spider: Spider | None = None) -> None:
        if isinstance(exception, (DownloadTimeoutError, TwistedTimeoutError)):
            timeout = float(request.meta.get("download_timeout") or self.timeout)
            cap = max(0, int(self.budget // timeout) - 1) if timeout > 0 else 0
            allowed = int(request.meta.get("max_retry_times", self.retry_times))
            request.meta["max_retry_times"] = min(allowed, cap)
        return None


class RecordedUrlLengthMiddleware(UrlLengthMiddleware):
    """Scrapy's URL length limit (``URLLENGTH_LIMIT``), but a link over it ends with a manifest row: the spider
    middleware hands on the spider's ``url_too_long`` failure row (with the page it was found on) in place of
    the request, which is never fetched. Spiders without failure rows keep Scrapy's drop-and-log."""

    def get_processed_request(self, request: Request, response: Response | None) -> object:
        if len(request.url) <= self.maxlength:
            return request
        spider = self.crawler.spider
        make = getattr(spider, "failure_item", None)
        if make is None:
            return super().get_processed_request(request, response)
        self.crawler.stats.inc_value("urllength/request_ignored_count")
        row = make(request, "url_too_long", f"URL of {len(request.url)} characters is over URLLENGTH_LIMIT "
                   f"({self.maxlength}): not fetched", url=request.url)
        if response is not None and getattr(row, "parent_url", "") is None and not getattr(row, "listing_url", None):
            row.parent_url = response.url
        return row
