"""Revenue benchmark: the full metric set on a large workspace, beside the oracle.

    TOBLOOP_DATA_DIR=$(mktemp -d) .venv/bin/python bench/revenue.py
        [--accounts 100000] [--subscriptions 300000] [--years 5] [--seed 1]
        [--no-db] [--no-oracle]

It generates random but valid subscription histories (every record kind: starts on monthly,
quarterly, annual and multi-year terms, seat and price changes, plan changes, discounts that
end, cancellations, reactivations, converted foreign prices), acquisition spend per channel
per month, then:

1. folds every history into the MRR ledger (what an import does on write);
2. stores the workspace — accounts, subscriptions, their change records and the ledger — in
   the application database (SQLite in TOBLOOP_DATA_DIR, or DATABASE_URL);
3. times the full metric set the way ``tobloop metrics`` computes it: read the ledger, accounts
   and spend from the database, evaluate month-end MRR per account, the bridge, NRR/GRR, CC,
   logo churn, quick ratio, LTV (simple and Kaplan–Meier), CAC and payback by channel, and the
   cohort tables;
4. times the independent oracle (src/tobloop/revenue/tests/oracle.py) on the same histories
   and checks that both give the same headline figures.

Peak memory is the high-water mark of the process's resident set while a step runs, minus
the resident set when it started (sampled every 2 ms from /proc/self/statm).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tobloop.config.settings")

from measure import Measured, peak_rss  # noqa: E402  (bench/ is the script's directory)


def generate(args: argparse.Namespace) -> dict[str, Any]:
    from tobloop.revenue.tests.histories import CHANNELS, random_history

    rng = random.Random(args.seed)
    first = date(2025 - args.years, 1, 1)
    last = date(2024, 12, 31)
    names = [f"A{i}" for i in range(args.accounts)]
    histories = []
    for i in range(args.subscriptions):
        account = names[i] if i < args.accounts else rng.choice(names)  # every account pays
        histories.append(random_history(rng, f"S{i}", account, first, last))
    channels = {a: rng.choice(CHANNELS) for a in names}
    spend = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        for channel in CHANNELS[:5]:
            spend.append((channel, f"{y:04d}-{m:02d}", Decimal(rng.randint(10_000, 900_000))))
        y, m = (y, m + 1) if m < 12 else (y + 1, 1)
    return {"histories": histories, "channels": channels, "spend": spend, "as_of": last}


def fold(book: dict[str, Any]) -> list[tuple[str, int, Any]]:
    from tobloop.revenue.logic.terms import fold_history
    from tobloop.revenue.tests.pipeline import change_records

    return [
        (h["account"], n, fold_history(change_records(h["records"])))
        for n, h in enumerate(book["histories"])
    ]


def store(book: dict[str, Any], folded: list[tuple[str, int, Any]]) -> Any:
    """The workspace in the application database, written in bulk."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from tobloop.accounts.models import Account
    from tobloop.platform import facade as platform
    from tobloop.platform.models import Workspace
    from tobloop.revenue.models import (
        AcquisitionSpend,
        Plan,
        RevenueSegment,
        Subscription,
        SubscriptionChange,
    )
    from tobloop.revenue.tests.pipeline import PLANS, change_records

    Workspace.objects.filter(slug="bench").delete()
    ws = platform.create_workspace(name="Revenue bench", slug="bench", currency="CNY")
    Account.objects.bulk_create(
        [
            Account(
                workspace_id=ws.id,
                external_id=a,
                name=f"Account {a}",
                acquisition_channel=c,
                segment="small",
            )
            for a, c in book["channels"].items()
        ],
        batch_size=5000,
    )
    ids = dict(Account.objects.for_workspace(ws.id).values_list("external_id", "pk"))
    plans = {}
    for name, _n in PLANS.items():
        plans[name] = Plan.objects.create(workspace_id=ws.id, external_id=name, name=name).pk
    plan_id = {n: plans[name] for name, n in PLANS.items()}
    Subscription.objects.bulk_create(
        [
            Subscription(
                workspace_id=ws.id,
                account_id=ids[h["account"]],
                external_id=h["id"],
                currency="CNY",
            )
            for h in book["histories"]
        ],
        batch_size=5000,
    )
    subs = dict(Subscription.objects.for_workspace(ws.id).values_list("external_id", "pk"))
    changes, segments = [], []
    for h, (account, _n, pieces) in zip(book["histories"], folded, strict=True):
        sid = subs[h["id"]]
        for r in change_records(h["records"]):
            changes.append(
                SubscriptionChange(
                    workspace_id=ws.id,
                    subscription_id=sid,
                    effective=r.effective,
                    event=r.event,
                    plan_id=plan_id.get(r.plan_id) if r.plan_id else None,
                    quantity=r.quantity,
                    unit_price=r.unit_price,
                    fx_rate=r.fx_rate,
                    interval_months=r.interval_months,
                    discount=r.discount,
                    discount_end=r.discount_end,
                )
            )
        for p in pieces:
            segments.append(
                RevenueSegment(
                    workspace_id=ws.id,
                    subscription_id=sid,
                    account_id=ids[account],
                    plan_id=plan_id.get(p.plan_id) if p.plan_id else None,
                    start=p.start,
                    end=p.end,
                    mrr_cents=p.mrr_cents,
                )
            )
    SubscriptionChange.objects.bulk_create(changes, batch_size=5000)
    RevenueSegment.objects.bulk_create(segments, batch_size=5000)
    AcquisitionSpend.objects.bulk_create(
        [
            AcquisitionSpend(
                workspace_id=ws.id, channel=c, month=date(int(m[:4]), int(m[5:]), 1), amount=a
            )
            for c, m, a in book["spend"]
        ],
        batch_size=5000,
    )
    return platform.system_principal("bench", "bench"), len(changes), len(segments)


