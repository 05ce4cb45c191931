"""Deadlines of the 2008 and 2019 条例 and days_late."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.timeliness import days_late, deadline


@pytest.mark.parametrize(
    ("year", "agency_type", "due"),
    [
        (2008, "county_dept", date(2009, 3, 31)),  # 2008 条例 art. 31: everyone by 31 March
        (2015, "township_gov", date(2016, 3, 31)),
        (2018, "county_dept", date(2019, 3, 31)),  # due before the revision took effect (2019-05-15)
        (2018, "county_gov", date(2019, 3, 31)),
        (2019, "county_dept", date(2020, 1, 31)),  # art. 49: departments by 31 January
        (2019, "state_council_dept", date(2020, 1, 31)),
        (2019, "county_gov", date(2020, 3, 31)),  # art. 49: the 本级政府 report by 31 March
        (2021, "provincial_gov", date(2022, 3, 31)),
        (2021, "dev_zone_admin", date(2022, 3, 31)),  # a zone committee reports as its territory's government
        (2023, "township_gov", date(2024, 1, 31)),
        (2023, "subdistrict_office", date(2024, 1, 31)),
        (2023, "vertical_bureau", date(2024, 1, 31)),
    ],
)
def test_deadline(year: int, agency_type: str, due: date) -> None:
    assert deadline(year, agency_type) == due


def test_regional_aggregate_is_the_governments_report() -> None:
    assert deadline(2022, "other", is_regional_aggregate=True) == date(2023, 3, 31)


def test_days_late() -> None:
    assert days_late("2020-01-31", 2019, "county_dept") == 0
    assert days_late("2020-02-01", 2019, "county_dept") == 1
    assert days_late("2020-01-20", 2019, "dev_zone_admin") == -71
    assert days_late(date(2012, 4, 18), 2011, "county_gov") == 18
    assert days_late("2020-03-15 10:00:00", 2019, "county_gov") == -16
    assert days_late(None, 2019, "county_gov") is None
    assert days_late("not a date", 2019, "county_gov") is None
    assert days_late("2019-06-01", 2019, "county_gov") is None  # published inside its own year: a page error
