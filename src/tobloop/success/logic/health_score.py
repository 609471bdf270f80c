"""The weighted health score: measures → points by bands → a 0–100 score → a colour.

Each measure of a profile has a look-back window (days), a direction and point bands:

- ``higher_better``: the measure earns the points of the band with the highest threshold the
  value reaches (value ≥ threshold);
- ``lower_better``: the points of the band with the lowest threshold the value stays within
  (value ≤ threshold);
- a value no band accepts earns 0 points.

The weights total 100. **No data**: a measure without a value for the account (no events
ever, no paying subscription, …) is left out and its weight is shared among the others in
proportion to their weights, so score = Σ weight × points ÷ Σ weight, over measures with data.
The verdict shows each measure's value, points and effective weight, and the share of the
weight that had data. With no data at all there is no score and the colour is yellow.
Colour: green from ``green_min`` (default 70), yellow from ``yellow_min`` (default 40), else red.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tobloop.success.logic.measures import REGISTRY, Direction

GREEN_MIN, YELLOW_MIN = 70.0, 40.0


class BandIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    threshold: float = Field(allow_inf_nan=False)
    points: int = Field(ge=0, le=100)


class ScoreMeasureIn(BaseModel):
    """One measure of a weighted profile."""

    model_config = ConfigDict(extra="forbid")

    measure: str
    window_days: int | None = Field(None, ge=1, le=730)
    direction: Direction | None = None
    bands: list[BandIn] = Field(min_length=1, max_length=20)
    weight: int = Field(ge=1, le=100)
    events: list[str] = Field(default_factory=list, max_length=50)
    label: str = Field("", max_length=200)

    @field_validator("measure")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in REGISTRY:
            raise ValueError(f"unknown measure {value!r}; known: {', '.join(sorted(REGISTRY))}")
        return value

    @field_validator("events")
    @classmethod
    def _names(cls, events: list[str]) -> list[str]:
        for e in events:
            if not e.strip() or len(e) > 200 or "\x00" in e:
                raise ValueError("key event names are 1 to 200 characters")
        return events

    @model_validator(mode="after")
    def _complete(self) -> ScoreMeasureIn:
        spec = REGISTRY[self.measure]
        if spec.needs_events and not self.events:
            raise ValueError(f"the measure {self.measure!r} needs a list of key events")
        thresholds = [b.threshold for b in self.bands]
        if len(thresholds) != len(set(thresholds)):
            raise ValueError("band thresholds must differ")
        if self.direction is None:
            self.direction = spec.direction
        if self.window_days is None and spec.default_window:
            self.window_days = spec.default_window
        if not self.label:
            self.label = spec.label
        return self


class ColorBandsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    green_min: float = Field(GREEN_MIN, ge=0, le=100, allow_inf_nan=False)
    yellow_min: float = Field(YELLOW_MIN, ge=0, le=100, allow_inf_nan=False)

    @model_validator(mode="after")
    def _ordered(self) -> ColorBandsIn:
        if self.yellow_min > self.green_min:
            raise ValueError("yellow_min must not be above green_min")
        return self


def check_weights(measures: Sequence[ScoreMeasureIn]) -> None:
    total = sum(m.weight for m in measures)
    if total != 100:
        raise ValueError(f"the measures' weights total {total}; they must total 100")


def points_for(value: float, direction: str, bands: Sequence[BandIn]) -> int:
    """The points a value earns (see the module docstring)."""
    if direction == "higher_better":
        reached = [b for b in bands if value >= b.threshold]
        return max(reached, key=lambda b: b.threshold).points if reached else 0
    within = [b for b in bands if value <= b.threshold]
    return min(within, key=lambda b: b.threshold).points if within else 0


@dataclass(frozen=True)
class MeasureResult:
    key: str
    label: str
    source: str
    unit: str
    window_days: int | None
    value: float | None
    points: int | None
    weight: int
    effective_weight: float
    contribution: float  # points × effective weight ÷ 100: what it adds to the score

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class ScoreVerdict:
    score: float | None
    color: Literal["red", "yellow", "green"]
    measures: list[MeasureResult]
    coverage: float  # share of the weight that had data
    reason: str


def measure_id(m: ScoreMeasureIn) -> str:
    """Identifies a configured measure inside a profile (a measure may appear twice)."""
    return f"{m.measure}:{m.window_days or 0}"


def weighted_score(
    measures: Sequence[ScoreMeasureIn], values: dict[str, float | None], bands: ColorBandsIn
) -> ScoreVerdict:
    """Score one account from its measure values (keyed by :func:`measure_id`)."""
    with_data = sum(m.weight for m in measures if values.get(measure_id(m)) is not None)
    results = []
    total = 0.0
    for m in measures:
        spec = REGISTRY[m.measure]
        value = values.get(measure_id(m))
        points = None if value is None else points_for(value, str(m.direction), m.bands)
        eff = 0.0 if value is None or not with_data else m.weight * 100 / with_data
        part = 0.0 if points is None else points * eff / 100
        total += part
        results.append(
            MeasureResult(
                key=m.measure, label=m.label, source=spec.source, unit=spec.unit,
                window_days=m.window_days, value=None if value is None else round(value, 4),
                points=points, weight=m.weight, effective_weight=round(eff, 2),
                contribution=round(part, 2),
            )
        )  # fmt: skip
    if not with_data:
        return ScoreVerdict(None, "yellow", results, 0.0, "Yellow: no measure has data yet.")
    score = round(total, 1)
    color: Literal["red", "yellow", "green"] = (
        "green" if score >= bands.green_min else "yellow" if score >= bands.yellow_min else "red"
    )
    return ScoreVerdict(score, color, results, with_data / 100, _reason(score, color, results))


def describe_value(r: MeasureResult | dict[str, Any]) -> str:
    d = r if isinstance(r, dict) else r.as_json()
    value, unit = d["value"], d["unit"]
    if value is None:
        return "no data"
    if unit == "yes/no":
        return "yes" if value else "no"
    if unit in {"ratio", "share"}:
        return f"{value * 100:+.0f}%" if unit == "ratio" else f"{value * 100:.0f}%"
    if unit == "days":
        return f"{value:g} days"
    return f"{value:g}"


def _reason(score: float, color: str, results: list[MeasureResult]) -> str:
    lost = sorted(
        (r for r in results if r.points is not None and r.points < 100),
        key=lambda r: -(100 - (r.points or 0)) * r.effective_weight,
    )[:2]
    head = f"{color.capitalize()}: score {score:g} of 100"
    if not lost:
        return head + "."
    words = "; ".join(f"{r.label} {describe_value(r)} ({r.points}/100 points)" for r in lost)
    missing = [r.label for r in results if r.value is None]
    tail = f"; no data: {', '.join(missing)}" if missing else ""
    return f"{head} — weakest: {words}{tail}."
