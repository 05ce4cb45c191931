"""``nianbao report`` in a real headless browser: every chart draws its marks, and the pixels show it.

Needs Debian's ``chromium`` (``apt-get install -y chromium``; ``make install`` installs it when
missing). Without it the browser tests are skipped and say why; the HTML checks still run.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import lxml.html
import pytest
from PIL import Image, ImageStat

from nianbao.cli import main

CHARTS = {"coverage", "applications", "outcomes", "refusals", "review", "late", "checks"}
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)")


def _chromium(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess:
    # --proxy-server to a closed port: the page must need no network at all.
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--user-data-dir={profile}",
           "--proxy-server=127.0.0.1:9", "--no-first-run", *args, page.resolve().as_uri()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=90, check=True)


def chart_problems(page: Path, workdir: Path) -> list[str]:
    """What a reader would see as broken: a chart with no marks, or a chart region of blank pixels."""
    dom = lxml.html.fromstring(_chromium(page, workdir / "profile", "--dump-dom").stdout)
    figures = dom.xpath("//figure[contains(@class, 'chart')]")
    problems = [] if figures else ["no chart on the page"]
    boxes = {}
    for fig in figures:
        marks = fig.xpath(".//*[local-name()='rect' and contains(@class, 'mark')]")
        drawn = [m for m in marks if float(m.get("width", 0)) > 0 and float(m.get("height", 0)) > 0]
        if not drawn:
            problems.append(f"{fig.get('id')}: no marks drawn")
        if fig.get("data-box"):
            boxes[fig.get("id")] = [int(v) for v in fig.get("data-box").split(",")]
    if not boxes:
        return [*problems, "the page's script did not run (no chart boxes)"]
    height = max(y + h for _, y, _, h in boxes.values()) + 40
    shot = workdir / "page.png"
    _chromium(page, workdir / "profile", f"--screenshot={shot}", f"--window-size=1300,{height}")
    image = Image.open(shot).convert("L")
    for chart, (x, y, w, h) in boxes.items():
        region = image.crop((x, y + 40, x + w, y + h))  # below the caption: the drawing only
        stat = ImageStat.Stat(region)
        dark = sum(region.histogram()[:200])  # ink: bars, cells, axis labels
        if stat.stddev[0] < 12 or dark < 0.01 * region.width * region.height:
            problems.append(f"{chart}: blank chart region (stddev {stat.stddev[0]:.1f}, {dark} dark pixels)")
    return problems


@pytest.fixture(scope="module")
def page(release, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report")
    assert main(["report", "--data", str(release["data"]), "--output", str(out)]) == 0
    return out / "index.html"


def test_page_is_self_contained(page) -> None:
    text = page.read_text(encoding="utf-8")
    assert not re.search(r"<(link|img|iframe)\b|\bsrc=|@import|url\(", text)
    doc = lxml.html.fromstring(text)
    assert {f.get("id") for f in doc.xpath("//figure")} == CHARTS
    assert all(int(f.get("data-marks")) > 0 for f in doc.xpath("//figure")), "a chart has no data"


@needs_chromium
def test_every_chart_renders_in_a_real_browser(page, tmp_path) -> None:
    assert chart_problems(page, tmp_path) == []


@needs_chromium
def test_the_screenshot_check_catches_a_broken_chart(page, tmp_path) -> None:
    text = page.read_text(encoding="utf-8")
    broken = re.sub(r'(<figure class="chart" id="late"[^>]*>.*?</figcaption>).*?</figure>', r"\1<svg width='800' "
                    r"height='300'></svg></figure>", text, flags=re.S)
    assert broken != text
    (tmp_path / "broken.html").write_text(broken, encoding="utf-8")
    problems = chart_problems(tmp_path / "broken.html", tmp_path)
    assert any(p.startswith("late: no marks") for p in problems) and any(p.startswith("late: blank") for p in problems)
