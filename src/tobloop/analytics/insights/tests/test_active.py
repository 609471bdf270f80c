from __future__ import annotations

from datetime import date

from tobloop.analytics.insights.models import ActiveQuery
from tobloop.analytics.insights.runners import ActiveRunner
from tobloop.analytics.insights.tests.fixtures import Engines, fresh_workspace
from tobloop.analytics.insights.tests.oracle import Ev

DAY_MS = 86_400_000
FEB1_NOON = 1769947200000  # 2026-02-01 12:00 UTC


def test_active_entities_over_a_quarter_by_hand(engines: Engines) -> None:
    # given (days counted from 1 February, 29 days before the range): u1 active on 1 March,
    # 5 and 6 April (days 63 and 64); u2 on 6 April and 31 May; u1 also acts for beta on 6 April
    plan = [("u1", "acme", date(2026, 3, 1)), ("u1", "acme", date(2026, 4, 5)),
            ("u1", "acme", date(2026, 4, 6)), ("u1", "beta", date(2026, 4, 6)),
            ("u2", "acme", date(2026, 4, 6)), ("u2", "acme", date(2026, 5, 31))]  # fmt: skip
    events = [
        Ev("a", user, account, FEB1_NOON + (day - date(2026, 2, 1)).days * DAY_MS + i, uid=i)
        for i, (user, account, day) in enumerate(plan)
    ]
    ws = fresh_workspace()
    engines.load(ws, events)
    q = ActiveQuery.model_validate({"from": "2026-03-01", "to": "2026-05-31"})
    for engine in engines.all():
        # when
        users = ActiveRunner(q, workspace_id=ws).calculate(engine).series
        accounts = ActiveRunner(q.model_copy(update={"by": "account"}), workspace_id=ws)
        by_account = {p.date: (p.dau, p.wau, p.mau) for p in accounts.calculate(engine).series}
        # then: one point a day; windows end on the day and reach 6 and 29 days back
        assert len(users) == 92
        by_user = {p.date: (p.dau, p.wau, p.mau) for p in users}
        expected = {
            date(2026, 3, 1): (1, 1, 1), date(2026, 3, 2): (0, 1, 1),
            date(2026, 3, 30): (0, 0, 1), date(2026, 3, 31): (0, 0, 0),
            date(2026, 4, 5): (1, 1, 1), date(2026, 4, 6): (2, 2, 2),
            date(2026, 4, 12): (0, 2, 2), date(2026, 4, 13): (0, 0, 2),
            date(2026, 5, 5): (0, 0, 2), date(2026, 5, 6): (0, 0, 0),
            date(2026, 5, 31): (1, 1, 1),
        }  # fmt: skip
        assert {d: by_user[d] for d in expected} == expected, engine.dialect
        # by account: acme like the users; beta on 6 April only
        assert by_account[date(2026, 4, 6)] == (2, 2, 2), engine.dialect
        assert by_account[date(2026, 4, 13)] == (0, 0, 2), engine.dialect
        assert by_account[date(2026, 5, 6)] == (0, 0, 0), engine.dialect
        assert sum(p.dau for p in users) == 5
        assert all(p.mau == 0 for p in users if date(2026, 5, 6) <= p.date <= date(2026, 5, 30))
