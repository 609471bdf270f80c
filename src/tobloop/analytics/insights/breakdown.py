"""The breakdown value of an event, in SQL, and the top-N folding of breakdown rows.

* ``event_property``: the event's own property (``scalar_text`` of ``properties``).
* ``user_trait``: the current trait of the event's user: the value in the latest ``identify``
  call of that ``distinct_id`` that sets the trait (any time; on a tie the greatest text).
* ``account_field``: the field of the account the event carries (``account_id``, the account's
  external id), from the accounts module: a JSON object ``{external id: value}`` the caller
  reads and passes as one bind parameter, so no account data is spliced into the SQL either.

Every value travels as a bind parameter; the account field name is checked against
``models.ACCOUNT_FIELDS`` before it gets here and only selects which values the caller reads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import orjson

from tobloop.analytics.insights.dialect import Dialect, Params, json_key, scalar_text
from tobloop.analytics.insights.models import (
    NONE_VALUE,
    OTHER,
    Breakdown,
    BreakdownKind,
)


@dataclass(frozen=True)
class BreakdownSql:
    ctes: str  # extra common table expressions, each followed by ",\n" (or "")
    join: str  # joins to append after ``FROM <events table>`` (or "")
    value: str  # the text value of the row's event, or NULL


NO_BREAKDOWN = BreakdownSql(ctes="", join="", value="NULL")


def breakdown_sql(
    d: Dialect,
    bd: Breakdown | None,
    p: Params,
    *,
    table: str,
    workspace: str,
    account_values: dict[str, str] | None = None,
) -> BreakdownSql:
    """SQL pieces that give each row of ``table`` its breakdown value."""
    if bd is None:
        return NO_BREAKDOWN
    if bd.kind is BreakdownKind.EVENT_PROPERTY:
        return BreakdownSql(
            ctes="", join="", value=scalar_text(d, "properties", json_key(d, bd.key, p))
        )
    if bd.kind is BreakdownKind.USER_TRAIT:
        trait = scalar_text(d, "traits", json_key(d, bd.key, p))
        latest = (
            "arg_max(bt_v, (bt_t, bt_v))" if d is Dialect.DUCKDB else "argMax(bt_v, (bt_t, bt_v))"
        )
        ctes = f"""bt AS (
    SELECT bt_uid, {latest} AS bt_value FROM (
        SELECT distinct_id AS bt_uid, timestamp AS bt_t, {trait} AS bt_v FROM {table}
        WHERE workspace_id = {workspace} AND type = 'identify' AND distinct_id != '') AS traits
    WHERE bt_v IS NOT NULL
    GROUP BY bt_uid
),
"""
        return BreakdownSql(
            ctes=ctes, join=" LEFT JOIN bt ON bt.bt_uid = distinct_id", value="bt.bt_value"
        )
    mapping = p.add(
        orjson.dumps({k: v for k, v in (account_values or {}).items() if v}).decode(), "String"
    )
    if d is Dialect.DUCKDB:
        pairs = f"SELECT key AS ba_key, value ->> '$' AS ba_value FROM json_each({mapping})"
    else:
        pairs = (
            "SELECT tupleElement(kv, 1) AS ba_key, tupleElement(kv, 2) AS ba_value FROM "
            f"(SELECT arrayJoin(JSONExtractKeysAndValues({mapping}, 'String')) AS kv) AS pairs"
        )
    ctes = f"ba AS (\n    {pairs}\n),\n"
    value = "ba.ba_value" if d is Dialect.DUCKDB else "nullIf(ba.ba_value, '')"
    return BreakdownSql(ctes=ctes, join=" LEFT JOIN ba ON ba.ba_key = account_id", value=value)


def label(value: object) -> str:
    """The value a result row shows: the text, or ``$none``."""
    return NONE_VALUE if value is None or value == "" else str(value)


R = TypeVar("R")


def fold_top(
    groups: dict[str, R],
    *,
    top: int,
    size: Callable[[R], int],
    merge: Callable[[Sequence[R]], R],
) -> list[tuple[str, R]]:
    """The ``top`` groups by size (then text), then ``$other`` merging the rest, if any."""
    ranked = sorted(groups.items(), key=lambda kv: (-size(kv[1]), kv[0]))
    kept, rest = ranked[:top], [g for _, g in ranked[top:]]
    return kept + ([(OTHER, merge(rest))] if rest else [])
