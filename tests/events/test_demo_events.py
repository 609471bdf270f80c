"""The demo's product usage: the requested volume, funnels that narrow, decline before churn."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date
from pathlib import Path

import orjson

from tobloop.demo.companies import company, contacts_for
from tobloop.demo.events import FUNNEL, plan_accounts, write_events
from tobloop.demo.revenue import plan_revenue

TODAY = date(2026, 11, 23)


def test_demo_usage_has_the_shape_of_a_real_product(tmp_path: Path) -> None:
    rng = random.Random(5)
    companies = [company(rng, i + 1) for i in range(300)]
    people = [p for c in companies for p in contacts_for(rng, c, 1)]
    revenue = plan_revenue(random.Random(6), companies, TODAY)
    first, accounts = plan_accounts(random.Random(7), companies, people, revenue, TODAY)
    path = tmp_path / "events.ndjson"
    written = write_events(random.Random(8), first, accounts, 60_000, path)
    messages = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    assert len(messages) == written and 0.9 * 60_000 < written < 1.1 * 60_000
    assert len({m["messageId"] for m in messages}) == written

    steps = Counter(m.get("event") for m in messages)
    funnel = [steps[name] for name, _ in FUNNEL[1:4]]
    assert funnel == sorted(funnel, reverse=True) and funnel[-1] > 0
    assert steps["Invite Accepted"] > 0 and steps["Feature Used"] > 0

    emails = {p.email for p in people}
    identified = [m for m in messages if m["type"] == "identify" and "email" in m["traits"]]
    assert identified and all(m["traits"]["email"] in emails for m in identified)

    churned = {a.company.external_id: a for a in accounts if a.churns and a.end > 150}
    assert churned
    per_window = Counter()
    for m in messages:
        acct = churned.get(m.get("context", {}).get("groupId", ""))
        if acct is None:
            continue
        day = (date.fromisoformat(m["timestamp"][:10]) - first).days
        if acct.end - 30 <= day < acct.end:
            per_window["last 30 days"] += 1
        elif acct.end - 150 <= day < acct.end - 120:
            per_window["4 months before"] += 1
    assert per_window["last 30 days"] < 0.5 * per_window["4 months before"]

    # Invitations (P-DATA-5): every accepted one names a colleague who sent one before it.
    sent = [m for m in messages if m.get("event") == "Invite Sent"]
    accepted = [m for m in messages if m.get("event") == "Invite Accepted"]
    assert len(sent) > len(accepted) > 100
    first_sent: dict[str, str] = {}
    for m in sent:
        first_sent[m["userId"]] = min(first_sent.get(m["userId"], "9"), m["timestamp"])
    for m in accepted:
        inviter = m["properties"]["inviter"]
        assert first_sent[inviter] <= m["timestamp"]

    # Adoption before expansion: an expanding account's people use it more in months 4–6
    # than in their first month.
    expanding = {
        a.company.external_id: a
        for a in accounts
        if a.expands and not a.churns and a.start >= 0 and a.end - a.start > 140
    }
    assert expanding
    early = late = 0
    for m in messages:
        acct = expanding.get(m.get("context", {}).get("groupId", ""))
        if acct is None or m["type"] not in ("track", "page"):
            continue
        day = (date.fromisoformat(m["timestamp"][:10]) - first).days - acct.start
        early += 14 <= day < 44
        late += 104 <= day < 134
    assert late > early
