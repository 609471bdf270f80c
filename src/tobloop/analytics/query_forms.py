"""GET parameters of the query-builder pages ⇄ the engine's typed queries.

A query is a shareable URL: ``?step=Signed+Up&step=Invite+Sent&from=…&to=…&window=7d``. Each
page's parameters are read into the plain JSON body the REST API takes, validated by the
engine's pydantic model, and pydantic's errors are handed back per form field so the page can
show them next to the field that caused them. The same JSON is what a saved insight stores.

Property filters of step ``i`` travel as repeated ``s{i}_key``/``s{i}_op``/``s{i}_value``
(one triple per filter). A value is read as JSON when it is a number, ``true``/``false`` or a
quoted string, and as plain text otherwise (``"42"`` with quotes is the string 42).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

import orjson
from django.http import QueryDict
from pydantic import BaseModel, ValidationError

from tobloop.analytics.insights.models import (
    ActiveQuery,
    FilterOp,
    FunnelQuery,
    PathsQuery,
    RetentionQuery,
    TrendsQuery,
)

KINDS = ("funnel", "retention", "paths", "trends", "active")
MAX_STEPS = 10
MAX_FILTERS = 20
MAX_TREND_EVENTS = 5
DEFAULT_DAYS = 30
TREND_METRICS = ("count", "users", "accounts")
MODELS: dict[str, type[BaseModel]] = {
    "funnel": FunnelQuery,
    "retention": RetentionQuery,
    "paths": PathsQuery,
    "trends": TrendsQuery,
    "active": ActiveQuery,
}


@dataclass
class BuiltForm:
    """What a builder page needs: the raw values to refill the form, the JSON body, the
    validated queries (several for a multi-event trend) and the errors by field name."""

    kind: str
    values: dict[str, Any]
    body: dict[str, Any]
    queries: list[Any] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    submitted: bool = False

    @property
    def valid(self) -> bool:
        return self.submitted and not self.errors and bool(self.queries)


def _text(params: Mapping[str, Any], name: str, limit: int = 200) -> str:
    value = params.get(name, "")
    return str(value).strip()[:limit]


def _list(params: QueryDict, name: str, limit: int = 200) -> list[str]:
    return [str(v).strip()[:limit] for v in params.getlist(name)]


def filter_value(raw: str) -> Any:
    """``42`` → 42, ``4.5`` → 4.5, ``true`` → True, ``"7"`` → "7", anything else → the text."""
    text = raw.strip()
    if not text:
        return None
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return text
    return value if isinstance(value, str | int | float | bool) else text


def format_filter_value(value: Any) -> str:
    """The inverse of :func:`filter_value` for refilling a form from a saved query."""
    if value is None:
        return ""
    if isinstance(value, str):
        return orjson.dumps(value).decode() if filter_value(value) != value else value
    return orjson.dumps(value).decode()


def default_range(today: date) -> tuple[str, str]:
    return (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat(), today.isoformat()


def _range(params: QueryDict, today: date, values: dict[str, Any]) -> dict[str, Any]:
    start, end = default_range(today)
    values["from"] = _text(params, "from", 10) or start
    values["to"] = _text(params, "to", 10) or end
    return {"from": values["from"], "to": values["to"]}


def _step_filters(params: QueryDict, i: int) -> list[dict[str, Any]]:
    keys = _list(params, f"s{i}_key")
    ops = _list(params, f"s{i}_op", 20)
    raws = _list(params, f"s{i}_value", 500)
    out = []
    for n, key in enumerate(keys[:MAX_FILTERS]):
        if not key:
            continue
        op = ops[n] if n < len(ops) and ops[n] else FilterOp.EQ.value
        raw = raws[n] if n < len(raws) else ""
        out.append({"key": key, "op": op, "value": filter_value(raw), "raw": raw})
    return out


def supports(kind: str, option: str) -> bool:
    """Whether the engine's query model of ``kind`` has ``option`` (breakdown, over_time…)."""
    return option in MODELS[kind].model_fields


BREAKDOWN_KINDS = ("event_property", "user_trait", "account_field")


def _breakdown(params: QueryDict, values: dict[str, Any], kind: str) -> dict[str, Any] | None:
    """``bd_kind``/``bd_key``/``bd_top``: split the result by one value (when supported)."""
    values["bd_kind"] = _text(params, "bd_kind", 20)
    values["bd_key"] = _text(params, "bd_key")
    values["bd_top"] = _text(params, "bd_top", 3) or "10"
    if not supports(kind, "breakdown") or not values["bd_kind"]:
        return None
    return {"kind": values["bd_kind"], "key": values["bd_key"], "top": values["bd_top"]}


def _matcher(event: str, filters: list[dict[str, Any]]) -> dict[str, Any]:
    doc: dict[str, Any] = {"event": event}
    if filters:
        doc["filters"] = [
            {k: v for k, v in f.items() if k != "raw" and not (k == "value" and v is None)}
            for f in filters
        ]
    return doc


