"""Report metadata from the page: title, agency as printed, report year, publication date, cited template,
section 六, and the page facts the region resolver needs (网站标识码, site, column, breadcrumb, source).
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlparse

_YEAR_IN_TITLE = re.compile(r"(20[0-3]\d|19\d\d)\s*年\s*度?")
_REPORT_WORDS = re.compile(r"政府信息公开|政务公开|信息公开")
_ANNUAL_WORDS = re.compile(r"年度报告|年报|工作报告|年度工作报告|统计表")
_PERIOD = re.compile(r"统计期限?[^。\n]{0,12}?((?:20|２０)\d\d)\s*年\s*[1１]\s*月\s*[1１]\s*日")
_DATE = re.compile(r"(20\d\d|19\d\d)\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")
_PUB_LABEL = re.compile(r"(?:发布时间|发布日期|发文日期|时间|日期|成文日期)\s*[:：]?\s*(20\d\d\s*[-年/.]\s*\d{1,2}\s*[-月/.]\s*\d{1,2})")
_TEMPLATE = re.compile(r"(国办公开办函|国办发|国办函)\s*[〔\[【(（]\s*(20\d\d)\s*[〕\]】)）]\s*(\d+)\s*号")
_KNOWN_TEMPLATES = {("国办公开办函", "2019", "60"), ("国办公开办函", "2021", "30"), ("国办公开办函", "2016", "201"), ("国办发", "2014", "32")}
_SITE_ID = re.compile(r"网站标识码\s*[:：]?\s*([0-9A-Za-z]{6,20})")
# Same line only: an empty "发布机构: " header must not take the next line's key ("栏目") as the organ.
_SOURCE = re.compile(r"(?:来源|发布机构|信息来源|发布单位)[ \t\u3000]*[:：][ \t\u3000]*([^\s|:：]{2,40})")
_CRUMB = re.compile(r"(?:当前位置|您的位置|所在位置|您现在的位置)\s*[:：]?\s*(.{2,120})")
_SEC6 = re.compile(r"^\s*[六6]\s*[、.．]\s*.{0,6}其他需要报告的事项.*$", re.M)
_SEC_END = re.compile(r"^\s*(?:[七八九]\s*[、.．]|附件|附表|扫一扫|打印本页|关闭窗口|【|责任编辑|相关链接|上一篇)", re.M)
_CJK_GAP = re.compile(r"(?<=[\u4e00-\u9fff\d])\s+(?=[\u4e00-\u9fff])")
_TRAIL = re.compile(r"[\s:：,，、。\-—_|]+$")


def _nfkc(s: str) -> str:
    return unicodedata.normalize("NFKC", s)


def pick_title(meta: dict[str, str], text: str) -> str | None:
    """ArticleTitle meta, else <title> part naming a report, else the first report-like text line."""
    for key in ("ArticleTitle", "articletitle", "title", "og:title"):
        v = meta.get(key)
        if v and _REPORT_WORDS.search(v):
            return v.strip()
    t = meta.get("<title>")
    if t:
        for part in re.split(r"\s*[_|－]\s*|\s+-\s+", t):
            if _REPORT_WORDS.search(part) and _ANNUAL_WORDS.search(part):
                return part.strip()
    for line in text.splitlines()[:400]:
        s = _CJK_GAP.sub("", " ".join(line.replace("|", " ").split()))
        if 8 <= len(s) <= 80 and _REPORT_WORDS.search(s) and re.search(r"年度报告|年报", s) \
                and not re.search(r"当前位置|您的位置|>|》", s):
            return s
    if t:
        return t.split("_")[0].strip() or None
    return None


def report_year(title: str | None, text: str) -> int | None:
    """Statistical year: the year in the title, else the 统计期限, else a '(2018年度)' near a table."""
    if title:
        m = _YEAR_IN_TITLE.search(_nfkc(title))
        if m:
            return int(m.group(1))
    head = text[:20000]  # \d and the bracket classes already accept full-width forms
    m = _PERIOD.search(head)
    if m:
        return int(m.group(1))
    m = re.search(r"[(（]\s*((?:20|２０)\d\d)\s*年度?\s*[)）]", head)
    if m:
        return int(m.group(1))
    return None


def agency_name(title: str | None) -> str | None:
    """The organ printed before the year ('平潭综合实验区2019年度…'), or after it ('2019年上海市…政府信息公开')."""
    if not title:
        return None
    t = " ".join(_nfkc(title).split())
    m = _YEAR_IN_TITLE.search(t)
    if not m:
        m2 = re.match(r"^(.{2,40}?)(?:关于)?(?:政府信息公开|政务公开)", t)
        return _TRAIL.sub("", m2.group(1)) or None if m2 else None
    before = _TRAIL.sub("", t[: m.start()]).strip()
    before = re.sub(r"^(关于|印发)", "", before)
    if len(before) >= 2:
        return before
    after = t[m.end():]
    m3 = re.match(r"^\s*(.{2,40}?)(?:政府信息公开|政务公开|信息公开)", after)
    if m3:
        name = _TRAIL.sub("", m3.group(1))
        return name if name and not _GENERIC_ORGAN.fullmatch(name) else None
    return None


# Words a title can carry before 信息公开 that name no organ ('2019年政府信息公开…' → not '政府').
_GENERIC_ORGAN = re.compile(r"(?:本|我)?(?:政府|机关|单位|部门|局|委|办|年度|工作|度)")
_ORGAN_END = re.compile(
    r"(?:人民政府|政府|委员会|管委会|办公室|办公厅|局|厅|署|委|办|中心|院|所|站|队|街道办事处|办事处|管理处|公司)$"
)
_SIGNATURE = re.compile(r"^\s*([\u4e00-\u9fff（）()]{4,30}?)\s*$")


def organ_fallback(content_source: str | None, text: str) -> str | None:
    """The organ when the title names none: the page's 来源/发布机构, else the signature line (落款)."""
    if content_source:
        cs = " ".join(_nfkc(content_source).split())
        if 3 <= len(cs) <= 40 and _ORGAN_END.search(cs) and not _GENERIC_ORGAN.fullmatch(cs):
            return cs
    lines = [ln.strip(" |") for ln in text.splitlines()]
    for i, line in enumerate(lines):
        if re.fullmatch(r"(?:20\d\d|二〇[一二三〇][〇一二三四五六七八九])\s*年.{1,6}月.{1,6}日", line) and i:
            m = _SIGNATURE.match(lines[i - 1])
            if m and _ORGAN_END.search(m.group(1)):
                return m.group(1)
    return None


