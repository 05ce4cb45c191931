"""Who published a report and where: region code, admin level, agency type, parent government, deadline.

Attribution follows the organ named in the title/body, not the site (a 年报 column mixes in its
superiors' reports, portals.md §0): the portal registry and the page's SiteIDCode give the place of
the site's own government, and are used only while the organ name agrees with them.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from pipeline import regions, townships
from pipeline.agency import (
    classify_agency,
    extract_township,
    is_regional_aggregate,
    normalise_agency,
    organ_from_title,
)
from pipeline.domains import credit_code_region, domain_division
from pipeline.regions import Division
from pipeline.timeliness import days_late, deadline

# GB/T 2260 has no code for the nation; 100000 (中华人民共和国) is the convention of the 民政部 /
# 高德 adcode / DataV GeoJSON datasets, so national organs carry it rather than an empty value.
NATIONAL_CODE = "100000"

_RELATIVE_CHARS = "省市县区州盟旗"


def _nearest(code: str | None, year: int) -> Division | None:
    """A registry code as valid in year, else the range of that code closest to year (registries hold
    today's codes; an older report of the same site still belongs to that place)."""
    if not code:
        return None
    hit = regions.lookup_code(code, year)
    if hit:
        return hit
    ranges = regions.code_ranges(code)
    if not ranges:
        return None
    y = regions.clamp_year(year)
    return min(ranges, key=lambda d: min(abs(y - d.first_year), abs(y - d.last_year)))


def _named(names: list[str | None], year: int, within: str | None) -> Division | None:
    """The division named by the first organ name that names one (scoped to ``within`` first, so
    that 朝阳区 on a Beijing portal resolves, then unscoped for organs elsewhere)."""
    for name in names:
        if not name:
            continue
        name = normalise_agency(name)
        if within:
            hit = regions.resolve_name(name, year, within=within)
            if hit:
                return hit
        hit = regions.resolve_name(name, year)
        if hit:
            return hit
    return None


def _misprinted(
    names: list[str | None], year: int, within: str | None, named: Division | None, evidence: str
) -> tuple[Division, str, str] | None:
    """A place in the organ names misread by one character (沐阳县 for 沭阳县), when it says more than
    the exact names do: nothing resolved, or only a parent of the misprinted place (宿迁市沐阳县 → 宿迁市)."""
    for name in names:
        if not name:
            continue
        hit = regions.near_name(normalise_agency(name), year, within=within or (named.code if named else None),
                                evidence=evidence)
        if hit and (named is None or (hit[0].code != named.code and hit[0].is_within(named.code))):
            return hit
    return None


def _agrees(context: Division, named: Division | None) -> bool:
    """The organ named is the context's own place (or names no place at all)."""
    return named is None or named.code == context.code


def region_path(d: Division) -> str:
    """The customary printed prefix of a place: 仪陇县, 张家界市永定区, 北京市海淀区, 上海市.

    Districts and names shared by several counties carry their prefecture (or municipality), as
    they are printed; other counties stand alone."""
    if d.level == "provincial":
        return d.province
    if d.level == "prefectural":
        return d.name
    if d.name.endswith("区") or not regions.is_unique_name(d.name, d.last_year):
        return (d.prefecture or (d.province if d.province.endswith("市") else "")) + d.name
    return d.name


def government_name(d: Division) -> str:
    if d.level == "prefectural" and d.name.endswith(("地区", "盟")):
        return region_path(d) + "行政公署"
    return region_path(d) + "人民政府"


def _superior(d: Division, year: int) -> Division | None:
    chain = regions.ancestors(d, year)
    return chain[0] if chain else None


def parent_government(agency_type: str, d: Division | None, year: int, township: str | None) -> str | None:
    """The people's government an organ belongs to (departments, townships, zones) or reports to
    (governments: the next level up; provincial governments and State Council departments: 国务院).
    Vertically managed bureaux have no local parent government: None."""
    if agency_type in ("state_council_dept", "provincial_gov"):
        return "国务院"
    if agency_type == "vertical_bureau" or d is None:
        return None
    if agency_type in ("prefecture_gov", "county_gov") and not township:
        up = _superior(d, year)
        return government_name(up) if up else "国务院"
    return government_name(d)


def canonical_agency(name: str, d: Division | None, agency_type: str, year: int) -> str:
    """A normalised name that is the same however the organ was printed: leading places replaced by
    the customary path of its region, relative names (区商务局) qualified, 政府 → 人民政府.

    Falls back to the plain normalised name whenever the printed places do not agree with ``d``.
    """
    n = normalise_agency(name)
    if agency_type == "state_council_dept":
        return re.sub(r"^中华人民共和国(?=.)", "", n)
    if not n or d is None or agency_type == "vertical_bureau":
        return n
    places, rest = regions.split_leading_places(n, aliases=False)
    if places:
        named = regions.resolve_name(places, year, within=d.code)
        if named is None or named.code != d.code:
            # The places printed end above the organ's region (e.g. a township of a county): keep them.
            return n
    elif rest and rest[0] in _RELATIVE_CHARS and rest[1:2] and region_path(d).endswith(rest[0]):
        rest = rest[1:]
    elif regions.mentions_place(n) or any(alias in n for alias in regions.ALIASES):
        return n
    elif re.search(r"[省市县区州盟旗]", n.replace("城乡", "")) and _town_head(n) is None:
        # Something place-like that is no known division (a zone, a village): leave the name alone.
        return n
    # else: a bare department (商务局) or township (新政镇) printed on its government's site: qualify it.
    if rest.startswith("政府"):
        rest = "人民" + rest
    return region_path(d) + rest


# Words that stand for "this organ" without naming it (a title "2019年政府信息公开…" yields 政府).
_GENERIC = frozenset({"政府", "人民政府", "本机关", "本单位", "本局", "本委", "我局", "我委", "我区", "我县", "我市", "我镇",
                      "我乡", "机关", "单位", "部门"})


def _meaningful(name: str | None) -> str | None:
    """The name, or None when it does not name an organ."""
    n = normalise_agency(name)
    return name if n and len(n) >= 2 and n not in _GENERIC else None


def _site_organ(site_name: str | None) -> str | None:
    """The organ behind a site name (张家界市永定区人民政府门户网站 → 张家界市永定区人民政府)."""
    n = normalise_agency(site_name)
    n = re.sub(r"\(演示\)$", "", n)
    n = re.sub(r"(?:门户网站|政府网站|政务网|网站|网)$", "", n)
    return n or None


def _town_head(n: str) -> str | None:
    """The township a name starts with (新政镇人民政府 → 新政镇), if its own name holds no other place."""
    town = extract_township(n)
    if not town or not n.startswith(town) or re.search(r"[省市县区州盟旗]", town[:-1]):
        return None
    return town


def _join(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value if v)
    return str(value)


def report_year_from_date(publish_date: date | str | None) -> int | None:
    """The stated rule when neither title nor body says the year: a report covers a finished year and is
    due by 31 January / 31 March of the next (条例 art. 49), so a report published in year Y is about
    Y-1 (January–March: inside the legal window; later: a late report, still about Y-1)."""
    if not publish_date:
        return None
    try:
        return date.fromisoformat(str(publish_date)[:10]).year - 1
    except ValueError:
        return None


def _crumb_organ(breadcrumb: Any) -> str | None:
    """The deepest breadcrumb step that names an organ (首页 > 部门 > 沭阳县教育局 > 年报 → 沭阳县教育局)."""
    steps = [normalise_agency(p) for p in re.split(r"\s*(?:>|»|›|＞|→)\s*", _join(breadcrumb) or "")]
    organs = [p for p in steps if 3 <= len(p) <= 30 and _ORGAN_END.search(p) and not _REPORTISH.search(p)]
    return organs[-1] if organs else None


_ORGAN_END = re.compile(r"(?:人民政府|政府|委员会|管委会|办公室|办公厅|局|厅|署|委|办事处|中心|院|镇|乡|街道)$")
_REPORTISH = re.compile(r"公开|年报|报告|首页|位置|专栏|目录|指南|制度")


_TEXT_ORGAN = re.compile(r"[\u4e00-\u9fff]{2,24}?(?:人民政府办公室|人民政府|委员会|管委会|办公室|局|街道办事处)")


def _text_organ_place(text_head: str | None, year: int, within: str | None) -> Division | None:
    """The last resort: the place of the first organ the report body names (its preamble or signature,
    '沭阳县发展和改革局2023年…'), when every organ it names within its first lines agrees on one chain."""
    hits = []
    lines = "\n".join(normalise_agency(ln) for ln in (text_head or "")[:1500].splitlines())
    for m in list(_TEXT_ORGAN.finditer(lines))[:6]:
        d = regions.resolve_name(m.group(0), year, within=within)
        if d:
            hits.append(d)
    if not hits:
        return None
    first = hits[0]
    return first if all(d.is_within(first.code) or first.is_within(d.code) for d in hits) else None


def _contexts(report: dict, portal: dict | None, y: int) -> list[tuple[str, Division]]:
    """The places the page itself points to, most specific first: the organ's 统一社会信用代码 (URL or
    metadata), the portal registry, the SiteIDCode."""
    out: list[tuple[str, Division]] = []
    # An attachment's own URL rarely carries the code; the page that links it does (parent_url).
    credit = credit_code_region(report.get("credit_code"), report.get("source_url"), report.get("parent_url"))
    credit_div = _nearest(credit[0], y) if credit else None
    if credit_div:
        out.append(("credit_code", credit_div))
    reg = _nearest((portal or {}).get("region_code"), y) if portal else None
    if reg:
        out.append(("registry", reg))
    site_id = (report.get("site_id_code") or "").strip()
    site_div = regions.lookup_code(site_id[:6], y) if re.match(r"^\d{6}", site_id) else None
    if site_div:
        out.append(("site_id_code", site_div))
    return out


def enrich_report(report: dict, *, portal: dict | None = None) -> dict:
    """A new dict: the report plus region, agency and timeliness columns (see docs/data-dictionary.md)."""
    out = dict(report)
    year = report.get("report_year")
    year_source = report.get("year_source") if year else None
    if year and not year_source:
        year_source = "listing"  # set after parsing: the crawl listing's title or the page linking an attachment
    if not year:
        year = report_year_from_date(report.get("publish_date"))
        year_source = "publish_date" if year else None
    y = int(year) if year else regions.LAST_YEAR
    title = report.get("title") or ""
    title_organ = _meaningful(organ_from_title(title))
    content_source = _meaningful(report.get("content_source"))
    crumb_organ = _meaningful(_crumb_organ(report.get("breadcrumb")))
    site_organ = _site_organ(report.get("site_name")) or _site_organ((portal or {}).get("name"))
    printed = _meaningful(report.get("agency_name"))
    organ = printed or title_organ or content_source or crumb_organ or site_organ
    organ_names = [printed, title_organ, content_source, crumb_organ, site_organ]
    organ_as_printed = organ

    site_id = (report.get("site_id_code") or "").strip()
    contexts = _contexts(report, portal, y)
    national_site = site_id.lower().startswith("bm") or (portal or {}).get("admin_level") == "national"

    within = contexts[0][1].code if contexts else None
    named = _named(organ_names, y, within)
    named_source = "agency_name"
    # Not the page text: its link lists name the sibling counties (泗阳县 beside 沐阳县) and would mislead.
    evidence = " ".join(filter(None, (title, report.get("site_name"), _join(report.get("breadcrumb")))))
    fix = _misprinted(organ_names, y, within, named, normalise_agency(evidence)) \
        if named is None or named.level != "county" else None
    if fix:
        named, named_source = fix[0], "agency_name_ocr"
        organ = normalise_agency(organ).replace(fix[1], fix[2]) if organ else organ
    div: Division | None = None
    source: str | None = None
    for src, ctx in contexts:
        if _agrees(ctx, named):
            div, source = ctx, src
            break
    if div is None and named is not None and named_source != "agency_name_ocr":
        div, source = named, named_source
    host = report.get("site_domain") or urlsplit(report.get("source_url") or "").hostname
    if div is None and not national_site:
        dom = domain_division(host, y)
        if dom:
            # The domain's place scopes the organ names (鼓楼区 on a 福州 host); else it stands alone. It also
            # outranks a misprinted name read by its glyphs (沐阳县 on shuyang.gov.cn: the domain decides).
            scoped = _named(organ_names, y, dom[0].code)
            div, source = (scoped, "agency_name") if scoped and scoped.is_within(dom[0].code) else (dom[0], "domain")
    if div is None and named is not None:
        div, source = named, named_source
    if div is None and not national_site:
        crumb = regions.resolve_name(_join(report.get("breadcrumb")), y, within=within)
        if crumb:
            div, source = crumb, "breadcrumb"
    if div is None and not national_site:
        found = _text_organ_place(report.get("text_head"), y, within)
        if found:
            div, source = found, "text"
    own_place = regions.resolve_name(normalise_agency(organ), y) if organ and div is not None else None
    if fix is None and div is not None and organ and (own_place is None or own_place.code != div.code):
        # The place is known from the page; a one-character misprint of it in the organ name is then
        # certain enough to correct (沐阳县教育局 on shuyang.gov.cn → 沭阳县教育局).
        own = regions.near_name(normalise_agency(organ), y, within=div.code)
        if own and own[0].code == div.code:
            organ = normalise_agency(organ).replace(own[1], own[2])

    agency_type, hint = classify_agency(organ, title, level=div.level if div else None, year=y)
    national = agency_type == "state_council_dept" or (national_site and named is None and div is None)
    if national and agency_type == "other":
        agency_type = "state_council_dept"
    township = extract_township(organ)

    if national:
        admin_level = "national"
        region_code = NATIONAL_CODE
        if site_id.lower().startswith("bm"):
            source = "site_id_code"
        elif (portal or {}).get("admin_level") == "national":
            source = "registry"
        else:
            source = "agency_name"
        div = None
    elif township:
        admin_level = "township"
        region_code = div.code if div else None
    else:
        admin_level = (div.level if div else None) or hint
        region_code = div.code if div else None

    aggregate = report.get("is_regional_aggregate")  # the document's own property: computed once at parse
    if aggregate is None:
        aggregate = is_regional_aggregate(title, report.get("text_head"))
    out.update(
        report_year=int(year) if year else None,
        year_source=year_source,
        agency_name=printed or organ_as_printed,
        region_code=region_code,
        region_source=source if region_code else None,
        province=div.province if div else None,
        prefecture=div.prefecture if div else None,
        county=div.county if div else None,
        township=township,
        # the 乡/镇/街道 within the region the report resolved to (townships.resolve: county, or a name unique in
        # its prefecture; 2023 NBS vintage, so a township renamed or merged since stays null)
        township_code=townships.township_code(township, region_code) if township else None,
        admin_level=admin_level,
        agency_name_norm=canonical_agency(organ, div, agency_type, y) if organ else None,
        agency_type=agency_type,
        parent_government=parent_government(agency_type, div, y, township),
        is_regional_aggregate=aggregate,
        deadline=deadline(int(year), agency_type, is_regional_aggregate=aggregate).isoformat() if year else None,
        # A year read off the publication date would make the lateness circular: not computed.
        days_late=None if year_source == "publish_date"
        else days_late(report.get("publish_date"), year, agency_type, is_regional_aggregate=aggregate),
    )
    return out
