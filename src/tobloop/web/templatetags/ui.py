"""Template filters shared by every module's pages: labels and localised money."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.translation import get_language

register = template.Library()

# Symbols written before the amount on Chinese pages; other currencies keep their ISO code.
CURRENCY_SYMBOLS = {"CNY": "¥", "USD": "US$", "EUR": "€", "HKD": "HK$", "JPY": "JP¥", "GBP": "£"}


@register.filter
def lookup(mapping: dict[Any, Any] | None, key: Any) -> Any:
    """``{{ labels|lookup:code }}``: the value for ``key``, else the key itself."""
    if not mapping:
        return key
    return mapping.get(key, key)


@register.filter
def money(value: Any, currency: str = "") -> str:
    """``{{ amount|money:"CNY" }}`` → ``¥95,000`` in Chinese, ``CNY 95,000`` in English.

    Whole amounts drop their cents; anything else keeps two decimals. ``None`` shows a dash.
    """
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    places = Decimal(1) if amount == amount.to_integral_value() else Decimal("0.01")
    text = intcomma(amount.quantize(places), use_l10n=True)
    code = currency.upper()
    if (get_language() or "").lower().startswith("zh"):
        symbol = CURRENCY_SYMBOLS.get(code)
        return f"{symbol}{text}" if symbol else f"{text} {code}".strip()
    return f"{code} {text}".strip()
