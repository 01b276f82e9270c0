"""Quiet hours (pure): a user's daily window, in Finnish time, in which pushes wait.

A notification made during quiet hours goes to the inbox at once; its pushes are held until the window ends
(`held_until`). A window may cross midnight (22:00-07:00). Start equal to end means no quiet hours.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from server.clock import FINLAND


def held_until(now: datetime, start: time | None, end: time | None) -> datetime | None:
    """The end of the quiet window `now` falls in (an aware UTC instant), or None if it is not quiet now."""
    if start is None or end is None or start == end:
        return None
    local = now.astimezone(FINLAND)
    moment = local.time().replace(tzinfo=None)
    if start < end:
        quiet = start <= moment < end
        end_day = local.date()
    else:  # crosses midnight
        quiet = moment >= start or moment < end
        end_day = local.date() + timedelta(days=1) if moment >= start else local.date()
    if not quiet:
        return None
    # Built from the wall-clock time, so a window that spans a change to or from summer time still ends at
    # its local time.
    return datetime.combine(end_day, end, tzinfo=FINLAND).astimezone(now.tzinfo)
