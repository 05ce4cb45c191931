"""Report metadata from the page: title, agency as printed, report year, publication date, cited template,
section 六, and the page facts the region resolver needs (网站标识码, site, column, breadcrumb, source).
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlparse

from pipeline.domains import credit_code_region

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
# The organ line of a metadata table: 发布机构 first (来源 may be a URL or a newspaper), with a colon, or
# read cell after cell without one, the value on the same line or the next ('发布机构\n沭阳县发展和改革局').
_ORGAN_LABEL = re.compile(r"(?:发布机构|发布单位)[ \t\u3000]*[:：][ \t\u3000]*([^\s|:：]{2,40})")
_SOURCE_CELL = re.compile(r"(?:发布机构|发布单位|信息来源)[ \t\u3000|]*\n?[ \t\u3000|]*([\u4e00-\u9fff（）()]{2,38}?"
                          r"(?:人民政府|政府|委员会|管委会|办公室|办公厅|局|厅|署|委|办|中心|院|所|站|队|办事处))"
                          r"(?=$|[\s|]|发文|成文|发布|文号|索引号)", re.M)
# The next key of a metadata table glued to the value ('沭阳县教育局发文日期：…').
_NEXT_KEY = re.compile(r"(?:发文日期|成文日期|发布日期|发布时间|文号|索引号|主题分类|公开方式|公开范围|时效|生成日期|体裁分类"
                       r"|组配分类|有效性|浏览次数|字号).*$")
_CRUMB = re.compile(r"(?:当前位置|您的位置|所在位置|您现在的位置)\s*[:：]?\s*(.{2,120})")
_SEC6 = re.compile(r"^\s*[六6]\s*[、.．]\s*.{0,6}其他需要报告的事项.*$", re.M)
_SEC_END = re.compile(r"^\s*(?:[七八九]\s*[、.．]|附件|附表|扫一扫|打印本页|关闭窗口|【|责任编辑|相关链接|上一篇)", re.M)
_CJK_GAP = re.compile(r"(?<=[\u4e00-\u9fff\d])\s+(?=[\u4e00-\u9fff])")
_TITLE_START = re.compile(r"(?:19|20)\d\d|[一二][〇零○O]|政府信息公开|政务公开")
# Markdown marks a converted page keeps around a heading ('# 2023年…报告', '**…**').
_MD_MARKS = re.compile(r"^[#>*\s]+|[*\s]+$")
# A field label before the title in metadata headers and archive flattenings ('标题: 莆田市2008年度…').
_TITLE_LABEL = re.compile(r"^(?:文章标题|信息标题|标题|题名|名称)\s*[:：]\s*")
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
        # '…年度报告-沭阳县发改局': a site or organ suffix after a hyphen (not a date's or a range's).
        for part in re.split(r"\s*[_|－]\s*|\s+-\s+|(?<=\D)-(?=\D)", t):
            if _REPORT_WORDS.search(part) and _ANNUAL_WORDS.search(part):
                return part.strip()
    lines = [_TITLE_LABEL.sub("", _MD_MARKS.sub("", _CJK_GAP.sub("", " ".join(ln.replace("|", " ").split()))))
             for ln in text.splitlines()[:400]]
    for i, line in enumerate(lines):
        s = line
        # A heading broken over lines (2024 年上海市科委…\n年度报告): up to three short lines read as one.
        for nxt in ("", *lines[i + 1:i + 3]):
            s += nxt
            if nxt and (len(nxt) > 40 or not _TITLE_START.search(line)):
                break
            if 8 <= len(s) <= 80 and _REPORT_WORDS.search(s) and (re.search(r"年度报告|年报", s) or _named_heading(s)) \
                    and not re.search(r"当前位置|您的位置|>|》|上一篇|下一篇", s):
                return s
            if not line or len(line) > 40:
                break
    if t:
        return t.split("_")[0].strip() or None
    return None


_CN_DIGITS = str.maketrans("〇零○O一二三四五六七八九", "0000123456789")
_CN_YEAR = re.compile(r"[一二][〇零○O九][〇零○O一二三四五六七八九]{2}(?=\s*年)")
_HEADING = re.compile(r"((?:19|20)\d\d)年度?[^。；;，,]{0,40}?(?:政府信息公开|政务公开|信息公开)(?:工作)?(?:年度)?(?:报告|年报)")
# 特编制2023年政府信息公开年度报告 / 制定莆田市科学技术局2022年度政府信息公开工作年度报告
_BODY_TITLE = re.compile(r"(?:编制|制定|制作|编写|形成|发布|公布|现将|特将|向社会公开)[^。\n]{0,20}?((?:19|20)\d\d)\s*年度?"
                         r"[^。\n]{0,30}?(?:信息公开|政务公开)[^。\n]{0,8}?(?:年度报告|年报|工作报告)")
# 本报告所列数据的统计期限自2023年1月1日起至2023年12月31日止 / 报告期为2023年1月1日至12月31日
# The year reported is the period's end: the first reports (2008) count from 2003 ('自2003年1月1日起至
# 2008年12月31日止', 莆田市人民政府 2008).
_SPAN = re.compile(r"((?:19|20)\d\d)\s*年\s*0?1\s*月\s*0?1\s*日\s*(?:起)?\s*(?:至|到|—|－|-|～|~)\s*"
                   r"(?:((?:19|20)\d\d)\s*年\s*)?12\s*月\s*31\s*日")
_PERIOD_WORDS = re.compile(r"(?:报告期|统计期|本年度|报告年度)[^。\n]{0,8}?((?:19|20)\d\d)\s*年")
# 2023年,通过政府门户网站… : a sentence (or paragraph) that opens on the year it reports.
_OPENING = re.compile(r"(?:^|[。！；\n:：])\s*(?:[一二三四五六七八九十]+[、.．]\s*)?(?:总体情况\s*)?((?:19|20)\d\d)\s*年度?\s*[,，]")
_NOT_HEADING = re.compile(r"上一篇|下一篇|相关|链接|当前位置|您的位置|>|》|关于|通知|会议")


def _named_heading(s: str) -> bool:
    """'2008年度信息公开报告': a year's report named without 年度报告/年报, and not a notice about one."""
    return bool(_HEADING.search(s)) and not _NOT_HEADING.search(s)


