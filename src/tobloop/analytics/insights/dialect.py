"""What differs between the DuckDB and the ClickHouse SQL: placeholders and a few functions.

Builders never splice a user's text into SQL: every value goes through :class:`Params`, which
answers a placeholder (``$p0`` for DuckDB, ``{p0:String}`` for ClickHouse). Column names are
the fixed ones of the ``events`` table (store/schema.py); table names are checked against
:data:`TABLE_NAME`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tobloop.analytics.insights.models import By, EventMatcher, FilterOp, PropertyFilter

TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
# Below any real epoch-ms value, and far enough from the Int64 limit that adding a window
# cannot overflow: "no chain reaches this level yet".
NONE_MS = -(2**62)


@dataclass(frozen=True)
class BuiltQuery:
    sql: str
    params: dict[str, Any]


class Dialect(StrEnum):
    DUCKDB = "duckdb"
    CLICKHOUSE = "clickhouse"


def checked_table(name: str) -> str:
    if not TABLE_NAME.match(name):
        raise ValueError(f"not a table name: {name!r}")
    return name


class Params:
    """Collects bind parameters; ``add`` returns the placeholder to put in the SQL text."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.values: dict[str, Any] = {}

    def add(self, value: Any, ch_type: str) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        if self.dialect is Dialect.DUCKDB:
            return f"${name}"
        return f"{{{name}:{ch_type}}}"


def ts_ms(d: Dialect) -> str:
    """The event time as epoch milliseconds (Int64)."""
    return "epoch_ms(timestamp)" if d is Dialect.DUCKDB else "toUnixTimestamp64Milli(timestamp)"


def time_at_least(d: Dialect, placeholder: str, column: str = "timestamp") -> str:
    """``timestamp >= `` an epoch-ms parameter, written so the engines can prune on it."""
    if d is Dialect.DUCKDB:
        return f"{column} >= epoch_ms({placeholder}::BIGINT)"
    return f"{column} >= fromUnixTimestamp64Milli({placeholder})"


def time_below(d: Dialect, placeholder: str) -> str:
    if d is Dialect.DUCKDB:
        return f"timestamp < epoch_ms({placeholder}::BIGINT)"
    return f"timestamp < fromUnixTimestamp64Milli({placeholder})"


def entity_column(by: By) -> tuple[str, str]:
    """The entity column and the condition that keeps only events that have one."""
    if by is By.USER:
        return "distinct_id", "distinct_id != ''"
    return "account_id", "account_id IS NOT NULL AND account_id != ''"


def json_pointer(key: str) -> str:
    """RFC 6901 pointer to a top-level key (DuckDB's JSON functions take it as the path)."""
    return "/" + key.replace("~", "~0").replace("/", "~1")


_DUCK_TYPES = {"string": "('VARCHAR')", "number": "('BIGINT', 'UBIGINT', 'DOUBLE')"}
_CH_TYPES = {"string": "('String')", "number": "('Int64', 'UInt64', 'Double')"}
_COMPARE = {
    FilterOp.GT: ">",
    FilterOp.GTE: ">=",
    FilterOp.LT: "<",
    FilterOp.LTE: "<=",
    FilterOp.EQ: "=",
}


