"""Months and half-years as reports take them (`YYYY-MM`, `YYYY-H1`), and date arithmetic on months."""

from __future__ import annotations

import re
from datetime import date, timedelta

from server.errors import KaariError

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
HALF = re.compile(r"^(\d{4})-H([12])$")
MAX_MONTHS = 24
"""The longest span a monthly report covers."""


def parse_month(value: str) -> date:
    found = MONTH.match(value)
    if found is None:
        raise KaariError("A month is YYYY-MM.", code="invalid_args", details={"month": value})
    return date(int(found[1]), int(found[2]), 1)


def month_span(start: str | None, end: str | None, today: date) -> tuple[date, date]:
    """`from`..`to` (YYYY-MM) as the first days of their months; `today`'s month when `from` is absent."""
    first = parse_month(start) if start else today.replace(day=1)
    return first, parse_month(end) if end else first


def month_end(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def months(first: date, last: date) -> list[date]:
    found, current = [], first
    while current <= last:
        found.append(current)
        current = month_end(current) + timedelta(days=1)
    return found


def parse_half(value: str) -> tuple[date, date]:
    found = HALF.match(value)
    if found is None:
        raise KaariError("A half-year is YYYY-H1 or YYYY-H2.", code="invalid_args", details={"half": value})
    year = int(found[1])
    return (
        (date(year, 1, 1), date(year, 6, 30)) if found[2] == "1" else (date(year, 7, 1), date(year, 12, 31))
    )


def last_half(today: date) -> str:
    """The last half-year that has ended."""
    return f"{today.year - 1}-H2" if today.month <= 6 else f"{today.year}-H1"


def add_months(day: date, count: int) -> date:
    """The same day `count` months later (the month's last day when it has no such day)."""
    index = day.year * 12 + day.month - 1 + count
    first = date(index // 12, index % 12 + 1, 1)
    return first.replace(day=min(day.day, month_end(first).day))
