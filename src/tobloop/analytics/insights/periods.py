"""Calendar arithmetic in the workspace time zone: date ranges and day/week/month periods."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
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


DAY_MS = 86_400_000
# How far beyond the query's range the fixed-offset bucketing reaches (retention's returns,
# the active windows); rows further out use the engine's own time-zone conversion.
OFFSET_MARGIN_MS = 400 * DAY_MS


def offset_segments(tz: str, lo_ms: int, hi_ms: int) -> list[tuple[int, int]]:
    """``(from_ms, utc_offset_ms)`` of each stretch of one UTC offset that meets [lo, hi).

    The first stretch starts at ``lo_ms``; a later one at the exact millisecond the zone's
    offset changes (found by sampling once a day — zones do not change twice within a day —
    then bisecting). Cached: the builders ask for the same span again and again.
    """
    return list(_offset_segments(tz, lo_ms, hi_ms))


@lru_cache(maxsize=256)
def _offset_segments(tz: str, lo_ms: int, hi_ms: int) -> tuple[tuple[int, int], ...]:
    zone = ZoneInfo(tz)

    def offset(ms: int) -> int:
        moment = datetime.fromtimestamp(ms / 1000, tz=zone)
        delta = moment.utcoffset()
        return int(delta.total_seconds() * 1000) if delta is not None else 0

    segments = [(lo_ms, offset(lo_ms))]
    previous = lo_ms
    for probe in range(lo_ms + DAY_MS, hi_ms + DAY_MS, DAY_MS):
        probe = min(probe, hi_ms)
        if offset(probe) != segments[-1][1]:
            low, high = previous, probe  # offset(low) is the old one, offset(high) the new
            while high - low > 1:
                mid = (low + high) // 2
                if offset(mid) == segments[-1][1]:
                    low = mid
                else:
                    high = mid
            segments.append((high, offset(high)))
        previous = probe
    return tuple(segments)
