"""The Finnish calendar: public holidays, working days and statutory day counts (pure: no I/O).

Public holidays (*arkipyhät*) are computed, never typed in: the fixed ones, the Easter-based ones (Easter
Sunday by the Gregorian computus), and the ones that fall on the Saturday of a given week:

| date | holiday |
|---|---|
| 1 Jan | New Year's Day (*uudenvuodenpäivä*) |
| 6 Jan | Epiphany (*loppiainen*) |
| Easter - 2 | Good Friday (*pitkäperjantai*) |
| Easter, Easter + 1 | Easter Sunday and Monday (*pääsiäispäivä*, *2. pääsiäispäivä*) |
| 1 May | May Day (*vappu*) |
| Easter + 39 | Ascension Day (*helatorstai*) |
| Easter + 49 | Whit Sunday (*helluntaipäivä*) |
| Friday 19-25 Jun | Midsummer Eve (*juhannusaatto*, a day off by custom and collective agreements) |
| Saturday 20-26 Jun | Midsummer Day (*juhannuspäivä*) |
| Saturday 31 Oct-6 Nov | All Saints' Day (*pyhäinpäivä*) |
| 6 Dec | Independence Day (*itsenäisyyspäivä*) |
| 24-26 Dec | Christmas Eve (by custom, like Midsummer Eve), Christmas Day, Boxing Day |

A **working day** (*arkipäivä* in the statutory counts here) is Monday to Friday and not one of these days.
The 7-day rule of the Elderly Services Act §15 / Social Welfare Act §36 is counted in working days:
`add_working_days(contact_day, 7)` is the last day the assessment may start.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache


def easter_sunday(year: int) -> date:
    """Easter Sunday (Gregorian; the anonymous "Meeus/Jones/Butcher" algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _weekday_between(year: int, month: int, first_day: int, weekday: int) -> date:
    """The first date on or after (year, month, first_day) that is `weekday` (Mon=0)."""
    start = date(year, month, first_day)
    return start + timedelta(days=(weekday - start.weekday()) % 7)


@cache
def holidays(year: int) -> dict[date, str]:
    """Every Finnish public holiday of the year (and the customary days off: Midsummer and Christmas Eve)."""
    easter = easter_sunday(year)
    midsummer_eve = _weekday_between(year, 6, 19, 4)  # Friday 19-25 June
    found = {
        date(year, 1, 1): "new_years_day",
        date(year, 1, 6): "epiphany",
        easter - timedelta(days=2): "good_friday",
        easter: "easter_sunday",
        easter + timedelta(days=1): "easter_monday",
        date(year, 5, 1): "may_day",
        easter + timedelta(days=39): "ascension_day",
        easter + timedelta(days=49): "whit_sunday",
        midsummer_eve: "midsummer_eve",
        midsummer_eve + timedelta(days=1): "midsummer_day",
        _weekday_between(year, 10, 31, 5): "all_saints_day",  # Saturday 31 Oct - 6 Nov
        date(year, 12, 6): "independence_day",
        date(year, 12, 24): "christmas_eve",
        date(year, 12, 25): "christmas_day",
        date(year, 12, 26): "boxing_day",
    }
    return dict(sorted(found.items()))


def holiday_name(day: date) -> str | None:
    return holidays(day.year).get(day)


def is_working_day(day: date) -> bool:
    """Monday to Friday, and not a public holiday (nor Midsummer or Christmas Eve)."""
    return day.weekday() < 5 and day not in holidays(day.year)


def add_working_days(day: date, count: int) -> date:
    """The `count`-th working day after `day` (`day` itself never counts; `count` 0 gives `day`)."""
    if count < 0:
        raise ValueError("count must be 0 or more")
    current = day
    while count > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            count -= 1
    return current


def working_days_between(start: date, end: date) -> int:
    """How many working days are after `start` up to and including `end` (0 if end <= start)."""
    count, current = 0, start
    while current < end:
        current += timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count
