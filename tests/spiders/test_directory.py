"""The national directory (全国政府网站基本信息数据库) becomes registry records: the sample file in the exact
column layout, the encodings and packaging the real download comes in, duplicates across scope files,
and the curated registry as an overlay that wins."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from spiders import directory, registry

from .helpers import ROOT

SAMPLE = ROOT / "tests" / "spiders" / "fixtures" / "directory" / "directory-sample-layout.csv"


def _text() -> str:
    return SAMPLE.read_bytes().decode("utf-8-sig")


def test_sample_rows_become_typed_records():
    report = directory.import_files([SAMPLE])
    recs = {r.id: r for r in report.records}
    assert report.rows == 5 and not report.rejected and report.duplicates == 0
    mee = recs["100000-mee"]  # 标识码 bm17000009: a ministry → national
    assert (mee.region_code, mee.admin_level, mee.home_url, mee.hosts) == (
        "100000", "national", "http://www.mee.gov.cn/", ("www.mee.gov.cn",))
    xinjin = recs["510132-xinjin"]  # 5101320017: the first 6 characters are the region code
    assert (xinjin.region_code, xinjin.admin_level, xinjin.home_url) == ("510132", "county", "http://www.xinjin.gov.cn/")
    assert xinjin.organiser == "成都市新津区人民政府" and xinjin.site_type == "政府门户网站"
    for rec in report.records:
        portal = registry.merge([rec.as_registry()], [])[rec.id]  # every record validates as a registry record
        assert portal.source == "directory" and portal.seed_status == "none" and not portal.seed_urls
        assert portal.needs_discovery


def test_gbk_zip_title_line_and_duplicates_across_scope_files(tmp_path):
    gbk = ("全国政府网站基本信息数据库（部委门户）\r\n" + _text()).encode("gbk")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("部委门户.csv", gbk)
    (tmp_path / "bw.zip").write_bytes(buf.getvalue())
    (tmp_path / "fujian.csv").write_bytes(_text().encode("utf-8-sig"))
    report = directory.import_files([tmp_path / "bw.zip", tmp_path / "fujian.csv"])
    assert len(report.records) == 5 and report.duplicates == 5 and report.rows == 10
    pingtan = next(r for r in report.records if r.site_code == "3590000001")
    assert pingtan.name == "平潭综合实验区党工委管委会"
    assert pingtan.source == "bw.zip!部委门户.csv" and pingtan.also_in == ("fujian.csv",)


def test_rows_that_cannot_be_used_are_reported_not_dropped_silently(tmp_path):
    bad = _text() + "某网站,not a url,,,1234567890,,,,\r\n某网站二,http://www.x.gov.cn/,,,12345,,,,\r\n"
    (tmp_path / "bad.csv").write_text(bad, encoding="utf-8")
    report = directory.import_files([tmp_path / "bad.csv"])
    assert len(report.records) == 5
    reasons = dict(report.rejected)
    assert "首页网址" in reasons["bad.csv: 某网站"] and "标识码" in reasons["bad.csv: 某网站二"]


def test_a_file_without_the_directory_header_is_refused_with_its_name(tmp_path):
    (tmp_path / "other.csv").write_text("name,url\nx,http://x.gov.cn/\n", encoding="utf-8")
    with pytest.raises(directory.DirectoryError, match="other.csv"):
        directory.import_files([tmp_path / "other.csv"])


def test_curated_registry_is_an_overlay_that_wins():
    records = [r.as_registry() for r in directory.import_files([SAMPLE]).records]
    curated = registry.read_records()
    merged = registry.merge(records, curated)
    # 平潭: the directory says 359000 (its 标识码), the curated record says 350128 and wins; the directory
    # still contributes what the curated record lacks
    pingtan = merged["350128-pingtan"]
    assert "359000-pingtan" not in merged
    assert pingtan.region_code == "350128" and pingtan.origin("region_code") == "curated"
    assert pingtan.site_code == "3590000001" and pingtan.origin("site_code") == "directory"
    assert pingtan.origin("seed_urls") == "curated"
    mee = merged["100000-mee"]
    assert mee.family and mee.origin("family") == "curated" and mee.origin("site_code") == "directory"
    assert mee.organiser == "生态环境部" and mee.origin("home_url") == "curated"
    assert merged["510132-xinjin"].source == "directory"
    assert len(merged) == len(curated) + 1  # only 新津 is new


def test_registry_files_round_trip_as_json_and_yaml(tmp_path):
    records = [r.as_registry() for r in directory.import_files([SAMPLE]).records]
    for name in ("d.json", "d.yaml"):
        registry.write(records, tmp_path / name)
        assert set(registry.load(tmp_path / name)) == {r["id"] for r in records}


def test_portals_command_imports_lists_and_shows_where_each_value_came_from(tmp_path, capsys):
    from nianbao.cli import main

    out = tmp_path / "directory.json"
    assert main(["portals", "import", str(SAMPLE), "--output", str(out)]) == 0
    assert "5 rows → 5 portals" in capsys.readouterr().out
    found = tmp_path / "discovered"
    found.mkdir()
    (found / "510132-xinjin.json").write_text(json.dumps({
        "home_url": "http://www.xinjin.gov.cn/", "family": "trs", "family_evidence": "TRS createPageHTML pager",
        "requests": 4, "pages": [], "stopped": "done", "columns": [{
            "url": "http://www.xinjin.gov.cn/zwgk/zfxxgknb/", "label": "政府信息公开年报", "kind": "column",
            "evidence": ["link text '政府信息公开年报' on http://www.xinjin.gov.cn/zwgk/"], "family": "trs",
            "family_evidence": "TRS createPageHTML pager", "found_on": "http://www.xinjin.gov.cn/zwgk/",
            "reports_seen": 3, "confirmed": True}]}), encoding="utf-8")
    common = ["--directory", str(out), "--discovered", str(found)]
    assert main(["portals", "list", "--source", "directory", *common]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("510132-xinjin\ttrs\tdiscovered\tdirectory\t新津区人民政府") for line in lines)
    assert any(line.startswith("350128-pingtan\tfujian_trs\tconfirmed\tcurated") for line in lines)
    assert main(["portals", "show", "510132-xinjin", *common]) == 0
    shown = capsys.readouterr().out
    assert "home: http://www.xinjin.gov.cn/  [directory]" in shown
    assert "family: trs TRS createPageHTML pager  [discovered]" in shown
    assert "column: http://www.xinjin.gov.cn/zwgk/zfxxgknb/  [discovered]" in shown
    assert "link text '政府信息公开年报'" in shown
    assert main(["portals", "show", "350128-pingtan", *common]) == 0
    shown = capsys.readouterr().out
    assert "site code: 3590000001  [directory]" in shown and "region: 350128 county  [curated]" in shown
    assert main(["portals", "show", "no-such-portal", *common]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nianbao portals list" in err[0]
    assert main(["portals", "import", str(tmp_path / "missing.csv")]) == 2
