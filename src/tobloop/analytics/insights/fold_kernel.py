"""The funnel fold's inner loop, compiled with numba (docs/decisions/0013).

Imported when a fold runs, not with :mod:`funnel_fold`: loading numba and the cached machine
code takes most of a second, which only the processes that fold a funnel should pay. The code
is cached beside this module or in the user's cache directory (``NUMBA_CACHE_DIR`` chooses
another); where none is writable each process compiles it once (about a second).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba
import numpy as np

from tobloop.analytics.insights.funnel_builder import STEP_BITS
from tobloop.analytics.insights.funnel_fold import MISSING, Ints

STEP_MASK = (1 << STEP_BITS) - 1
F = TypeVar("F", bound=Callable[..., Any])


def _compiled(function: F) -> F:
    """``function`` compiled without the GIL, its machine code cached when there is a
    writable place for it (numba refuses ``cache=True`` when there is none)."""
    try:
        return cast(F, numba.njit(nogil=True, cache=True)(function))
    except RuntimeError:  # a read-only install and no writable cache directory
        return cast(F, numba.njit(nogil=True)(function))


@_compiled
def fold_sorted(
    keys: Ints,
    starts: Ints,
    reached_at: Ints,
    timing: bool,
    time_bits: int,
    first_entity: int,
    range_ms: int,
    window_ms: int,
    first_attempt: bool,
) -> None:
    """Fill ``starts`` (and with ``timing`` ``reached_at``) from sorted keys
    ``entity << time_bits + STEP_BITS | t * 16 + step``; entity ``e`` goes to column
    ``e - first_entity``.

    One pass, one chain state per step (``f[k]``, the latest start of a chain that reached
    step ``k``, as in :mod:`funnel_fold`). Within a moment the keys are ordered by step, so
    when an event of step ``k`` is read every step ``k - 1`` event at or before its moment has
    been: ties are used in any order. With ``timing`` ``r[k]`` is the time of the first
    event at which ``f[k]`` took its final value.
    """
    steps = starts.shape[0]
    shift = time_bits + STEP_BITS
    time_mask = (np.int64(1) << time_bits) - 1
    f = np.full(steps, MISSING, np.int64)
    r = np.full(steps, MISSING, np.int64)
    entity = -1
    started = False
    for i in range(len(keys)):
        key = keys[i]
        if key >> shift != entity:
            if entity >= 0:
                for k in range(steps):
                    starts[k, entity - first_entity] = f[k]
                    if timing:
                        reached_at[k, entity - first_entity] = r[k]
            entity = key >> shift
            f[:] = MISSING
            r[:] = MISSING
            started = False
        step = key & STEP_MASK
        t = (key >> STEP_BITS) & time_mask
        if step == 0:
            # a step-1 event in the range starts a chain (only the first with first_attempt)
            if t < range_ms and not (first_attempt and started):
                started = True
                if t > f[0]:
                    f[0] = t
                    r[0] = t
        else:
            chain = f[step - 1]  # the best chain at the previous step as of this moment
            if chain >= 0 and chain >= t - window_ms and chain > f[step]:
                f[step] = chain
                r[step] = t
    if entity >= 0:
        for k in range(steps):
            starts[k, entity - first_entity] = f[k]
            if timing:
                reached_at[k, entity - first_entity] = r[k]
