"""Assembling one report year: one row per report, facts of the chosen version, cross-year checks."""

from __future__ import annotations

from pipeline.publish import assemble_year


def _result(url: str, year: int, facts: list[dict], agency: str = "平潭综合实验区", title: str | None = None) -> dict:
    report = {
        "title": title or f"{agency}{year}年度政府信息公开工作年度报告", "agency_name": agency,
        "agency_name_norm": agency, "report_year": year, "parse_status": "ok", "source_url": url,
        "content_sha256": url[-8:].rjust(64, "0"), "publish_date": f"{year + 1}-01-20", "portal_id": "p",
        "source_site": "www.pingtan.demo.test", "fetched_at": "2026-11-27T00:00:00Z",
    }
    return {"report": report, "facts": facts, "checks": []}


def _carry(code: str, value: float) -> list[dict]:
    return [{"indicator": code, "applicant_type": app, "value": value if app in ("natural_person", "total") else 0.0}
            for app in ("natural_person", "org.commercial", "org.research", "org.public_interest",
                        "org.legal_service", "org.other", "total")]


def test_mirrors_become_one_report_with_the_chosen_versions_facts():
    fact = [{"indicator": "apply.new", "applicant_type": "total", "value": 70.0}]
    results = [_result("http://a.test/1.htm", 2021, fact), _result("http://b.test/1.htm", 2021, []),
               _result("http://m.a.test/1.htm", 2021, fact)]
    rows = assemble_year(results, 2021)
    assert len(rows["reports"]) == 1 and len(rows["sources"]) == 3
    assert len(rows["facts"]) == 1 and rows["facts"][0]["report_id"] == rows["reports"][0]["report_id"]
    assert sum(s["is_chosen"] for s in rows["sources"]) == 1


def test_carried_in_is_checked_against_last_years_carried_forward():
    results = [_result("http://a.test/2021.htm", 2021, _carry("apply.carried_forward", 1.0)),
               _result("http://a.test/2022.htm", 2022, _carry("apply.carried_in", 1.0)),
               _result("http://a.test/2023.htm", 2023, _carry("apply.carried_in", 5.0))]
    for year, status in ((2022, "passed"), (2023, None)):
        carry = [c for c in assemble_year(results, year)["checks"] if c["rule_id"] == "xyear.carry"]
        if status is None:
            assert carry == [], "2022 printed no carried_forward: nothing to compare"
        else:
            assert carry and {c["status"] for c in carry} == {status}
    results.append(_result("http://a.test/2022b.htm", 2022, _carry("apply.carried_forward", 3.0),
                           title="平潭综合实验区2022年度政府信息公开工作年度报告（更正）"))
    failed = [c for c in assemble_year(results, 2023)["checks"] if c["rule_id"] == "xyear.carry"]
    assert {(c["applicant_type"], c["status"]) for c in failed if c["applicant_type"] == "total"} == {("total", "failed")}


def test_parse_new_parses_once_and_notices_withdrawals(tmp_path):
    from pathlib import Path

    from pipeline.manifest import ManifestRow, ManifestWriter
    from pipeline.publish import all_results, parse_new
    from pipeline.rawstore import RawStore

    page = (Path(__file__).resolve().parents[1] / "fixtures" / "real" / "pingtan" / "t20220208_80613.htm").read_bytes()
    sha, path = RawStore(tmp_path / "raw").put(page, ".html")
    url = "http://www.pingtan.demo.test/zwgk/zfxxgk/zfxxgknb/202202/t20220208_80613.htm"
    night1 = ManifestWriter(tmp_path, "1-night")
    night1.write(ManifestRow(url=url, portal_id="p", fetched_at="2026-11-27T00:00:00Z", outcome="stored",
                             sha256=sha, raw_path=str(path), content_type="text/html; charset=utf-8"))
    night1.close()
    first = parse_new(tmp_path)
    assert (first.parsed, first.years_changed, dict(first.statuses)) == (1, {2021}, {"ok": 1})
    again = parse_new(tmp_path)
    assert (again.parsed, again.unchanged, again.years_changed) == (0, 1, set())
    night2 = ManifestWriter(tmp_path, "2-night")
    night2.write(ManifestRow(url=url, portal_id="p", fetched_at="2026-11-28T00:00:00Z", outcome="withdrawn",
                             status=404, change="withdrawn"))
    night2.close()
    gone = parse_new(tmp_path)
    assert (gone.withdrawn, gone.years_changed) == (1, {2021})
    assert all_results(tmp_path) == []


