"""The column fold (funnel_fold) on hand-made sequences, and on DuckDB against the SQL fold
and the oracle for funnels whose steps have distinct names (the only ones it folds)."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tobloop.analytics.insights import funnel_fold
from tobloop.analytics.insights.funnel_builder import key_shift
from tobloop.analytics.insights.funnel_fold import fold_sequences, timing_row
from tobloop.analytics.insights.models import FunnelQuery
from tobloop.analytics.insights.runners import FunnelRunner
from tobloop.analytics.insights.tests.fixtures import Engines, fresh_workspace
from tobloop.analytics.insights.tests.oracle import Ev, dropped_entities, funnel_counts
from tobloop.analytics.insights.tests.strategies import (
    ACCOUNT_VALUES,
    DATE_FROM,
    DATE_TO,
    ZONES,
    breakdowns,
    event_sets,
    step_filters,
    with_identifies,
)

FIVE = ["a", "b", "c", "d", "e"]
EXAMPLES = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def sequences(*entities: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Each entity's ``(ms, step)`` events as the builder's sorted ``ms * 16 + step``."""
    seq = [sorted(ms * 16 + step for ms, step in events) for events in entities]
    offsets = np.cumsum([0] + [len(s) for s in seq])
    return np.array([v for s in seq for v in s], dtype=np.int64), offsets.astype(np.int64)


def test_hand_made_chains_window_ties_and_first_attempt() -> None:
    # given three steps, a window of 100 ms and a range of 1,000 ms:
    seq, offsets = sequences(
        [(0, 0), (50, 1), (101, 2)],  # step 3 one ms too late for the start at 0
        [(0, 0), (60, 0), (70, 1), (160, 2)],  # the later start (60) completes in 100 ms
        [(10, 2), (10, 1), (10, 0)],  # all three at one moment: any order
        [(1000, 0), (1001, 1)],  # starts after the range: not counted
        [(5, 1), (6, 2)],  # no start
        [(0, 0), (900, 0), (950, 1), (990, 2)],  # first attempt fails, the best succeeds
    )
    # when
    best = fold_sequences(seq, offsets, steps=3, range_ms=1000, window_ms=100, timing=True)
    first = fold_sequences(seq, offsets, steps=3, range_ms=1000, window_ms=100, first_attempt=True)
    # then: starts of the latest-starting chain per step, -1 for none
    assert best.starts.tolist() == [
        [0, 60, 10, -1, -1, 900],
        [0, 60, 10, -1, -1, 900],
        [-1, 60, 10, -1, -1, 900],
    ]
    assert best.counts() == [4, 4, 3]
    assert first.counts() == [4, 3, 1]
    assert first.starts[2].tolist() == [-1, -1, 10, -1, -1, -1]
    # and the times to convert of the counted chains: step 2 took 50, 10, 0, 50 ms
    row = timing_row(best)
    assert row[:4] == [4, 110, 10, 50]  # entities, total, nearest-rank median and p90
    assert row[4:14] == [4, 0, 0, 0, 0, 0, 0, 0, 0, 0]  # all under a minute
    assert row[14:18] == [3, 100 + 0 + 90, 90, 100]


def test_entities_never_share_chains() -> None:
    # given a start in one entity and the next step in the following one
    seq, offsets = sequences([(0, 0)], [(1, 1)], [])
    # when / then
    folded = fold_sequences(seq, offsets, steps=2, range_ms=10, window_ms=10)
    assert folded.starts.tolist() == [[0, -1, -1], [-1, -1, -1]]


@st.composite
def distinct_funnels(draw: st.DrawFn) -> FunnelQuery:
    names = draw(st.permutations(FIVE))[: draw(st.integers(2, 5))]
    return FunnelQuery.model_validate(
        {
            "steps": [{"event": n, "filters": draw(step_filters())} for n in names],
            "from": DATE_FROM,
            "to": DATE_TO,
            "timezone": draw(st.sampled_from(ZONES)),
            "window": draw(st.sampled_from(["30m", "3h", "1d", 90])),
            "by": draw(st.sampled_from(["user", "account"])),
            "first_attempt": draw(st.booleans()),
            "breakdown": draw(breakdowns()),
            "over_time": draw(st.sampled_from([None, "day", "week"])),
            "time_to_convert": draw(st.booleans()),
        }
    )


