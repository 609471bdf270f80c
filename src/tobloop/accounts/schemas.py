"""One validation definition for account and contact input: API bodies, CSV rows, UI forms."""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from tobloop.accounts.models import DecisionRole, LifecycleStage, RevenueBand

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TRUE = {"1", "true", "t", "yes", "y", "on", "是", "有", "✓", "x"}
_FALSE = {"0", "false", "f", "no", "n", "off", "否", "无", "没有"}


# Stored integers are 32-bit signed in PostgreSQL and must fit there as in SQLite.
MAX_STORED_INT = 2_147_483_647


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str):
        if "\x00" in value:
            # PostgreSQL cannot store NUL characters in text; refuse them on every engine.
            raise ValueError("text cannot contain NUL characters")
        value = value.strip()
        return value or None
    return value


def _json_value(value: Any) -> Any:
    """Custom field values: JSON that PostgreSQL's jsonb accepts (no NUL, finite numbers)."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("text cannot contain NUL characters")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("numbers must be finite")
    if isinstance(value, dict):
        for key, item in value.items():
            _json_value(key)
            _json_value(item)
    elif isinstance(value, list):
        for item in value:
            _json_value(item)
    return value


def _to_bool(value: Any) -> Any:
    value = _blank_to_none(value)
    if isinstance(value, str):
        low = value.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError("expected yes/no, true/false, 1/0 or 是/否")
    return value


def _to_int(value: Any) -> Any:
    value = _blank_to_none(value)
    if isinstance(value, str):
        cleaned = value.replace(",", "").replace("_", "")
        if re.fullmatch(r"\d+(\.0+)?", cleaned):
            return int(Decimal(cleaned))
        raise ValueError("expected a whole number ≥ 0")
    return value


def _to_decimal(value: Any) -> Any:
    value = _blank_to_none(value)
    if isinstance(value, str):
        cleaned = value.replace(",", "").replace("¥", "").replace("$", "").strip()
        try:
            return Decimal(cleaned)
        except ArithmeticError:
            raise ValueError("expected a number") from None
    if isinstance(value, float):
        return Decimal(str(value))
    return value


def _non_negative(value: int | None) -> int | None:
    if value is not None and not 0 <= value <= MAX_STORED_INT:
        raise ValueError(f"expected a whole number from 0 to {MAX_STORED_INT:,}")
    return value


def _money_amount(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    if not value.is_finite() or value < 0 or value >= Decimal("1e12"):
        raise ValueError("expected an amount from 0 to 999,999,999,999.99")
    if value != value.quantize(Decimal("0.01")):
        raise ValueError("at most 2 decimal places")
    return value


def _choice(enum: type[Any]) -> Any:
    values = {str(v).lower(): v for v in enum.values}
    labels = {str(label).lower(): v for v, label in enum.choices}

    def parse(value: Any) -> Any:
        value = _blank_to_none(value)
        if value is None:
            return None
        key = str(value).strip().lower().replace(" ", "_")
        if key in values:
            return values[key]
        if str(value).strip().lower() in labels:
            return labels[str(value).strip().lower()]
        raise ValueError(f"expected one of {', '.join(enum.values)}")

    return parse


OptStr = Annotated[str | None, BeforeValidator(_blank_to_none)]
OptBool = Annotated[bool | None, BeforeValidator(_to_bool)]
# Constraints live in after-validators: pydantic's Field(ge=…) on an optional type raises a
# TypeError (not a validation error) for an explicit null.
OptInt = Annotated[int | None, BeforeValidator(_to_int), AfterValidator(_non_negative)]
# Same precision as the column (14 digits, 2 after the point) so what is stored is what was sent.
OptDecimal = Annotated[Decimal | None, BeforeValidator(_to_decimal), AfterValidator(_money_amount)]


class AccountPatch(BaseModel):
    """Every account field, all optional: what a PATCH or a CSV row may set."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    external_id: OptStr = Field(None, max_length=120)
    name: OptStr = Field(None, max_length=200)
    domain: OptStr = Field(None, max_length=200)
    industry: OptStr = Field(None, max_length=80)
    headcount: OptInt = None
    salary_level: OptDecimal = None
    region: OptStr = Field(None, max_length=80)
    revenue_band: Annotated[RevenueBand | None, BeforeValidator(_choice(RevenueBand))] = None
    has_it_department: OptBool = None
    lifecycle_stage: Annotated[LifecycleStage | None, BeforeValidator(_choice(LifecycleStage))] = (
        None
    )
    csm_owner: OptStr = Field(None, description="user name of a workspace member")
    acquisition_channel: OptStr = Field(None, max_length=80)
    is_reference: OptBool = None
    custom_fields: Annotated[dict[str, Any] | None, BeforeValidator(_json_value)] = None

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str | None) -> str:
        if value is None:
            raise ValueError("name cannot be blank")
        return value

    @field_validator("domain")
    @classmethod
    def _domain(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.lower().removeprefix("https://").removeprefix("http://").strip("/")
        value = value.removeprefix("www.")
        if not _DOMAIN.match(value):
            raise ValueError("not a domain name (like example.com)")
        return value


def _required_text(value: Any) -> Any:
    value = _blank_to_none(value)
    if value is None:
        raise ValueError("name cannot be blank")
    return value


RequiredName = Annotated[str, BeforeValidator(_required_text)]


class AccountCreate(AccountPatch):
    name: RequiredName = Field(..., max_length=200)


class ContactPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    external_id: OptStr = Field(None, max_length=120)
    account_id: int | None = None
    account_external_id: OptStr = None
    name: OptStr = Field(None, max_length=200)
    email: OptStr = Field(None, max_length=254)
    phone: OptStr = Field(None, max_length=40)
    title: OptStr = Field(None, max_length=120)
    role: Annotated[DecisionRole | None, BeforeValidator(_choice(DecisionRole))] = None
    is_primary: OptBool = None

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str | None) -> str:
        if value is None:
            raise ValueError("name cannot be blank")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not _EMAIL.match(value):
            raise ValueError("not an e-mail address")
        return value.lower()

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.fullmatch(r"[+0-9 ()\-]{3,40}", value):
            raise ValueError("a phone number has digits, spaces, +, - and brackets only")
        return value


class ContactCreate(ContactPatch):
    name: RequiredName = Field(..., max_length=200)


ACCOUNT_FIELDS = tuple(AccountPatch.model_fields)
CONTACT_FIELDS = tuple(ContactPatch.model_fields)
