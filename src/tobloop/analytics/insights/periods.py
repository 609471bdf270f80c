"""Calendar arithmetic in the workspace time zone: date ranges and day/week/month periods."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tobloop.analytics.insights.models import DateRange, Period


def local_midnight_ms(day: date, tz: str) -> int:
    """Epoch milliseconds of 00:00 of ``day`` in ``tz`` (the earlier instant on a DST fold)."""
    return int(datetime.combine(day, time(0), tzinfo=ZoneInfo(tz)).timestamp() * 1000)


def range_ms(r: DateRange) -> tuple[int, int]:
    """``from`` 00:00 (inclusive) and the day after ``to`` 00:00 (exclusive), in epoch ms."""
    return (
        local_midnight_ms(r.date_from, r.timezone),
        local_midnight_ms(r.date_to + timedelta(days=1), r.timezone),
    )


def period_start(day: date, period: Period) -> date:
    """The first day of the period holding ``day``; weeks start on Monday."""
    if period is Period.DAY:
        return day
    if period is Period.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def add_periods(start: date, period: Period, n: int) -> date:
    """The first day of the n-th period after the one starting on ``start``."""
    if period is Period.DAY:
        return start + timedelta(days=n)
    if period is Period.WEEK:
        return start + timedelta(weeks=n)
    months = start.year * 12 + start.month - 1 + n
    return date(months // 12, months % 12 + 1, 1)


def periods_between(first: date, last: date, period: Period) -> list[date]:
    """First days of every period from the one holding ``first`` to the one holding ``last``."""
    out, current, end = [], period_start(first, period), period_start(last, period)
    while current <= end:
        out.append(current)
        current = add_periods(current, period, 1)
    return out