@EXAMPLES
@given(
    events=with_identifies(event_sets(ties=True, max_size=40, names=FIVE)),
    q=distinct_funnels(),
    step=st.integers(2, 5),
)
def test_column_fold_agrees_with_the_sql_fold_and_the_oracle(
    engines: Engines, events: list[Ev], q: FunnelQuery, step: int
) -> None:
    # given random events with ties and a funnel of distinct step names
    ws = fresh_workspace()
    engines.load(ws, events)
    columns = FunnelRunner(q, workspace_id=ws, account_values=ACCOUNT_VALUES)
    sql = FunnelRunner(q, workspace_id=ws, account_values=ACCOUNT_VALUES, packed=True)
    # when
    got = columns.calculate(engines.duckdb)
    # then: the whole result is the SQL fold's, and the counts are the oracle's
    assert got == sql.calculate(engines.duckdb)
    assert [s.count for s in got.steps] == funnel_counts(events, q)
    step = min(step, len(q.steps))
    plain = q.model_copy(update={"breakdown": None, "over_time": None})
    dropped = FunnelRunner(plain, workspace_id=ws).dropped(engines.duckdb, step=step)
    assert dropped == dropped_entities(events, plain, step)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    entities=st.lists(
        st.lists(st.tuples(st.integers(0, 400), st.integers(0, 2)), max_size=8),
        min_size=1,
        max_size=40,
    ),
    without_user=st.lists(st.tuples(st.integers(0, 400), st.integers(0, 2)), max_size=4),
    layout=st.sampled_from(["sorted", "runs", "threads", "loads", "shuffled"]),
    first_attempt=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_fold_by_user_number_is_the_fold_of_sequences_in_any_row_order(
    monkeypatch: pytest.MonkeyPatch,
    entities: list[list[tuple[int, int]]],
    without_user: list[tuple[int, int]],
    layout: str,
    first_attempt: bool,
    seed: int,
) -> None:
    # given the events of numbered users (number i + 1; number 0: no user) one per row, in
    # one sorted run, as a few sorted runs (loads, or row groups dealt to scanning threads:
    # runs sharing the users at their edges), as many loads (each cut run by run) or
    # shuffled, folded in several chunks (and, shuffled, partitioned by entity)
    monkeypatch.setattr(funnel_fold, "PARALLEL_EVENTS", 0)
    if layout == "shuffled":
        monkeypatch.setattr(funnel_fold, "MAX_RUNS", 3)
    monkeypatch.setattr(funnel_fold, "PIECE_EVENTS", 4)
    q = FunnelQuery.model_validate(
        {
            "steps": [{"event": n} for n in "abc"],
            "from": "2026-01-01",
            "to": "2026-01-01",
            "window": 100,  # seconds
            "first_attempt": first_attempt,
        }
    )
    rows = [(i + 1, ms * 16 + step) for i, evs in enumerate(entities) for ms, step in evs]
    rows += [(0, ms * 16 + step) for ms, step in without_user]  # number 0: left out
    rng = np.random.default_rng(seed)
    if layout == "sorted":
        rows.sort()
    elif layout == "runs":
        cut = len(rows) // 2
        rows = sorted(rows[cut:]) + sorted(rows[:cut])
    elif layout == "threads":  # blocks of the sorted rows dealt to two scanning threads
        rows.sort()
        blocks = [rows[i : i + 3] for i in range(0, len(rows), 3)]
        rows = [r for b in blocks[::2] for r in b] + [r for b in blocks[1::2] for r in b]
    elif layout == "loads":  # up to a dozen loads, each sorted by user and time
        rng.shuffle(rows)
        cuts = sorted(rng.integers(0, len(rows) + 1, size=int(rng.integers(3, 12))).tolist())
        bounds = itertools.pairwise([0, *cuts, len(rows)])
        rows = [r for lo, hi in bounds for r in sorted(rows[lo:hi])]
    else:
        rng.shuffle(rows)
    entity = np.array([r[0] for r in rows], dtype=np.uint32)
    key = np.array([r[1] for r in rows], dtype=np.int64)
    # when
    keys = entity.astype(np.int64) * 2 ** key_shift(q) + key  # as build_funnel_keys
    got = funnel_fold.fold_keys(keys, q=q, timing=True)
    # then: the same starts and times as the fold of each user's sorted sequence
    seq, offsets = sequences([], *entities)
    want = fold_sequences(
        seq,
        offsets,
        steps=3,
        range_ms=86_400_000,
        window_ms=100_000,
        first_attempt=first_attempt,
        timing=True,
    )
    width = got.starts.shape[1]
    assert got.starts.tolist() == want.starts[:, :width].tolist()
    assert (want.starts[:, width:] == -1).all()  # users after the last with events
    assert got.reached_at is not None and want.reached_at is not None
    assert got.reached_at.tolist() == want.reached_at[:, :width].tolist()