def full_set_from_db(principal: Any, as_of: date) -> Any:
    """What `tobloop metrics` and the Revenue page compute, from the database."""
    from tobloop.revenue.logic import metrics as calc
    from tobloop.revenue.logic.dataset import load_revenue

    data = load_revenue(principal)
    snap = calc.Snapshot(data, as_of)
    m = calc.compute_metrics(data, as_of=as_of, snapshot=snap)
    return m, calc.cohort_table(snap)


def full_set_in_memory(book: dict[str, Any], folded: list[tuple[str, int, Any]]) -> Any:
    import pandas as pd

    from tobloop.revenue.logic import engine as eng
    from tobloop.revenue.logic import metrics as calc

    ids = {a: i + 1 for i, a in enumerate(book["channels"])}
    rows = [
        (ids[a], n, s.start, s.end, s.mrr_cents, s.plan_id)
        for a, n, pieces in folded
        for s in pieces
    ]
    accounts = pd.DataFrame(
        {
            "name": list(ids),
            "external_id": list(ids),
            "segment": "small",
            "industry": "",
            "region": "",
            "channel": list(book["channels"].values()),
        },
        index=pd.Index(list(ids.values()), name="id"),
    )
    spend = pd.DataFrame(
        {
            "channel": [c for c, _m, _a in book["spend"]],
            "month": [int(m[:4]) * 12 + int(m[5:]) - 1 for _c, m, _a in book["spend"]],
            "amount": [a for _c, _m, a in book["spend"]],
        }
    )
    data = calc.RevenueData("CNY", eng.ledger_from_rows(rows), accounts, spend)
    as_of = book["as_of"]

    def compute() -> Any:
        snap = calc.Snapshot(data, as_of)
        return calc.compute_metrics(data, as_of=as_of, snapshot=snap), calc.cohort_table(snap)

    return compute


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--subscriptions", type=int, default=300_000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-db", action="store_true", help="skip the database round trip")
    parser.add_argument("--no-oracle", action="store_true", help="skip the (slow) oracle")
    args = parser.parse_args()

    import django

    django.setup()
    print(
        f"{args.accounts:,} accounts, {args.subscriptions:,} subscriptions, {args.years} years; "
        f"python {sys.version.split()[0]}, {os.cpu_count()} cpu",
        flush=True,
    )
    steps: list[Measured] = []
    warm = Measured("import lifelines (once per process, lazily)")
    warm.run(lambda: __import__("lifelines"))
    steps.append(warm)
    gen = Measured("generate histories (not timed against)")
    book = gen.run(lambda: generate(args))
    records = sum(len(h["records"]) for h in book["histories"])
    print(f"{records:,} change records", flush=True)
    folding = Measured("production: fold histories into the MRR ledger")
    folded = folding.run(lambda: fold(book))
    steps += [gen, folding]
    as_of = book["as_of"]
    result = None
    if not args.no_db:
        saving = Measured("store the workspace in the database (bulk)")
        principal, n_changes, n_segments = saving.run(lambda: store(book, folded))
        print(f"stored {n_changes:,} change records, {n_segments:,} ledger segments", flush=True)
        prod = Measured("production: full metric set, read from the database")
        result = prod.run(lambda: full_set_from_db(principal, as_of))
        steps += [saving, prod]
    compute = full_set_in_memory(book, folded)
    mem = Measured("production: full metric set, ledger in memory")
    in_memory = mem.run(compute)
    steps.append(mem)
    result = result or in_memory
    print(
        f"production: MRR {result[0].mrr}, NRR {result[0].nrr_12:.4f}, "
        f"{len(result[0].months)} months, {len(result[1].months)} cohorts",
        flush=True,
    )
    if not args.no_oracle:
        from tobloop.revenue.tests.oracle import Oracle

        oracle = Oracle(book["histories"], book["channels"], book["spend"], every_day=False)
        slow = Measured("oracle: day-by-day replay of every history")
        answer = slow.run(lambda: oracle.compute(as_of))
        steps.append(slow)
        same = (
            answer["mrr"] == result[0].mrr
            and [r["mrr_end"] for r in answer["months"]] == [r.mrr_end for r in result[0].months]
            and abs(float(answer["nrr_12"]) - result[0].nrr_12) < 1e-12
        )
        print(f"oracle agrees on MRR, the monthly series and NRR: {'yes' if same else 'NO'}")
    print()
    print(f"{'step':<48} {'time':>11}  {'peak extra RSS':>13}")
    for s in steps:
        print(s.line())
    print(f"\nprocess peak RSS (all steps, data included): {peak_rss() / 2**30:.2f} GiB")
    if not args.no_oracle:
        best = prod.seconds if not args.no_db else mem.seconds
        print(
            f"\noracle ÷ production (full set{'' if args.no_db else ' from the database'}): "
            f"{slow.seconds / best:.0f}×"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
