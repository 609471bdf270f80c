"""What changed since an account's previous verdict, in plain words.

The previous verdict is the account's latest one before the day (normally the day before; up
to ``LOOKBACK_DAYS`` back when a run was missed). Each change is ``{"what", "text", "delta"}``:
``what`` is ``profile``, ``color``, ``score``, ``measure``, ``flag_on``, ``flag_off`` or
``override``; ``delta`` is the change in score points where there is one. A measure is
reported when its value or its points changed; the score change it caused is its change in
contribution (points × effective weight ÷ 100), so the measures' deltas add up to the score's
change whenever no measure gained or lost data.
"""

from __future__ import annotations

from typing import Any

from tobloop.success.logic.health_score import describe_value

LOOKBACK_DAYS = 7
Change = dict[str, Any]


def _by_key(measures: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {f"{m['key']}:{m.get('window_days') or 0}": m for m in measures}


def _measure_changes(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[Change]:
    before = _by_key(old)
    out: list[Change] = []
    for key, m in _by_key(new).items():
        p = before.get(key)
        if p is None or (p.get("value") == m.get("value") and p.get("points") == m.get("points")):
            continue
        text = f"{m['label']} went from {describe_value(p)} to {describe_value(m)}"
        delta = None
        if "contribution" in m and "contribution" in p:
            delta = round(float(m["contribution"]) - float(p["contribution"]), 1)
            if p.get("points") != m.get("points"):
                text += f" ({_pts(p)} → {_pts(m)} points"
                text += f", {delta:+g} on the score)" if delta else ")"
        out.append({"what": "measure", "text": text + ".", "delta": delta})
    out.sort(key=lambda c: -abs(float(c["delta"] or 0)))
    return out


def _pts(m: dict[str, Any]) -> str:
    return "no data" if m.get("points") is None else str(m["points"])


def explain_changes(previous: dict[str, Any] | None, current: dict[str, Any]) -> list[Change]:
    """Changes from ``previous`` to ``current`` (both verdict rows as dicts)."""
    if previous is None:
        return [{"what": "first", "text": "First verdict for this account.", "delta": None}]
    out: list[Change] = []
    if previous["profile_name"] != current["profile_name"]:
        out.append({"what": "profile", "delta": None,
                    "text": f"Judged by {current['profile_name']} instead of "
                            f"{previous['profile_name']}."})  # fmt: skip
    if previous["color"] != current["color"]:
        out.append({"what": "color", "delta": None,
                    "text": f"Colour {previous['color']} → {current['color']}."})  # fmt: skip
    old_score, new_score = previous.get("score"), current.get("score")
    if old_score != new_score and old_score is not None and new_score is not None:
        delta = round(new_score - old_score, 1)
        out.append({"what": "score", "delta": delta,
                    "text": f"Score {old_score:g} → {new_score:g} ({delta:+g})."})  # fmt: skip
    old_flags = {f["rule"]: f for f in previous.get("flags") or []}
    new_flags = {f["rule"]: f for f in current.get("flags") or []}
    for rule, f in new_flags.items():
        if rule not in old_flags:
            out.append({"what": "flag_on", "delta": None,
                        "text": f"New {f['color']} flag: {f['label']}."})  # fmt: skip
    for rule, f in old_flags.items():
        if rule not in new_flags:
            out.append({"what": "flag_off", "delta": None,
                        "text": f"Flag cleared: {f['label']}."})  # fmt: skip
    out += _measure_changes(previous.get("measures") or [], current.get("measures") or [])
    old_o, new_o = previous.get("override"), current.get("override")
    if (old_o or {}).get("id") != (new_o or {}).get("id"):
        if new_o:
            out.append({"what": "override", "delta": None,
                        "text": f"Set to {new_o['color']} by {new_o['by']} until "
                                f"{new_o['until']}: {new_o['reason']}"})  # fmt: skip
        else:
            out.append({"what": "override", "delta": None,
                        "text": "The CSM override no longer applies."})  # fmt: skip
    if not out:
        out.append({"what": "none", "text": "No change since the previous day.", "delta": None})
    return out
