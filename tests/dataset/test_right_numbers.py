"""Right numbers in a year's rows: check counts agree with the checks table, money has an exact form."""

from __future__ import annotations

from decimal import Decimal

from pipeline.publish import assemble_year


def _result(url: str, year: int, facts: list[dict], checks: list[dict]) -> dict:
    report = {"title": f"平潭综合实验区{year}年度政府信息公开工作年度报告", "agency_name": "平潭综合实验区",
              "agency_name_norm": "平潭综合实验区", "report_year": year, "parse_status": "ok", "source_url": url,
              "content_sha256": url[-8:].rjust(64, "0"), "publish_date": f"{year + 1}-01-20", "portal_id": "p",
              "checks_passed": sum(c["status"] == "passed" for c in checks),
              "checks_failed": sum(c["status"] == "failed" for c in checks)}
    return {"report": report, "facts": facts, "checks": checks}


def _carry(code: str, value: float) -> list[dict]:
    return [{"indicator": code, "applicant_type": app, "value": value if app in ("natural_person", "total") else 0.0}
            for app in ("natural_person", "org.commercial", "org.research", "org.public_interest",
                        "org.legal_service", "org.other", "total")]


def test_report_check_counts_include_the_cross_year_rows() -> None:
    own = [{"rule_id": "t3.balance", "applicant_type": "total", "status": "passed"},
           {"rule_id": "xyear.carry", "applicant_type": "total", "status": "skipped"}]
    results = [_result("http://a.test/2021.htm", 2021, _carry("apply.carried_forward", 1.0), []),
               _result("http://a.test/2022.htm", 2022, _carry("apply.carried_in", 4.0), own)]
    rows = assemble_year(results, 2022)
    rep, checks = rows["reports"][0], rows["checks"]
    assert any(c["rule_id"] == "xyear.carry" and c["status"] == "failed" for c in checks)
    assert rep["checks_passed"] == sum(c["status"] == "passed" for c in checks)
    assert rep["checks_failed"] == sum(c["status"] == "failed" for c in checks) > 0


def test_money_facts_carry_an_exact_decimal() -> None:
    fee = {"indicator": "fee.application_fees", "applicant_type": "na", "value": 5165.505262, "unit": "cny_10k",
           "value_raw": "51655052.62元", "unit_raw": "元", "value_status": "reported"}
    count = {"indicator": "apply.new", "applicant_type": "total", "value": 3.0, "unit": "count", "value_raw": "3"}
    facts = assemble_year([_result("http://a.test/2012.htm", 2012, [fee, count], [])], 2012)["facts"]
    by_code = {f["indicator"]: f for f in facts}
    assert by_code["fee.application_fees"]["value_decimal"] == Decimal("5165.505262")
    assert by_code["apply.new"]["value_decimal"] is None
