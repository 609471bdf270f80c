"""``tobloop demo``: build (or reuse) the demo workspace through the real import path."""

from __future__ import annotations

import csv
import io
import random
from dataclasses import asdict, dataclass, fields
from typing import Any

from django.db import transaction
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from tobloop.accounts import facade as accounts
from tobloop.demo.analytics import configure_demo_aarrr
from tobloop.demo.companies import CSMS, DemoCompany, DemoContact, company, contacts_for
from tobloop.demo.events import import_demo_events
from tobloop.demo.health import install_demo_health
from tobloop.demo.revenue import demo_today, import_revenue, plan_revenue, with_lifecycle
from tobloop.demo.success_work import install_demo_success_work
from tobloop.platform import facade as platform
from tobloop.platform.models import Workspace

DEMO_SLUG = "demo"
DEMO_VERSION = 3
# Product events per account by default: 5 million for the 1,000 accounts of the default demo
# (about two minutes to build); `tobloop demo --events 200000` builds a lighter one.
DEMO_EVENTS_PER_ACCOUNT = 5000
CHUNK = 250


@dataclass(frozen=True)
class DemoSummary:
    slug: str
    accounts: int
    contacts: int
    reused: bool


def _csv(rows: list[Any]) -> bytes:
    buf = io.StringIO()
    if not rows:
        return b""
    names = [f.name for f in fields(rows[0])]
    writer = csv.DictWriter(buf, fieldnames=names)
    writer.writeheader()
    for row in rows:
        writer.writerow(asdict(row))
    return buf.getvalue().encode()


def _existing(params: dict[str, Any]) -> DemoSummary | None:
    ws = Workspace.objects.filter(slug=DEMO_SLUG, is_demo=True).first()
    if ws is None or ws.demo_params != params:
        return None
    return DemoSummary(
        slug=ws.slug, accounts=ws.accounts.count(), contacts=ws.contacts.count(), reused=True
    )


def build_demo(
    *, accounts: int = 1000, seed: int = 42, fresh: bool = False, events: int | None = None
) -> DemoSummary:
    events = accounts * DEMO_EVENTS_PER_ACCOUNT if events is None else events
    params = {"accounts": accounts, "seed": seed, "version": DEMO_VERSION, "events": events}
    if not fresh and (found := _existing(params)) is not None:
        return found
    rng = random.Random(seed)
    companies = [company(rng, i + 1) for i in range(accounts)]
    people: list[DemoContact] = []
    for c in companies:
        people.extend(contacts_for(rng, c, len(people) + 1))
    today = demo_today()
    revenue = plan_revenue(random.Random(seed + 1), companies, today)
    companies = [with_lifecycle(c, revenue, today) for c in companies]
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    ) as progress:
        replaced = Workspace.objects.filter(slug=DEMO_SLUG).values_list("pk", flat=True).first()
        _prepare_workspace(params)
        principal = platform.system_principal(DEMO_SLUG, "demo-builder")
        _import_chunks(progress, "Accounts", companies, accounts_import=True, principal=principal)
        _import_chunks(progress, "Contacts", people, accounts_import=False, principal=principal)
        import_revenue(progress, principal, revenue)
        import_demo_events(
            progress,
            principal,
            companies,
            people,
            revenue,
            today,
            events=events,
            seed=seed,
            replaced_workspace_id=replaced,
        )
        step = progress.add_task("Health and churn model", total=1)
        install_demo_health(principal, today)
        progress.update(step, completed=1)
        configure_demo_aarrr(principal)
        step = progress.add_task("Playbooks and tasks", total=1)
        install_demo_success_work(principal, today, seed=seed)
        progress.update(step, completed=1)
    return DemoSummary(slug=DEMO_SLUG, accounts=len(companies), contacts=len(people), reused=False)


def _prepare_workspace(params: dict[str, Any]) -> None:
    with transaction.atomic():
        Workspace.objects.filter(slug=DEMO_SLUG).delete()
        platform.create_workspace(
            name="Demo · 示例公司",
            slug=DEMO_SLUG,
            currency="CNY",
            timezone="Asia/Shanghai",
            is_demo=True,
        )
        Workspace.objects.filter(slug=DEMO_SLUG).update(demo_params=params)
        demo_user = platform.create_user(username="demo", password="demo", is_staff=True)
        platform.add_member(workspace_slug=DEMO_SLUG, user_id=demo_user, role="owner")
        for name in CSMS:
            uid = platform.create_user(
                username=name, password="demo", email=f"{name}@tobloop.example"
            )
            platform.add_member(workspace_slug=DEMO_SLUG, user_id=uid, role="csm")


def _import_chunks(
    progress: Progress,
    label: str,
    rows: list[DemoCompany] | list[DemoContact],
    *,
    accounts_import: bool,
    principal: platform.Principal,
) -> None:
    task = progress.add_task(label, total=len(rows))
    importer = accounts.import_accounts if accounts_import else accounts.import_contacts
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        report = importer(principal, _csv(list(chunk)), filename=f"demo-{label.lower()}.csv")
        if report.rejected:
            raise RuntimeError(f"demo data rejected: {report.rejected[:3]}")
        progress.advance(task, len(chunk))
