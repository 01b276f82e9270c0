"""The Finnish calendar and the statutory 7-working-day deadline, across years, weekends and holidays."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from server.assessments.deadlines import age_on, deadline_for, rule_for
from server.calendar_fi import add_working_days, easter_sunday, holidays, is_working_day

EASTERS = {
    2019: date(2019, 4, 21),
    2024: date(2024, 3, 31),
    2025: date(2025, 4, 20),
    2026: date(2026, 4, 5),
    2027: date(2027, 3, 28),
    2028: date(2028, 4, 16),
    2030: date(2030, 4, 21),
    2038: date(2038, 4, 25),
}


@pytest.mark.parametrize("year", sorted(EASTERS))
def test_easter(year):
    assert easter_sunday(year) == EASTERS[year]


def test_holidays_of_2026():
    found = {d.isoformat(): name for d, name in holidays(2026).items()}
    assert found == {
        "2026-01-01": "new_years_day",
        "2026-01-06": "epiphany",
        "2026-04-03": "good_friday",
        "2026-04-05": "easter_sunday",
        "2026-04-06": "easter_monday",
        "2026-05-01": "may_day",
        "2026-05-14": "ascension_day",
        "2026-05-24": "whit_sunday",
        "2026-06-19": "midsummer_eve",
        "2026-06-20": "midsummer_day",
        "2026-10-31": "all_saints_day",
        "2026-12-06": "independence_day",
        "2026-12-24": "christmas_eve",
        "2026-12-25": "christmas_day",
        "2026-12-26": "boxing_day",
    }


@pytest.mark.parametrize("year", range(2000, 2051))
def test_moving_holidays_fall_in_their_windows(year):
    found = {name: d for d, name in holidays(year).items()}
    eve, day, saints = found["midsummer_eve"], found["midsummer_day"], found["all_saints_day"]
    assert eve.weekday() == 4 and date(year, 6, 19) <= eve <= date(year, 6, 25)
    assert day.weekday() == 5 and date(year, 6, 20) <= day <= date(year, 6, 26)
    assert saints.weekday() == 5 and date(year, 10, 31) <= saints <= date(year, 11, 6)
    assert found["good_friday"].weekday() == 4 and found["ascension_day"].weekday() == 3
    assert found["easter_monday"] - found["good_friday"] == timedelta(days=3)


@pytest.mark.parametrize(
    ("contact", "deadline", "why"),
    [
        (date(2026, 11, 2), date(2026, 11, 11), "plain weeks: Mon + 7 working days = Wed next week"),
        (date(2026, 11, 6), date(2026, 11, 17), "Friday: the weekend does not count"),
        (date(2026, 11, 7), date(2026, 11, 17), "Saturday: counting starts on Monday"),
        (date(2026, 3, 30), date(2026, 4, 10), "Easter 2026: Good Friday and Easter Monday skipped"),
        (date(2025, 4, 14), date(2025, 4, 25), "Easter 2025"),
        (date(2024, 3, 25), date(2024, 4, 5), "Easter 2024 (March)"),
        (date(2026, 5, 11), date(2026, 5, 21), "Ascension Day 14 May 2026"),
        (date(2026, 6, 15), date(2026, 6, 25), "Midsummer Eve 19 June 2026 is not a working day"),
        (date(2027, 6, 21), date(2027, 7, 1), "Midsummer Eve 25 June 2027"),
        (date(2026, 12, 18), date(2026, 12, 31), "Christmas Eve to Boxing Day 2026"),
        (date(2026, 12, 28), date(2027, 1, 8), "New Year and Epiphany 2027"),
        (date(2025, 12, 1), date(2025, 12, 10), "Independence Day on a Saturday 2025 changes nothing"),
        (date(2026, 12, 1), date(2026, 12, 10), "Independence Day on a Sunday 2026"),
        (date(2027, 12, 1), date(2027, 12, 13), "Independence Day on a Monday 2027 is skipped"),
        (date(2028, 4, 24), date(2028, 5, 4), "May Day on a Monday 2028"),
    ],
)
def test_seven_working_days(contact, deadline, why):
    assert deadline_for(contact, "age_75") == deadline, why
    assert is_working_day(deadline)


def test_add_working_days_counts_only_working_days():
    start = date(2026, 1, 1)
    for n in range(0, 60):
        end = add_working_days(start, n)
        between = [start + timedelta(days=k) for k in range(1, (end - start).days + 1)]
        assert sum(is_working_day(d) for d in between) == n


def test_rules_and_ages():
    assert age_on(date(1951, 3, 2), date(2026, 3, 1)) == 74
    assert age_on(date(1951, 3, 2), date(2026, 3, 2)) == 75
    assert rule_for(True, 60) == "urgent" and deadline_for(date(2026, 6, 19), "urgent") == date(2026, 6, 19)
    assert rule_for(False, 75) == "age_75" and rule_for(False, None) == "age_75"
    assert rule_for(False, 74) == "none" and deadline_for(date(2026, 6, 19), "none") is None
