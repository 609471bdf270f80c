"""Typed queries and results for funnels and retention (the JSON contract of DESIGN.md)."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

# ClickHouse's Date, which period arithmetic uses, covers 1970-01-01 … 2149-06-06.
FIRST_DAY, LAST_DAY = date(1971, 1, 1), date(2149, 1, 1)
MAX_WINDOW_SECONDS = 90 * 86400  # the issue: conversion windows from minutes up to 90 days
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_WINDOW = re.compile(r"^\s*(\d{1,10})\s*([smhd]?)\s*$")


def parse_window(value: Any) -> int:
    """``90s``, ``30m``, ``1h``, ``7d`` or plain seconds (int or digits) → seconds."""
    if isinstance(value, bool):
        raise ValueError("a window is written 90s, 30m, 1h, 7d or as plain seconds")
    if isinstance(value, int):
        seconds = value
    elif isinstance(value, str) and (match := _WINDOW.match(value)):
        seconds = int(match.group(1)) * _UNITS[match.group(2) or "s"]
    else:
        raise ValueError("a window is written 90s, 30m, 1h, 7d or as plain seconds")
    if not 1 <= seconds <= MAX_WINDOW_SECONDS:
        raise ValueError(f"the window must be between 1 second and 90 days ({seconds} s given)")
    return seconds


WindowSeconds = Annotated[int, BeforeValidator(parse_window)]
Scalar = str | int | float | bool


class By(StrEnum):
    USER = "user"
    ACCOUNT = "account"


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class FilterOp(StrEnum):
    EQ = "eq"
    NEQ = "neq"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    CONTAINS = "contains"
    IS_SET = "is_set"
    IS_NOT_SET = "is_not_set"


NUMERIC_OPS = frozenset({FilterOp.GT, FilterOp.GTE, FilterOp.LT, FilterOp.LTE})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class PropertyFilter(_Strict):
    """One condition on a top-level event property.

    ``eq``/``neq`` compare value and JSON type (the string ``"1"`` is not the number ``1``);
    ``neq`` also holds when the property is missing. Comparisons need a number, ``contains`` a
    string (case-sensitive), ``is_set`` means present and not JSON null.
    """

    key: str = Field(min_length=1, max_length=200)
    op: FilterOp = FilterOp.EQ
    value: Scalar | None = None

    @model_validator(mode="after")
    def _value_fits_op(self) -> PropertyFilter:
        if self.op in {FilterOp.IS_SET, FilterOp.IS_NOT_SET}:
            if self.value is not None:
                raise ValueError(f"{self.op.value} takes no value")
        elif self.value is None:
            raise ValueError(f"{self.op.value} needs a value")
        elif self.op in NUMERIC_OPS and (
            isinstance(self.value, bool) or not isinstance(self.value, int | float)
        ):
            raise ValueError(f"{self.op.value} compares numbers")
        elif self.op is FilterOp.CONTAINS and not isinstance(self.value, str):
            raise ValueError("contains looks for a string")
        return self


def _step(value: Any) -> Any:
    return {"event": value} if isinstance(value, str) else value


class EventMatcher(_Strict):
    """An event name plus property filters (all must hold)."""

    event: str = Field(min_length=1, max_length=200)
    filters: tuple[PropertyFilter, ...] = Field(default=(), max_length=20)


FunnelStep = Annotated[EventMatcher, BeforeValidator(_step)]


class DateRange(_Strict):
    """``from``…``to`` as calendar dates in ``timezone``; ``to`` is inclusive."""

    date_from: date = Field(alias="from")
    date_to: date = Field(alias="to")
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _ordered(self) -> DateRange:
        if self.date_to < self.date_from:
            raise ValueError("'to' is before 'from'")
        if (self.date_to - self.date_from).days > 3660:
            raise ValueError("the date range is limited to ten years")
        if self.date_from < FIRST_DAY or self.date_to > LAST_DAY:
            raise ValueError(f"dates must lie between {FIRST_DAY} and {LAST_DAY}")
        return self


class BreakdownKind(StrEnum):
    EVENT_PROPERTY = "event_property"
    USER_TRAIT = "user_trait"
    ACCOUNT_FIELD = "account_field"


# The account fields a query may break down by (the catalog of identifiers: nothing else).
ACCOUNT_FIELDS = ("segment", "industry", "region", "plan", "service_tier")
NONE_VALUE = "$none"  # the breakdown value of a missing, null, empty or non-scalar value
OTHER = "$other"


class Breakdown(_Strict):
    """Split a result by one value: an event property, a user trait or an account field.

    Values are text: strings as they are, integral numbers without decimals, other numbers in
    their shortest decimal form, booleans ``true``/``false``. Missing, ``null``, empty, object
    and array values are ``$none``. The ``top`` values (by entities or events, then by text)
    are kept and the rest folded into ``$other``.
    """

    kind: BreakdownKind
    key: str = Field(min_length=1, max_length=200)
    top: int = Field(default=10, ge=1, le=50)

    @model_validator(mode="after")
    def _known_account_field(self) -> Breakdown:
        if self.kind is BreakdownKind.ACCOUNT_FIELD and self.key not in ACCOUNT_FIELDS:
            raise ValueError(f"an account field is one of {', '.join(ACCOUNT_FIELDS)}")
        return self


class FunnelQuery(DateRange):
    """2–10 ordered steps; the best attempt counts unless ``first_attempt`` (DESIGN.md).

    ``breakdown`` splits entities by the value on their first step-1 event in the range;
    ``over_time`` buckets them by the day/week/month of that event; ``time_to_convert`` adds
    the distribution of the time from step 1 to each later step (docs/analytics.md).
    """

    kind: Literal["funnel"] = "funnel"
    steps: tuple[FunnelStep, ...] = Field(min_length=2, max_length=10)
    window: WindowSeconds = 7 * 86400
    by: By = By.USER
    first_attempt: bool = False
    breakdown: Breakdown | None = None
    over_time: Period | None = None
    time_to_convert: bool = False


class DroppedQuery(FunnelQuery):
    """The drill-down: entities that reached step ``step`` − 1 and not ``step``."""

    step: int = Field(ge=2, le=10)
    limit: int = Field(default=100, ge=1, le=10_000)

    @model_validator(mode="after")
    def _step_of_the_funnel(self) -> DroppedQuery:
        if self.step > len(self.steps):
            raise ValueError(
                f"step {self.step} is not a step of this {len(self.steps)}-step funnel"
            )
        return self


class RetentionQuery(DateRange):
    """Cohorts by the first start event per period; ``return_event`` None means any event."""

    kind: Literal["retention"] = "retention"
    start: FunnelStep
    return_event: FunnelStep | None = Field(default=None, alias="return")
    period: Period = Period.WEEK
    periods: int = Field(default=8, ge=1, le=120)
    by: By = By.USER
    bounded: bool = True
    breakdown: Breakdown | None = None


class TrendsQuery(DateRange):
    """Events, distinct users and distinct accounts per day/week/month (DAU, WAU, MAU)."""

    kind: Literal["trends"] = "trends"
    event: FunnelStep | None = None
    interval: Period = Period.DAY
    account: str | None = Field(default=None, min_length=1, max_length=200)
    breakdown: Breakdown | None = None


class ActiveQuery(DateRange):
    """DAU, WAU, MAU and stickiness per day of the range (docs/metrics.md "Active users").

    Active means any ``track``/``page``/``screen`` call, or ``event`` when given; ``account``
    keeps the events of one account (its external id); ``by=account`` counts active accounts.
    """

    kind: Literal["active"] = "active"
    event: FunnelStep | None = None
    by: By = By.USER
    account: str | None = Field(default=None, min_length=1, max_length=200)


class PathsQuery(DateRange):
    """Top paths after the first ``start`` event, or before the last ``end`` event, per entity.

    Sequences hold the entity's named events inside the range, ordered by time and then name;
    ``collapse_repeats`` merges runs of the same event. Each level keeps its ``top`` most
    frequent events and folds the rest into ``$other``.
    """

    kind: Literal["paths"] = "paths"
    start: str | None = Field(default=None, min_length=1, max_length=200)
    end: str | None = Field(default=None, min_length=1, max_length=200)
    depth: int = Field(default=4, ge=2, le=6)
    top: int = Field(default=5, ge=1, le=50)
    collapse_repeats: bool = True
    by: By = By.USER

    @model_validator(mode="after")
    def _one_anchor(self) -> PathsQuery:
        if (self.start is None) == (self.end is None):
            raise ValueError("give exactly one of 'start' and 'end'")
        return self


class FunnelStepResult(_Strict):
    event: str
    count: int
    conversion: float | None


class FunnelBreakdownRow(_Strict):
    value: str
    steps: list[FunnelStepResult]


class FunnelBucket(_Strict):
    """Entities whose first step-1 event falls in the period starting ``date``."""

    date: date
    entered: int
    converted: int
    conversion: float | None


class HistogramBucket(_Strict):
    """Conversions taking at least ``min_seconds`` and less than ``max_seconds`` (None: open)."""

    min_seconds: int
    max_seconds: int | None
    count: int


class StepTiming(_Strict):
    """Time from step 1 to this step of the attempt that counts, over entities reaching it."""

    step: int
    event: str
    entities: int
    median_seconds: float | None
    p90_seconds: float | None
    mean_seconds: float | None
    histogram: list[HistogramBucket]


class FunnelResult(_Strict):
    by: By
    window_seconds: int
    first_attempt: bool
    steps: list[FunnelStepResult]
    breakdown: list[FunnelBreakdownRow] | None = None
    over_time: list[FunnelBucket] | None = None
    time_to_convert: list[StepTiming] | None = None


class DroppedResult(_Strict):
    by: By
    step: int
    event: str
    entities: list[str]
    truncated: bool


class Cohort(_Strict):
    cohort: date
    size: int
    retained: list[int]


class RetentionBreakdownRow(_Strict):
    value: str
    cohorts: list[Cohort]


class RetentionResult(_Strict):
    period: Period
    by: By
    bounded: bool
    cohorts: list[Cohort]
    breakdown: list[RetentionBreakdownRow] | None = None


class TrendPoint(_Strict):
    date: date
    count: int
    users: int
    accounts: int


class TrendsBreakdownRow(_Strict):
    value: str
    series: list[TrendPoint]


class TrendsResult(_Strict):
    interval: Period
    series: list[TrendPoint]
    breakdown: list[TrendsBreakdownRow] | None = None


class ActivePoint(_Strict):
    """Entities active that day, in the 7 and the 30 days ending that day, and DAU ÷ MAU."""

    date: date
    dau: int
    wau: int
    mau: int
    stickiness: float | None


class ActiveResult(_Strict):
    by: By
    series: list[ActivePoint]
    average_dau: float
    average_wau: float
    average_mau: float
    stickiness: float | None


class PathNode(_Strict):
    level: int
    event: str
    count: int


class PathLink(_Strict):
    level: int
    source: str
    target: str
    count: int


class PathsResult(_Strict):
    """Level 1 is the anchor; "before" paths count levels backwards from the end event."""

    direction: Literal["after", "before"]
    event: str
    by: By
    entities: int
    nodes: list[PathNode]
    links: list[PathLink]
