"""Local periods from fixed UTC offsets: the same dates as the engine's time-zone conversion."""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb
import pytest

from tobloop.analytics.insights.dialect import Dialect
from tobloop.analytics.insights.models import Period
from tobloop.analytics.insights.periods import DAY_MS, offset_segments
from tobloop.analytics.insights.retention_builder import period_sql


def _ms(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> int:
    return int(datetime(y, m, d, h, mi, tzinfo=UTC).timestamp() * 1000)


def test_a_zone_without_changes_has_one_segment() -> None:
    assert offset_segments("Asia/Shanghai", _ms(2026, 1, 1), _ms(2026, 12, 31)) == [
        (_ms(2026, 1, 1), 8 * 3_600_000)
    ]


def test_daylight_saving_changes_are_found_to_the_millisecond() -> None:
    # New York: EDT from 2026-03-08 07:00 UTC, EST again from 2026-11-01 06:00 UTC.
    segments = offset_segments("America/New_York", _ms(2026, 1, 1), _ms(2026, 12, 31))
    assert segments == [
        (_ms(2026, 1, 1), -5 * 3_600_000),
        (_ms(2026, 3, 8, 7), -4 * 3_600_000),
        (_ms(2026, 11, 1, 6), -5 * 3_600_000),
    ]


@pytest.mark.parametrize("zone", ["UTC", "Asia/Shanghai", "America/New_York", "Asia/Kolkata"])
@pytest.mark.parametrize("period", list(Period))
def test_fixed_offsets_give_the_time_zone_conversion(zone: str, period: Period) -> None:
    # Every 37 minutes over two years, across DST changes, inside and outside the fast span.
    con = duckdb.connect()
    start, end = _ms(2025, 6, 1), _ms(2027, 6, 1)
    con.execute(
        "CREATE TABLE t AS SELECT epoch_ms(ms) AS ts FROM range($1, $2, 2220000) r(ms)",
        [start, end],
    )
    span = (_ms(2026, 3, 1), _ms(2026, 4, 1))  # the fast path covers ±400 days around it
    fast = period_sql(Dialect.DUCKDB, "ts", period, "$tz", zone=zone, span_ms=span)
    slow = period_sql(Dialect.DUCKDB, "ts", period, "$tz")
    differ = con.execute(
        f"SELECT count(*) FILTER (WHERE {fast} != {slow}), count(*) FROM t", {"tz": zone}
    ).fetchone()
    assert differ is not None and differ[0] == 0 and differ[1] > 25_000


def test_days_are_counted_from_1970_in_local_time() -> None:
    con = duckdb.connect()
    sql = period_sql(
        Dialect.DUCKDB,
        "epoch_ms(1773100800000::BIGINT)",  # 2026-03-10 00:00 UTC = 08:00 in Shanghai
        Period.DAY,
        "$tz",
        zone="Asia/Shanghai",
        span_ms=(1773100800000, 1773100800000 + DAY_MS),
    )
    row = con.execute(f"SELECT {sql}", {"tz": "Asia/Shanghai"}).fetchone()
    assert row == ((date(2026, 3, 10) - date(1970, 1, 1)).days,)
