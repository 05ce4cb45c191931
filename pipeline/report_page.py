"""``nianbao report``: one static HTML page of charts over the dataset.

Every chart is inline SVG drawn here, so the page opens from disk in any browser with no server, no
network and no JavaScript library. Each chart is a ``<figure class="chart">`` whose ``data-marks``
counts the data marks drawn; a chart without data says so in words instead of drawing an empty frame.
"""

from __future__ import annotations

import html
from pathlib import Path

from .export import indicator_headers
from .locations import as_root
from .query import connect, tables_present
from .schema import SCHEMA_VERSION

PALETTE = ("#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#eeca3b", "#b279a2", "#9d755d")
OUTCOMES = {  # category → codes of g2/g3 and g0/g1 (applicant_type total or na)
    "Disclosed": ("apply.result.granted", "apply.reply.granted"),
    "Partly disclosed": ("apply.result.partial", "apply.reply.partial"),
    "Not disclosed": ("apply.result.withheld", "apply.reply.refused"),
    "Unable to provide": ("apply.result.unable", "apply.reply.not_exist"),
    "Not processed": ("apply.result.not_processed",),
    "Other": ("apply.result.other", "apply.reply.other"),
}
REVIEW = {
    "Reconsideration: upheld": ("review.upheld",), "Reconsideration: corrected": ("review.corrected",),
    "Reconsideration: other": ("review.other",), "Reconsideration: pending": ("review.pending",),
    "Litigation: upheld": ("litigation.direct.upheld", "litigation.after_review.upheld", "litigation.all.upheld"),
    "Litigation: corrected": ("litigation.direct.corrected", "litigation.after_review.corrected",
                              "litigation.all.corrected"),
    "Litigation: other": ("litigation.direct.other", "litigation.after_review.other", "litigation.all.other"),
    "Litigation: pending": ("litigation.direct.pending", "litigation.after_review.pending"),
}
_CSS = """body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;margin:2em;color:#222;max-width:1100px}
figure.chart{margin:2em 0;border:1px solid #ddd;padding:1em;border-radius:6px}
figcaption{font-weight:600;margin-bottom:.5em}figcaption small{font-weight:400;color:#666;display:block}
svg text{font-size:11px;fill:#333}.empty{color:#a00;font-style:italic}table{border-collapse:collapse}
td,th{padding:2px 8px;border-bottom:1px solid #eee;text-align:left}"""
# Records each chart's box on the page (read by the screenshot test; harmless in a browser).
_BOX_SCRIPT = """<script>for(const f of document.querySelectorAll('figure.chart')){const b=f.getBoundingClientRect();
f.setAttribute('data-box',[b.left+scrollX,b.top+scrollY,b.width,b.height].map(Math.round).join(','))}</script>"""


def _e(text: object) -> str:
    return html.escape(str(text))


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or float(value).is_integer() else f"{value:.2f}"


def hbars(items: list[tuple[str, float]], *, unit: str = "") -> tuple[str, int]:
    """Horizontal bars, one per (label, value): (svg, marks)."""
    items = [(label, v) for label, v in items if v is not None]
    if not items or max(v for _, v in items) <= 0:
        return "", 0
    top = max(v for _, v in items)
    label_w, bar_w, row_h = 330, 520, 20
    parts = []
    for i, (label, value) in enumerate(items):
        y = i * row_h
        w = max(1.0, bar_w * value / top) if value > 0 else 0
        shown = f"{_fmt(value)}{unit}"
        parts.append(f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">{_e(label[:48])}</text>'
                     f'<rect class="mark" x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" '
                     f'fill="{PALETTE[0]}"><title>{_e(label)}: {shown}</title></rect>'
                     f'<text x="{label_w + w + 4:.1f}" y="{y + 14}">{shown}</text>')
    height = row_h * len(items) + 4
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 80}" height="{height}" '
            f'role="img">{"".join(parts)}</svg>', sum(1 for _, v in items if v > 0))


def split_bars(items: list[tuple[str, int, int]]) -> tuple[str, int]:
    """One full-width bar per (label, failed, evaluated): the failed share red, the rest green."""
    items = [(label, f, n) for label, f, n in items if n]
    if not items:
        return "", 0
    label_w, bar_w, row_h = 330, 520, 20
    parts = []
    for i, (label, failed, n) in enumerate(items):
        y, w = i * row_h, bar_w * failed / n
        parts.append(f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">{_e(label[:48])}</text>'
                     f'<rect class="mark" x="{label_w + w:.1f}" y="{y + 3}" width="{bar_w - w:.1f}" height="{row_h - 6}" '
                     f'fill="{PALETTE[2]}"><title>{_e(label)}: {n - failed} of {n} passed</title></rect>'
                     f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" fill="{PALETTE[3]}"/>'
                     f'<text x="{label_w + bar_w + 4}" y="{y + 14}">{failed / n * 100:.1f}% of {n}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 90}" height="{row_h * len(items) + 4}" '
            f'role="img">{"".join(parts)}</svg>', len(items))


