"""The health code (P-REQ-4): yes/no flags over account facts → red, yellow or green.

A rule asks one question of one *measure* ("is the decision maker unknown?", "is the custom
field ``plan`` equal to ``legacy``?"). Measures read a dict of facts per account; fact sources
fill that dict. Today the only source is the account profile (accounts module); later sources —
usage from analytics, MRR and renewals from revenue — register more measures and a loader in
``MEASURES`` / ``FACT_SOURCES`` without touching the rules or the verdict logic.

A fact that is unknown (blank, not a number where a number is needed) never raises a flag,
except through the ``is_blank`` question, so a missing import does not paint accounts red.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tobloop.success.contracts import HealthFlag

Facts = dict[str, Any]
Color = Literal["red", "yellow"]
Op = Literal[
    "is_true",
    "is_false",
    "eq",
    "ne",
    "in",
    "not_in",
    "lt",
    "lte",
    "gt",
    "gte",
    "is_blank",
    "not_blank",
]
VALUE_OPS = frozenset({"eq", "ne", "in", "not_in", "lt", "lte", "gt", "gte"})


@dataclass(frozen=True)
class Measure:
    """A fact a rule can ask about: where it comes from and how to read it for one account."""

    key: str
    label: str
    source: str
    read: Callable[[Facts, str | None], object]
    needs_field: bool = False


def _fact(name: str) -> Callable[[Facts, str | None], object]:
    return lambda facts, _field: facts.get(name)


def _custom_field(facts: Facts, field: str | None) -> object:
    return (facts.get("custom_fields") or {}).get(field or "")


MEASURES: dict[str, Measure] = {
    m.key: m
    for m in (
        Measure(
            "no_decision_maker", "no known decision maker", "accounts", _fact("no_decision_maker")
        ),
        Measure("no_contacts", "no contacts known", "accounts", _fact("no_contacts")),
        Measure("lifecycle_stage", "lifecycle stage", "accounts", _fact("lifecycle_stage")),
        Measure("segment", "segment", "accounts", _fact("segment")),
        Measure("service_tier", "service tier", "accounts", _fact("service_tier")),
        Measure("headcount", "headcount", "accounts", _fact("headcount")),
        Measure("is_reference", "reference customer", "accounts", _fact("is_reference")),
        Measure("custom_field", "custom field", "accounts", _custom_field, needs_field=True),
    )
}


def account_facts(account: Any) -> Facts:
    """Facts from an ``AccountView`` of the accounts facade (P-PROFILE-2 risk flags included)."""
    flags = set(account.risk_flags)
    return {
        "no_decision_maker": "no_decision_maker" in flags,
        "no_contacts": "no_contacts" in flags,
        "lifecycle_stage": account.lifecycle_stage,
        "segment": account.segment,
        "service_tier": account.service_tier,
        "headcount": account.headcount,
        "is_reference": account.is_reference,
        "custom_fields": dict(account.custom_fields),
    }


# Loaders that add facts for a batch of accounts: (accounts) → {account id: facts}. The
# profile facts are always present; later modules append their own loaders here.
FACT_SOURCES: list[Callable[[Sequence[Any]], dict[int, Facts]]] = []


def check_storable(value: object) -> None:
    """Raise ValueError for text with NUL characters or numbers that are not finite."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("text cannot contain NUL characters")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("numbers must be finite")
    if isinstance(value, dict):
        for key, item in value.items():
            check_storable(key)
            check_storable(item)
    elif isinstance(value, list):
        for item in value:
            check_storable(item)


