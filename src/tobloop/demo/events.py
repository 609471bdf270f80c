"""Seeded product usage for the demo accounts, loaded through ``tobloop import events``.

Each account's people use the product between its first paid day (after a two-week trial)
and its cancellation (or today), over the last ``EVENT_MONTHS`` months:

- new accounts run an onboarding funnel (Signed Up → Workspace Created → Data Source
  Connected → First Report Created → Invite Sent), completed less often by accounts that
  churn later (P-DATA-2);
- people invite colleagues (Invite Sent, one in four never answered), who accept on joining
  (Invite Accepted, naming the inviter) and sign up (P-DATA-5);
- features are adopted one after another; accounts that expand adopt more of them and use
  the product more and more over their first half year (adoption before expansion);
- usage fades over the 90 days before a cancellation (the signal the success module reads).

People identify themselves with the e-mail of their Contact (so users link to contacts) and
send a group call with the account's traits. The volume is scaled to ``events`` in total: the
days of use are planned in Python, their events (the bulk) expanded and written by DuckDB.
The event names are listed in docs/demo.md.
"""

from __future__ import annotations

import random
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from rich.progress import Progress

from tobloop.demo.companies import DemoCompany, DemoContact
from tobloop.demo.revenue import DemoRevenue

EVENT_MONTHS = 12
TRIAL_DAYS = 14
DECLINE_DAYS = 90
DAY_MS = 86_400_000
FUNNEL = [
    ("Signed Up", 1.0),
    ("Workspace Created", 0.93),
    ("Data Source Connected", 0.74),
    ("First Report Created", 0.62),
    ("Invite Sent", 0.55),
]
# The invitation events (stable names: the AARRR settings of the demo map them).
INVITE_SENT, INVITE_ACCEPTED = "Invite Sent", "Invite Accepted"
FEATURES = ["dashboards", "reports", "alerts", "exports", "integrations", "api", "forecasts"]
DAILY = [
    ("Dashboard Viewed", 6),
    ("Report Viewed", 4),
    ("Report Exported", 2),
    ("Filter Applied", 3),
    ("Comment Added", 1),
    ("Alert Created", 1),
]
MIN_SESSION = 4  # events of a day of use: a page view and a few actions
PAGES = ["Home", "Dashboards", "Reports", "Settings", "Billing", "Help"]
# Shanghai working hours in UTC: 09:00–19:00 +08:00.
WORK_START_MS, WORK_SPAN_MS = 1 * 3_600_000, 10 * 3_600_000


@dataclass
class _Person:
    user_id: str
    email: str | None
    name: str
    role: str
    joins: int  # day index in the window
    activity: float  # chance of using the product on a working day


@dataclass
class _Account:
    company: DemoCompany
    start: int  # first day index of use (trial start), may be negative: before the window
    end: int  # day after the last day of use
    churns: bool
    expands: bool
    people: list[_Person] = field(default_factory=list)


def _by_account(revenue: DemoRevenue) -> dict[str, list[dict[str, str]]]:
    """Revenue rows per account (only a subscription's first row names its account)."""
    owner: dict[str, str] = {}
    out: dict[str, list[dict[str, str]]] = {}
    for row in revenue.rows:
        sid = row["subscription_id"]
        owner.setdefault(sid, row["account_external_id"])
        out.setdefault(owner[sid], []).append(row)
    return out


def _cancel_days(rows: dict[str, list[dict[str, str]]], paying: set[str]) -> dict[str, date]:
    """Last cancellation day of accounts that no longer pay."""
    return {
        ext: max(date.fromisoformat(r["date"]) for r in own if r["event"] == "cancel")
        for ext, own in rows.items()
        if ext not in paying and any(r["event"] == "cancel" for r in own)
    }


def _expanding(rows: dict[str, list[dict[str, str]]]) -> set[str]:
    """Accounts that upgraded a plan or added a second subscription."""
    return {
        ext
        for ext, own in rows.items()
        if any(
            (r["event"] == "change" and r["plan"]) or r["subscription_id"].endswith("-X")
            for r in own
        )
    }