def publish_date(meta: dict[str, str], text: str) -> str | None:
    """YYYY-MM-DD from page metadata, else a labelled date in the page text."""
    for key in ("PubDate", "pubdate", "firstpublishedtime", "publishdate", "article:published_time", "Maketime"):
        v = meta.get(key)
        if v:
            d = _iso(v)
            if d:
                return d
    m = _PUB_LABEL.search(text[:30000])
    return _iso(m.group(1)) if m else None


def _iso(s: str) -> str | None:
    m = _DATE.search(_nfkc(s))
    if not m:
        return None
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}"


def template_cited(text: str) -> str | None:
    """The format notice the report cites (国办公开办函〔2021〕30号 …), known templates first."""
    found = [(m.group(1), str(int(m.group(2))), str(int(m.group(3)))) for m in _TEMPLATE.finditer(text)]
    for f in found:
        if f in _KNOWN_TEMPLATES:
            return f"{f[0]}〔{f[1]}〕{f[2]}号"
    return None


def section6(text: str) -> str | None:
    """Raw text of 六、其他需要报告的事项 up to the next heading or page footer."""
    hits = list(_SEC6.finditer(text))
    if not hits:
        return None
    m = hits[-1]
    if m is None:
        return None
    rest = text[m.end():]
    end = _SEC_END.search(rest)
    body = rest[: end.start()] if end else rest[:2000]
    body = body.strip()[:4000]
    return body or None


def page_meta(meta: dict[str, str], text: str, url: str | None) -> dict[str, str | None]:
    """Site identification fields for the region resolver."""
    site_id = meta.get("SiteIDCode") or None
    if not site_id:
        m = _SITE_ID.search(text[-20000:]) or _SITE_ID.search(text)
        site_id = m.group(1) if m else None
    domain = meta.get("SiteDomain") or None
    if not domain and url:
        domain = urlparse(url).hostname
    crumb = meta.get("breadcrumb")
    if not crumb:
        m = _CRUMB.search(text[:20000])
        if m:
            parts = [p.strip() for p in re.split(r"\s*(?:>|»|›|＞|→)\s*|\n", m.group(1)) if p.strip()]
            crumb = " > ".join(parts[:8]) or None
    source = meta.get("ContentSource") or None
    if not source:
        m = _SOURCE.search(text[:30000])
        source = m.group(1) if m else None
    return {
        "site_id_code": site_id,
        "site_name": meta.get("SiteName") or None,
        "site_domain": domain,
        "column_name": meta.get("ColumnName") or None,
        "breadcrumb": crumb,
        "content_source": source,
    }


_REPORT_LINK = re.compile(r"(?:政府信息公开|政务公开|信息公开).{0,12}(?:年度报告|年报)")
_BODY_HEADINGS = re.compile(r"总体情况|概述|主动公开政府信息情况|收到和处理政府信息公开申请|统计期限|本报告")


def is_listing(text: str) -> bool:
    """A column page: several report titles as links and no report body (no section heading or preamble)."""
    lines = [ln for ln in text.splitlines() if _REPORT_LINK.search(ln) and len(ln) <= 80]
    return len(lines) >= 3 and not _BODY_HEADINGS.search(text)


def looks_like_report(title: str | None, text: str) -> bool:
    """A 政府信息公开 annual report names itself so in the title or early in the body."""
    if title and _REPORT_WORDS.search(title) and re.search(r"年度报告|年报|工作报告", title):
        return True
    head = text[:8000]
    return bool(re.search(r"政府信息公开(?:工作)?年度报告|信息公开年报|政府信息公开情况统计表", head))
