"""The funnel fold over every entity at once, in column operations (numpy).

Input: what :func:`funnel_builder.build_funnel_sequences` answers — per entity, its matching
events as integers ``t * 16 + step`` in any order (``t`` in ms since the range start, steps from 0;
the step names are distinct, so an event serves one step at most).

The fold of DESIGN.md ("Funnel": the best attempt counts, events with the same time may be
used in any order) becomes one running maximum per step. Let ``F_k(x)`` be the latest start of
a chain that reached step ``k`` using events up to and including the moment of event ``x``:

* a step-0 event at ``t`` in the range starts a chain: ``h_0(x) = t``;
* a step-``k`` event at ``t`` extends the best chain at step ``k-1`` of its moment, if that
  chain started within the window: ``h_k(x) = F_{k-1}(t)`` when ``F_{k-1}(t) >= t - window``;
* ``F_k`` is the running maximum of ``h_k`` over the entity's step-``k`` events in time order.

A later start always leaves more of the window, so the latest start is the whole state (the
SQL fold keeps the same ``f[k]``). "Up to and including the moment" makes ties usable in any
order: the lookup of ``F_{k-1}`` at ``t`` takes every step-``k-1`` event at or before ``t``.

Every entity of a chunk is laid out in one sorted array of ``entity << 40 | t * 16 + step`` so
each running maximum and each lookup is a single vectorised ``maximum.accumulate`` /
``cumsum`` over the whole chunk. With ``first_attempt`` only each entity's first step-0
event in the range may start a chain.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import numpy.typing as npt

from tobloop.analytics.insights.funnel_builder import HISTOGRAM_EDGES, STEP_BITS, key_shift
from tobloop.analytics.insights.models import FunnelQuery
from tobloop.analytics.insights.periods import range_ms

Ints = npt.NDArray[np.int64]

# Times take 40 bits (34 years of ms); entity numbers within a chunk the next 19.
TIME_BITS = 40
CHUNK_ENTITIES = 1 << (63 - TIME_BITS - STEP_BITS)
MISSING = -1
# Inputs from this many events are folded in parallel chunks.
PARALLEL_EVENTS = 1_000_000


def fits_time_bits(q: FunnelQuery) -> bool:
    """Whether every time of the scan (the range and one window) fits ``TIME_BITS``."""
    start_ms, end_ms = range_ms(q)
    return end_ms - start_ms + q.window * 1000 < 1 << TIME_BITS


@dataclass(frozen=True)
class Folded:
    """Per step and entity: the start (ms since the range start) of the latest-starting
    chain that reached the step, or ``MISSING``; with timing, when that chain reached it."""

    starts: Ints  # shape (steps, entities)
    reached_at: Ints | None

    def counts(self) -> list[int]:
        return [int(n) for n in (self.starts >= 0).sum(axis=1)]


def fold_sequences(
    seq: Ints,
    offsets: Ints,
    *,
    steps: int,
    range_ms: int,
    window_ms: int,
    first_attempt: bool = False,
    timing: bool = False,
) -> Folded:
    """Fold the entities whose sequences are ``seq[offsets[i]:offsets[i + 1]]``."""
    n = len(offsets) - 1
    starts = np.full((steps, n), MISSING, dtype=np.int64)
    reached_at = np.full((steps, n), MISSING, dtype=np.int64) if timing else None

    def fold(lo: int, hi: int) -> None:
        part = seq[offsets[lo] : offsets[hi]]
        lengths = np.diff(offsets[lo : hi + 1])
        keys = np.repeat(np.arange(hi - lo, dtype=np.int64), lengths)
        keys <<= TIME_BITS + STEP_BITS
        keys |= part
        keys.sort()  # each entity's events in time order (numpy's SIMD sort beats list_sort)
        for piece in _cache_pieces(keys, TIME_BITS + STEP_BITS):
            _fold_chunk(
                piece,
                starts[:, lo:hi],
                None if reached_at is None else reached_at[:, lo:hi],
                range_ms=range_ms,
                window_ms=window_ms,
                first_attempt=first_attempt,
            )

    cores = _cores(len(seq))
    size = min(CHUNK_ENTITIES, -(-n // cores)) or 1
    _each(fold, [(lo, min(n, lo + size)) for lo in range(0, n, size)], cores)
    return Folded(starts=starts, reached_at=reached_at)


def _cores(events: int) -> int:
    """Threads for a fold of this many events: one per core for large inputs."""
    return min(os.cpu_count() or 1, 8) if events >= PARALLEL_EVENTS else 1


def _each(fold: Callable[[int, int], None], ranges: list[tuple[int, int]], cores: int) -> None:
    """``fold`` over independent ranges, in threads when there are several (numpy releases
    the GIL)."""
    if len(ranges) > 1 and cores > 1:
        with ThreadPoolExecutor(max_workers=cores) as pool:
            for done in [pool.submit(fold, lo, hi) for lo, hi in ranges]:
                done.result()
    else:
        for lo, hi in ranges:
            fold(lo, hi)


def keys_fit(q: FunnelQuery, max_entity: int) -> bool:
    """Whether ``entity << key_shift(q) | key`` fits a signed 64-bit integer."""
    return max_entity.bit_length() + key_shift(q) <= 63


# Inputs in more sorted runs than this are partitioned by entity instead of cut run by run.
MAX_RUNS = 64


def fold_keys(keys: Ints, *, q: FunnelQuery, timing: bool = False) -> Folded:
    """Fold events given one per row as ``entity << key_shift(q) | t * 16 + step`` (the
    entity a user number, the rest as in the sequences), in any order; the starts are indexed
    by user number, and number 0 (events without a user) is left out. ``keys_fit`` must hold
    for the largest entity.

    The store inserts each load sorted by user number and time, and a DuckDB scan hands its
    row groups to a few threads, so the rows usually come as a few sorted runs (many when the
    store was filled by many loads: then they are first partitioned by range of entities and
    sorted). The entities are folded in ranges of about ``PIECE_EVENTS`` events, small enough
    to stay in the processor's cache (three times faster than one large array): each range is
    cut out of every run and, when it came from more than one, merged there (numpy's stable
    sort merges sorted runs), in the worker threads.
    """
    shift = key_shift(q)
    n = int(keys.max() >> shift) + 1 if len(keys) else 0
    steps = len(q.steps)
    starts = np.full((steps, n), MISSING, dtype=np.int64)
    reached_at = np.full((steps, n), MISSING, dtype=np.int64) if timing else None
    if n <= 1:
        return Folded(starts=starts, reached_at=reached_at)
    start_ms, end_ms = range_ms(q)
    cores = _cores(len(keys))
    parts = cores * 4 if cores > 1 else 1
    # from user number 1: the rows without a user (number 0) fall before the first range
    cuts = (1 + np.arange(parts + 1, dtype=np.int64) * (n - 1) // parts) << shift
    runs = _sorted_runs(keys, cuts)

    def fold(lo: int, hi: int) -> None:
        slices = [r[a:b] for r in runs for a, b in [np.searchsorted(r, (lo, hi))] if a < b]
        events = sum(len(s) for s in slices)
        if not events:
            return
        step = max(1 << shift, ((hi - lo) >> shift) * PIECE_EVENTS // events << shift)
        for first in range(lo, hi, step):
            last = min(hi, first + step)
            pieces = [
                s[a:b] for s in slices for a, b in [np.searchsorted(s, (first, last))] if a < b
            ]
            if not pieces:
                continue
            piece = pieces[0] if len(pieces) == 1 else np.concatenate(pieces)
            if len(pieces) > 1:
                piece.sort(kind="stable")  # merges the sorted runs
            _fold_chunk(
                piece,
                starts,
                reached_at,
                range_ms=end_ms - start_ms,
                window_ms=q.window * 1000,
                first_attempt=q.first_attempt,
                time_bits=shift - STEP_BITS,
            )

    _each(fold, [(int(lo), int(hi)) for lo, hi in pairwise(cuts)], cores)
    return Folded(starts=starts, reached_at=reached_at)


# Events per piece of a fold: the piece's arrays stay in the processor's cache.
PIECE_EVENTS = 1 << 18


def _cache_pieces(keys: Ints, shift: int) -> list[Ints]:
    """Sorted ``keys`` cut at entity boundaries into pieces of about ``PIECE_EVENTS``."""
    if len(keys) <= PIECE_EVENTS:
        return [keys]
    first, last = int(keys[0] >> shift), int(keys[-1] >> shift) + 1
    per_piece = max(1, (last - first) * PIECE_EVENTS // len(keys))
    bounds = np.searchsorted(keys, np.arange(first, last + per_piece, per_piece) << shift)
    return [keys[lo:hi] for lo, hi in pairwise(bounds) if lo < hi]


def _sorted_runs(keys: Ints, cuts: Ints) -> list[Ints]:
    """``keys`` as sorted runs: as they come when they are a few, else partitioned by the
    ranges ``cuts`` (a radix sort of the range numbers) and each range sorted."""
    descents = np.flatnonzero(keys[1:] < keys[:-1]) + 1
    if len(descents) < MAX_RUNS:
        return np.split(keys, descents)
    # range numbers; keys before the first range get 255 and sort after every range
    chunk = (np.searchsorted(cuts, keys, side="right") - 1).astype(np.uint8)
    grouped = keys[np.argsort(chunk, kind="stable")]
    ends = np.cumsum(np.bincount(chunk, minlength=len(cuts) - 1)[: len(cuts) - 1])
    ranges = [grouped[lo:hi] for lo, hi in zip(np.append(0, ends[:-1]), ends, strict=True)]
    with ThreadPoolExecutor(max_workers=min(os.cpu_count() or 1, 8)) as pool:
        for done in [pool.submit(r.sort) for r in ranges]:  # in place, in parallel
            done.result()
    return [grouped[: ends[-1]]] if len(ends) else []


def _fold_chunk(
    keys: Ints,
    starts: Ints,
    reached_at: Ints | None,
    *,
    range_ms: int,
    window_ms: int,
    first_attempt: bool,
    time_bits: int = TIME_BITS,
) -> None:
    """Fill ``starts`` (and ``reached_at``) of one chunk; ``keys`` is sorted.

    Chain values are kept as ``entity << TIME_BITS | start + 1``; the entity's own base
    (``start + 1`` = 0) stands for "no chain", so one running maximum serves every entity.
    Within a moment the keys are ordered by step, so "the step ``k - 1`` events at or before
    an event of step ``k``" are those before it in key order: a running count finds them.
    """
    # the step is in the low byte of each key: read it in place, without an int64 temporary
    low_byte = 0 if sys.byteorder == "little" else keys.itemsize - 1
    step_of = keys.view(np.int8)[low_byte :: keys.itemsize] & ((1 << STEP_BITS) - 1)
    counted = np.empty(len(keys), dtype=np.int32)
    high = ~np.int64((1 << time_bits) - 1)
    prev_seen = np.empty(0, dtype=np.int32)
    prev_best = np.zeros(1, dtype=np.int64)  # a "no chain" in front of every lookup
    for k in range(starts.shape[0]):
        is_step = step_of == k
        where = np.flatnonzero(is_step)
        at = keys[where]
        at >>= STEP_BITS  # entity << TIME_BITS | t, sorted
        base = at & high
        # best chain per event, with a "no chain" slot in front for the next step's lookups
        slots = np.empty(len(at) + 1, dtype=np.int64)
        slots[0] = 0
        best = slots[1:]
        np.copyto(best, base)
        if k == 0:
            ok = at - base < range_ms
            if first_attempt:
                ok &= _first_per_entity(base, ok)
            np.add(at, 1, out=best, where=ok)
        else:
            # the previous step's best chain as of each event's moment: its events before
            # this one in key order, which puts a moment's step k - 1 before its step k
            chain = prev_best[prev_seen[where]]
            oldest = at + (1 - window_ms)  # the oldest start + 1 still within the window
            np.maximum(oldest, base + 1, out=oldest)  # and a chain of this entity
            np.copyto(best, chain, where=chain >= oldest)
        np.maximum.accumulate(best, out=best)
        if len(at):
            last = np.append(np.flatnonzero(base[1:] != base[:-1]), len(at) - 1)
            final = best[last] - base[last]
            entity = base[last] >> time_bits
            starts[k, entity] = final - 1
            if reached_at is not None:  # the first event at which the final value was held
                first = np.searchsorted(best, best[last], side="left")
                reached_at[k, entity] = np.where(final > 0, at[first] - base[first], MISSING)
        if k + 1 < starts.shape[0]:
            prev_seen = np.cumsum(is_step, dtype=np.int32, out=counted)  # step k events so far
        prev_best = slots


def _first_per_entity(base: Ints, ok: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """True at each entity's first position where ``ok`` holds."""
    where = np.flatnonzero(ok)
    keep = np.ones(len(where), dtype=bool)
    keep[1:] = base[where[1:]] != base[where[:-1]]
    first = np.zeros(len(ok), dtype=bool)
    first[where[keep]] = True
    return first


def timing_row(folded: Folded) -> list[int | None]:
    """The row of ``funnel_builder.timing_columns`` (per step from 2: entities, total ms,
    nearest-rank median and p90 ms, histogram counts), from a fold with timing."""
    assert folded.reached_at is not None
    edges_ms = np.array(HISTOGRAM_EDGES, dtype=np.int64) * 1000
    row: list[int | None] = []
    for i in range(1, folded.starts.shape[0]):
        reached = folded.starts[i] >= 0
        took = np.sort(folded.reached_at[i][reached] - folded.starts[i][reached])
        n = len(took)
        bins = np.bincount(
            np.searchsorted(edges_ms, took, side="right") - 1, minlength=len(edges_ms)
        )
        row += [
            n,
            int(took.sum()),
            int(took[(n + 1) // 2 - 1]) if n else None,
            int(took[(9 * n + 9) // 10 - 1]) if n else None,
            *(int(b) for b in bins),
        ]
    return row