def plan_accounts(
    rng: random.Random,
    companies: list[DemoCompany],
    people: list[DemoContact],
    revenue: DemoRevenue,
    today: date,
) -> tuple[date, list[_Account]]:
    first = today - timedelta(days=EVENT_MONTHS * 30)
    rows = _by_account(revenue)
    cancels, expanding = _cancel_days(rows, revenue.paying_at_end), _expanding(rows)
    contacts: dict[str, list[DemoContact]] = {}
    for p in people:
        contacts.setdefault(p.account_external_id, []).append(p)
    accounts: list[_Account] = []
    for c in companies:
        paid = revenue.first_paid.get(c.external_id)
        if paid is None:
            continue
        start = (paid - timedelta(days=TRIAL_DAYS) - first).days
        end = (cancels.get(c.external_id, today) - first).days
        if end <= max(start, 0):
            continue
        acct = _Account(c, start, end, c.external_id in cancels, c.external_id in expanding)
        extra = min(max(1, c.headcount // 15), 40)
        for k, contact in enumerate(contacts.get(c.external_id, [])):
            acct.people.append(_person(rng, acct, f"{c.external_id}-u{k}", contact, k))
        for _ in range(extra):
            n = len(acct.people)
            acct.people.append(_person(rng, acct, f"{c.external_id}-u{n}", None, n))
        accounts.append(acct)
    return first, accounts


def _person(
    rng: random.Random, acct: _Account, user_id: str, contact: DemoContact | None, k: int
) -> _Person:
    joins = acct.start if k == 0 else acct.start + int(rng.expovariate(1 / 45))
    role = contact.role if contact else "end_user"
    base = {"decision_maker": 0.15, "buyer": 0.1, "it_gate": 0.25, "champion": 0.75}.get(role, 0.55)
    return _Person(
        user_id=user_id,
        email=contact.email if contact else None,
        name=contact.name if contact else f"User {user_id}",
        role=role,
        joins=joins,
        activity=min(0.95, base * rng.uniform(0.5, 1.4)),
    )


class _Writer:
    """Segment messages as NDJSON lines, with stable message ids."""

    def __init__(self, path: Path, first: date) -> None:
        self.file = path.open("wb")
        self.origin = int(datetime(first.year, first.month, first.day, tzinfo=UTC).timestamp())
        self.origin *= 1000
        self.n = 0

    def emit(self, rng: random.Random, day: int, msg: dict[str, Any], offset: int = -1) -> None:
        ms = self.origin + day * DAY_MS + WORK_START_MS
        ms += offset if offset >= 0 else rng.randrange(WORK_SPAN_MS)
        self.n += 1
        msg["messageId"] = f"demo-{self.n}"
        msg["timestamp"] = datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")
        self.file.write(orjson.dumps(msg, option=orjson.OPT_APPEND_NEWLINE))

    def close(self) -> None:
        self.file.close()


def _health(acct: _Account, day: int) -> float:
    """Usage intensity: ramps up in the first weeks, grows over the first half year of an
    account that expands (adoption before expansion), fades before a cancellation."""
    ramp = min(1.0, 0.4 + 0.6 * max(0, day - acct.start) / 30)
    if acct.expands:
        ramp *= 1.0 + 0.6 * min(1.0, max(0, day - acct.start) / 180)
    if acct.churns and acct.end - day < DECLINE_DAYS:
        left = max(0.08, (acct.end - day) / DECLINE_DAYS)
        return float(ramp * left**1.5)
    return ramp


def _active_days(rng: random.Random, acct: _Account, p: _Person, health: list[float]) -> list[int]:
    """The days ``p`` uses the product; ``health[i]`` is the account's on day ``start + i``."""
    draw = rng.random
    first = max(p.joins, 0)
    offset = max(acct.start, 0)
    weekday, weekend = p.activity, p.activity * 0.12  # the window starts on any weekday: fine
    return [
        day
        for day in range(first, acct.end)
        if draw() < health[day - offset] * (weekday if day % 7 not in (5, 6) else weekend)
    ]


def _account_health(acct: _Account) -> list[float]:
    return [_health(acct, day) for day in range(max(acct.start, 0), acct.end)]


def write_events(
    rng: random.Random, first: date, accounts: list[_Account], target: int, path: Path
) -> int:
    """Write about ``target`` events; returns how many were written."""
    days: dict[tuple[str, str], list[int]] = {}
    for a in accounts:
        health = _account_health(a)
        for p in a.people:
            days[(a.company.external_id, p.user_id)] = _active_days(rng, a, p, health)
    active = sum(len(v) for v in days.values()) or 1
    fixed = sum(len(a.people) * 3 for a in accounts)  # identify, group, onboarding
    budget = max(target - fixed, active // 50)
    if active * MIN_SESSION > budget:  # fewer active days, each a real session
        keep = budget / (active * MIN_SESSION)
        days = {k: [d for d in v if rng.random() < keep] for k, v in days.items()}
        active = sum(len(v) for v in days.values()) or 1
    per_day = max(float(MIN_SESSION), budget / active)
    out = _Writer(path, first)
    sessions = _Sessions()
    for acct in accounts:
        _write_account(rng, out, acct, days, per_day, sessions)
    out.close()
    return out.n + sessions.write(path, out.origin, out.n)


@dataclass
class _Sessions:
    """The days of use, one row each; DuckDB expands them into their events (the bulk of the
    demo) and appends those to the NDJSON file, without Python touching each event."""

    user_id: list[str] = field(default_factory=list)
    group_id: list[str] = field(default_factory=list)
    day: list[int] = field(default_factory=list)
    events: list[int] = field(default_factory=list)
    tenure: list[float] = field(default_factory=list)  # 60-day periods since the trial began
    features: list[int] = field(default_factory=list)  # how many FEATURES the account adopted

    def add(self, user: str, group: str, day: int, n: int, tenure: float, features: int) -> None:
        self.user_id.append(user)
        self.group_id.append(group)
        self.day.append(day)
        self.events.append(n)
        self.tenure.append(tenure)
        self.features.append(features)

    def write(self, path: Path, origin_ms: int, numbered: int) -> int:
        """Append the sessions' events to ``path``; returns how many. Message ids continue
        after ``numbered``; every random choice is a hash of (session, position), so the file
        is the same on every run."""
        if not self.day:
            return 0
        import duckdb
        import pyarrow as pa  # type: ignore[import-untyped]

        first: list[int] = []
        total = 0
        for n in self.events:
            first.append(total)
            total += n
        table = pa.table(
            {
                "sid": pa.array(range(len(self.day)), pa.int64()),
                "user_id": self.user_id,
                "group_id": self.group_id,
                "day": pa.array(self.day, pa.int64()),
                "n": pa.array(self.events, pa.int64()),
                "first": pa.array(first, pa.int64()),
                "tenure": pa.array(self.tenure, pa.float64()),
                "features": pa.array(self.features, pa.int64()),
            }
        )
        weights = [w for _, w in DAILY]
        bounds = [sum(weights[: i + 1]) / sum(weights) for i in range(len(weights))]
        pick = " ".join(
            f"WHEN u_event < {b!r} THEN '{e}'" for (e, _), b in zip(DAILY, bounds, strict=True)
        )
        sql = f"""
        COPY (
            WITH ev AS (
                SELECT s.*, pos,
                       (hash(sid, pos, 1) % 1000000) / 1e6 AS u_feature,
                       (hash(sid, pos, 2) % 1000000) / 1e6 AS u_pick,
                       (hash(sid, pos, 3) % 1000000) / 1e6 AS u_event,
                       hash(sid, pos, 4) AS h
                FROM sessions AS s, range(s.n) AS r(pos)),
            named AS (
                SELECT *, CASE WHEN pos = 0 THEN NULL
                               WHEN u_feature < 0.35 THEN 'Feature Used'
                               ELSE CASE {pick} ELSE '{DAILY[-1][0]}' END END AS event
                FROM ev)
            SELECT CASE WHEN pos = 0 THEN 'page' ELSE 'track' END AS type,
                   event,
                   CASE WHEN pos = 0 THEN $pages[1 + (h % {len(PAGES)})::INTEGER] END AS name,
                   user_id AS userId,
                   {{'groupId': group_id}} AS context,
                   CASE WHEN event = 'Feature Used'
                        THEN json_object('feature', $features[1 + least(
                            floor(u_pick * (1 + tenure))::INTEGER, features - 1)])
                        WHEN event = 'Report Exported'
                        THEN json_object('format', ['xlsx', 'csv', 'pdf'][1 + (h % 3)::INTEGER])
                        ELSE '{{}}'::JSON END AS properties,
                   'demo-' || ($numbered + first + pos + 1) AS messageId,
                   strftime(make_timestamp(($origin + day * {DAY_MS} + {WORK_START_MS}
                                            + (h % {WORK_SPAN_MS})::BIGINT) * 1000),
                            '%Y-%m-%dT%H:%M:%S.%gZ') AS timestamp
            FROM named
        ) TO '{path}.sessions' (FORMAT JSON)
        """
        con = duckdb.connect(config={"threads": 2, "memory_limit": "512MB"})
        try:
            con.register("sessions", table)
            con.execute(
                sql,
                {"pages": PAGES, "features": FEATURES, "numbered": numbered, "origin": origin_ms},
            )
        finally:
            con.close()
        extra = Path(f"{path}.sessions")
        with path.open("ab") as out, extra.open("rb") as src:
            shutil.copyfileobj(src, out, 16 << 20)
        extra.unlink()
        return total


def _write_account(
    rng: random.Random,
    out: _Writer,
    acct: _Account,
    days: dict[tuple[str, str], list[int]],
    per_day: float,
    sessions: _Sessions,
) -> None:
    c = acct.company
    ext = c.external_id
    group_traits = {"name": c.name, "industry": c.industry, "employees": c.headcount}
    completes = [rng.random() < p * (0.7 if acct.churns else 1.0) for _, p in FUNNEL]
    adopted = 2 + (3 if acct.expands else 0) + rng.randint(0, 2)
    features = FEATURES[: min(adopted, len(FEATURES))]
    for k, p in enumerate(acct.people):
        join = max(p.joins, 0)
        if join >= acct.end:
            continue
        ctx = {"groupId": ext}
        traits = {"name": p.name, "role": p.role} | ({"email": p.email} if p.email else {})
        out.emit(rng, join, {"type": "identify", "userId": p.user_id, "traits": traits}, 0)
        out.emit(
            rng,
            join,
            {"type": "group", "userId": p.user_id, "groupId": ext, "traits": group_traits},
            1,
        )
        if p.joins >= 0:  # joined inside the window: the onboarding funnel, or an invitation
            steps = FUNNEL if k == 0 else FUNNEL[:1]
            if k > 0:
                _invitation(rng, out, acct, k, ctx)
            for i, (step, _) in enumerate(steps):
                if k == 0 and not all(completes[: i + 1]):
                    break
                out.emit(
                    rng,
                    join + (i // 2),
                    {"type": "track", "event": step, "userId": p.user_id, "context": ctx},
                    3 + i,
                )
        for day in days[(ext, p.user_id)]:
            n = int(per_day) + (rng.random() < per_day % 1)
            sessions.add(p.user_id, ext, day, n, (day - acct.start) / 60, len(features))


def _invitation(
    rng: random.Random, out: _Writer, acct: _Account, k: int, ctx: dict[str, str]
) -> None:
    """Person ``k`` joins because a colleague who joined earlier invited them (P-DATA-5):
    Invite Sent by the colleague one to three days before, Invite Accepted on joining; about
    one invitation in four is never accepted."""
    p = acct.people[k]
    inviter = rng.choice([q for q in acct.people[:k] if q.joins <= p.joins])
    sent = max(p.joins - rng.randint(1, 3), inviter.joins, 0)
    invites = 1 + (rng.random() < 0.35)  # the second one stays unanswered
    for _ in range(invites):
        out.emit(
            rng,
            sent,
            {
                "type": "track",
                "event": INVITE_SENT,
                "userId": inviter.user_id,
                "context": ctx,
                "properties": {
                    "invitee_role": "colleague",
                    "channel": rng.choice(["email", "link"]),
                },
            },
            0 if sent == p.joins else -1,
        )
    out.emit(
        rng,
        p.joins,
        {
            "type": "track",
            "event": INVITE_ACCEPTED,
            "userId": p.user_id,
            "context": ctx,
            "properties": {"inviter": inviter.user_id},
        },
        2,
    )


def import_demo_events(
    progress: Progress,
    principal: Any,
    companies: list[DemoCompany],
    people: list[DemoContact],
    revenue: DemoRevenue,
    today: date,
    *,
    events: int,
    seed: int,
    replaced_workspace_id: int | None = None,
) -> int:
    """Generate and import the demo's product events; returns how many were stored.

    The events of the demo workspace this one replaces went with it (the event store listens
    to workspace deletions); they are removed again here in case that listener failed.
    """
    from tobloop.analytics import facade as analytics

    if replaced_workspace_id is not None and replaced_workspace_id != principal.workspace_id:
        analytics.event_store().delete_workspace(replaced_workspace_id)
    if events <= 0:
        return 0
    task = progress.add_task("Events", total=None)
    rng = random.Random(seed + 2)
    first, accounts = plan_accounts(rng, companies, people, revenue, today)
    with tempfile.TemporaryDirectory(prefix="tobloop-demo-") as tmp:
        path = Path(tmp) / "events.ndjson"
        written = write_events(rng, first, accounts, events, path)
        progress.update(task, total=written, completed=0)

        def report(phase: str, done: int, total: int | None) -> None:
            progress.update(task, completed=done)

        result = analytics.import_events(
            principal, path, filename="demo-events.ndjson", progress=report
        )
    if result.rejected:
        raise RuntimeError(f"demo events rejected: {result.rejected[:3]}")
    progress.update(task, completed=written)
    return result.created
