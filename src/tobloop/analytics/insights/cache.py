"""Query results cached per workspace and query, dropped when the events they read change.

A result is stored under the workspace and the normalized query (its JSON, with the time zone
resolved, plus the account field values a breakdown read) together with the *stamp* of the
events the query reads: ``(count, latest received_at, events with an account, xor of their
dedupe keys)`` of the workspace's events in the query's time range. The store only ever adds
events (deduplicated), gives accounts to events that had none, or deletes a workspace, and
each of those changes the stamp of every range it touches; an event outside the range leaves
the stamp, and the cached answer, as they are. The stamp is one scan of four columns of the
range instead of the whole query, read from the same engine right before the query runs, so
a load landing in between can only make the next call recompute.

Ranges: funnels read ``from`` … ``to`` + window, trends and paths ``from`` … ``to``, active
users ``from`` − 29 days … ``to``; retention reads start events before ``from`` and returns after
``to``, and a user-trait breakdown reads identify calls of any time, so those are unbounded.
Entries live in Django's default cache for an hour at most.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import orjson
from django.core.cache import cache
from pydantic import BaseModel

from tobloop.analytics.insights.dialect import Dialect, Params, time_at_least, time_below
from tobloop.analytics.insights.models import (
    ActiveQuery,
    BreakdownKind,
    FunnelQuery,
    PathsQuery,
    RetentionQuery,
    TrendsQuery,
)
from tobloop.analytics.insights.periods import local_midnight_ms, range_ms
from tobloop.analytics.insights.runners import QueryEngine

TTL_SECONDS = 3600
VERSION = 1  # bump when result shapes or definitions change
R = TypeVar("R", bound=BaseModel)


def read_range(query: BaseModel) -> tuple[int | None, int | None]:
    """The epoch-ms range ``[start, end)`` of the events a query reads (None: unbounded)."""
    breakdown = getattr(query, "breakdown", None)
    if breakdown is not None and breakdown.kind is BreakdownKind.USER_TRAIT:
        return None, None
    if isinstance(query, RetentionQuery):
        return None, None
    if isinstance(query, FunnelQuery):
        lo, hi = range_ms(query)
        return lo, hi + query.window * 1000
    if isinstance(query, ActiveQuery):
        _, hi = range_ms(query)
        return local_midnight_ms(query.date_from - timedelta(days=29), query.timezone), hi
    if isinstance(query, TrendsQuery | PathsQuery):
        return range_ms(query)
    raise TypeError(f"no read range for {type(query).__name__}")


def stamp(engine: QueryEngine, workspace_id: int, span: tuple[int | None, int | None]) -> list[Any]:
    """``[events, latest received_at, events with an account, xor of the events' dedupe keys]``
    of the workspace in ``span`` (the xor tells two sets of as many events apart)."""
    d, p = engine.dialect, Params(engine.dialect)
    where = [f"workspace_id = {p.add(workspace_id, 'UInt64')}"]
    if span[0] is not None:
        where.append(time_at_least(d, p.add(span[0], "Int64")))
    if span[1] is not None:
        where.append(time_below(d, p.add(span[1], "Int64")))
    if d is Dialect.DUCKDB:
        measures = "count(*), max(epoch_ms(received_at)), count(account_id), bit_xor(dedupe_key)"
    else:
        measures = (
            "count(), max(toUnixTimestamp64Milli(received_at)), count(account_id), "
            "groupBitXor(dedupe_key)"
        )
    sql = f"SELECT {measures} FROM events WHERE {' AND '.join(where)}"
    return [None if v is None else int(v) for v in engine.rows(sql, p.values)[0]]


def cache_key(workspace_id: int, query: BaseModel, extra: Any = None) -> str:
    body = orjson.dumps(
        {
            "q": query.model_dump(mode="json", by_alias=True),
            "kind": type(query).__name__,
            "extra": extra,
        },
        option=orjson.OPT_SORT_KEYS,
    )
    return f"insights:{VERSION}:{workspace_id}:{hashlib.sha256(body).hexdigest()}"


def cached(
    engine: QueryEngine,
    workspace_id: int,
    query: BaseModel,
    model: type[R],
    compute: Callable[[], R],
    *,
    extra: Any = None,
) -> R:
    """The cached result when the events the query reads are unchanged, else ``compute()``."""
    key = cache_key(workspace_id, query, extra)
    now = stamp(engine, workspace_id, read_range(query))
    hit = cache.get(key)
    if hit is not None and hit[0] == now:
        return model.model_validate_json(hit[1])
    result = compute()
    cache.set(key, (now, result.model_dump_json(by_alias=True)), TTL_SECONDS)
    return result
