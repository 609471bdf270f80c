"""What a layer that sees both analytics and revenue plugs into analytics at start-up
(``tobloop.web``'s ``ready()``): the revenue stage of the AARRR board and the seats an account
pays for.

Public like the facade, but light: registering from ``ready()`` runs in every process that
starts Django, each CLI command included, and must not load the event engines (DuckDB, numpy,
pyarrow: about a quarter of a second) that the facade brings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from tobloop.platform.contracts import Principal


@dataclass(frozen=True)
class RevenueFacts:
    """From the revenue module: external ids of accounts paying (MRR > 0) on some day of
    the period, and how many of them started paying in it."""

    paying: frozenset[str]
    new_paying: int = 0


RevenueSource = Callable[[Principal, date, date], RevenueFacts | None]
# (principal, account id, day) → seats paid for that day, or None when unknown
SeatSource = Callable[[Principal, int, date], int | None]

_revenue_source: list[RevenueSource] = []
_seat_source: list[SeatSource] = []


def register_revenue_source(source: RevenueSource) -> None:
    """The revenue stage's data."""
    _revenue_source[:] = [source]


def register_seat_source(source: SeatSource) -> None:
    """The revenue module's seats."""
    _seat_source[:] = [source]


def revenue_source() -> RevenueSource | None:
    return _revenue_source[0] if _revenue_source else None


def seat_source() -> SeatSource | None:
    return _seat_source[0] if _seat_source else None