def property_condition(d: Dialect, f: PropertyFilter, p: Params) -> str:
    """A boolean SQL expression for one property filter (never NULL)."""
    if d is Dialect.DUCKDB:
        key = p.add(json_pointer(f.key), "String")
        jtype = f"json_type(properties, {key})"
        text = f"json_extract_string(properties, {key})"
        number = f"TRY_CAST({text} AS DOUBLE)"
        types, bool_type = _DUCK_TYPES, "'BOOLEAN'"
    else:
        key = p.add(f.key, "String")
        jtype = f"JSONType(properties, {key})"
        text = f"JSONExtractString(properties, {key})"
        number = f"JSONExtractFloat(properties, {key})"
        types, bool_type = _CH_TYPES, "'Bool'"
    value = f.value
    if f.op is FilterOp.IS_SET or f.op is FilterOp.IS_NOT_SET:
        null = "'NULL'" if d is Dialect.DUCKDB else "'Null'"
        present = f"coalesce({jtype} NOT IN ({null}, ''), false)"
        return present if f.op is FilterOp.IS_SET else f"NOT {present}"
    if f.op is FilterOp.CONTAINS:
        needle = p.add(value, "String")
        found = (
            f"contains({text}, {needle})"
            if d is Dialect.DUCKDB
            else (f"position({text}, {needle}) > 0")
        )
        return f"coalesce({jtype} IN {types['string']} AND {found}, false)"
    if isinstance(value, bool):
        if d is Dialect.DUCKDB:
            same = f"{text} = {p.add('true' if value else 'false', 'String')}"
        else:
            same = f"JSONExtractBool(properties, {key}) = {p.add(int(value), 'UInt8')}"
        cond = f"coalesce({jtype} = {bool_type} AND {same}, false)"
    elif isinstance(value, str):
        cond = (
            f"coalesce({jtype} IN {types['string']} AND {text} = {p.add(value, 'String')}, false)"
        )
    else:
        op = _COMPARE[FilterOp.EQ if f.op is FilterOp.NEQ else f.op]
        cmp = f"{number} {op} {p.add(float(value), 'Float64')}"  # type: ignore[arg-type]
        cond = f"coalesce({jtype} IN {types['number']} AND {cmp}, false)"
    return f"NOT {cond}" if f.op is FilterOp.NEQ else cond


def matcher_condition(d: Dialect, m: EventMatcher, p: Params) -> str:
    """The event name and every filter of a step, as one boolean expression."""
    parts = [f"event = {p.add(m.event, 'String')}"]
    parts += [property_condition(d, f, p) for f in m.filters]
    return "(" + " AND ".join(parts) + ")"


def scalar_text(d: Dialect, column: str, key: str) -> str:
    """A top-level JSON value of ``column`` as breakdown text, or NULL (models.Breakdown).

    Strings as they are, integral numbers without decimals, other numbers in their shortest
    form, booleans ``true``/``false``; missing, null, empty, object and array values are NULL.
    ``key`` is a placeholder holding the key (DuckDB: its JSON pointer).
    """
    if d is Dialect.DUCKDB:
        text = f"json_extract_string({column}, {key})"
        number = f"TRY_CAST({text} AS DOUBLE)"
        return (
            f"CASE json_type({column}, {key}) "
            f"WHEN 'VARCHAR' THEN nullif({text}, '') "
            f"WHEN 'BOOLEAN' THEN {text} "
            f"WHEN 'BIGINT' THEN {text} WHEN 'UBIGINT' THEN {text} "
            f"WHEN 'DOUBLE' THEN CASE WHEN {number} = trunc({number}) AND abs({number}) < 1e15 "
            f"THEN CAST(CAST({number} AS BIGINT) AS VARCHAR) ELSE CAST({number} AS VARCHAR) END "
            "ELSE NULL END"
        )
    text = f"JSONExtractString({column}, {key})"
    number = f"JSONExtractFloat({column}, {key})"
    jtype = f"toString(JSONType({column}, {key}))"
    return (
        f"multiIf({jtype} = 'String', nullIf({text}, ''), "
        f"{jtype} = 'Bool', if(JSONExtractBool({column}, {key}), 'true', 'false'), "
        f"{jtype} IN ('Int64', 'UInt64'), JSONExtractRaw({column}, {key}), "
        f"{jtype} = 'Double', if({number} = trunc({number}) AND abs({number}) < 1e15, "
        f"toString(toInt64({number})), toString({number})), NULL)"
    )


def json_key(d: Dialect, key: str, p: Params) -> str:
    """The placeholder of a top-level key as each engine's JSON functions take it."""
    return p.add(json_pointer(key) if d is Dialect.DUCKDB else key, "String")


# DuckDB period bitmaps (trends, retention, active users): an entity's periods as bits of
# BLOCK-period blocks, offsets counted from a base period, one row per (entity, block).
BLOCK = 64


def block_of(offset: str) -> str:
    """The block holding period ``offset``."""
    return f"{offset} // {BLOCK}"


def period_bits(offset: str) -> str:
    """The aggregate marking each row's period ``offset`` in its block's mask."""
    return f"bit_or(1::UBIGINT << ({offset} % {BLOCK})::UBIGINT)"


def bit_is_set(mask: str, bit: str) -> str:
    """Whether bit ``bit`` (0 … BLOCK-1) of ``mask`` is set."""
    return f"({mask} >> {bit}::UBIGINT) & 1::UBIGINT = 1"
