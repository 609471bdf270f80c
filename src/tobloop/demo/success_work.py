"""Success work in the demo: the playbooks run over the demo's accounts three weeks ago and
today, so the worklist has tasks of every tier — some done with outcomes, some overdue and
escalated — plus NPS/CSAT answers, CSM notes and a webhook endpoint with its delivery log."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from tobloop.accounts import facade as accounts
from tobloop.platform.facade import Principal
from tobloop.success.work import facade as work

# A receiver nobody runs: the delivery log shows retries with backoff until one is set up.
DEMO_WEBHOOK = "http://127.0.0.1:9/tobloop-demo-webhook"
OUTCOMES = {
    "risk": [("saved", 5), ("resolved", 3), ("no_action", 1), ("churned", 1)],
    "renewal": [("renewed", 6), ("expanded", 2), ("churned", 1)],
    "onboarding": [("resolved", 5), ("no_action", 1)],
    "opportunity": [("expanded", 3), ("no_action", 2), ("resolved", 2)],
}
NOTES = [
    ("positive", "QBR went well: the sponsor wants the reporting add-on next quarter."),
    ("positive", "Training for the new team finished; usage is picking up."),
    ("neutral", "Budget review in progress, decision expected next month."),
    ("neutral", "Asked for an on-site visit to walk through the integration."),
    ("negative", "Champion left; the new IT lead questions the renewal."),
    ("negative", "Complaints about report speed; escalated to support."),
]
COMMENTS = {
    "promoter": ["Saves our team hours every week.", "Great support from our CSM.", ""],
    "passive": ["Good, but reporting could be faster.", "", "Needs more integrations."],
    "detractor": ["Too hard for our staff to learn.", "Pricing went up too much.", ""],
}


def _all_accounts(principal: Principal) -> list[accounts.AccountView]:
    out: list[accounts.AccountView] = []
    offset = 0
    while True:
        page = accounts.list_accounts(
            principal, accounts.AccountFilter(limit=500, offset=offset, sort="created_at")
        )
        out.extend(page.items)
        offset += 500
        if offset >= page.count or not page.items:
            return out


def _weighted(rng: random.Random, choices: list[tuple[str, int]]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def _answers(
    rng: random.Random, account: accounts.AccountView, today: date
) -> list[dict[str, Any]]:
    """1–3 answers over the last 9 months; at-risk and churned accounts answer lower."""
    mean = {"at_risk": 4.5, "churned": 3.0, "onboarding": 8.0}.get(account.lifecycle_stage, 8.2)
    out = []
    for k in range(rng.randint(1, 3)):
        day = today - timedelta(days=rng.randint(1, 270))
        score = max(0, min(10, round(rng.gauss(mean, 1.8))))
        band = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
        out.append({
            "account": account.id, "id": f"demo-nps-{account.id}-{k}", "kind": "nps",
            "score": score, "email": f"user{k + 1}@{account.domain or 'example.com'}",
            "comment": rng.choice(COMMENTS[band]),
            "answered_at": datetime.combine(day, time(10, 0), tzinfo=UTC).isoformat(),
        })  # fmt: skip
    if rng.random() < 0.4:
        day = today - timedelta(days=rng.randint(1, 120))
        out.append({
            "account": account.id, "id": f"demo-csat-{account.id}", "kind": "csat",
            "score": max(1, min(5, round(rng.gauss(mean / 2, 0.8)))),
            "answered_at": datetime.combine(day, time(15, 0), tzinfo=UTC).isoformat(),
        })  # fmt: skip
    return out


def _complete_some(rng: random.Random, principal: Principal) -> None:
    """About 60 % of the open tasks get done with an outcome; the rest stay on the worklist."""
    items, _count = work.list_tasks(principal, work.TaskFilter(status="open", limit=500))
    for task in items:
        if rng.random() < 0.6:
            work.complete_task(principal, task.id, _weighted(rng, OUTCOMES[task.kind]),
                               "Handled in the weekly account review.")  # fmt: skip


def _backdate(rng: random.Random, principal: Principal, first_run: date, today: date) -> None:
    """Demo only: give the rows made just now the dates a real history would have — tasks of
    the first run opened that day and closed some days later, notes spread over two months."""
    from tobloop.success.work.models import Note, Task

    ws = principal.workspace_id
    opened = datetime.combine(first_run, time(9, 0), tzinfo=UTC)
    Task.objects.for_workspace(ws).update(created_at=opened)
    span = max(1, (today - first_run).days - 1)
    for task in Task.objects.for_workspace(ws).exclude(closed_at=None):
        task.closed_at = opened + timedelta(days=rng.randint(0, span), hours=rng.randint(1, 8))
        task.save(update_fields=["closed_at"])
    for note in Note.objects.for_workspace(ws):
        note.created_at = datetime.combine(
            today - timedelta(days=rng.randint(1, 60)), time(rng.randint(8, 18), 0), tzinfo=UTC
        )
        note.save(update_fields=["created_at"])


def install_demo_success_work(principal: Principal, today: date, seed: int = 42) -> None:
    """Run after the demo's revenue, events and health are in place."""
    rng = random.Random(seed + 11)
    everyone = _all_accounts(principal)
    answers: list[dict[str, Any]] = []
    for account in everyone:
        if rng.random() < 0.35:
            answers.extend(_answers(rng, account, today))
    for start in range(0, len(answers), 1000):
        work.record_answers(principal, answers[start : start + 1000], source="csv")
    for account in rng.sample(everyone, k=min(len(everyone), max(3, len(everyone) // 12))):
        sentiment, body = rng.choice(NOTES)
        work.add_note(principal, account.id, body, sentiment)
    first_run = today - timedelta(days=21)
    work.run_playbooks(principal, first_run, keep_firings=False)
    work.create_endpoint(principal, url=DEMO_WEBHOOK, events=["task.created", "task.completed"])
    _complete_some(rng, principal)
    _backdate(rng, principal, first_run, today)
    work.run_playbooks(principal, today, keep_firings=False)
