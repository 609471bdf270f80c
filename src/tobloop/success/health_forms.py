"""The health-profile editor's form ↔ the profile document the facade validates.

Weighted measures are a row per registry measure (a measure with a weight is part of the
profile); bands are written ``threshold:points, …`` (``7:100, 30:50``). Health-code flags are
rows of id, colour, measure, question, value, window and label.
"""

from __future__ import annotations

from typing import Any

from django.http import QueryDict

from tobloop.success.facade import HEALTH_MEASURES, MEASURES

CODE_ROWS_EXTRA = 3
OPS = ["is_true", "is_false", "eq", "ne", "in", "not_in", "lt", "lte", "gt", "gte", "is_blank",
       "not_blank"]  # fmt: skip


class FormError(ValueError):
    def __init__(self, loc: tuple[str | int, ...], msg: str) -> None:
        super().__init__(msg)
        self.loc, self.msg = loc, msg


def bands_text(bands: list[dict[str, Any]]) -> str:
    return ", ".join(f"{b['threshold']:g}:{b['points']}" for b in bands)


def parse_bands(text: str, key: str) -> list[dict[str, Any]]:
    out = []
    for part in [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]:
        threshold, sep, points = part.partition(":")
        try:
            if not sep:
                raise ValueError
            out.append({"threshold": float(threshold), "points": int(points)})
        except ValueError:
            raise FormError(
                ("measures", key, "bands"),
                f"{part!r} is not threshold:points (for example 7:100)",
            ) from None
    return out


def _value(raw: str, op: str) -> Any:
    raw = raw.strip()
    if not raw:
        return None
    items = [v.strip() for v in raw.split(",")] if op in {"in", "not_in"} else [raw]
    parsed: list[Any] = []
    for v in items:
        try:
            parsed.append(float(v) if "." in v or "e" in v.lower() else int(v))
        except ValueError:
            parsed.append(v)
    return parsed if op in {"in", "not_in"} else parsed[0]


def _int(raw: str, loc: tuple[str | int, ...]) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise FormError(loc, f"{raw!r} is not a whole number") from None


def profile_from_form(post: QueryDict) -> dict[str, Any]:
    """The profile document from the editor's fields (raises FormError for unreadable text)."""
    kind = post.get("kind", "code")
    doc: dict[str, Any] = {
        "name": post.get("name", "").strip(),
        "kind": kind,
        "segment": post.get("segment", ""),
        "lifecycle_stage": post.get("lifecycle_stage", ""),
        "is_active": post.get("is_active") == "on",
    }
    if kind == "score":
        measures = []
        for key in sorted(HEALTH_MEASURES):
            weight = _int(post.get(f"m-{key}-weight", ""), ("measures", key, "weight"))
            if not weight:
                continue
            item: dict[str, Any] = {
                "measure": key,
                "weight": weight,
                "bands": parse_bands(post.get(f"m-{key}-bands", ""), key),
                "window_days": _int(post.get(f"m-{key}-window", ""), ("measures", key, "window")),
            }
            if direction := post.get(f"m-{key}-direction", ""):
                item["direction"] = direction
            events = [e.strip() for e in post.get(f"m-{key}-events", "").split(",") if e.strip()]
            if events:
                item["events"] = events
            measures.append(item)
        doc["measures"] = measures
        doc["bands"] = {
            "green_min": post.get("green_min", "").strip() or 70,
            "yellow_min": post.get("yellow_min", "").strip() or 40,
        }
        return doc
    rules = []
    for i in range(int(post.get("rule_rows", "0") or 0)):
        measure = post.get(f"r-{i}-measure", "")
        if not measure:
            continue
        op = post.get(f"r-{i}-op", "is_true")
        rule: dict[str, Any] = {
            "id": post.get(f"r-{i}-id", "").strip() or f"flag{i + 1}",
            "color": post.get(f"r-{i}-color", "red"),
            "measure": measure,
            "op": op,
        }
        value = _value(post.get(f"r-{i}-value", ""), op)
        if value is not None:
            rule["value"] = value
        if field := post.get(f"r-{i}-field", "").strip():
            rule["field"] = field
        if window := _int(post.get(f"r-{i}-window", ""), ("rules", i, "window_days")):
            rule["window_days"] = window
        if label := post.get(f"r-{i}-label", "").strip():
            rule["label"] = label
        rules.append(rule)
    doc["rules"] = rules
    return doc


def measure_rows(profile: dict[str, Any] | None) -> list[dict[str, Any]]:
    """One editor row per registry measure, filled from the profile where it uses it."""
    used = {m["measure"]: m for m in (profile or {}).get("measures", [])}
    rows = []
    for key, spec in sorted(HEALTH_MEASURES.items()):
        m = used.get(key, {})
        rows.append({
            "key": key, "label": spec.label, "source": spec.source, "unit": spec.unit,
            "description": spec.description, "needs_events": spec.needs_events,
            "weight": m.get("weight", ""), "window": m.get("window_days") or "",
            "default_window": spec.default_window or "",
            "direction": m.get("direction", spec.direction),
            "bands": bands_text(m["bands"]) if m.get("bands") else "",
            "events": ", ".join(m.get("events", [])),
        })  # fmt: skip
    return rows


def rule_rows(profile: dict[str, Any] | None) -> list[dict[str, Any]]:
    rules = list((profile or {}).get("rules", []))
    rows = []
    for r in rules:
        value = r.get("value")
        text = ", ".join(str(v) for v in value) if isinstance(value, list) else value
        rows.append({**r, "value": "" if text is None else text})
    rows += [{} for _ in range(CODE_ROWS_EXTRA)]
    return rows


def rule_measures() -> list[tuple[str, str]]:
    profile = [(k, m.label) for k, m in MEASURES.items()]
    registry = [(k, s.label) for k, s in sorted(HEALTH_MEASURES.items()) if not s.needs_events]
    return profile + registry
