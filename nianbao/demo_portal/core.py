"""The demo portal's HTTP core: one server on 127.0.0.1 that hosts several virtual government sites.

Sites are chosen by host name, either from an absolute request URI (the crawler uses the server as its
HTTP proxy, so page URLs keep realistic host names while every byte stays on loopback) or from the
``Host`` header. Every request is recorded, so tests can prove a crawl never asked for a host that is
not a demo site.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class DemoRequest:
    method: str
    host: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes = b""
    raw_query: str = ""

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class DemoResponse:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (slow-server traps)
    truncate_to: int | None = None  # send fewer bytes than Content-Length announces

    @classmethod
    def html(cls, text: str | bytes, status: int = 200, charset: str = "utf-8") -> DemoResponse:
        body = text.encode(charset) if isinstance(text, str) else text
        return cls(status, body, {"Content-Type": f"text/html; charset={charset}"})


NOT_FOUND = b"<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1></body></html>"


class Site:
    """A virtual host. Subclasses answer requests; ``reports`` describe the truth for recall tests."""

    hosts: tuple[str, ...] = ()
    robots_txt: str | None = "User-agent: *\nAllow: /\n"

    def respond(self, req: DemoRequest) -> DemoResponse:  # pragma: no cover - interface
        raise NotImplementedError

    def truth(self, base: str) -> Iterable[dict]:
        """Reports this site publishes: url, portal_id, report_year, agency, title, attachments."""
        return ()

    def handle(self, req: DemoRequest) -> DemoResponse:
        if req.path == "/robots.txt":
            if self.robots_txt is None:
                return DemoResponse(404, NOT_FOUND, {"Content-Type": "text/html"})
            return DemoResponse(200, self.robots_txt.encode(), {"Content-Type": "text/plain"})
        return self.respond(req)


class DemoPortal:
    """The set of virtual sites plus a log of every request they were asked."""

    def __init__(self, sites: Iterable[Site]) -> None:
        self.sites = list(sites)
        self._by_host = {h: s for s in self.sites for h in s.hosts}
        self.requests: list[tuple[str, str, str]] = []  # (method, host, path?query)
        self._lock = threading.Lock()

    @property
    def hosts(self) -> list[str]:
        return sorted(self._by_host)

    def dispatch(self, req: DemoRequest) -> DemoResponse:
        with self._lock:
            self.requests.append((req.method, req.host, req.path + (f"?{req.raw_query}" if req.raw_query else "")))
        site = self._by_host.get(req.host)
        if site is None:
            if req.host in ("127.0.0.1", "localhost", ""):
                return DemoResponse.html(self._index_page())
            return DemoResponse(502, b"not a demo host", {"Content-Type": "text/plain"})
        return site.handle(req)

    def truth(self) -> list[dict]:
        return [row for site in self.sites for row in site.truth("")]

    def _index_page(self) -> str:
        items = "".join(f"<li>http://{h}/</li>" for h in self.hosts)
        return (
            "<html><head><meta charset='utf-8'><title>nianbao demo portal</title></head><body>"
            "<h1>nianbao demo portal</h1><p>Virtual government sites served on loopback. Use this server "
            "as an HTTP proxy to browse them.</p><ul>" + items + "</ul></body></html>"
        )


def _make_handler(portal: DemoPortal) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "nianbao-demo/1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
            return

        def _serve(self) -> None:
            raw = self.path
            parts = urlsplit(raw)
            if parts.scheme and parts.netloc:  # proxy (absolute-form) request
                host = parts.hostname or ""
            else:
                host = (self.headers.get("Host") or "").split(":")[0]
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            req = DemoRequest(
                method=self.command,
                host=host.lower(),
                path=parts.path or "/",
                query=parse_qs(parts.query, keep_blank_values=True),
                headers={k: v for k, v in self.headers.items()},
                body=body,
                raw_query=parts.query,
            )
            try:
                resp = portal.dispatch(req)
            except Exception as exc:  # a bug in a demo site must not kill the server
                resp = DemoResponse(500, f"demo site error: {exc}".encode(), {"Content-Type": "text/plain"})
            if resp.delay:
                time.sleep(resp.delay)
            self.send_response(resp.status)
            headers = {"Content-Type": "text/html; charset=utf-8", **resp.headers}
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(resp.body)))
            self.end_headers()
            if self.command != "HEAD":
                payload = resp.body if resp.truncate_to is None else resp.body[: resp.truncate_to]
                try:
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    return
            if resp.truncate_to is not None:
                self.close_connection = True

        do_GET = _serve
        do_POST = _serve
        do_HEAD = _serve

    return Handler


class _Server(ThreadingHTTPServer):
    # The stdlib backlog of 5 drops connections when a crawler opens many at once; a dropped SYN is
    # retried after a second, which looks like a slow server and trips short timeouts.
    request_queue_size = 256

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that hang up early (timeouts, cancelled downloads) are part of the traps, not errors."""
        return


class DemoServer:
    """Runs a DemoPortal on 127.0.0.1 in a background thread (context manager)."""

    def __init__(self, portal: DemoPortal, port: int = 0) -> None:
        self.portal = portal
        self.httpd = _Server(("127.0.0.1", port), _make_handler(portal))
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> DemoServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="demo-portal", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


SiteFactory = Callable[[], Site]
