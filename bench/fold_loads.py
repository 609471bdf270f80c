"""The funnel fold on the layout a loader-filled store gives, against the sorted layout.

    .venv/bin/python bench/fold_loads.py [--keys 20000000] [--users 2000000]
        [--loads 2,150,500,2000] [--repeat 2]

Makes ``--keys`` funnel keys (``user_number << shift | ms * 16 + step``, five steps over 89
days, as ``build_funnel_keys`` gives them) and lays them out as a DuckDB scan of the store
hands them over when the events came in ``--loads`` loads in time order, each inserted sorted
by user and time: one sorted run per load. Prints, per layout, the best elapsed time and CPU
time of ``funnel_fold.fold_keys`` (both cores) and the funnel's counts, which must not depend
on the layout. To compare two versions of the code, export the other one (``git archive REV
src | tar -x -C /tmp/old``) and alternate ``PYTHONPATH=/tmp/old/src`` runs with plain ones.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from itertools import pairwise
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(ROOT / "src"))

from tobloop.analytics.insights import funnel_fold  # noqa: E402
from tobloop.analytics.insights.funnel_builder import key_shift  # noqa: E402
from tobloop.analytics.insights.models import FunnelQuery  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=20_000_000)
    parser.add_argument("--users", type=int, default=2_000_000)
    parser.add_argument("--loads", default="2,150,500,2000")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    q = FunnelQuery.model_validate(
        {
            "steps": [{"event": f"e{i}"} for i in range(5)],
            "from": "2026-01-01",
            "to": "2026-03-31",
            "window": 7 * 86400,
        }
    )
    rng = np.random.default_rng(1)
    n = args.keys
    ms = np.sort(rng.integers(0, 89 * 86_400_000, n))  # arrival order: time order
    user = rng.integers(1, args.users + 1, n)
    keys = (user << key_shift(q)) | (ms * 16 + rng.integers(0, 5, n))
    for loads in (int(x) for x in args.loads.split(",")):
        edges = np.linspace(0, n, loads + 1).astype(np.int64)
        laid_out = np.concatenate([np.sort(keys[a:b]) for a, b in pairwise(edges)])
        best: tuple[float, float] | None = None
        for _ in range(args.repeat):
            cpu, wall = time.process_time(), time.perf_counter()
            folded = funnel_fold.fold_keys(laid_out, q=q)
            took = (time.perf_counter() - wall, time.process_time() - cpu)
            best = took if best is None or took < best else best
        assert best is not None
        print(
            f"loads {loads:6d}: {best[0]:.2f} s, {best[1]:.2f} CPU-s; counts {folded.counts()}",
            flush=True,
        )


if __name__ == "__main__":
    main()
