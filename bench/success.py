"""Health benchmark: score every account with every measure and profile, then back-test.

    TOBLOOP_DATA_DIR=$(mktemp -d) .venv/bin/python bench/success.py
        [--accounts 10000] [--events-per-account 100] [--seed 42] [--skip-build]

1. builds a demo workspace of ``--accounts`` companies with contacts, subscription histories
   and product events through the demo generators and the real import paths (not timed in
   the figures below; its time is printed);
2. installs three health profiles that together use every built-in measure: the demo's
   health code for small accounts, its weighted score for the rest, and a weighted profile
   of all twelve measures for mid-size accounts;
3. times one scoring run of the whole workspace as ``tobloop health score`` does it (load
   accounts, contacts and revenue, one usage query per window, judge, explain changes, store a
   verdict per account) — the first run of a day and a second one that replaces it;
4. times the back-test of every profile over a year of monthly snapshots (13).

Peak memory is the high-water mark of the process's resident set while a step runs, minus
the resident set when it started (sampled every 2 ms from /proc/self/statm).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tobloop.config.settings")

from measure import Measured  # noqa: E402  (bench/ is the script's directory)


def all_measures_profile() -> dict[str, Any]:
    """A weighted profile of every built-in measure (weights total 100)."""
    from tobloop.demo.health import KEY_EVENTS
    from tobloop.success.facade import HEALTH_MEASURES

    keys = sorted(HEALTH_MEASURES)
    weights = [100 // len(keys)] * len(keys)
    weights[0] += 100 - sum(weights)
    measures = []
    for key, weight in zip(keys, weights, strict=True):
        item: dict[str, Any] = {"measure": key, "weight": weight,
                                "bands": [{"threshold": 0, "points": 50},
                                          {"threshold": 1, "points": 100}]}  # fmt: skip
        if HEALTH_MEASURES[key].needs_events:
            item["events"] = KEY_EVENTS
        measures.append(item)
    return {"name": "All measures (bench)", "kind": "score", "segment": "mid",
            "measures": measures}  # fmt: skip


def build(args: argparse.Namespace) -> None:
    import tobloop.demo.build as demo_build

    # The demo scores months of history after building; the bench times one run instead.
    demo_build.install_demo_health = lambda principal, today: None  # type: ignore[assignment]
    demo_build.build_demo(
        accounts=args.accounts,
        seed=args.seed,
        fresh=True,
        events=args.accounts * args.events_per_account,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--events-per-account", type=int, default=100)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--skip-build", action="store_true", help="reuse the built workspace")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from tobloop.platform import facade as platform
    from tobloop.success import facade
    from tobloop.success.models import HealthProfile, HealthVerdict

    steps = []
    if not args.skip_build:
        built = Measured(f"build the demo ({args.accounts:,} accounts, not a target)", width=52)
        built.run(lambda: build(args))
        steps.append(built)
    principal = platform.system_principal("demo", "bench")
    HealthProfile.objects.for_workspace(principal.workspace_id).delete()
    HealthVerdict.objects.for_workspace(principal.workspace_id).delete()
    from tobloop.demo.health import SMALL_CODE, WEIGHTED

    for doc in (SMALL_CODE, WEIGHTED, all_measures_profile()):
        facade.create_health_profile(principal, doc)

    first = Measured("score every account, all measures (new day)", width=52)
    summary = first.run(lambda: facade.score_workspace(principal))
    again = Measured("score every account again (replaces the day)", width=52)
    again.run(lambda: facade.score_workspace(principal))
    backtest = Measured("back-test 3 profiles × 13 monthly snapshots (a year)", width=52)
    reports = backtest.run(lambda: facade.backtest_health(principal))
    steps += [first, again, backtest]

    print(f"accounts {summary.scored + summary.unscored:,}: scored {summary.scored:,} — "
          f"red {summary.red:,}, yellow {summary.yellow:,}, green {summary.green:,}")  # fmt: skip
    for r in reports:
        print(f"  back-test {r.profile}: {r.observations:,} observations, {r.churned:,} churned, "
              f"ROC AUC {r.roc_auc}, precision of red {r.precision_red}, "
              f"churned that were red {r.churned_red_share}")  # fmt: skip
    print(f"{'step':<52} {'wall':>11}  {'peak RSS':>13}")
    for s in steps:
        print(s.line())
    target = first.seconds < 30
    print(f"target: scoring under 30 s — {'met' if target else 'MISSED'}")
    return 0 if target else 1


if __name__ == "__main__":
    raise SystemExit(main())