def stacked(years: list[int], series: dict[str, list[float]]) -> tuple[str, int]:
    """Vertical stacked bars per year, one colour per series, with a legend."""
    totals = [sum(s[i] for s in series.values()) for i in range(len(years))]
    if not years or max(totals, default=0) <= 0:
        return "", 0
    plot_h, col_w, left, top_pad = 260, max(18, min(60, 880 // len(years))), 70, 10
    peak = max(totals)
    parts, marks = [], 0
    for k in range(5):
        v = peak * k / 4
        y = top_pad + plot_h - plot_h * k / 4
        parts.append(f'<line x1="{left}" x2="{left + col_w * len(years)}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>'
                     f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{_fmt(v)}</text>')
    for i, year in enumerate(years):
        base = top_pad + plot_h
        for j, (name, values) in enumerate(series.items()):
            h = plot_h * values[i] / peak
            if h <= 0:
                continue
            base -= h
            marks += 1
            parts.append(f'<rect class="mark" x="{left + i * col_w + 2}" y="{base:.1f}" width="{col_w - 4}" '
                         f'height="{h:.1f}" fill="{PALETTE[j % len(PALETTE)]}"><title>{year} {_e(name)}: '
                         f'{_fmt(values[i])}</title></rect>')
        parts.append(f'<text x="{left + i * col_w + col_w / 2:.1f}" y="{top_pad + plot_h + 14}" '
                     f'text-anchor="middle">{year}</text>')
    legend_y = top_pad + plot_h + 34
    for j, name in enumerate(series):
        x = left + (j % 4) * 200
        y = legend_y + (j // 4) * 18
        parts.append(f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{PALETTE[j % len(PALETTE)]}"/>'
                     f'<text x="{x + 16}" y="{y}">{_e(name)}</text>')
    height = legend_y + 18 * ((len(series) + 3) // 4) + 4
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{max(left + col_w * len(years) + 20, 820)}" '
            f'height="{height}" role="img">{"".join(parts)}</svg>', marks)


def heatmap(rows: list[str], cols: list[int], values: dict[tuple[str, int], tuple[float, str]]) -> tuple[str, int]:
    """Cells coloured by a share in [0, 1] (white → blue); (row, col) → (share, tooltip)."""
    if not rows or not cols or not values:
        return "", 0
    cell, left, top = 26, 110, 24
    parts = [f'<text x="{left + i * cell + cell / 2}" y="{top - 8}" text-anchor="middle">{str(c)[2:]}</text>'
             for i, c in enumerate(cols)]
    marks = 0
    for r, row in enumerate(rows):
        parts.append(f'<text x="{left - 6}" y="{top + r * cell + 17}" text-anchor="end">{_e(row)}</text>')
        for c, col in enumerate(cols):
            if (row, col) not in values:
                continue
            share, tip = values[(row, col)]
            light = round(95 - 55 * share)
            marks += 1
            parts.append(f'<rect class="mark" x="{left + c * cell}" y="{top + r * cell}" width="{cell - 2}" '
                         f'height="{cell - 2}" fill="hsl(210,70%,{light}%)" stroke="#ccc"><title>{_e(row)} {col}: '
                         f'{_e(tip)}</title></rect>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + cell * len(cols) + 10}" '
            f'height="{top + cell * len(rows) + 10}" role="img">{"".join(parts)}</svg>', marks)


def _figure(chart_id: str, title: str, note: str, svg_marks: tuple[str, int]) -> str:
    svg, marks = svg_marks
    body = svg if marks else '<p class="empty">No data for this chart in this dataset.</p>'
    return (f'<figure class="chart" id="{chart_id}" data-marks="{marks}"><figcaption>{_e(title)}'
            f'<small>{_e(note)}</small></figcaption>{body}</figure>')


def _by_year(con, codes: tuple[str, ...]) -> dict[int, float]:
    names = ", ".join(f"'{c}'" for c in codes)
    return dict(con.execute(f"SELECT report_year, sum(value) FROM facts WHERE indicator IN ({names}) "
                            "AND applicant_type IN ('total', 'na') GROUP BY 1").fetchall())


def charts(dataset_root: str | Path) -> list[str]:
    """The figures of the page, in order."""
    root = as_root(dataset_root)
    present = set(tables_present(root))
    con = connect(root)
    labels = indicator_headers()
    figures = []

    cells: dict[tuple[str, int], tuple[float, str]] = {}
    if "coverage" in present:
        for prov, year, n, pub in con.execute(
                "SELECT coalesce(province, '(national)'), report_year, count(*), count(*) FILTER (published > 0) "
                "FROM coverage GROUP BY ALL").fetchall():
            cells[(prov, int(year))] = (pub / n, f"{pub} of {n} portals published")
    figures.append(_figure("coverage", "Coverage: share of portals with a published report, province × report year",
                           "From coverage/: white = nothing found, dark blue = every portal's report found.",
                           heatmap(sorted({r for r, _ in cells}), sorted({c for _, c in cells}), cells)))

    apps = _by_year(con, ("apply.new",)) if "facts" in present else {}
    years = sorted(apps)
    figures.append(_figure("applications", "Applications received per report year",
                           "Sum of apply.new (total or the single column) over every report.",
                           stacked(years, {"New applications": [apps[y] or 0 for y in years]})))

    outcomes = {name: _by_year(con, codes) for name, codes in OUTCOMES.items()} if "facts" in present else {}
    o_years = sorted({y for d in outcomes.values() for y in d})
    figures.append(_figure("outcomes", "Outcomes of applications per report year",
                           "g2/g3 apply.result.* and the g0/g1 apply.reply.* they correspond to.",
                           stacked(o_years, {n: [d.get(y) or 0 for y in o_years] for n, d in outcomes.items()})))

    refusals = con.execute(
        "SELECT indicator, sum(value) v FROM facts WHERE (indicator LIKE 'apply.result.withheld.%' OR indicator LIKE "
        "'apply.reply.refused.%') AND applicant_type IN ('total', 'na') GROUP BY 1 HAVING v > 0 ORDER BY v DESC"
    ).fetchall() if "facts" in present else []
    figures.append(_figure("refusals", "Reasons for not disclosing",
                           "Applications refused, by the ground printed (all years).",
                           hbars([(labels.get(c, ("", c))[1] or c, v) for c, v in refusals])))

    review = {name: sum(_by_year(con, codes).values()) for name, codes in REVIEW.items()} if "facts" in present else {}
    figures.append(_figure("review", "Administrative reconsideration and litigation outcomes",
                           "All years; litigation sums direct suits and suits after reconsideration.",
                           hbars(list(review.items()))))

    late = con.execute(
        "SELECT agency_name || ' (' || report_year || ')', days_late FROM reports WHERE days_late > 0 "
        "ORDER BY days_late DESC, agency_name LIMIT 20").fetchall() if "reports" in present else []
    figures.append(_figure("late", "Late publishers: days after the legal deadline",
                           "Counted from the first publication of any copy (reports/first_publish_date).",
                           hbars(late, unit=" days")))

    rates = con.execute(
        "SELECT rule_id, count(*) FILTER (status = 'failed') f, count(*) n FROM checks "
        "WHERE status IN ('passed', 'failed') GROUP BY 1 ORDER BY f / n DESC, n DESC, 1 LIMIT 25"
    ).fetchall() if "checks" in present else []
    figures.append(_figure("checks", "Check failure rates by identity",
                           "Red: share of evaluated checks that failed; green: passed. Skipped checks left out.",
                           split_bars(rates)))
    return figures


def build_report(dataset_root: str | Path, output_dir: str | Path) -> Path:
    """Write ``index.html`` (everything inline) under ``output_dir``; returns its path."""
    root = as_root(dataset_root)
    con = connect(root)
    present = set(tables_present(root))
    n_reports, first, last = con.execute("SELECT count(*), min(report_year), max(report_year) FROM reports").fetchone() \
        if "reports" in present else (0, None, None)
    n_facts = con.execute("SELECT count(*) FROM facts").fetchone()[0] if "facts" in present else 0
    page = ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>nianbao dataset report</title>"
            f"<style>{_CSS}</style></head><body><h1>nianbao: government information disclosure annual reports</h1>"
            f"<p>{n_reports:,} reports, {n_facts:,} facts, report years {first}–{last}; dataset schema "
            f"{SCHEMA_VERSION}. Each bar and cell has a tooltip with its value.</p>"
            + "".join(charts(root)) + _BOX_SCRIPT + "</body></html>")
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "index.html").write_text(page, encoding="utf-8")
    return out / "index.html"