def test_stocks_and_matter_lists_continue_from_last_year():
    from pipeline.xyear import evaluate

    def facts(**values: float) -> list[dict]:
        return [{"indicator": k.replace("__", "."), "applicant_type": "na", "value": v} for k, v in values.items()]

    last = facts(proactive__normative_docs__in_force=698, proactive__licensing__items_prev_year=120,
                 proactive__licensing__items_change=-8)
    this = facts(proactive__normative_docs__in_force=780, proactive__normative_docs__issued=88,
                 proactive__normative_docs__repealed=5, proactive__licensing__items_prev_year=112)
    got = {(c["rule_id"], c["status"]) for c in evaluate(last, this)}
    assert got == {("xyear.normative_in_force", "failed"), ("xyear.items_prev_year", "passed")}  # 698+88-5=781≠780


def test_a_document_that_breaks_processing_is_logged_not_fatal(tmp_path, monkeypatch):
    from pipeline import publish
    from pipeline.manifest import ManifestRow, ManifestWriter
    from pipeline.rawstore import RawStore

    sha, path = RawStore(tmp_path / "raw").put(b"<html><body>x</body></html>", ".html")
    writer = ManifestWriter(tmp_path, "night")
    for n in (1, 2):
        writer.write(ManifestRow(url=f"http://a.test/{n}.htm", portal_id="p", fetched_at="2026-11-27T00:00:00Z",
                                 outcome="stored", sha256=sha, raw_path=str(path)))
    writer.close()

    from pipeline import worker

    def explode(self, data, row, portal=None, parent=None, **kwargs):
        if row["url"].endswith("1.htm"):
            raise RuntimeError("resolver exploded")
        return real(self, data, row, portal, parent, **kwargs)

    real = worker.BudgetedWorker.process
    monkeypatch.setattr(worker.BudgetedWorker, "process", explode)
    run = publish.parse_new(tmp_path)
    assert run.parsed == 2 and run.statuses["error"] == 1
    log = {row["url"]: row for row in publish.document_log(tmp_path)}
    assert log["http://a.test/1.htm"]["parse_status"] == "error"
    assert "resolver exploded" in log["http://a.test/1.htm"]["parse_reason"]


def test_the_parsed_index_selects_years_and_survives_being_lost(tmp_path):
    from pathlib import Path

    from pipeline.manifest import ManifestRow, ManifestWriter
    from pipeline.publish import all_results, document_log, parse_new
    from pipeline.rawstore import RawStore

    base = Path(__file__).resolve().parents[1] / "fixtures"
    writer = ManifestWriter(tmp_path, "night")
    for n, name in enumerate(("real/pingtan/t20220208_80613.htm", "real/pingtan/t20200120_80576.htm")):
        sha, path = RawStore(tmp_path / "raw").put((base / name).read_bytes(), ".html")
        writer.write(ManifestRow(url=f"http://p.test/{n}.htm", portal_id="p", fetched_at="2026-11-27T00:00:00Z",
                                 outcome="stored", sha256=sha, raw_path=str(path), content_type="text/html"))
    writer.close()
    assert parse_new(tmp_path).years_changed == {2019, 2021}
    assert [r["report"]["report_year"] for r in all_results(tmp_path, years={2021})] == [2021]
    assert sorted(row["report_year"] for row in document_log(tmp_path)) == [2019, 2021]
    for lost in (tmp_path / "parsed").glob("index.sqlite*"):
        lost.unlink()
    again = parse_new(tmp_path)  # the index is rebuilt from the result files: nothing re-parsed
    assert (again.parsed, again.unchanged) == (0, 2)
