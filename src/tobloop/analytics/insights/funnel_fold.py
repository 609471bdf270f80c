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

Every entity of a chunk is laid out in one sorted array of ``entity << 40 | t * 16 + step``
and folded in one compiled pass (numba) that keeps the ``F_k`` of the entity being read; with
``first_attempt`` only each entity's first step-0 event in the range may start a chain.
"""

from __future__ import annotations

import os
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
# what the fold is given for ``reached_at`` without timing
_NO_TIMING: Ints = np.empty((0, 0), dtype=np.int64)
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
    reached = _NO_TIMING if reached_at is None else reached_at

    from tobloop.analytics.insights.fold_kernel import fold_sorted  # compiled: loaded on use

    def fold(lo: int, hi: int) -> None:
        part = seq[offsets[lo] : offsets[hi]]
        lengths = np.diff(offsets[lo : hi + 1])
        keys = np.repeat(np.arange(hi - lo, dtype=np.int64), lengths)
        keys <<= TIME_BITS + STEP_BITS
        keys |= part
        keys.sort()  # each entity's events in time order (numpy's SIMD sort beats list_sort)
        fold_sorted(
            keys, starts, reached, timing, TIME_BITS, -lo, range_ms, window_ms, first_attempt
        )

    cores = _cores(len(seq))
    size = min(CHUNK_ENTITIES, -(-n // cores)) or 1
    _each(fold, [(lo, min(n, lo + size)) for lo in range(0, n, size)], cores)
    return Folded(starts=starts, reached_at=reached_at)


def _cores(events: int) -> int:
    """Threads for a fold of this many events: one per core for large inputs."""
    return min(os.cpu_count() or 1, 8) if events >= PARALLEL_EVENTS else 1


def _each(fold: Callable[[int, int], None], ranges: list[tuple[int, int]], cores: int) -> None:
    """``fold`` over independent ranges, in threads when there are several (numpy and the
    compiled fold release the GIL)."""
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
# (42 M keys in 150 runs: 0.83-0.90 s cut run by run, 2.1-2.8 s partitioned; 500 runs: 1.4-1.5
# against 1.9-2.7 s; 2,000 runs: 2.1-2.5 against 1.9-2.0 s.)
MAX_RUNS = 1024


def fold_keys(keys: Ints, *, q: FunnelQuery, timing: bool = False) -> Folded:
    """Fold events given one per row as ``entity << key_shift(q) | t * 16 + step`` (the
    entity a user number, the rest as in the sequences), in any order; the starts are indexed
    by user number, and number 0 (events without a user) is left out. ``keys_fit`` must hold
    for the largest entity.

    The store inserts each load sorted by user number and time, and a DuckDB scan hands its
    row groups to a few threads, so the rows come as sorted runs: a few, or one per load when
    the store was filled by many loads (beyond ``MAX_RUNS`` they are first partitioned by
    range of entities and sorted). The entities are folded in ranges of about
    ``PIECE_EVENTS`` events, small enough to stay in the processor's cache: each range is cut
    out of every run and, when it came from more than one, merged there (numpy's stable sort
    merges sorted runs), in the worker threads.
    """
    shift = key_shift(q)
    n = int(keys.max() >> shift) + 1 if len(keys) else 0
    steps = len(q.steps)
    starts = np.full((steps, n), MISSING, dtype=np.int64)
    reached_at = np.full((steps, n), MISSING, dtype=np.int64) if timing else None
    if n <= 1:
        return Folded(starts=starts, reached_at=reached_at)
    start_ms, end_ms = range_ms(q)
    reached = _NO_TIMING if reached_at is None else reached_at
    cores = _cores(len(keys))
    parts = cores * 4 if cores > 1 else 1
    # from user number 1: the rows without a user (number 0) fall before the first range
    cuts = (1 + np.arange(parts + 1, dtype=np.int64) * (n - 1) // parts) << shift
    runs = _sorted_runs(keys, cuts)
    from tobloop.analytics.insights.fold_kernel import fold_sorted  # compiled: loaded on use

    def fold(lo: int, hi: int) -> None:
        slices = [r[a:b] for r in runs for a, b in [np.searchsorted(r, (lo, hi))] if a < b]
        events = sum(len(s) for s in slices)
        if not events:
            return
        step = max(1 << shift, ((hi - lo) >> shift) * PIECE_EVENTS // events << shift)
        bounds = np.append(np.arange(lo, hi, step, dtype=np.int64), hi)
        at = [np.searchsorted(s, bounds) for s in slices]  # every piece's edges, per slice
        for j in range(len(bounds) - 1):
            pieces = [
                s[c[j] : c[j + 1]] for s, c in zip(slices, at, strict=True) if c[j] < c[j + 1]
            ]
            if not pieces:
                continue
            piece = pieces[0] if len(pieces) == 1 else np.concatenate(pieces)
            if len(pieces) > 1:
                # equal keys are equal integers, so any sort will do: a merge of a few sorted
                # runs is cheapest, a quicksort beyond (262,144 keys: 500 runs 3.2 against 9.5
                # ms, 2 runs 3.2 against 1.1)
                piece.sort(kind="stable" if len(pieces) <= MERGED_RUNS else "quicksort")
            fold_sorted(
                piece,
                starts,
                reached,
                timing,
                shift - STEP_BITS,
                0,
                end_ms - start_ms,
                q.window * 1000,
                q.first_attempt,
            )

    _each(fold, [(int(lo), int(hi)) for lo, hi in pairwise(cuts)], cores)
    return Folded(starts=starts, reached_at=reached_at)


# Events per piece of a fold: a piece merged from several runs stays in the processor's cache.
PIECE_EVENTS = 1 << 18
# A piece cut from more runs than this is sorted (quicksort) rather than merged (stable sort).
MERGED_RUNS = 16


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
