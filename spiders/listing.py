"""What one listing page says, whoever built it: its CMS family, its entries (url, title, date), the listing
pages that follow it and the sub-columns it links to. Pure: no Scrapy, no network. The spiders and
``nianbao listing FILE --url URL`` call the same ``read_listing``, so any real page can be tried offline.

Families (markers in ``spiders/registry/families.yaml``, see ``spiders/detect.py``):

* ``trs``: static ``index.html``, ``index_1.html`` … paged by ``createPageHTML(count, current, "index", "html")`` or
  ``countPage``/``currentPage``; articles ``./YYYYMM/tYYYYMMDD_ID.html``.
* ``fujian_trs``: a TRS page whose first ``maxStaticIndex`` pages are static and the rest come from the list API
  ``POST /fjdzapp/search`` (``listModel({quickMode: "动静结合", listArgs: {classsql: "chnlid=N"}, pagebar:
  {prepage, recordCount}})``, channel ``SiteInfo.searchId``); the API answers JSON ``{"data": [{"doctitle",
  "docpuburl", "docreltime"}], "page", "pageCount"}``.
* ``hanweb``: ``<datastore>`` records (column page or ``dataproxy.jsp`` XML), next groups from ``<nextgroup>`` and
  ``totalRecord``; newer server-side lists page by ``pageNum=N`` links.
* ``hanweb_jpaas``: ``jpaas-publish-server/front/page/build/unit`` fragments, HTML or JSON ``{"data": {"html": …}}``,
  paged by ``paramJson={"pageNo": N, "pageSize": M}``.
* ``gkmlpt``: ``/gkmlpt/index`` carries ``window._CONFIG`` with ``SID`` and the category ``TREE`` (nested
  ``children``); a category is listed by ``api/all/{cat}?page=N&sid=SID`` as JSON ``{"articles", "total"}``.
* ``nfcms``: Guangdong NFCMS columns, ``content/post_N.html`` articles, ``index_N.html`` pages.
* ``annual_report_module``: ``module/xxgk/xxgkAnnualReport.jsp?area=…&fbtime=YYYY``, one page per organ and year;
  the other years' links are sub-columns.
* ``scriptjson``, ``legacy``: the demo archetypes' own readers.
* ``generic``: any HTML list: anchors whose title reads as a report, paging by 下一页 / ``index_N`` links.

Every HTML family also keeps anchors whose title reads as a report even when their URL has an unfamiliar
shape, so that a family reader never loses a report the generic reader would have found.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

from parsel import Selector
from w3lib.encoding import html_body_declared_encoding, html_to_unicode, http_content_type_encoding

from pipeline.titles import is_report_title, report_year

from .detect import detect_family

_DATE = re.compile(r"((?:19|20)\d{2})\s*[-/年.]\s*(\d{1,2})\s*[-/月.]\s*(\d{1,2})")
_URL_DATE = re.compile(r"(?:^|/)t((?:19|20)\d{2})(\d{2})(\d{2})_\d+")
TRS_ARTICLE = re.compile(r"(?:^|/)t\d{8}_\d+\.s?html?$")
CREATE_PAGE = re.compile(r"createPage(?:HTML)?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*[\"']([^\"']+)[\"']\s*,\s*[\"']([^\"']+)[\"']")
COUNT_PAGE = re.compile(r"countPage\s*=\s*(\d+)")
CURRENT_PAGE = re.compile(r"currentPage\s*=\s*(\d+)")
HANWEB_ARTICLE = re.compile(r"/art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+\.html|/art/\d{4}/art_[0-9a-f]{32}\.html")
NFCMS_ARTICLE = re.compile(r"/(?:m)?post_\d+\.html$")
RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S)
NEXTGROUP = re.compile(r"<nextgroup>\s*<!\[CDATA\[.*?href=[\"']([^\"']+)[\"']", re.S)
HANWEB_TOTAL = re.compile(r"totalRecord\s*:\s*(\d+)|<totalrecord>\s*(\d+)\s*</totalrecord>", re.I)
HANWEB_PER_PAGE = re.compile(r"perPage\s*:\s*(\d+)")
HANWEB_GROUP_PAGES = 3
HANWEB_FORM = ("col", "appid", "webid", "path", "columnid", "sourceContentType", "unitid", "webname", "permissiontype")
LIST_MODEL = re.compile(r"listModel\s*\(\s*\{(.*?)\}\s*\)\s*;?\s*\}\s*\)", re.S)
SID = re.compile(r"SID\s*:\s*['\"]?(\d+)")
JS_LINK = re.compile(r"""^javascript:\s*\w+\(\s*['"]([^'"]+)['"]""", re.I)
NEXT_TEXT = re.compile(r"^(?:下一页|下页|后一页|下一頁|next|>|›|»)$", re.I)
INDEX_N = re.compile(r"(?:^|/)(index|list|default)_(\d+)\.(s?html?)$")
PAGE_NUM = re.compile(r"(?:^|[?&])(pageNum|pageNo|page|cur_page|curPage|pageIndex)=(\d+)", re.I)
MODULE_YEAR = re.compile(r"xxgkAnnualReport\.jsp\?[^\"'#\s]*fbtime=(\d{4})", re.I)
# a sub-column of annual reports: link text naming the column, or a per-year / per-organ 年报 sub-column
COLUMN_TEXT = re.compile(r"(?:信息公开|政务公开)?(?:工作)?(?:年报|年度报告)(?:专栏|栏目)?$|^(?:19|20)\d{2}\s*年度?$")
COLUMN_PATH = re.compile(r"(?:zfxxgknb|xxgknb|gknb|ndbg|nianbao|xxgkndbg)[^/]*/(?:index\.s?html?)?$|/(?:19|20)\d{2}n(?:b)?/$", re.I)


# a registry record's family yields to a detected variant of it (a 动静结合 column is a TRS column too)
REFINES = {"trs": ("fujian_trs",), "hanweb": ("hanweb_jpaas",)}


@dataclass(frozen=True)
class Entry:
    """One item a listing links to."""

    url: str
    title: str
    date: str | None = None
    attachments: tuple[tuple[str, str], ...] = ()

    @property
    def is_report(self) -> bool:
        return is_report_title(self.title)

    @property
    def year(self) -> int | None:
        return report_year(self.title)


@dataclass
class Listing:
    family: str | None
    evidence: str
    entries: list[Entry] = field(default_factory=list)
    next_pages: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)

    @property
    def reports(self) -> list[Entry]:
        return [e for e in self.entries if e.is_report]

    def as_dict(self) -> dict:
        return {
            "family": self.family, "evidence": self.evidence,
            "reports": [{"url": e.url, "title": e.title, "date": e.date, "year": e.year} for e in self.reports],
            "next_pages": list(self.next_pages), "columns": list(self.columns),
        }


# -- helpers ---------------------------------------------------------------------------------------
def iso_date(text: str | None) -> str | None:
    m = _DATE.search(text or "")
    if not m:
        return None
    y, mo, d = (int(g) for g in m.groups())
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}"


def url_date(url: str) -> str | None:
    m = _URL_DATE.search(urlsplit(url).path)
    return f"{m.group(1)}-{m.group(2)}-{m.group(3)}" if m else None


def decode(body: bytes | str, content_type: str | None = None) -> str:
    """The page's text: the declared charset (header, then ``<meta>``), else UTF-8, else GB18030."""
    if isinstance(body, str):
        return body
    declared = (http_content_type_encoding(content_type) if content_type else None) or html_body_declared_encoding(body)
    if declared:
        return html_to_unicode(content_type, body)[1]
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("gb18030", "replace")


def column_base(url: str) -> str:
    """The directory a static column's pages live in (``…/zfxxgknb/index_2.html`` → ``…/zfxxgknb/``)."""
    parts = urlsplit(url)
    path = parts.path if parts.path.endswith("/") else parts.path.rsplit("/", 1)[0] + "/"
    return urlunsplit(parts._replace(path=path, query="", fragment=""))


def with_query(url: str, **params: object) -> str:
    """``url`` with these query parameters set (others kept, order kept)."""
    parts = urlsplit(url)
    query = parse_qs(parts.query, keep_blank_values=True)
    merged = {k: v[0] for k, v in query.items()}
    merged.update({k: str(v) for k, v in params.items()})
    return urlunsplit(parts._replace(query=urlencode(merged)))


def _text(node: Selector) -> str:
    return re.sub(r"\s+", " ", "".join(node.xpath(".//text()").getall())).strip()


def _title(a: Selector) -> str:
    title = (a.attrib.get("title") or "").strip()
    text = _text(a)
    # link text is often cut ("…整改完成情..."): the title attribute holds the full title
    return title if len(title) >= len(text) or text.endswith(("...", "…")) else text


def _row_date(a: Selector) -> str | None:
    row = a.xpath("ancestor::li[1] | ancestor::tr[1] | ancestor::dd[1]")
    if row:
        found = iso_date(" ".join(row[-1].xpath(".//text()").getall()))
        if found:
            return found
    return iso_date(" ".join(a.xpath("following-sibling::*[1]//text() | ../following-sibling::*[1]//text()").getall()))


def _href(a: Selector) -> str | None:
    href = (a.attrib.get("href") or "").strip()
    js = JS_LINK.match(href)
    if js:
        return js.group(1)
    if not href or href.startswith(("javascript:", "mailto:", "#", "tel:")):
        return None
    return href


def _dedupe(entries: Iterable[Entry]) -> list[Entry]:
    seen: dict[str, Entry] = {}
    for e in entries:
        if e.url not in seen:
            seen[e.url] = e
    return list(seen.values())


def anchors(url: str, sel: Selector, pattern: re.Pattern[str] | None = None) -> list[Entry]:
    """Entries from ``<a href>``: those whose URL matches the family's article ``pattern``, and every anchor
    whose title reads as a report (any CMS)."""
    out = []
    for a in sel.xpath("//a[@href]"):
        href = _href(a)
        if href is None:
            continue
        title = _title(a)
        target = urljoin(url, href)
        path = urlsplit(target).path
        if (pattern is not None and pattern.search(path)) or is_report_title(title):
            out.append(Entry(target, title, _row_date(a) or url_date(target)))
    return _dedupe(out)


def pager_links(url: str, sel: Selector) -> list[str]:
    """The next page named by the page's own pager links: 下一页 anchors, else ``index_{n+1}`` / ``page=n+1``."""
    found = []
    for a in sel.xpath("//a[@href]"):
        href = _href(a)
        if href and NEXT_TEXT.match(_text(a) or (a.attrib.get("title") or "").strip()):
            target = urljoin(url, href)
            if target != url:
                found.append(target)
    if found:
        return list(dict.fromkeys(found))
    path = urlsplit(url).path
    m = INDEX_N.search(path)
    current = int(m.group(2)) if m else 0
    q = PAGE_NUM.search(urlsplit(url).query)
    current_q = int(q.group(2)) if q else 1
    for a in sel.xpath("//a[@href]"):
        href = _href(a)
        if not href:
            continue
        target = urljoin(url, href)
        parts = urlsplit(target)
        im = INDEX_N.search(parts.path)
        if im and int(im.group(2)) == current + 1 and column_base(target) == column_base(url):
            return [target]
        qm = PAGE_NUM.search(parts.query)
        if qm and int(qm.group(2)) == current_q + 1 and parts.path == urlsplit(url).path:
            return [target]
    return []


def sub_columns(url: str, sel: Selector) -> list[str]:
    """Links to annual-report (sub-)columns: per-year, per-organ or the 年报 column itself, never this page."""
    out = []
    here = column_base(url)
    for a in sel.xpath("//a[@href]"):
        href = _href(a)
        if not href:
            continue
        target = urljoin(url, href)
        text = _text(a) or (a.attrib.get("title") or "")
        if is_report_title(text) or column_base(target) == here and not urlsplit(target).query:
            continue
        path = urlsplit(target).path
        looks_dir = path.endswith("/") or re.search(r"/index\.s?html?$|/col/col\d+/", path)
        if looks_dir and (COLUMN_TEXT.search(re.sub(r"\s+", "", text)) or COLUMN_PATH.search(path)):
            out.append(target)
        elif MODULE_YEAR.search(target):
            out.append(target)
    return list(dict.fromkeys(out))


def _balanced(text: str, start: int) -> str | None:
    """The bracketed literal starting at ``text[start]`` (``[`` or ``{``), quotes respected."""
    opening = text[start]
    closing = {"[": "]", "{": "}"}[opening]
    depth, quote, i = 0, "", start
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
        elif c == opening:
            depth += 1
        elif c == closing:
            depth -= 1
            if depth == 0:
                return text[start:i + 1]
        i += 1
    return None


# -- families ---------------------------------------------------------------------------------------
def trs_pager(text: str) -> tuple[int, int, str, str] | None:
    """(page count, current page, file stem, extension) from a TRS listing page's paging script."""
    m = CREATE_PAGE.search(text)
    if m:
        return int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
    count, current = COUNT_PAGE.search(text), CURRENT_PAGE.search(text)
    if count:
        return int(count.group(1)), int(current.group(1)) if current else 0, "index", "html"
    return None


def _trs(url: str, text: str, sel: Selector) -> tuple[list[Entry], list[str]]:
    entries = anchors(url, sel, TRS_ARTICLE)
    paging = trs_pager(text)
    if paging is not None:
        count, current, stem, ext = paging
        nxt = [urljoin(column_base(url), f"{stem}_{current + 1}.{ext}")] if current + 1 < count else []
    else:
        nxt = pager_links(url, sel)
    return entries, nxt


def list_model(text: str) -> dict | None:
    """The arguments of a Fujian ``listModel({...})`` call: quickMode, maxStaticIndex, classsql, prepage,
    recordCount, channel id (``SiteInfo.searchId`` resolved)."""
    m = LIST_MODEL.search(text)
    if not m:
        return None
    body = m.group(1)

    def grab(key: str) -> str | None:
        # key: "value", key: value, or key: "" || "value" (a template default)
        km = re.search(rf"\b{key}\s*:\s*((?:['\"][^'\"]*['\"]\s*\|\|\s*)*)(?:['\"]([^'\"]*)['\"]|([^,}}\n]*))", body)
        if not km:
            return None
        return (km.group(2) if km.group(2) is not None else km.group(3) or "").strip() or None

    channel = grab("channelid")
    if channel and not channel.isdigit():
        sm = re.search(rf"{re.escape(channel.split('.')[-1])}\s*:\s*['\"]?(\d+)", text)
        channel = sm.group(1) if sm else None
    return {"quickMode": grab("quickMode"), "maxStaticIndex": int(grab("maxStaticIndex") or 1),
            "classsql": grab("classsql"), "sortfield": grab("sortfield"), "prepage": int(grab("prepage") or 15),
            "recordCount": int(grab("recordCount") or 0), "channelid": channel}


def fujian_api_url(page_url: str, model: dict, page: int) -> str:
    """The list-API request for page ``page`` (1-based) of a 动静结合 column, as a URL whose query is the
    POST form the site's ``list2.trsapi`` sends."""
    parts = urlsplit(page_url)
    form = {"channelid": model["channelid"], "sortfield": model.get("sortfield") or "-docorderpri,-docreltime",
            "classsql": model["classsql"], "page": page, "prepage": model["prepage"]}
    return urlunsplit((parts.scheme, parts.netloc, "/fjdzapp/search", urlencode(
        {k: v for k, v in form.items() if v not in (None, "")}), ""))


def _fujian_page(url: str, text: str, sel: Selector) -> tuple[list[Entry], list[str]]:
    entries, nxt = _trs(url, text, sel)
    model = list_model(text)
    if model is None or not model["classsql"] or not model["channelid"]:
        return entries, nxt
    pages = math.ceil(model["recordCount"] / max(model["prepage"], 1))
    static_pages = max(model["maxStaticIndex"], 1)
    m = INDEX_N.search(urlsplit(url).path)
    current = int(m.group(2)) + 1 if m else 1  # 1-based
    if current < static_pages:
        return entries, [urljoin(column_base(url), f"index_{current}.html")]
    return entries, [fujian_api_url(url, model, p) for p in range(current + 1, pages + 1)]


def _fujian_api(url: str, data: dict) -> tuple[list[Entry], list[str]]:
    entries = []
    for doc in data.get("data") or data.get("docs") or []:
        if not isinstance(doc, dict):
            continue
        target = doc.get("docpuburl") or doc.get("url") or doc.get("chnldocurl")
        if target:
            entries.append(Entry(urljoin(url, str(target)), str(doc.get("doctitle") or doc.get("title") or ""),
                                 iso_date(str(doc.get("docreltime") or doc.get("pubdate") or ""))
                                 or url_date(str(target))))
    q = PAGE_NUM.search(urlsplit(url).query)
    page = int(data.get("page") or (q.group(2) if q else 1))
    count = int(data.get("pageCount") or 0)
    nxt = [with_query(url, page=page + 1)] if entries and page < count else []
    return _dedupe(entries), nxt


def records(text: str) -> list[tuple[str, str, str | None]]:
    """(href, full title, date) of every record in a Hanweb datastore (column page or dataproxy XML)."""
    out = []
    for chunk in RECORD.findall(text):
        sel = Selector(text=chunk)
        link = sel.xpath("//a[@href]")
        if not link:
            continue
        a = link[0]
        out.append((a.attrib["href"].strip(), _title(a), iso_date(" ".join(sel.xpath("//text()").getall()))))
    return out


def hanweb_group_url(template: str, start: int, per_page: int) -> str:
    """The dataproxy request for one group, its form fields (from the ``<nextgroup>`` template) in the query."""
    parts = urlsplit(template)
    query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    form = {k: query[k] for k in HANWEB_FORM if k in query}
    form.setdefault("col", "1")
    form.setdefault("sourceContentType", "1")
    end = start + per_page * HANWEB_GROUP_PAGES - 1
    return urlunsplit(parts._replace(query=urlencode({"startrecord": start, "endrecord": end, "perpage": per_page,
                                                      **form})))


def _hanweb(url: str, text: str, sel: Selector) -> tuple[list[Entry], list[str]]:
    recs = records(text)
    entries = [Entry(urljoin(url, h), t, d or url_date(h)) for h, t, d in recs]
    if not recs:
        return anchors(url, sel, HANWEB_ARTICLE), pager_links(url, sel)
    total_m = HANWEB_TOTAL.search(text)
    total = int(total_m.group(1) or total_m.group(2)) if total_m else None
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    nextgroup = NEXTGROUP.search(text)
    template = urljoin(url, nextgroup.group(1).replace("&amp;", "&")) if nextgroup else url
    if "startrecord" in query:  # a dataproxy group answer
        start, end = int(query["startrecord"]), int(query.get("endrecord") or 0)
        per_page = int(query.get("perpage") or 15)
        more = end < total if total is not None else len(recs) >= end - start + 1
        nxt = [hanweb_group_url(template, end + 1, per_page)] if recs and more else []
    else:  # the column page with its first group inline
        per_page = int(m.group(1)) if (m := HANWEB_PER_PAGE.search(text)) else 15
        group = per_page * HANWEB_GROUP_PAGES
        nxt = [hanweb_group_url(template, group + 1, per_page)] if nextgroup and (total or 0) > group else []
    return _dedupe(entries), nxt


def _jpaas(url: str, text: str) -> tuple[list[Entry], list[str]]:
    html, page_size = text, None
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        inner = data.get("data")
        html = (inner.get("html") if isinstance(inner, dict) else inner) or data.get("html") or ""
    sel = Selector(text=str(html) or "<html/>")
    entries = anchors(url, sel, HANWEB_ARTICLE)
    params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    nxt: list[str] = []
    if "paramJson" in params:
        try:
            pj = json.loads(params["paramJson"])
        except ValueError:
            pj = {}
        page_no, page_size = int(pj.get("pageNo") or 1), int(pj.get("pageSize") or 0)
        total_m = re.search(r"(?:共|total[\"']?\s*[:=]\s*)(\d+)\s*(?:页|,)", str(html))
        more = page_no < int(total_m.group(1)) if total_m else bool(page_size) and len(entries) >= page_size
        if entries and more:
            nxt = [with_query(url, paramJson=json.dumps({**pj, "pageNo": page_no + 1}, separators=(",", ":")))]
    else:
        nxt = pager_links(url, sel)
    return entries, nxt


def gkmlpt_tree(text: str) -> list[tuple[int, str]]:
    """(id, name) of every node of the gkmlpt category tree, nested ``children`` included."""
    nodes: list[tuple[int, str]] = []
    m = re.search(r"\bTREE\s*:\s*([\[{])", text)
    literal = _balanced(text, m.start(1)) if m else None
    if literal:
        try:
            tree = json.loads(literal)
        except ValueError:
            tree = None

        def walk(node: object) -> None:
            if isinstance(node, list):
                for n in node:
                    walk(n)
            elif isinstance(node, dict):
                if "id" in node and "name" in node and str(node["id"]).isdigit():
                    nodes.append((int(node["id"]), str(node["name"])))
                for key, value in node.items():
                    if isinstance(value, (list, dict)) and key != "id":
                        walk(value)

        if tree is not None:
            walk(tree)
        else:
            pair = r"['\"]?id['\"]?\s*:\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?name['\"]?\s*:\s*['\"]([^'\"]+)"
            nodes = [(int(i), n) for i, n in re.findall(pair, literal)]
            rev = r"['\"]?name['\"]?\s*:\s*['\"]([^'\"]+)['\"]\s*,\s*['\"]?id['\"]?\s*:\s*['\"]?(\d+)"
            nodes += [(int(i), n) for n, i in re.findall(rev, literal)]
    return list(dict.fromkeys(nodes))


def gkmlpt_categories(text: str, match: str = "年报") -> list[int]:
    """Ids of the category-tree nodes whose name says annual report (``match``, or 年度报告)."""
    words = {match, "年度报告"} if match == "年报" else {match}
    return [i for i, name in gkmlpt_tree(text) if any(w in name for w in words)]


def china_date(epoch: object) -> str | None:
    """An epoch (seconds or milliseconds) as the calendar date in China, where it was published."""
    from datetime import UTC, datetime, timedelta, timezone

    try:
        value = float(epoch)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if value > 1e11:
        value /= 1000
    return datetime.fromtimestamp(value, UTC).astimezone(timezone(timedelta(hours=8))).strftime("%Y-%m-%d")


def _gkmlpt_api(url: str, data: dict) -> tuple[list[Entry], list[str]]:
    articles = [a for a in data.get("articles") or [] if isinstance(a, dict)]
    entries = []
    for art in articles:
        target = urljoin(url, str(art.get("url") or art.get("post_url") or ""))
        date = china_date(art.get("display_publish_time")) or iso_date(str(art.get("created_at") or ""))
        atts = tuple((urljoin(target, a["url"]), str(a.get("name") or "")) for a in art.get("attachment") or []
                     if isinstance(a, dict) and a.get("url"))
        entries.append(Entry(target, str(art.get("title") or ""), date, atts))
    q = PAGE_NUM.search(urlsplit(url).query)
    page = int(q.group(2)) if q else 1
    total = int(data.get("total") or 0)
    per_page = int(data.get("per_page") or data.get("page_size") or len(articles) or 1)
    nxt = [with_query(url, page=page + 1)] if articles and page * per_page < total else []
    return _dedupe(entries), nxt


def _gkmlpt_index(url: str, text: str) -> list[str]:
    sid = m.group(1) if (m := SID.search(text)) else ""
    base = url.split("/gkmlpt/")[0] + "/gkmlpt/" if "/gkmlpt/" in url else column_base(url)
    return [urljoin(base, f"api/all/{cat}?page=1&sid={sid}") for cat in gkmlpt_categories(text)]


def _scriptjson(url: str, text: str, sel: Selector) -> tuple[list[Entry], list[str]]:
    from .families.scriptjson import items, pager_pages

    entries = [Entry(urljoin(url, p), t, d) for p, t, d in items(text)]
    m = INDEX_N.search(urlsplit(url).path)
    page = int(m.group(2)) if m else 0
    nxt = [urljoin(column_base(url), f"index_{page + 1}.html")] if page + 1 in pager_pages(sel) else []
    return entries, nxt


LEGACY_ARTICLE = re.compile(r"(?:iInfo\.jsp\?id=\d+|/\d{4}/\d{4}/\d+\.s?html?$|content_\d+\.s?html?$)")


def _legacy(url: str, sel: Selector) -> tuple[list[Entry], list[str]]:
    out = []
    for a in sel.xpath("//a[@href]"):
        href = _href(a)
        if href and (LEGACY_ARTICLE.search(href) or is_report_title(_title(a))):
            out.append(Entry(urljoin(url, href), _title(a), _row_date(a)))
    return _dedupe(out), pager_links(url, sel)


def _json(text: str) -> object | None:
    stripped = text.lstrip()
    if not stripped.startswith(("{", "[")):
        return None
    try:
        return json.loads(stripped)
    except ValueError:
        return None


def read_listing(url: str, body: bytes | str, content_type: str | None = None, family: str | None = None,
                 ) -> Listing:
    """Read one listing page fetched from ``url``. ``family`` forces a family (a registry record's); by default
    it is detected from the page's own markers."""
    text = decode(body, content_type)
    detected, evidence = detect_family(url, text)
    if family is None or detected in REFINES.get(family, ()):
        family = detected
    else:
        evidence = f"given: {family}" + (f"; detected {detected}: {evidence}" if detected != family else "")
    data = _json(text)
    sel = Selector(text=text if data is None else "<html/>")
    entries: list[Entry] = []
    nxt: list[str] = []
    columns: list[str] = []
    if isinstance(data, dict) and "articles" in data:
        family, evidence = "gkmlpt", evidence if family == "gkmlpt" else "gkmlpt api JSON (articles, total)"
        entries, nxt = _gkmlpt_api(url, data)
    elif isinstance(data, dict) and any(k in data for k in ("docs", "pageCount")) and family != "hanweb_jpaas":
        family = "fujian_trs"
        entries, nxt = _fujian_api(url, data)
    elif family == "hanweb_jpaas" or "jpaas-publish-server" in url:
        entries, nxt = _jpaas(url, text)
    elif family == "gkmlpt":
        columns = _gkmlpt_index(url, text)
        entries, nxt = anchors(url, sel), []
    elif family == "fujian_trs":
        entries, nxt = _fujian_page(url, text, sel)
    elif family == "hanweb":
        entries, nxt = _hanweb(url, text, sel)
    elif family == "trs":
        entries, nxt = _trs(url, text, sel)
    elif family == "nfcms":
        entries, nxt = anchors(url, sel, NFCMS_ARTICLE), pager_links(url, sel)
    elif family == "scriptjson":
        entries, nxt = _scriptjson(url, text, sel)
    elif family == "legacy":
        entries, nxt = _legacy(url, sel)
    elif family is not None:  # generic, annual_report_module
        entries, nxt = anchors(url, sel), pager_links(url, sel)
    if data is None and family != "gkmlpt":
        columns = [c for c in sub_columns(url, sel) if c not in nxt]
    return Listing(family, evidence, entries, nxt, columns)