def _flat(s: str) -> str:
    """NFKC, Chinese-numeral years as digits (二〇二三年 → 2023年) and no whitespace at all, so that a
    title spaced or broken over lines (2024 年上海市科委…\n年度报告) reads as one string."""
    s = _nfkc(s)
    s = _CN_YEAR.sub(lambda m: m.group(0).translate(_CN_DIGITS), s)
    return re.sub(r"\s+", "", s)


def year_with_source(title: str | None, text: str) -> tuple[int | None, str | None]:
    """(statistical year, the signal that decided it).

    In order: the year in the title (``title``); the statistics period 'YYYY年1月1日至12月31日' or a
    报告期/统计期限 sentence (``period``); a report heading in the first lines of the body, also when broken
    over lines, or the body's own 'we compiled the YYYY report' sentence (``body_title``); a sentence that
    opens on the year ('2023年,通过政府门户网站…', ``body_sentence``); a '(2018年度)' caption near a table
    (``table_caption``). The publication-date fallback needs the crawl's date and is applied later
    (pipeline.who).
    """
    if title:
        m = _YEAR_IN_TITLE.search(_flat(title))
        if m:
            return int(m.group(1)), "title"
    head = text[:20000]  # \d and the bracket classes already accept full-width forms
    m = _SPAN.search(_nfkc(head))
    if m:
        return int(m.group(2) or m.group(1)), "period"
    m = _PERIOD.search(_nfkc(head))
    if m:
        return int(m.group(1)), "period"
    m = _PERIOD_WORDS.search(_nfkc(head))
    if m:
        return int(m.group(1)), "period"
    year = _heading_year(text)
    if year:
        return year, "body_title"
    flat_head = _nfkc(head)
    m = _BODY_TITLE.search(flat_head)
    if m:
        return int(m.group(1)), "body_title"
    m = _OPENING.search(flat_head)
    if m:
        return int(m.group(1)), "body_sentence"
    m = re.search(r"[(（]\s*((?:20|２０)\d\d)\s*年度?\s*[)）]", head)
    if m:
        return int(m.group(1)), "table_caption"
    return None, None


