"""The generated SQL, kept in ``snapshots/``: a change to a builder shows up in review.

Refresh with ``TOBLOOP_UPDATE_SNAPSHOTS=1 pytest …/test_sql_snapshots.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest

from tobloop.analytics.insights.dialect import Dialect
from tobloop.analytics.insights.funnel_builder import BuiltQuery, build_funnel
from tobloop.analytics.insights.models import FunnelQuery, PathsQuery, RetentionQuery, TrendsQuery
from tobloop.analytics.insights.paths_builder import build_paths
from tobloop.analytics.insights.retention_builder import build_retention
from tobloop.analytics.insights.trends_builder import build_trends

SNAPSHOTS = Path(__file__).parent / "snapshots"
FUNNEL = FunnelQuery.model_validate(
    {
        "steps": [
            "signup",
            {"event": "invite", "filters": [{"key": "role", "value": "admin"}]},
            {"event": "signup", "filters": [{"key": "seats", "op": "gte", "value": 5}]},
        ],
        "from": "2026-03-01",
        "to": "2026-03-31",
        "timezone": "Asia/Shanghai",
        "window": "7d",
        "by": "account",
        "first_attempt": True,
    }
)
RETENTION = RetentionQuery.model_validate(
    {
        "start": "signup",
        "return": {"event": "login", "filters": [{"key": "plan", "op": "is_set"}]},
        "from": "2026-03-01",
        "to": "2026-03-31",
        "timezone": "Asia/Shanghai",
        "period": "week",
        "periods": 4,
        "bounded": False,
    }
)
TRENDS = TrendsQuery.model_validate(
    {
        "event": {"event": "login", "filters": [{"key": "plan", "op": "neq", "value": "free"}]},
        "from": "2026-03-01",
        "to": "2026-03-31",
        "timezone": "Asia/Shanghai",
        "interval": "week",
    }
)
PATHS = PathsQuery.model_validate(
    {"end": "purchase", "from": "2026-03-01", "to": "2026-03-31", "depth": 4, "by": "account"}
)


def render(b: BuiltQuery) -> str:
    return (
        b.sql
        + "\n-- params: "
        + orjson.dumps(b.params, option=orjson.OPT_SORT_KEYS).decode()
        + "\n"
    )


CASES = {
    "funnel": lambda d: build_funnel(FUNNEL, dialect=d, workspace_id=7),
    "retention": lambda d: build_retention(RETENTION, dialect=d, workspace_id=7),
    "trends": lambda d: build_trends(TRENDS, dialect=d, workspace_id=7),
    "paths": lambda d: build_paths(PATHS, dialect=d, workspace_id=7),
}


@pytest.mark.parametrize("kind", list(CASES))
@pytest.mark.parametrize("dialect", list(Dialect))
def test_generated_sql_matches_snapshot(kind: str, dialect: Dialect) -> None:
    text = render(CASES[kind](dialect))
    path = SNAPSHOTS / f"{kind}.{dialect.value}.sql"
    if os.environ.get("TOBLOOP_UPDATE_SNAPSHOTS") == "1" or not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")
