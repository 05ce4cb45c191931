"""Column discovery: given only a portal's home URL, find its annual-report column(s).

Government sites must keep a 政府信息公开年报 sub-column in their 政府信息公开 专栏, so discovery walks a few
hops from the home page, best first: links whose text, ``<meta name="ColumnName">`` or path says 年报
(政府信息公开年报, 年度报告, 工作年报, ``zfxxgknb``, ``xxgknb``, ``ndbg``, ``gknb``, ``nianbao``…) are
followed first, the 信息公开/政务公开 hubs and the 部门/乡镇 lists that lead to them next. A page is a column
when its own name says so or it lists report titles; on a column, per-year sub-columns (``2018n/``,
``xxgknb2019/``, "2019年") and per-department/乡镇 年报 lists are columns too. Every column is recorded with
its evidence (URL path, link text, marker, family from ``spiders.detect``). The request budget is bounded.

``Discovery`` is the pure part: feed it fetched pages, it says what to fetch next and what it found.
``DiscoverySpider`` drives it with Scrapy; ``python -m spiders.discovery`` runs it in a child process
(Twisted cannot restart inside one) and writes the result as JSON. ``rediscover_reason`` says when a
portal must be discovered again.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

from pipeline.titles import is_report_title, report_year

from .detect import detect_family, text_of
from .registry import seed_status

BUDGET = 30  # requests per portal: "a few dozen" at most
MAX_DEPTH = 3  # hops from the home page

_ANNUAL_TEXT = re.compile(r"信息公开.{0,6}(?:年报|年度报告)|^(?:.{0,12}(?:部门|乡镇|街道|区县|县区|单位))?.{0,4}"
                          r"(?:年报|年度报告|工作年报)(?:专栏|栏目|目录)?$")
_NOT_ANNUAL = re.compile(r"企业|统计年报|年报公示|决算|预算|年鉴|工商")
_ANNUAL_PATH = re.compile(r"(?:^|[/_\-.])(?:zfxxgknb|xxgknb|zfxxgkndbg|xxgkndbg|gkndbg|ndbg|gknb|nianbao|"
                          r"zfxxgkgzndbg|zfxxgkbg\d*|xxgk-xxgknb)(?:[_\-]?\d{4}n?)?(?=[/_\-.?]|$)", re.I)
_HUB_TEXT = re.compile(r"^(?:政府|政务|部门|乡镇|街道)?信息公开(?:专栏|平台|目录|网)?$|^政务公开$|^政府信息公开$|"
                       r"^信息公开目录$|^法定主动公开内容$|^公开目录$")
_HUB_PATH = re.compile(r"^/?(?:[^/]+/){0,2}(?:zwgk|xxgk|zfxxgk|zfxxgkzl|gkml|xxgkml|zwxxgk|gongkai|gkmlpt|"
                       r"zfxxgkpt|xxgk\d{4})/?(?:index\.s?html?)?$", re.I)
_ORGAN_TEXT = re.compile(r"部门|乡镇|街道|区县|县区|直属|单位")
_ORGAN_PATH = re.compile(r"(?:^|/)(?:bmxxgk|bmgk|xzjd|xzxxgk|jdxz|bmxx|zsdw)(?:/|$)", re.I)
_YEAR_TEXT = re.compile(r"^((?:19|20)\d{2})\s*年?度?(?:年报|报告)?$")
_YEAR_PATH = re.compile(r"(?:^|/|[a-z_])((?:19|20)\d{2})(?:n\d*|nb)?/?(?:index\.s?html?)?$", re.I)
_ARTICLE = re.compile(r"t\d{8}_\d+|art_\d+_\d+|art_[0-9a-f]{32}|post_\d+|content_\d+|iInfo\.jsp|/\d{8}/[0-9a-f]{32}|"
                      r"/c\d+/content\.html|\.(?:pdf|docx?|xlsx?|wps|zip|rar|jpe?g|png)$", re.I)
_ANCHOR = re.compile(r"<a\s([^>]*?)>(.*?)</a\s*>", re.I | re.S)
_HREF = re.compile(r"""(?<![\w-])href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
_TITLE_ATTR = re.compile(r"""(?<![\w-])title\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)
_TAG = re.compile(r"<[^>]+>")
_META = re.compile(r"""<meta\s+name\s*=\s*["']ColumnName["']\s+content\s*=\s*["']([^"']*)["']""", re.I)
_PAGE_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
_JSON_TITLE = re.compile(r'"(?:title|aT|name)"\s*:\s*"([^"]{6,120})"')
_TREE = re.compile(r"TREE\s*:\s*(\[.*?\])\s*[,}]", re.S)


@dataclass(frozen=True)
class Link:
    url: str
    text: str


@dataclass
class Column:
    """One annual-report column found on the site, with why we believe it."""

    url: str
    label: str
    kind: str  # column / year (a per-year sub-column) / organ (a department's or 乡镇's list)
    evidence: list[str]
    family: str | None = None
    family_evidence: str = ""
    found_on: str = ""
    reports_seen: int = 0
    confirmed: bool = False  # fetched, and its own page says it is an annual-report column


@dataclass
class PageView:
    """What discovery reads on one page."""

    url: str
    family: str | None
    family_evidence: str
    column_name: str
    title: str
    links: list[Link]
    report_titles: list[str]
    categories: list[tuple[str, str]]  # gkmlpt TREE (id, name)


def _clean(text: str) -> str:
    return re.sub(r"\s+", "", html.unescape(_TAG.sub("", text or "")))


def read_page(url: str, body: bytes | str) -> PageView:
    """Links, names and report titles of one page (HTML, Hanweb datastore, JS literals) and its family."""
    text = text_of(body)
    family, family_evidence = detect_family(url, text)
    links: list[Link] = []
    titles: list[str] = []
    for attrs, inner in _ANCHOR.findall(text):
        href = _HREF.search(attrs)
        label_attr = _TITLE_ATTR.search(attrs)
        label = _clean(next((g for g in label_attr.groups() if g), "")) if label_attr else ""
        shown = _clean(inner)
        name = label if len(label) > len(shown) else shown
        if href:
            raw = html.unescape(next((g for g in href.groups() if g is not None), "")).strip()
            js = re.search(r"""openWin\(\s*['"]([^'"]+)['"]""", raw)
            if js:
                raw = js.group(1)
            if raw and not raw.lower().startswith(("javascript:", "mailto:", "#", "tel:")):
                links.append(Link(urljoin(url, raw).split("#", 1)[0], name))
        if is_report_title(name) and report_year(name):
            titles.append(name)
    titles.extend(t for t in _JSON_TITLE.findall(text) if is_report_title(t) and report_year(t))
    meta = _META.search(text)
    page_title = _PAGE_TITLE.search(text)
    categories: list[tuple[str, str]] = []
    tree = _TREE.search(text)
    if tree:
        try:
            categories = [(str(c.get("id")), str(c.get("name"))) for c in json.loads(tree.group(1))]
        except (ValueError, AttributeError):
            categories = []
    return PageView(url, family, family_evidence, _clean(meta.group(1)) if meta else "",
                    _clean(page_title.group(1)) if page_title else "", links, titles, categories)


def annual_label(text: str) -> bool:
    """Does a link text or column name name an annual-report column (not a report, not 企业年报)?"""
    t = _clean(text)
    if not t or len(t) > 24 or _NOT_ANNUAL.search(t):
        return False
    if is_report_title(t) and re.search(r"(?:19|20)\d{2}", t):
        return False  # one report, not a column
    return bool(_ANNUAL_TEXT.search(t))


def annual_path(url: str) -> str | None:
    """The 年报 token in a URL path (``zfxxgknb``, ``ndbg``, …), or None."""
    parts = urlsplit(url)
    m = _ANNUAL_PATH.search(parts.path + ("?" + parts.query if parts.query else ""))
    return m.group(0).strip("/_-.") if m else None


def is_article(url: str) -> bool:
    return bool(_ARTICLE.search(urlsplit(url).path + "?" + urlsplit(url).query))


def canonical(url: str) -> str:
    """A column URL without ``index.html`` (``/zfxxgknb/index.html`` and ``/zfxxgknb/`` are one column)."""
    parts = urlsplit(url)
    path = re.sub(r"/index\.s?html?$", "/", parts.path) if not parts.query else parts.path
    return urlunsplit((parts.scheme, parts.netloc, path or "/", parts.query, ""))


@dataclass(order=True)
class _Todo:
    rank: tuple
    url: str = field(compare=False)
    depth: int = field(compare=False)
    why: str = field(compare=False)
    label: str = field(compare=False)
    found_on: str = field(compare=False)
    kind: str = field(compare=False)  # column / year / organ / hub


@dataclass
class Result:
    """What discovery found on one portal."""

    home_url: str
    columns: list[Column]
    family: str | None
    family_evidence: str
    requests: int
    pages: list[dict]  # every fetch: url, status, what it was
    stopped: str  # done / budget / blocked / home unreachable
    reason: str = ""  # why discovery ran (``rediscover_reason``), when the crawl ran it
    replaces: list[str] = field(default_factory=list)  # the seeds it was run to replace (a silent column)
    run_id: str = ""  # the crawl run that ran it
    discovered_at: str = ""  # ISO 8601 UTC

    def as_dict(self) -> dict:
        return asdict(self)

    def registry_update(self, portal_id: str) -> dict:
        """The discovered part of a registry record (applied by ``spiders.registry.merge``)."""
        cols = [c for c in self.columns if c.confirmed or c.kind == "year"]
        update = {"id": portal_id, "family": self.family or ("generic" if cols else ""),
                  "family_evidence": self.family_evidence or ("no family marker: the generic list reader" if cols else ""),
                  "seed_urls": [c.url for c in cols], "seed_status": "discovered" if cols else "none",
                  "columns": [asdict(c) for c in self.columns]}
        if self.replaces and cols:
            update["replaces"] = list(self.replaces)
        return update


class Discovery:
    """Best-first walk from a home page towards annual-report columns, within hosts and a request budget."""

    def __init__(self, home_url: str, hosts: Iterable[str] = (), budget: int = BUDGET, max_depth: int = MAX_DEPTH,
                 ) -> None:
        self.home_url = home_url
        self.hosts = set(hosts) or {urlsplit(home_url).hostname or ""}
        self.budget = budget
        self.max_depth = max_depth
        self.queue: list[_Todo] = []
        self.asked: set[str] = set()
        self.columns: dict[str, Column] = {}
        self.pages: list[dict] = []
        self.requests = 0
        self.blocked = False
        self._order = 0
        self._push(home_url, 0, "home page", "", "", "hub", 0)

    # -- queue -------------------------------------------------------------------------------------
    def _push(self, url: str, depth: int, why: str, label: str, found_on: str, kind: str, priority: int) -> None:
        key = canonical(url)
        if key in self.asked or any(canonical(t.url) == key for t in self.queue):
            return
        self._order += 1
        self.queue.append(_Todo((-priority, depth, self._order), url, depth, why, label, found_on, kind))

    def next_urls(self) -> list[tuple[str, dict]]:
        """URLs to fetch now (best first), each with the context ``feed`` needs back; empty when done."""
        out = []
        self.queue.sort()
        while self.queue and self.requests < self.budget and not self.blocked:
            todo = self.queue.pop(0)
            if canonical(todo.url) in self.asked:
                continue
            self.asked.add(canonical(todo.url))
            self.requests += 1
            out.append((todo.url, {"depth": todo.depth, "why": todo.why, "label": todo.label,
                                   "found_on": todo.found_on, "kind": todo.kind}))
            if todo.kind == "hub" and todo.depth == 0:
                break  # the home page first: nothing else is known yet
        return out

    # -- reading -----------------------------------------------------------------------------------
    def _in_site(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and (parts.hostname or "") in self.hosts

    def feed(self, url: str, status: int, body: bytes | str, ctx: dict) -> None:
        """One fetched page (or a failure: status 0 and the reason in ``body``)."""
        ctx = ctx or {"depth": 0, "why": "", "label": "", "found_on": "", "kind": "hub"}
        if status != 200:
            self.pages.append({"url": url, "status": status, "read": f"not read: {text_of(body)[:80]}"})
            return
        page = read_page(url, body)
        depth = ctx["depth"]
        own = [f"ColumnName '{page.column_name}'"] if annual_label(page.column_name) else []
        if not own and annual_label(page.title.split("_")[0].split("-")[0]):
            own.append(f"page title '{page.title}'")
        years = [c for c in page.categories if annual_label(c[1])]
        if years:
            own.append("gkmlpt TREE categories " + ", ".join(f"{i} {n}" for i, n in years))
        reports = len(page.report_titles)
        # an article carries its column's ColumnName, but it is a report, not the column
        is_column = not is_article(url) and (bool(own) or (ctx["kind"] in ("column", "year", "organ") and reports > 0))
        read = "column" if is_column else ("hub" if depth == 0 or ctx["kind"] == "hub" else "page")
        self.pages.append({"url": url, "status": status, "read": read, "reports": reports, "family": page.family})
        if is_column:
            evidence = [e for e in (ctx["why"],) if e] + own + ([f"{reports} report titles listed"] if reports else [])
            col = self.columns.get(canonical(url))
            if col is None:
                col = Column(url, ctx["label"] or page.column_name or page.title, ctx["kind"]
                             if ctx["kind"] != "hub" else "column", [], found_on=ctx["found_on"])
                self.columns[canonical(url)] = col
            col.evidence = list(dict.fromkeys([*col.evidence, *evidence]))
            col.family, col.family_evidence = page.family, page.family_evidence
            col.reports_seen, col.confirmed = reports, True
        if depth >= self.max_depth:
            return
        for link in page.links:
            self._consider(link, page, depth, is_column)

    def _consider(self, link: Link, page: PageView, depth: int, on_column: bool) -> None:
        if not self._in_site(link.url) or is_article(link.url):
            return
        text, token = link.text, annual_path(link.url)
        path = urlsplit(link.url).path
        if on_column:
            year = _YEAR_TEXT.match(text) or (_YEAR_PATH.search(path) if token or "nb" in path.lower() else None)
            if year and canonical(link.url) != canonical(page.url):
                why = f"per-year sub-column '{text or path}' on the column {page.url}"
                self._record(link, "year", why, page.url, family=page.family)
                self._push(link.url, depth + 1, why, text, page.url, "year", 2)
                return
        if annual_label(text):
            kind = "column" if re.match(r"^(?:政府)?信息公开|^年报|^年度报告|^工作年报", text) else "organ"
            why = f"link text '{text}' on {page.url}" + (f", path '{token}'" if token else "")
            if on_column:  # a 部门/乡镇 list or sibling column listed on a column: a column even if not fetched
                self._record(link, kind, why, page.url, family=page.family)
            self._push(link.url, depth + 1, why, text, page.url, kind, 4 if token else 3)
        elif token and not (text and is_report_title(text)):
            why = f"path '{token}' (link text '{text}') on {page.url}"
            self._push(link.url, depth + 1, why, text, page.url, "column", 3)
        elif _ORGAN_PATH.search(path) or (_ORGAN_TEXT.search(text) and ("公开" in text or "年报" in text)
                                          and len(text) <= 12):
            self._push(link.url, depth + 1, f"department/乡镇 list '{text}' on {page.url}", text, page.url, "organ", 1)
        elif _HUB_TEXT.match(text) or (_HUB_PATH.match(path) and len(text) <= 12):
            self._push(link.url, depth + 1, f"信息公开 hub '{text or path}' on {page.url}", text, page.url, "hub", 2)

    def _record(self, link: Link, kind: str, why: str, found_on: str, family: str | None) -> None:
        key = canonical(link.url)
        if key not in self.columns:
            self.columns[key] = Column(link.url, link.text, kind, [why], family=family, found_on=found_on)

    def fail(self, url: str, outcome: str, reason: str) -> None:
        """A request that did not land (blocked, robots, 404, timeout)."""
        self.pages.append({"url": url, "status": None, "read": f"{outcome}: {reason[:120]}"})
        if outcome == "blocked":
            self.blocked = True

    def result(self) -> Result:
        cols = sorted(self.columns.values(), key=lambda c: (not c.confirmed, c.kind != "column", c.url))
        fams = [c for c in cols if c.confirmed and c.family]
        best = next((c for c in fams if c.family != "generic"), fams[0] if fams else None)
        home_ok = any(canonical(p["url"]) == canonical(self.home_url) and p.get("status") == 200 for p in self.pages)
        stopped = ("blocked" if self.blocked else "home unreachable" if not home_ok else
                   "budget" if self.queue and self.requests >= self.budget else "done")
        return Result(self.home_url, cols, best.family if best else None, best.family_evidence if best else "",
                      self.requests, self.pages, stopped)


def discover_offline(home_url: str, pages: dict[str, bytes | str], hosts: Iterable[str] = (), budget: int = BUDGET
                     ) -> Result:
    """Discovery over pages already fetched (URL → body; a URL not in ``pages`` answers 404)."""
    walk = Discovery(home_url, hosts, budget)
    while batch := walk.next_urls():
        for url, ctx in batch:
            body = pages.get(url) if url in pages else pages.get(url.rstrip("/") + "/index.html")
            walk.feed(url, 200 if body is not None else 404, body if body is not None else b"not found", ctx)
    return walk.result()


def load_updates(directory: str | Path) -> list[dict]:
    """Registry updates from a directory of discovery results (``<portal id>.json`` each)."""
    out = []
    root = Path(directory)
    for path in sorted(root.glob("*.json")) if root.is_dir() else []:
        data = json.loads(path.read_text(encoding="utf-8"))
        result = Result(**{**data, "columns": [Column(**c) for c in data["columns"]]})
        out.append(result.registry_update(path.stem))
    return out


def rediscover_reason(portal: dict, health: dict | None) -> str | None:
    """Why this portal's columns must be found again, or None. ``health`` is its row of
    ``pipeline.crawl_health.portal_health`` for the last crawl. A confirmed seed is never re-discovered
    while it answers; a blocked or robots-refused portal is not either (discovery would be refused too)."""
    status = seed_status(portal) or "conventional"
    if not portal.get("seed_urls"):
        return "no seed yet"
    if health is None:
        return None if status == "confirmed" else f"seed is {status}, never crawled"
    silent = health.get("silent") or ""
    if not silent:
        return None
    if health.get("listing_blocked") or health.get("listing_robots"):
        return None
    if "no report" in silent or health.get("listing_not_found") or status != "confirmed":
        return f"column went silent: {silent}"
    return None


# -- Scrapy ----------------------------------------------------------------------------------------
def _spider_class() -> type:
    import scrapy

    class DiscoverySpider(scrapy.Spider):
        """Fetches what ``Discovery`` asks for; records failures (blocked, robots, 404) as evidence."""

        name = "discovery"

        def __init__(self, portal: str, budget: int = BUDGET, out: str | None = None, reason: str = "",
                     run_id: str = "", replaces: str | list[str] = (), **kwargs: object) -> None:
            super().__init__(**kwargs)
            self.portal = json.loads(portal) if isinstance(portal, str) else dict(portal)
            home = self.portal.get("home_url") or _home_of(self.portal)
            self.allowed_domains = list(self.portal.get("hosts") or [urlsplit(home).hostname])
            self.walk = Discovery(home, self.allowed_domains, int(budget))
            self.out = out
            self.reason, self.run_id = reason, run_id
            self.replaces = json.loads(replaces) if isinstance(replaces, str) else list(replaces)

        def result(self) -> Result:
            """What the walk found, with why it ran and the confirmed seeds it is to replace."""
            return replace(self.walk.result(), reason=self.reason, replaces=self.replaces, run_id=self.run_id,
                           discovered_at=datetime.now(UTC).isoformat(timespec="seconds"))

        async def start(self) -> Iterator:
            for request in self._next():
                yield request

        def _next(self) -> Iterator:
            for url, ctx in self.walk.next_urls():
                yield scrapy.Request(url, callback=self.parse, errback=self.failed, meta={"ctx": ctx},
                                     dont_filter=True)

        def parse(self, response: scrapy.http.Response) -> Iterator:
            url = (response.meta.get("redirect_urls") or [response.url])[0]
            self.walk.feed(url, response.status, response.body, response.meta["ctx"])
            yield from self._next()

        def failed(self, failure: object) -> Iterator:
            request = failure.request
            outcome = type(failure.value).__name__
            text = str(failure.getErrorMessage())
            if "Blocked" in outcome:
                outcome = "blocked"
            elif "robots.txt" in text:
                outcome = "robots"
            elif "HttpError" in outcome:
                outcome = f"HTTP {failure.value.response.status}"
            self.walk.fail(request.url, outcome, text)
            yield from self._next()

        def closed(self, reason: str) -> None:
            if self.out:
                Path(self.out).parent.mkdir(parents=True, exist_ok=True)
                Path(self.out).write_text(json.dumps(self.result().as_dict(), ensure_ascii=False, indent=1),
                                          encoding="utf-8")

    return DiscoverySpider


def _home_of(portal: dict) -> str:
    seed = (portal.get("seed_urls") or [""])[0]
    parts = urlsplit(seed)
    return f"{parts.scheme}://{parts.netloc}/"


def crawler(portal: dict, settings: object, *, init_reactor: bool) -> object:
    """A Scrapy crawler of the discovery spider for one portal: the crawl's settings with the portal's
    politeness, and no item pipeline (discovery stores nothing and writes no manifest row)."""
    from scrapy.crawler import Crawler

    own = settings.copy()  # type: ignore[attr-defined]
    own.set("ITEM_PIPELINES", {}, priority="cmdline")
    for key, value in (portal.get("politeness") or {}).items():
        own.set(key, value, priority="cmdline")
    return Crawler(_spider_class(), own, init_reactor=init_reactor)


def run(portals: list[dict], out_dir: str | Path, *, proxy: str | None = None, budget: int = BUDGET) -> dict[str, dict]:
    """Discover every portal (in this process: call it from a child process, as ``main`` does)."""
    from scrapy.crawler import CrawlerProcess

    from .run import base_settings

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    settings = base_settings(str(out_dir), "discovery", proxy)
    settings.set("LOG_INSTALL_ROOT_HANDLER", True, priority="cmdline")
    process = CrawlerProcess(settings)
    for i, portal in enumerate(portals):
        process.crawl(crawler(portal, settings, init_reactor=i == 0), portal=json.dumps(portal, ensure_ascii=False),
                      budget=budget, out=str(out_dir / f"{portal['id']}.json"))
    process.start()
    return {p["id"]: json.loads((out_dir / f"{p['id']}.json").read_text(encoding="utf-8")) for p in portals
            if (out_dir / f"{p['id']}.json").exists()}


def main(argv: list[str] | None = None) -> int:
    from . import registry

    parser = argparse.ArgumentParser(prog="python -m spiders.discovery", description=__doc__.splitlines()[0])
    parser.add_argument("--registry", help="registry file (default: the shipped registry of real portals)")
    parser.add_argument("--portal", action="append", default=[], help="portal id (repeatable; default: every "
                        "portal whose seed is not confirmed)")
    parser.add_argument("--all", action="store_true", help="every portal, confirmed seeds too")
    parser.add_argument("--out", required=True, help="directory for one <portal id>.json result per portal")
    parser.add_argument("--proxy", help="demo portal address, for demo registries only")
    parser.add_argument("--directory", help="imported national directory (nianbao portals import) to merge in")
    parser.add_argument("--budget", type=int, default=BUDGET, help="requests per portal")
    args = parser.parse_args(argv)
    directory = registry.read_records(args.directory) if args.directory else []
    portals = registry.merge(directory, registry.read_records(args.registry))
    unknown = [p for p in args.portal if p not in portals]
    if unknown:
        raise SystemExit(f"no portal {unknown[0]!r} in the registry")
    chosen = ([portals[p] for p in args.portal] if args.portal else list(portals.values()) if args.all
              else [p for p in portals.values() if p.needs_discovery])
    if args.proxy and not all(p.demo for p in chosen):
        raise SystemExit("--proxy is for demo portals only")
    run([p.as_dict() for p in chosen], args.out, proxy=args.proxy, budget=args.budget)
    return 0


if __name__ == "__main__":
    sys.exit(main())