class HealthRuleIn(BaseModel):
    """One yes/no flag. ``value`` is needed by comparisons; ``field`` by ``custom_field``."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_\-]+$")
    color: Color
    measure: str
    op: Op = "is_true"
    value: Any = None
    field: str | None = Field(None, max_length=120)
    label: str = Field("", max_length=200)
    window_days: int | None = Field(None, ge=1, le=730)

    @field_validator("*", mode="before")
    @classmethod
    def _storable(cls, value: object) -> object:
        # PostgreSQL jsonb refuses NUL characters and non-finite numbers: refuse them everywhere.
        check_storable(value)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> HealthRuleIn:
        from tobloop.success.logic.measures import REGISTRY

        measure = MEASURES.get(self.measure)
        if measure is None and self.measure not in REGISTRY:
            known = ", ".join([*MEASURES, *sorted(REGISTRY)])
            raise ValueError(f"unknown measure {self.measure!r}; known: {known}")
        if measure is None and REGISTRY[self.measure].needs_events:
            raise ValueError(f"the measure {self.measure!r} is for weighted profiles only")
        if measure is not None and measure.needs_field and not self.field:
            raise ValueError(f"the measure {self.measure!r} needs a field")
        if self.op in VALUE_OPS and self.value is None:
            raise ValueError(f"the question {self.op!r} needs a value")
        if self.op in {"in", "not_in"} and not isinstance(self.value, list):
            raise ValueError(f"the question {self.op!r} needs a list of values")
        if not self.label:
            self.label = describe(self)
        return self


def describe(rule: HealthRuleIn) -> str:
    """A plain sentence for a rule that was given no label."""
    what = measure_label(rule.measure)
    if rule.field:
        what = f"{what} {rule.field}"
    words = {
        "is_true": what,
        "is_false": f"not {what}",
        "eq": f"{what} is {rule.value}",
        "ne": f"{what} is not {rule.value}",
        "in": f"{what} is one of {rule.value}",
        "not_in": f"{what} is none of {rule.value}",
        "lt": f"{what} below {rule.value}",
        "lte": f"{what} at most {rule.value}",
        "gt": f"{what} above {rule.value}",
        "gte": f"{what} at least {rule.value}",
        "is_blank": f"{what} is blank",
        "not_blank": f"{what} is filled in",
    }
    return words[rule.op]


def measure_label(key: str) -> str:
    from tobloop.success.logic.measures import REGISTRY

    return MEASURES[key].label if key in MEASURES else REGISTRY[key].label


def fact_key(rule: HealthRuleIn) -> str:
    """Where a rule's value sits in the facts: profile facts by name, registry measures with
    their window (``days_since_last_activity:0``, ``active_users:30``)."""
    if rule.measure in MEASURES:
        return rule.measure
    from tobloop.success.logic.measures import REGISTRY

    return f"{rule.measure}:{rule.window_days or REGISTRY[rule.measure].default_window}"


def _number(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | Decimal):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def _same(a: object, b: object) -> bool:
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None:
        return na == nb
    return str(a).strip().lower() == str(b).strip().lower()


def fires(rule: HealthRuleIn, facts: Facts) -> bool:
    """Whether the rule's answer is "yes" for these facts; unknown facts answer "no"."""
    if rule.measure in MEASURES:
        value = MEASURES[rule.measure].read(facts, rule.field)
    else:
        value = facts.get(fact_key(rule))
    blank = value is None or (isinstance(value, str) and not value.strip())
    if rule.op == "is_blank":
        return blank
    if rule.op == "not_blank":
        return not blank
    if blank:
        return False
    if rule.op in {"is_true", "is_false"}:
        truth = (
            value if isinstance(value, bool) else str(value).strip().lower() in {"1", "true", "yes"}
        )
        return truth if rule.op == "is_true" else not truth
    if rule.op in {"eq", "ne"}:
        return _same(value, rule.value) == (rule.op == "eq")
    if rule.op in {"in", "not_in"}:
        found = any(_same(value, v) for v in rule.value)
        return found == (rule.op == "in")
    left, right = _number(value), _number(rule.value)
    if left is None or right is None:
        return False
    return {"lt": left < right, "lte": left <= right, "gt": left > right, "gte": left >= right}[
        rule.op
    ]


@dataclass(frozen=True)
class CodeVerdict:
    color: str
    flags: list[HealthFlag]
    reason: str


def health_code(rules: Sequence[HealthRuleIn], facts: Facts) -> CodeVerdict:
    """P-REQ-4: any red flag → red; else any yellow flag → yellow; else green."""
    fired = [HealthFlag(rule=r.id, color=r.color, label=r.label) for r in rules if fires(r, facts)]
    red = [f for f in fired if f.color == "red"]
    yellow = [f for f in fired if f.color == "yellow"]
    if red:
        return CodeVerdict("red", fired, "Red: " + "; ".join(f.label for f in red) + ".")
    if yellow:
        return CodeVerdict("yellow", fired, "Yellow: " + "; ".join(f.label for f in yellow) + ".")
    return CodeVerdict("green", [], "Green: no red or yellow flag applies.")