def _heading_year(text: str) -> int | None:
    """The year of a report heading among the first lines, joined up to three lines at a time."""
    lines = [_flat(ln) for ln in text.splitlines()[:80]]
    lines = [ln.lstrip("#*>").rstrip("*") for ln in lines if ln and len(ln) <= 60]
    for i in range(len(lines)):
        joined = ""
        for ln in lines[i:i + 3]:
            joined += ln
            if _NOT_HEADING.search(joined) or len(joined) > 70:
                break
            m = _HEADING.search(joined)
            if m and m.start() <= 30:
                return int(m.group(1))
    return None


def report_year(title: str | None, text: str) -> int | None:
    """Statistical year (see year_with_source)."""
    return year_with_source(title, text)[0]


def agency_name(title: str | None) -> str | None:
    """The organ printed before the year ('平潭综合实验区2019年度…'), or after it ('2019年上海市…政府信息公开')."""
    if not title:
        return None
    t = _MD_MARKS.sub("", " ".join(_nfkc(title).split()))
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
        head = text[:30000]
        source = None
        for rx in (_ORGAN_LABEL, _SOURCE_CELL, _SOURCE):
            for m in rx.finditer(head):
                value = _NEXT_KEY.sub("", m.group(1))
                if value and not re.match(r"(?i)https?|www\.|\d", value):
                    source = value
                    break
            if source:
                break
    return {
        "credit_code": credit_code(meta, text, url),
        "site_id_code": site_id,
        "site_name": meta.get("SiteName") or None,
        "site_domain": domain,
        "column_name": meta.get("ColumnName") or None,
        "breadcrumb": crumb,
        "content_source": source,
    }


_CREDIT_LABEL = re.compile(r"(?:统一社会信用代码|社会信用代码|机构代码)\s*[:：]?\s*([0-9A-Za-z]{18})")


def credit_code(meta: dict[str, str], text: str, url: str | None) -> str | None:
    """The publishing organ's 统一社会信用代码 from the URL (Shandong: ``…&area=11370883004325769B``), a
    meta tag or a labelled line of the page, check digit verified."""
    labelled = [m.group(1) for m in _CREDIT_LABEL.finditer(text[:30000])]
    hit = credit_code_region(url, *(v for k, v in meta.items() if "code" in k.lower() or "信用" in k), *labelled)
    return hit[1] if hit else None


_REPORT_LINK = re.compile(r"(?:政府信息公开|政务公开|信息公开).{0,12}(?:年度报告|年报)")
_BODY_HEADINGS = re.compile(r"总体情况|概述|主动公开政府信息情况|收到和处理政府信息公开申请|统计期限|本报告")


def is_listing(text: str) -> bool:
    """A column page: several report titles as links and no report body (no section heading or preamble)."""
    lines = [ln for ln in text.splitlines() if _REPORT_LINK.search(ln) and len(ln) <= 80]
    return len(lines) >= 3 and not _BODY_HEADINGS.search(text)


def looks_like_report(title: str | None, text: str) -> bool:
    """A 政府信息公开 annual report names itself so in the title or early in the body."""
    if title and _REPORT_WORDS.search(title) and (re.search(r"年度报告|年报|工作报告", title) or _named_heading(title)):
        return True
    head = text[:8000]
    return bool(re.search(r"政府信息公开(?:工作)?年度报告|信息公开年报|政府信息公开情况统计表", head))
