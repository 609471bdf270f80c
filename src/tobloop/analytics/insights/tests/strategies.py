"""Hypothesis strategies: small random event sets and queries over them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from hypothesis import strategies as st

from tobloop.analytics.insights.models import Breakdown, FilterOp, PropertyFilter
from tobloop.analytics.insights.tests.oracle import Ev

NAMES = ["a", "b", "c"]
USERS = ["u1", "u2", "u3", "u4", ""]
ACCOUNTS = ["acme", "globex", None]
ZONES = ["UTC", "Asia/Shanghai", "America/New_York"]
# Events fall from two days before the queried range to two days after it.
BASE_MS = int(datetime(2026, 3, 7, tzinfo=UTC).timestamp() * 1000)
SPAN_MS = 7 * 86_400_000
DATE_FROM, DATE_TO = date(2026, 3, 9), date(2026, 3, 10)

values = st.sampled_from([1, 2, 2.5, "1", "pro", "free", True, False, None])
props = st.fixed_dictionaries({}, optional={"x": values, "plan": values})


def coarse_times() -> st.SearchStrategy[int]:
    """Half-hour slots over the week: many events share a timestamp."""
    return st.integers(0, SPAN_MS // 1_800_000).map(lambda n: BASE_MS + n * 1_800_000)


def fine_times() -> st.SearchStrategy[int]:
    return st.integers(0, SPAN_MS).map(lambda n: BASE_MS + n)


@st.composite
def event_sets(
    draw: st.DrawFn, *, ties: bool = True, max_size: int = 24, names: list[str] = NAMES
) -> list[Ev]:
    times = coarse_times() if ties else fine_times()
    n = draw(st.integers(0, max_size))
    stamps = draw(st.lists(times, min_size=n, max_size=n, unique=not ties))
    return [
        Ev(
            event=draw(st.sampled_from(names)),
            user=draw(st.sampled_from(USERS)),
            account=draw(st.sampled_from(ACCOUNTS)),
            ms=ms,
            props=draw(props),
            uid=i,
        )
        for i, ms in enumerate(stamps)
    ]


@st.composite
def property_filters(draw: st.DrawFn) -> PropertyFilter:
    op = draw(st.sampled_from(list(FilterOp)))
    key = draw(st.sampled_from(["x", "plan"]))
    value: Any
    if op in {FilterOp.IS_SET, FilterOp.IS_NOT_SET}:
        value = None
    elif op in {FilterOp.GT, FilterOp.GTE, FilterOp.LT, FilterOp.LTE}:
        value = draw(st.sampled_from([1, 2, 1.5]))
    elif op is FilterOp.CONTAINS:
        value = draw(st.sampled_from(["pro", "r", "x"]))
    else:
        value = draw(st.sampled_from([1, 2.5, "1", "pro", True, False]))
    return PropertyFilter(key=key, op=op, value=value)


def step_filters() -> st.SearchStrategy[list[PropertyFilter]]:
    return st.lists(property_filters(), max_size=2)


# The account fields a breakdown reads in the tests: globex has an empty value.
ACCOUNT_VALUES = {"acme": "SMB", "globex": ""}


def breakdowns() -> st.SearchStrategy[Breakdown | None]:
    kinds = st.sampled_from(
        [
            ("event_property", "plan"),
            ("event_property", "x"),
            ("user_trait", "plan"),
            ("account_field", "segment"),
        ]
    )
    return st.one_of(
        st.none(),
        st.builds(
            lambda kk, top: Breakdown.model_validate({"kind": kk[0], "key": kk[1], "top": top}),
            kinds,
            st.sampled_from([1, 2, 10]),
        ),
    )


@st.composite
def with_identifies(draw: st.DrawFn, events: st.SearchStrategy[list[Ev]]) -> list[Ev]:
    """Events plus a few identify calls setting (or not) the user trait ``plan``."""
    base = draw(events)
    n = draw(st.integers(0, 5))
    return base + [
        Ev(
            event="",
            user=draw(st.sampled_from(USERS)),
            account=draw(st.sampled_from(ACCOUNTS)),
            ms=draw(coarse_times()),
            uid=1000 + i,
            type="identify",
            traits=draw(props),
        )
        for i in range(n)
    ]
