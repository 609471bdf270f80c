"""Folding a subscription's dated history into MRR segments (the MRR ledger).

A history is a list of change records. Records are applied in date order, and on one date in
the order start, change, cancel, reactivate (so a same-day start and cancel earns nothing, and
a same-day cancel and reactivate is continuous). A field left empty keeps its earlier value.

Subscription MRR = quantity × unit price × exchange rate × (1 − discount) ÷ interval months,
rounded half-up to the cent (DESIGN.md "Metric definitions"). The discount applies before its
``discount_end`` (exclusive) and is 0 from that day on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

EVENT_ORDER = {"start": 0, "change": 1, "cancel": 2, "reactivate": 3}
CENT = Decimal("0.01")
ONE = Decimal(1)


@dataclass(frozen=True)
class ChangeRecord:
    """One dated record of a history; ``None`` fields keep their earlier value."""

    effective: date
    event: str
    plan_id: int | None = None
    quantity: int | None = None
    unit_price: Decimal | None = None
    fx_rate: Decimal | None = None
    interval_months: int | None = None
    discount: Decimal | None = None
    discount_end: date | None = None
    key: object = None  # the caller's handle on the record (a row number, a pk)


@dataclass(frozen=True)
class Terms:
    plan_id: int | None
    quantity: int
    unit_price: Decimal
    fx_rate: Decimal
    interval_months: int
    discount: Decimal
    discount_end: date | None


@dataclass(frozen=True)
class Segment:
    """The subscription earns ``mrr_cents`` every day in [start, end); ``end`` None is open."""

    start: date
    end: date | None
    mrr_cents: int
    plan_id: int | None


class HistoryError(ValueError):
    """The history cannot be folded; ``record`` is the record at fault."""

    def __init__(self, record: ChangeRecord, message: str) -> None:
        super().__init__(message)
        self.record = record
        self.message = message


def subscription_mrr(
    *,
    quantity: int,
    unit_price: Decimal,
    interval_months: int,
    discount: Decimal = Decimal(0),
    fx_rate: Decimal = ONE,
) -> Decimal:
    """MRR of one subscription in the workspace currency, rounded half-up to the cent."""
    raw = Decimal(quantity) * unit_price * fx_rate * (ONE - discount) / Decimal(interval_months)
    return raw.quantize(CENT, rounding=ROUND_HALF_UP)


def mrr_cents(terms: Terms, day: date) -> int:
    discount = terms.discount if terms.discount_end is None or day < terms.discount_end else 0
    return _cents(
        terms.quantity, terms.unit_price, terms.interval_months, Decimal(discount), terms.fx_rate
    )


@lru_cache(maxsize=1 << 16)
def _cents(quantity: int, price: Decimal, interval: int, discount: Decimal, fx: Decimal) -> int:
    """Price lists repeat: the same terms are priced once per process."""
    mrr = subscription_mrr(
        quantity=quantity,
        unit_price=price,
        interval_months=interval,
        discount=discount,
        fx_rate=fx,
    )
    return int(mrr * 100)


def ordered(records: Iterable[ChangeRecord]) -> list[ChangeRecord]:
    return sorted(records, key=lambda r: (r.effective, EVENT_ORDER[r.event]))


def _apply(terms: Terms, r: ChangeRecord) -> Terms:
    changes: dict[str, object] = {}
    for name in ("plan_id", "quantity", "unit_price", "fx_rate", "interval_months"):
        value = getattr(r, name)
        if value is not None:
            changes[name] = value
    if r.discount is not None:
        changes["discount"] = r.discount
        changes["discount_end"] = r.discount_end
    elif r.discount_end is not None:
        changes["discount_end"] = r.discount_end
    return replace(terms, **changes)  # type: ignore[arg-type]


def _first_terms(r: ChangeRecord) -> Terms:
    if r.unit_price is None:
        raise HistoryError(r, "the start of a subscription needs a unit price (or a priced plan)")
    return Terms(
        plan_id=r.plan_id,
        quantity=1 if r.quantity is None else r.quantity,
        unit_price=r.unit_price,
        fx_rate=ONE if r.fx_rate is None else r.fx_rate,
        interval_months=1 if r.interval_months is None else r.interval_months,
        discount=Decimal(0) if r.discount is None else r.discount,
        discount_end=r.discount_end if r.discount is not None else None,
    )


def _check(r: ChangeRecord, terms: Terms) -> None:
    if terms.interval_months < 1:
        raise HistoryError(r, "the billing interval must be at least one month")
    if not Decimal(0) <= terms.discount <= ONE:
        raise HistoryError(r, "a discount is a share between 0 and 1 (or 0%–100%)")
    if r.discount_end is not None and r.discount_end <= r.effective:
        raise HistoryError(r, "the discount must end after the date it is set")


def state_timeline(records: Sequence[ChangeRecord]) -> list[tuple[date, Terms | None]]:
    """(date, terms while active or None while inactive) after each date's records."""
    timeline: list[tuple[date, Terms | None]] = []
    terms: Terms | None = None
    active = False
    for r in ordered(records):
        if terms is None:
            if r.event != "start":
                raise HistoryError(r, "the history of a subscription begins with a start")
            terms = _first_terms(r)
            active = True
        elif r.event == "start":
            raise HistoryError(r, "the subscription has already started; use reactivate")
        elif r.event == "change":
            if not active:
                raise HistoryError(r, "the subscription is cancelled then; reactivate it first")
            terms = _apply(terms, r)
        elif r.event == "cancel":
            if not active:
                raise HistoryError(r, "the subscription is already cancelled then")
            active = False
        else:
            if active:
                raise HistoryError(r, "the subscription is active then; it cannot be reactivated")
            terms = _apply(terms, r)
            active = True
        _check(r, terms)
        entry = (r.effective, terms if active else None)
        if timeline and timeline[-1][0] == r.effective:
            timeline[-1] = entry
        else:
            timeline.append(entry)
    return timeline


def fold_history(records: Sequence[ChangeRecord]) -> list[Segment]:
    """The MRR segments of one subscription; zero-MRR and empty spans are left out."""
    timeline = state_timeline(records)
    pieces: list[Segment] = []
    for i, (start, terms) in enumerate(timeline):
        if terms is None:
            continue
        end = timeline[i + 1][0] if i + 1 < len(timeline) else None
        cut = terms.discount_end
        if cut is not None and start < cut and (end is None or cut < end):
            pieces.append(Segment(start, cut, mrr_cents(terms, start), terms.plan_id))
            pieces.append(Segment(cut, end, mrr_cents(terms, cut), terms.plan_id))
        else:
            pieces.append(Segment(start, end, mrr_cents(terms, start), terms.plan_id))
    return _merge([p for p in pieces if p.mrr_cents > 0 and (p.end is None or p.start < p.end)])


def _merge(pieces: list[Segment]) -> list[Segment]:
    merged: list[Segment] = []
    for p in pieces:
        last = merged[-1] if merged else None
        if (
            last is not None
            and last.end == p.start
            and last.mrr_cents == p.mrr_cents
            and last.plan_id == p.plan_id
        ):
            merged[-1] = replace(last, end=p.end)
        else:
            merged.append(p)
    return merged
