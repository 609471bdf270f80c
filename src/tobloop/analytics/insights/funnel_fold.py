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

import numpy as np
import numpy.typing as npt

from tobloop.analytics.insights.funnel_builder import HISTOGRAM_EDGES, STEP_BITS
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
        _fold_chunk(
            keys,
            starts[:, lo:hi],
            None if reached_at is None else reached_at[:, lo:hi],
            range_ms=range_ms,
            window_ms=window_ms,
            first_attempt=first_attempt,
        )

    # Chunks are independent and numpy releases the GIL: one per core for large inputs.
    cores = min(os.cpu_count() or 1, 8) if len(seq) >= PARALLEL_EVENTS else 1
    size = min(CHUNK_ENTITIES, -(-n // cores)) or 1
    bounds = [(lo, min(n, lo + size)) for lo in range(0, n, size)]
    if len(bounds) > 1:
        with ThreadPoolExecutor(max_workers=cores) as pool:
            for done in [pool.submit(fold, lo, hi) for lo, hi in bounds]:
                done.result()
    else:
        for lo, hi in bounds:
            fold(lo, hi)
    return Folded(starts=starts, reached_at=reached_at)


def key_time_bits(q: FunnelQuery) -> int:
    """Bits that every time of the scan (ms since the range start) fits in."""
    start_ms, end_ms = range_ms(q)
    return (end_ms - start_ms + q.window * 1000).bit_length()


def keys_fit(q: FunnelQuery, max_entity: int) -> bool:
    """Whether ``entity << (time bits + STEP_BITS) | key`` fits a signed 64-bit integer."""
    return max_entity.bit_length() + key_time_bits(q) + STEP_BITS <= 63


# Inputs in more sorted runs than this are partitioned by entity instead of cut run by run.
MAX_RUNS = 64


def fold_keys(
    entity: npt.NDArray[np.integer],
    key: Ints,
    *,
    q: FunnelQuery,
    timing: bool = False,
) -> Folded:
    """Fold events given one per row: ``entity`` (a user number) and ``key`` (``t * 16 +
    step``, as in the sequences), in any order; the starts are indexed by user number.

    The store inserts each load sorted by user number and time, and a DuckDB scan hands its
    row groups to a few threads, so the rows usually come as a few sorted runs: each chunk
    of entities is then cut out of every run and sorted only when it came from more than one.
    ``keys_fit`` must hold for the largest entity.
    """
    start_ms, end_ms = range_ms(q)
    time_bits = key_time_bits(q)
    shift = time_bits + STEP_BITS
    n = int(entity.max()) + 1 if len(entity) else 0
    steps = len(q.steps)
    starts = np.full((steps, n), MISSING, dtype=np.int64)
    reached_at = np.full((steps, n), MISSING, dtype=np.int64) if timing else None
    if n == 0:
        return Folded(starts=starts, reached_at=reached_at)
    keys = entity.astype(np.int64)
    keys <<= shift
    keys |= key
    cores = min(os.cpu_count() or 1, 8) if len(keys) >= PARALLEL_EVENTS else 1
    parts = cores * 4 if cores > 1 else 1
    cuts = (np.arange(parts + 1, dtype=np.int64) * n // parts) << shift

    def fold(chunk: Ints) -> None:
        _fold_chunk(
            chunk,
            starts,
            reached_at,
            range_ms=end_ms - start_ms,
            window_ms=q.window * 1000,
            first_attempt=q.first_attempt,
            time_bits=time_bits,
        )

    chunks = _entity_chunks(keys, cuts, shift)
    if len(chunks) > 1:
        with ThreadPoolExecutor(max_workers=cores) as pool:
            for done in [pool.submit(lambda c: fold(c()), c) for c in chunks]:
                done.result()
    else:
        for c in chunks:
            fold(c())
    return Folded(starts=starts, reached_at=reached_at)


def _entity_chunks(keys: Ints, cuts: Ints, shift: int) -> list[Callable[[], Ints]]:
    """Per range of entities ``cuts[i] <= key < cuts[i + 1]``: a function giving its keys
    sorted (called in the worker threads, so the sorting is parallel too)."""
    descents = np.flatnonzero(keys[1:] < keys[:-1]) + 1
    if len(descents) < MAX_RUNS:
        runs = np.split(keys, descents)
        bounds = [np.searchsorted(r, cuts) for r in runs]
        pieces = [
            [r[b[i] : b[i + 1]] for r, b in zip(runs, bounds, strict=True) if b[i] < b[i + 1]]
            for i in range(len(cuts) - 1)
        ]
        return [_sorted(p, presorted=True) for p in pieces if p]
    chunk = (np.searchsorted(cuts, keys, side="right") - 1).astype(np.uint8)
    grouped = keys[np.argsort(chunk, kind="stable")]  # a radix sort on small integers
    ends = np.cumsum(np.bincount(chunk, minlength=len(cuts) - 1))
    starts = np.append(0, ends[:-1])
    return [
        _sorted([grouped[lo:hi]], presorted=False)
        for lo, hi in zip(starts, ends, strict=True)
        if lo < hi
    ]


def _sorted(pieces: list[Ints], *, presorted: bool) -> Callable[[], Ints]:
    if presorted and len(pieces) == 1:
        return lambda: pieces[0]
    return lambda: np.sort(np.concatenate(pieces) if len(pieces) > 1 else pieces[0])


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