@pytest.mark.parametrize("loads", [1, 40, 300])
def test_a_store_of_many_loads_folds_as_its_users_sequences(loads: int) -> None:
    # given 3,000 users' events stored in ``loads`` loads in arrival order, each load sorted
    # by user and time (as the loader inserts them): pieces cut from more than MERGED_RUNS
    # runs are sorted, from fewer merged; several pieces, two threads
    rng = np.random.default_rng(loads)
    n = 60_000
    user = rng.integers(1, 3_001, n)
    ms = np.sort(rng.integers(0, 86_400_000, n))  # arrival order is about time order
    ms[rng.random(n) < 0.05] -= 3_600_000  # some arrive an hour late
    ms = np.maximum(ms, 0)
    step = rng.integers(0, 3, n)
    q = FunnelQuery.model_validate(
        {"steps": [{"event": e} for e in "abc"], "from": "2026-01-01", "to": "2026-01-01",
         "window": 3600}
    )  # fmt: skip
    keys = (user << key_shift(q)) | (ms * 16 + step)
    edges = np.linspace(0, n, loads + 1).astype(np.int64)
    stored = np.concatenate([np.sort(keys[a:b]) for a, b in itertools.pairwise(edges)])
    # when
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(funnel_fold, "PARALLEL_EVENTS", 0)
        patch.setattr(funnel_fold, "PIECE_EVENTS", 4_096)
        got = funnel_fold.fold_keys(stored, q=q, timing=True)
    # then: the fold of each user's own sorted sequence
    order = np.argsort(user, kind="stable")
    edges = np.searchsorted(user[order], np.arange(1, 3_002))
    per_user = [
        list(zip(ms[order[a:b]].tolist(), step[order[a:b]].tolist(), strict=True))
        for a, b in itertools.pairwise(edges)
    ]
    want = fold_sequences(
        *sequences(*per_user), steps=3, range_ms=86_400_000, window_ms=3_600_000, timing=True
    )
    width = got.starts.shape[1] - 1  # up to the last user with events
    assert got.starts[:, 1:].tolist() == want.starts[:, :width].tolist()
    assert got.reached_at is not None and want.reached_at is not None
    assert got.reached_at[:, 1:].tolist() == want.reached_at[:, :width].tolist()


def test_the_fold_compiles_where_its_code_cannot_be_cached() -> None:
    """A read-only install with no writable cache directory: numba finds no cache locator
    (forced here through its setting) and the fold is compiled per process instead."""
    script = (
        "import numpy as np\n"
        "from tobloop.analytics.insights import fold_kernel as k\n"
        "from tobloop.analytics.insights.funnel_fold import fold_sequences\n"
        "f = fold_sequences(np.array([0 * 16 + 0, 5 * 16 + 1]), np.array([0, 2]), steps=2,"
        " range_ms=10, window_ms=10)\n"
        "print(type(k.fold_sorted._cache).__name__, f.counts())\n"
    )
    env = {**os.environ, "NUMBA_CACHE_LOCATOR_CLASSES": "IPythonCacheLocator"}
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["NullCache", "[1,", "1]"]