def _funnel(params: QueryDict, values: dict[str, Any], today: date) -> dict[str, Any]:
    steps: list[dict[str, Any]] = []
    for i, event in enumerate(_list(params, "step")[:MAX_STEPS]):
        filters = _step_filters(params, i)
        steps.append({"event": event, "filters": filters})
    values["steps"] = steps
    values["window"] = _text(params, "window", 20) or "7d"
    values["by"] = _text(params, "by", 10) or "user"
    values["first_attempt"] = params.get("first_attempt") in ("1", "on", "true")
    body = _range(params, today, values)
    body["steps"] = [_matcher(s["event"], s["filters"]) for s in steps if s["event"]]
    body.update(window=values["window"], by=values["by"], first_attempt=values["first_attempt"])
    if breakdown := _breakdown(params, values, "funnel"):
        body["breakdown"] = breakdown
    values["over_time"] = _text(params, "over_time", 10)
    if values["over_time"] and supports("funnel", "over_time"):
        body["over_time"] = values["over_time"]
    values["time_to_convert"] = params.get("time_to_convert") in ("1", "on", "true")
    if values["time_to_convert"] and supports("funnel", "time_to_convert"):
        body["time_to_convert"] = True
    return body


def _retention(params: QueryDict, values: dict[str, Any], today: date) -> dict[str, Any]:
    values["start"] = _text(params, "start")
    values["return"] = _text(params, "return")
    values["start_filters"] = _step_filters(params, 0)
    values["period"] = _text(params, "period", 10) or "week"
    values["periods"] = _text(params, "periods", 4) or "8"
    values["by"] = _text(params, "by", 10) or "user"
    values["bounded"] = params.get("bounded", "1") in ("1", "on", "true")
    body = _range(params, today, values)
    body["start"] = _matcher(values["start"], values["start_filters"])
    if values["return"]:
        body["return"] = {"event": values["return"]}
    body.update(
        period=values["period"],
        periods=values["periods"],
        by=values["by"],
        bounded=values["bounded"],
    )
    if breakdown := _breakdown(params, values, "retention"):
        body["breakdown"] = breakdown
    return body


def _paths(params: QueryDict, values: dict[str, Any], today: date) -> dict[str, Any]:
    values["anchor"] = "end" if params.get("anchor") == "end" else "start"
    values["event"] = _text(params, "event")
    values["depth"] = _text(params, "depth", 2) or "4"
    values["top"] = _text(params, "top", 3) or "5"
    values["by"] = _text(params, "by", 10) or "user"
    values["collapse"] = params.get("collapse", "1") in ("1", "on", "true")
    body = _range(params, today, values)
    body[values["anchor"]] = values["event"] or None
    body.update(
        depth=values["depth"],
        top=values["top"],
        by=values["by"],
        collapse_repeats=values["collapse"],
    )
    return body


def _trends(params: QueryDict, values: dict[str, Any], today: date) -> dict[str, Any]:
    events = _list(params, "event")[:MAX_TREND_EVENTS]
    values["events"] = events
    values["interval"] = _text(params, "interval", 10) or "day"
    metric = _text(params, "metric", 10)
    values["metric"] = metric if metric in TREND_METRICS else "users"
    body = _range(params, today, values)
    body["interval"] = values["interval"]
    body["events"] = [e for e in events if e] or [None]
    body["metric"] = values["metric"]
    values["account"] = _text(params, "account")
    if values["account"] and supports("trends", "account"):
        body["account"] = values["account"]
    if breakdown := _breakdown(params, values, "trends"):
        body["breakdown"] = breakdown
    return body


def _active(params: QueryDict, values: dict[str, Any], today: date) -> dict[str, Any]:
    values["event"] = _text(params, "event")
    values["by"] = _text(params, "by", 10) or "user"
    values["account"] = _text(params, "account")
    body = _range(params, today, values)
    if values["event"]:
        body["event"] = _matcher(values["event"], [])
    body["by"] = values["by"]
    if values["account"]:
        body["account"] = values["account"]
    return body


READERS = {
    "funnel": _funnel,
    "retention": _retention,
    "paths": _paths,
    "trends": _trends,
    "active": _active,
}


def field_name(kind: str, loc: tuple[Any, ...]) -> str:
    """Where a pydantic error belongs in the form: ``("steps", 1, "filters", 0, …)`` → ``s1``."""
    head = str(loc[0]) if loc else ""
    if kind == "funnel" and head == "steps":
        return f"step_{loc[1]}" if len(loc) > 1 and isinstance(loc[1], int) else "steps"
    if kind == "paths" and not loc:
        return "event"
    if head in ("start", "end") and kind == "paths":
        return "event"
    if head == "breakdown":
        return "bd_top" if len(loc) > 1 and loc[1] == "top" else "bd_key"
    if head == "collapse_repeats":
        return "collapse"
    if head in ("date_from",):
        return "from"
    if head in ("date_to",):
        return "to"
    return head or "query"


