"""One validation definition for subscription and spend input: CSV rows and API bodies."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

EVENT_WORDS = {
    "start": "start",
    "new": "start",
    "begin": "start",
    "开始": "start",
    "新签": "start",
    "change": "change",
    "update": "change",
    "upgrade": "change",
    "downgrade": "change",
    "expansion": "change",
    "contraction": "change",
    "变更": "change",
    "升级": "change",
    "降级": "change",
    "cancel": "cancel",
    "cancellation": "cancel",
    "end": "cancel",
    "churn": "cancel",
    "取消": "cancel",
    "流失": "cancel",
    "终止": "cancel",
    "reactivate": "reactivate",
    "reactivation": "reactivate",
    "restart": "reactivate",
    "resume": "reactivate",
    "恢复": "reactivate",
    "重新激活": "reactivate",
}
INTERVAL_WORDS = {
    "month": 1,
    "monthly": 1,
    "月": 1,
    "月付": 1,
    "按月": 1,
    "quarter": 3,
    "quarterly": 3,
    "季": 3,
    "季付": 3,
    "按季": 3,
    "half-year": 6,
    "semiannual": 6,
    "semi-annual": 6,
    "半年": 6,
    "year": 12,
    "yearly": 12,
    "annual": 12,
    "annually": 12,
    "年": 12,
    "年付": 12,
    "按年": 12,
}
FIRST_YEAR, LAST_YEAR = 1900, 2200
_MULTI = re.compile(r"^(\d+)\s*(m|mo|month|months|个月|y|yr|year|years|年)$")


def blank_to_none(value: Any) -> Any:
    if isinstance(value, str):
        if "\x00" in value:
            # PostgreSQL cannot store NUL characters in text; refuse them on every engine.
            raise ValueError("text cannot contain NUL characters")
        value = value.strip()
        return value or None
    return value


def parse_day(value: Any) -> Any:
    """ISO dates, ``YYYY/MM/DD``, or a date-time whose date part is taken."""
    value = blank_to_none(value)
    if not isinstance(value, str):
        return value
    text = value.replace("/", "-").replace(".", "-")
    match = re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$", text)
    if not match:
        raise ValueError("expected a date like 2024-01-31")
    try:
        day = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise ValueError("not a calendar date") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(f"dates run from {FIRST_YEAR} to {LAST_YEAR}")
    return day


def parse_decimal(value: Any) -> Any:
    value = blank_to_none(value)
    if isinstance(value, float):
        return Decimal(str(value))
    if not isinstance(value, str):
        return value
    cleaned = value.replace(",", "").replace("¥", "").replace("$", "").replace("￥", "").strip()
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError("expected a number") from None
    if not number.is_finite():
        raise ValueError("expected a finite number")
    return number


def parse_count(value: Any) -> Any:
    value = blank_to_none(value)
    if isinstance(value, str):
        cleaned = value.replace(",", "").replace("_", "")
        if re.fullmatch(r"\d+(\.0+)?", cleaned):
            return int(Decimal(cleaned))
        raise ValueError("expected a whole number ≥ 0")
    return value


def parse_event(value: Any) -> Any:
    value = blank_to_none(value)
    if value is None:
        return None
    found = EVENT_WORDS.get(str(value).strip().lower())
    if found is None:
        raise ValueError("expected one of start, change, cancel, reactivate")
    return found


def parse_interval(value: Any) -> Any:
    """Billing interval in months: month, quarter, year, ``24``, ``2 years``, ``18m``."""
    value = blank_to_none(value)
    if value is None or isinstance(value, int):
        return value
    text = str(value).strip().lower()
    if text in INTERVAL_WORDS:
        return INTERVAL_WORDS[text]
    if re.fullmatch(r"\d+", text):
        return int(text)
    match = _MULTI.match(text)
    if match:
        n = int(match[1])
        return n if match[2] in {"m", "mo", "month", "months", "个月"} else 12 * n
    raise ValueError("expected month, quarter, year or a number of months (24, 2 years)")


def parse_discount(value: Any) -> Any:
    """A share (``0.2``) or a percentage (``20%``)."""
    value = blank_to_none(value)
    if isinstance(value, str) and value.endswith("%"):
        number = parse_decimal(value[:-1])
        return number / 100
    number = parse_decimal(value)
    if isinstance(number, Decimal) and number > 1:
        raise ValueError("a discount is a share (0.2) or a percentage (20%)")
    return number


def parse_currency(value: Any) -> Any:
    value = blank_to_none(value)
    if value is None:
        return None
    text = str(value).strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", text):
        raise ValueError("expected a three-letter currency code (CNY, USD)")
    return text


def parse_month(value: Any) -> Any:
    """``YYYY-MM`` (or any date in the month) → the first day of the month."""
    value = blank_to_none(value)
    if isinstance(value, date):
        return value.replace(day=1)
    if not isinstance(value, str):
        return value
    match = re.match(r"^(\d{4})[-/.](\d{1,2})(?:[-/.]\d{1,2})?$", value.strip())
    if not match or not 1 <= int(match[2]) <= 12:
        raise ValueError("expected a month like 2024-01")
    return date(int(match[1]), int(match[2]), 1)


OptStr = Annotated[str | None, BeforeValidator(blank_to_none)]
Day = Annotated[date, BeforeValidator(parse_day)]
OptDay = Annotated[date | None, BeforeValidator(parse_day)]
OptCount = Annotated[Annotated[int, Field(ge=0)] | None, BeforeValidator(parse_count)]
Price = Annotated[
    Annotated[Decimal, Field(ge=0, max_digits=16)] | None, BeforeValidator(parse_decimal)
]
Rate = Annotated[
    Annotated[Decimal, Field(gt=0, max_digits=18)] | None, BeforeValidator(parse_decimal)
]
Interval = Annotated[Annotated[int, Field(ge=1, le=120)] | None, BeforeValidator(parse_interval)]
Discount = Annotated[Annotated[Decimal, Field(ge=0, le=1)] | None, BeforeValidator(parse_discount)]
Currency = Annotated[str | None, BeforeValidator(parse_currency)]
Event = Annotated[str | None, BeforeValidator(parse_event)]


class SubscriptionRow(BaseModel):
    """One dated record of a subscription's history, as a CSV row or an API body.

    ``event`` defaults to ``start``; ``end_date`` on a start, change or reactivate row adds a
    cancellation on that date. Empty fields keep their earlier value.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    subscription_id: Annotated[str, BeforeValidator(blank_to_none)] = Field(..., max_length=120)
    account_external_id: OptStr = Field(None, max_length=120)
    date: Day
    event: Event = None
    end_date: OptDay = None
    plan: OptStr = Field(None, max_length=120, description="plan external id")
    plan_name: OptStr = Field(None, max_length=200)
    quantity: OptCount = None
    unit_price: Price = Field(None, description="price per unit per billing interval")
    currency: Currency = None
    fx_rate: Rate = Field(None, description="workspace currency per 1 unit of `currency`")
    interval: Interval = Field(None, description="billing interval in months")
    discount: Discount = Field(None, description="recurring discount, 0.2 = 20 % off")
    discount_end: OptDay = None


class SpendRow(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    channel: Annotated[str, BeforeValidator(blank_to_none)] = Field(..., max_length=80)
    month: Annotated[date, BeforeValidator(parse_month)]
    amount: Annotated[Decimal, BeforeValidator(parse_decimal), Field(ge=0, max_digits=16)]
    currency: Currency = None
    fx_rate: Rate = None


SUBSCRIPTION_FIELDS = tuple(SubscriptionRow.model_fields)
SPEND_FIELDS = tuple(SpendRow.model_fields)


def stripe_datetime(value: str) -> datetime | None:
    """``YYYY-MM-DD HH:MM`` (seconds optional), UTC, as in Stripe's dashboard exports."""
    value = value.strip()
    if not value:
        return None
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    raise ValueError("expected a UTC time like 2024-01-31 09:30")
