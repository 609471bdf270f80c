from __future__ import annotations

import pytest
from pydantic import ValidationError

from tobloop.analytics.insights.models import FunnelQuery, RetentionQuery, parse_window

BASE = {"steps": ["signup", "invite"], "from": "2026-03-01", "to": "2026-03-31"}


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("30m", 1800),
        ("1h", 3600),
        ("7d", 604800),
        ("600", 600),
        (86400, 86400),
        (" 2h ", 7200),
        ("90d", 7776000),
    ],
)
def test_window_forms(text: str | int, seconds: int) -> None:
    assert parse_window(text) == seconds


@pytest.mark.parametrize("text", ["", "7w", "1.5h", "-1h", "0", "91d", "h", True, None, 1.5])
def test_bad_windows_are_refused_with_a_clear_message(text: object) -> None:
    with pytest.raises(ValidationError) as exc:
        FunnelQuery.model_validate({**BASE, "window": text})
    assert "window" in str(exc.value)


def test_funnel_defaults_and_step_shorthand() -> None:
    q = FunnelQuery.model_validate(BASE)
    assert (q.window, q.by.value, q.first_attempt, q.timezone) == (604800, "user", False, "UTC")
    assert [s.event for s in q.steps] == ["signup", "invite"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"steps": ["only"]}, "at least 2"),
        ({"steps": [f"s{i}" for i in range(11)]}, "at most 10"),
        ({"to": "2026-02-01"}, "'to' is before 'from'"),
        ({"timezone": "Mars/Base"}, "unknown time zone"),
        ({"by": "team"}, "'user' or 'account'"),
        (
            {"steps": ["a", {"event": "b", "filters": [{"key": "n", "op": "gt", "value": "x"}]}]},
            "compares numbers",
        ),
        (
            {"steps": ["a", {"event": "b", "filters": [{"key": "n", "op": "is_set", "value": 1}]}]},
            "takes no value",
        ),
        ({"steps": ["a", {"event": "b", "filters": [{"key": "n", "op": "eq"}]}]}, "needs a value"),
        ({"steps": ["a", ""]}, "at least 1 character"),
        ({"unknown": 1}, "Extra inputs"),
        ({"from": "0001-01-01", "to": "0001-01-02"}, "dates must lie between"),
        ({"from": "9999-12-30", "to": "9999-12-31"}, "dates must lie between"),
    ],
)
def test_funnel_validation_errors(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        FunnelQuery.model_validate({**BASE, **change})


def test_retention_accepts_return_alias_and_any_event() -> None:
    q = RetentionQuery.model_validate(
        {
            "start": "signup",
            "return": "login",
            "from": "2026-03-01",
            "to": "2026-03-31",
            "period": "month",
            "periods": 3,
        }
    )
    assert q.return_event is not None and q.return_event.event == "login"
    anyq = RetentionQuery.model_validate(
        {"start": "signup", "from": "2026-03-01", "to": "2026-03-31"}
    )
    assert (anyq.return_event, anyq.period.value, anyq.periods, anyq.bounded) == (
        None,
        "week",
        8,
        True,
    )


@pytest.mark.parametrize("periods", [0, 121, "x"])
def test_retention_period_count_is_bounded(periods: object) -> None:
    with pytest.raises(ValidationError):
        RetentionQuery.model_validate(
            {"start": "a", "from": "2026-03-01", "to": "2026-03-31", "periods": periods}
        )