def _message(error: Mapping[str, Any]) -> str:
    return str(error.get("msg", "invalid")).removeprefix("Value error, ")


def validate(kind: str, body: dict[str, Any]) -> tuple[list[Any], dict[str, str]]:
    """The typed queries of ``body`` and the errors by form field (empty when valid)."""
    model = MODELS[kind]
    docs = [body]
    if kind == "trends":
        rest = {k: v for k, v in body.items() if k not in ("events", "metric")}
        docs = [{**rest, "event": e} for e in body.get("events") or [None]]
    queries: list[Any] = []
    errors: dict[str, str] = {}
    for n, doc in enumerate(docs):
        try:
            queries.append(model.model_validate(doc))
        except ValidationError as exc:
            for e in exc.errors():
                loc = tuple(e.get("loc", ()))
                if kind == "trends" and loc and loc[0] == "event":
                    name = f"event_{n}"
                elif not loc and kind == "funnel":
                    name = "steps"
                else:
                    name = field_name(kind, loc)
                    if name == "query" and kind == "retention":
                        name = "to"
                errors.setdefault(name, _message(e))
    return queries, errors


def read_form(kind: str, params: QueryDict, today: date) -> BuiltForm:
    """Parse and validate one builder page's GET parameters."""
    values: dict[str, Any] = {}
    body = READERS[kind](params, values, today)
    form = BuiltForm(kind=kind, values=values, body=body, submitted=_submitted(kind, params))
    if form.submitted:
        form.queries, form.errors = validate(kind, body)
        if kind == "funnel" and len(body["steps"]) < 2 and "steps" not in form.errors:
            form.errors["steps"] = "choose at least two steps"
    return form


def _submitted(kind: str, params: QueryDict) -> bool:
    marker = {
        "funnel": "step",
        "retention": "start",
        "paths": "event",
        "trends": "interval",
        "active": "by",
    }
    return marker[kind] in params


def query_string(kind: str, body: Mapping[str, Any]) -> str:
    """The builder URL's parameters for a stored query body (the inverse of ``read_form``)."""
    pairs: list[tuple[str, str]] = [("from", str(body["from"])), ("to", str(body["to"]))]
    if kind == "funnel":
        for i, step in enumerate(body.get("steps", [])):
            step = {"event": step} if isinstance(step, str) else step
            pairs.append(("step", step["event"]))
            for f in step.get("filters", []):
                pairs += [(f"s{i}_key", f["key"]), (f"s{i}_op", f.get("op", "eq"))]
                pairs.append((f"s{i}_value", format_filter_value(f.get("value"))))
        pairs += [("window", str(body.get("window", "7d"))), ("by", str(body.get("by", "user")))]
        if body.get("first_attempt"):
            pairs.append(("first_attempt", "1"))
    elif kind == "retention":
        start = body["start"] if isinstance(body["start"], dict) else {"event": body["start"]}
        pairs.append(("start", start["event"]))
        for f in start.get("filters", []):
            pairs += [("s0_key", f["key"]), ("s0_op", f.get("op", "eq"))]
            pairs.append(("s0_value", format_filter_value(f.get("value"))))
        ret = body.get("return")
        if ret:
            pairs.append(("return", ret["event"] if isinstance(ret, dict) else ret))
        pairs += [(k, str(body.get(k, d))) for k, d in (("period", "week"), ("periods", 8))]
        pairs += [("by", str(body.get("by", "user"))), ("bounded", _flag(body, "bounded"))]
    elif kind == "paths":
        anchor = "end" if body.get("end") else "start"
        pairs += [("anchor", anchor), ("event", str(body.get(anchor) or ""))]
        pairs += [(k, str(body.get(k, d))) for k, d in (("depth", 4), ("top", 5), ("by", "user"))]
        pairs.append(("collapse", _flag(body, "collapse_repeats")))
    elif kind == "active":
        event = body.get("event")
        pairs.append(("event", event["event"] if isinstance(event, dict) else str(event or "")))
        pairs.append(("by", str(body.get("by", "user"))))
        if body.get("account"):
            pairs.append(("account", str(body["account"])))
    else:
        for e in body.get("events") or [None]:
            pairs.append(("event", e or ""))
        pairs += [("interval", str(body.get("interval", "day")))]
        pairs += [("metric", str(body.get("metric", "users")))]
        if body.get("account"):
            pairs.append(("account", str(body["account"])))
    bd = body.get("breakdown")
    if isinstance(bd, dict):
        pairs += [("bd_kind", str(bd.get("kind", ""))), ("bd_key", str(bd.get("key", "")))]
        pairs.append(("bd_top", str(bd.get("top", 10))))
    if kind == "funnel" and body.get("over_time"):
        pairs.append(("over_time", str(body["over_time"])))
    if kind == "funnel" and body.get("time_to_convert"):
        pairs.append(("time_to_convert", "1"))
    return urlencode(pairs)


def _flag(body: Mapping[str, Any], key: str) -> str:
    return "1" if body.get(key, True) else "0"
