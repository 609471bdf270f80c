"""Turning any churn table (a decoded CSV) into features, 0/1 labels and optional periods.

A file may hold an id column, numeric and text columns, blanks, and labels written as 0/1,
true/false or yes/no. Anything else in the label column is refused with the row it is on,
so a user can fix the file instead of trusting a model fitted on guesses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from tobloop.kernel.errors import ErrorDetail, InvalidInput
from tobloop.kernel.lazy import LazyModule

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped]
else:
    pd = LazyModule("pandas")

POSITIVE = frozenset({"1", "1.0", "true", "yes"})
NEGATIVE = frozenset({"0", "0.0", "false", "no"})
# Text columns with more distinct values than this share of the rows look like names or ids:
# one-hot encoding them would only let a model memorise rows.
IDENTIFIER_SHARE = 0.9
MAX_REPORTED_ERRORS = 20


@dataclass(frozen=True)
class ChurnTable:
    """Features (blanks as NaN), labels, and for out-of-time validation the period of each row."""

    features: pd.DataFrame
    numeric: list[str]
    categorical: list[str]
    labels: npt.NDArray[np.int_]
    periods: list[str] | None
    period_keys: list[object] | None
    row_numbers: list[int]
    row_ids: list[str]
    ignored: list[str]

    @property
    def n(self) -> int:
        return len(self.labels)


def _column(header: list[str], name: str | None, option: str) -> int | None:
    if name is None:
        return None
    wanted = name.strip()
    if wanted not in header:
        raise InvalidInput(
            f"{option} {wanted!r} is not a column of the file; its columns are: "
            f"{', '.join(h for h in header if h)}",
            code="unknown_column",
            details=[ErrorDetail((option,), "not in the header")],
        )
    return header.index(wanted)


def parse_label(value: str) -> int | None:
    """1 for churned, 0 for retained, None for anything that is not a recognised label."""
    text = value.strip().lower()
    if text in POSITIVE:
        return 1
    if text in NEGATIVE:
        return 0
    return None


def _labels(rows: list[tuple[int, list[str]]], index: int, name: str) -> npt.NDArray[np.int_]:
    labels: list[int] = []
    bad: list[ErrorDetail] = []
    for number, line in rows:
        raw = line[index] if index < len(line) else ""
        label = parse_label(raw)
        if label is None:
            bad.append(
                ErrorDetail((number, name), f"{raw.strip()!r} is not 0/1, true/false or yes/no")
            )
        else:
            labels.append(label)
    if bad:
        first = bad[0]
        raise InvalidInput(
            f"row {first.loc[0]}: the label {name!r} is {first.msg}"
            + (f" ({len(bad)} rows in all)" if len(bad) > 1 else ""),
            code="invalid_label",
            details=bad[:MAX_REPORTED_ERRORS],
        )
    return np.asarray(labels, dtype=np.int_)


def _period_key(values: list[str]) -> list[object]:
    """Sortable keys for period values: numbers, then ISO dates/months, else plain text order."""
    try:
        return [float(v) for v in values]
    except ValueError:
        pass
    try:
        return [date.fromisoformat(v if len(v) != 7 else f"{v}-01") for v in values]
    except ValueError:
        return list(values)


def _periods(
    rows: list[tuple[int, list[str]]], index: int, name: str
) -> tuple[list[str], list[object]]:
    values = [(line[index] if index < len(line) else "").strip() for _, line in rows]
    blank = [
        ErrorDetail((number, name), "blank")
        for (number, _), v in zip(rows, values, strict=True)
        if not v
    ]
    if blank:
        raise InvalidInput(
            f"row {blank[0].loc[0]}: the time column {name!r} is blank; every row needs a period",
            code="invalid_time",
            details=blank[:MAX_REPORTED_ERRORS],
        )
    return values, _period_key(values)


def _feature_frame(
    header: list[str], rows: list[tuple[int, list[str]]], skip: set[int]
) -> tuple[pd.DataFrame, list[str], list[str], list[str]]:
    data: dict[str, pd.Series] = {}
    numeric: list[str] = []
    categorical: list[str] = []
    ignored: list[str] = []
    n = len(rows)
    for index, name in enumerate(header):
        if index in skip or not name:
            continue
        raw = pd.Series(
            [(line[index] if index < len(line) else "").strip() for _, line in rows], dtype=object
        )
        filled = raw[raw != ""]
        if filled.empty:
            ignored.append(name)
            continue
        as_number = pd.to_numeric(filled, errors="coerce")
        if not as_number.isna().any():
            data[name] = pd.to_numeric(raw.replace("", np.nan), errors="coerce").astype(float)
            numeric.append(name)
        elif n >= 20 and filled.nunique() > IDENTIFIER_SHARE * n:
            ignored.append(name)
        else:
            data[name] = raw.replace("", np.nan)
            categorical.append(name)
    return pd.DataFrame(data, index=range(n)), numeric, categorical, ignored


def churn_table(
    header: list[str],
    rows: list[tuple[int, list[str]]],
    *,
    label: str,
    time: str | None = None,
    id_column: str | None = None,
) -> ChurnTable:
    """Check the named columns, parse labels and periods, and type the feature columns."""
    label_index = _column(header, label, "--label")
    time_index = _column(header, time, "--time")
    id_index = _column(header, id_column, "--id")
    assert label_index is not None
    if not rows:
        raise InvalidInput("the file has a header but no data rows", code="no_rows")
    labels = _labels(rows, label_index, header[label_index])
    periods, keys = (None, None)
    if time_index is not None:
        periods, keys = _periods(rows, time_index, header[time_index])
    skip = {i for i in (label_index, time_index, id_index) if i is not None}
    frame, numeric, categorical, ignored = _feature_frame(header, rows, skip)
    if not numeric and not categorical:
        raise InvalidInput(
            "the file has no feature columns besides the label, time and id columns",
            code="no_features",
        )
    if id_index is not None:
        row_ids = [(line[id_index] if id_index < len(line) else "").strip() for _, line in rows]
    else:
        row_ids = [str(number) for number, _ in rows]
    return ChurnTable(
        features=frame,
        numeric=numeric,
        categorical=categorical,
        labels=labels,
        periods=periods,
        period_keys=keys,
        row_numbers=[number for number, _ in rows],
        row_ids=row_ids,
        ignored=ignored,
    )
