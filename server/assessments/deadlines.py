"""The statutory clock of a service-needs assessment (pure: no I/O).

Elderly Services Act (980/2012) §15 and Social Welfare Act (1301/2014) §36: for a person aged 75 or over,
a non-urgent assessment must start **by the 7th working day after the contact**; an urgent one **at once**
(the same day). Working days are Monday to Friday without Finnish public holidays (`server.calendar_fi`).
The age is the age on the day of the contact (in Finland); an unknown birth date counts as 75+, so that
no statutory clock is missed. Other non-urgent assessments have no statutory start deadline here (`none`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from server.calendar_fi import add_working_days, is_working_day, working_days_between
from server.clock import FINLAND, today_in_finland

STATUTORY_AGE = 75
WORKING_DAYS = 7


def age_on(birth_date: date | None, day: date) -> int | None:
    if birth_date is None:
        return None
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def rule_for(urgent: bool, age: int | None) -> str:
    if urgent:
        return "urgent"
    if age is None or age >= STATUTORY_AGE:
        return "age_75"
    return "none"


def deadline_for(contact_on: date, rule: str) -> date | None:
    """The last day the assessment may start under `rule`."""
    if rule == "urgent":
        return contact_on
    if rule == "age_75":
        return add_working_days(contact_on, WORKING_DAYS)
    return None


def working_days_left(today: date, deadline: date) -> int:
    """Working days after today up to the deadline (0 on the deadline day or on a non-working day before it)."""
    return working_days_between(today, deadline)


def deadline_warning_at(deadline: date, now: datetime) -> datetime:
    """08:00 Finnish time on the last working day before the deadline (the deadline day itself for a
    same-day deadline), but never before two hours after the process was opened."""
    day = deadline - timedelta(days=1)
    while day > today_in_finland(now) and not is_working_day(day):
        day -= timedelta(days=1)
    day = max(day, today_in_finland(now))
    at = datetime.combine(day, datetime.min.time().replace(hour=8), tzinfo=FINLAND)
    return max(at, now + timedelta(hours=2))
