"""Judging a batch of accounts as of a day with their profiles, in memory (no writes).

Both the daily scoring run and the back-test use :func:`evaluate`; each measure a profile
needs is computed once for the whole batch (``logic.measures``), never per account.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tobloop.accounts.facade import AccountView
from tobloop.success.logic.health_profiles import parse_bands, parse_measures, parse_rules
from tobloop.success.logic.health_rules import MEASURES, account_facts, fact_key, health_code
from tobloop.success.logic.health_score import measure_id, weighted_score
from tobloop.success.logic.measures import REGISTRY, MeasureContext, compute_measure
from tobloop.success.models import HealthProfile

Chooser = Callable[[AccountView], HealthProfile | None]
Need = tuple[str, int, tuple[str, ...]]


@dataclass(frozen=True)
class Evaluation:
    account_id: int
    profile: HealthProfile
    color: str
    score: float | None
    flags: list[dict[str, Any]]
    measures: list[dict[str, Any]]
    reason: str
    facts: dict[str, Any] = field(default_factory=dict)


def _needs(profile: HealthProfile) -> dict[str, Need]:
    """Measure id → (measure, window, key events) for the registry measures a profile reads."""
    out: dict[str, Need] = {}
    if profile.kind == "score":
        for m in parse_measures(profile.measures):
            out[measure_id(m)] = (m.measure, m.window_days or 0, tuple(m.events))
    else:
        for r in parse_rules(profile.rules):
            if r.measure not in MEASURES:
                window = r.window_days or REGISTRY[r.measure].default_window
                out[fact_key(r)] = (r.measure, window, ())
    return out


def _replay_facts(facts: dict[str, Any], recorded: dict[str, Any] | None) -> dict[str, Any]:
    """A past day's profile facts: only what a run recorded then; the rest is unknown."""
    out: dict[str, Any] = {k: (None if k != "custom_fields" else {}) for k in facts}
    if recorded is not None:
        out["no_contacts"] = recorded.get("contacts", 0) == 0
        out["no_decision_maker"] = not recorded.get("decision_maker", False)
    return out


def evaluate(
    ctx: MeasureContext, profiles: Sequence[HealthProfile], choose: Chooser
) -> list[Evaluation]:
    """Verdicts for the accounts of ``ctx`` that ``choose`` gives a profile (others skipped)."""
    chosen = {a.id: p for a in ctx.accounts if (p := choose(a)) is not None}
    needs: dict[int, dict[str, Need]] = {p.pk: _needs(p) for p in profiles}
    values: dict[Need, dict[int, float | None]] = {}
    for p in {p.pk: p for p in chosen.values()}.values():
        for need in needs[p.pk].values():
            if need not in values:
                values[need] = compute_measure(ctx, need[0], need[1], {"events": list(need[2])})
    contact_facts = ctx.profile_facts()
    out = []
    for a in ctx.accounts:
        profile = chosen.get(a.id)
        if profile is None:
            continue
        mine = {mid: values[need].get(a.id) for mid, need in needs[profile.pk].items()}
        recorded = contact_facts.get(a.id)
        if profile.kind == "score":
            v = weighted_score(parse_measures(profile.measures), mine, parse_bands(profile.bands))
            out.append(
                Evaluation(a.id, profile, v.color, v.score, [],
                           [r.as_json() for r in v.measures], v.reason, recorded or {})
            )  # fmt: skip
            continue
        facts = account_facts(a)
        if ctx.replay:
            facts = _replay_facts(facts, recorded)
        facts.update(mine)
        verdict = health_code(parse_rules(profile.rules), facts)
        flags = [{"rule": f.rule, "color": f.color, "label": f.label} for f in verdict.flags]
        shown = [
            {"key": mid, "label": REGISTRY[need[0]].label, "unit": REGISTRY[need[0]].unit,
             "value": mine[mid], "window_days": need[1] or None}
            for mid, need in needs[profile.pk].items()
        ]  # fmt: skip
        out.append(
            Evaluation(a.id, profile, verdict.color, None, flags, shown, verdict.reason,
                       recorded or {})
        )  # fmt: skip
    return out
