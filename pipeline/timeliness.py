"""Publication timeliness: the legal deadline of a report and how many days late it appeared.

Legal basis (see docs/data-dictionary.md, "Timeliness"):
* 《政府信息公开条例》(2008, 国务院令第492号) art. 31: every 行政机关 publishes its report before 31 March.
  Applies to report years up to and including 2018: the revised 条例 took effect on 2019-05-15, after
  the 2018 reports were due (2019-03-31), so the 2018 report falls under the old rule.
* Revised 条例 (2019, 国务院令第711号) art. 49, from the 2019 reports on: 县级以上人民政府部门 (State
  Council departments and local government departments) before 31 January; the 本级政府 report of a
  县级以上地方人民政府 (published by its 主管部门) before 31 March. Zone committees that administer a
  territory (平潭综合实验区, 两江新区) report as the government of that territory: 31 March. Art. 49 names
  no date for township governments, subdistrict offices, vertical bureaux' local offices or authorised
  organisations: they get 31 January, the departments' date, because their reports feed the county
  report due on 31 March (an interpretation, documented as such).
"""

from __future__ import annotations

from datetime import date

from pipeline.agency import GOVERNMENT_TYPES

FIRST_REVISED_REPORT_YEAR = 2019


def deadline(report_year: int, agency_type: str | None, *, is_regional_aggregate: bool = False) -> date:
    """Last lawful publication day of a report about ``report_year``.

    "3月31日前" is read as "on or before 31 March" (the day itself is on time).
    """
    due_year = int(report_year) + 1
    if report_year < FIRST_REVISED_REPORT_YEAR:
        return date(due_year, 3, 31)
    if agency_type in GOVERNMENT_TYPES or agency_type == "dev_zone_admin" or is_regional_aggregate:
        return date(due_year, 3, 31)
    return date(due_year, 1, 31)


def _as_date(value: date | str | None) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def days_late(
    publish_date: date | str | None,
    report_year: int | None,
    agency_type: str | None,
    *,
    is_regional_aggregate: bool = False,
) -> int | None:
    """Days between the deadline and publication (negative = early, 0 = on the last day).

    None when the date or year is missing, or the date precedes the end of the report year (a report
    cannot cover a year that has not ended: such a date is a page error, not an early report).
    """
    pub = _as_date(publish_date)
    if pub is None or report_year is None:
        return None
    if pub.year <= int(report_year):
        return None
    due = deadline(int(report_year), agency_type, is_regional_aggregate=is_regional_aggregate)
    return (pub - due).days
