"""Template filters of the analytics pages: shares as localised percentages."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def pct(value: Any, places: int = 1) -> str:
    """``0.4567`` → ``45.7%`` (decimal separator of the page's language); None → a dash."""
    if value is None or value == "":
        return "—"
    try:
        share = float(value)
    except (TypeError, ValueError):
        return str(value)
    # number_format cuts digits off; round half up first (2/3 → 66.7%, not 66.6%).
    step = Decimal(1).scaleb(-int(places))
    value = Decimal(str(share * 100)).quantize(step, rounding=ROUND_HALF_UP)
    return f"{number_format(value, decimal_pos=int(places), use_l10n=True)}%"


@register.filter
def at(sequence: Any, index: int) -> Any:
    """``{{ row|at:2 }}``: the item at ``index`` or None."""
    try:
        return sequence[int(index)]
    except (IndexError, KeyError, TypeError, ValueError):
        return None


@register.filter
def duration_text(seconds: Any) -> str:
    """``5400`` → ``1.5 h``: a time to convert in the largest unit that reads well."""
    if seconds is None or seconds == "":
        return "—"
    value = float(seconds)
    if value < 60:
        return _("%(n)s s") % {"n": number_format(round(value), use_l10n=True)}
    if value < 3600:
        return _("%(n)s min") % {"n": number_format(round(value / 60), use_l10n=True)}
    if value < 86400:
        return _("%(n)s h") % {"n": _one_place(value / 3600)}
    return _("%(n)s d") % {"n": _one_place(value / 86400)}


def _one_place(value: float) -> str:
    """One decimal, none when it is 0: ``1.5``, ``2``."""
    rounded = round(value, 1)
    places = 0 if rounded == int(rounded) else 1
    return number_format(rounded, places, use_l10n=True)
