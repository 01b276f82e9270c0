"""What day it is for the people using Kaari: dates in Finnish time (Europe/Helsinki).

Timestamps are stored in UTC; a *date* the users see ("today's roster", "free places from today", "days
waiting") is the calendar date in Finland. Between 21:00 and 24:00 UTC (22:00 in summer) Finland is already
on the next day, so `datetime.now(UTC).date()` or the server's local `date.today()` would be a day behind.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

FINLAND = ZoneInfo("Europe/Helsinki")


def utc_now() -> datetime:
    """The current instant (a seam for tests that need another time of day)."""
    return datetime.now(UTC)


def date_in_finland(moment: datetime) -> date:
    """The calendar date in Finland at `moment` (a naive datetime is taken to be UTC, as stored)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(FINLAND).date()


def today_in_finland(now: datetime | None = None) -> date:
    """Today in Finland: at `now` (a mutation's server time), or at this instant."""
    return date_in_finland(now if now is not None else utc_now())
