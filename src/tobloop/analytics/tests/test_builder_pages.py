"""The query-builder pages, saved insights and dashboards, on a small event history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from django.test import Client

from tobloop.analytics import query_forms
from tobloop.analytics.logic.importing import import_events

# Three users of two accounts on 2026-05-04 … 2026-05-12 (UTC workspace):
# u1 (acct-1): Signed Up → Report Created → Invite Sent
# u2 (acct-1): Signed Up → Report Created
# u3 (acct-2): Signed Up
HISTORY = [
    ("u1", "acct-1", "Signed Up", "2026-05-04T09:00:00Z", {"plan": "pro"}),
    ("u1", "acct-1", "Report Created", "2026-05-04T10:00:00Z", {}),
    ("u1", "acct-1", "Invite Sent", "2026-05-05T10:00:00Z", {}),
    ("u2", "acct-1", "Signed Up", "2026-05-04T11:00:00Z", {"plan": "free"}),
    ("u2", "acct-1", "Report Created", "2026-05-11T12:00:00Z", {}),
    ("u3", "acct-2", "Signed Up", "2026-05-05T09:00:00Z", {"plan": "pro"}),
]


def write_history(path: Path, rows: list[tuple[str, str, str, str, dict[str, Any]]]) -> Path:
    lines = [
        orjson.dumps(
            {
                "type": "track",
                "event": event,
                "userId": user,
                "context": {"groupId": account},
                "properties": props,
                "messageId": f"m-{n}",
                "timestamp": ts,
            }
        )
        for n, (user, account, event, ts, props) in enumerate(rows)
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@pytest.fixture
def workspace(make_workspace: Any, settings: Any, tmp_path: Path) -> Any:
    settings.DATA_DIR = tmp_path
    principal = make_workspace("acme", timezone="UTC")
    source = write_history(tmp_path / "history.ndjson", HISTORY)
    assert import_events(principal, source).created == len(HISTORY)
    return principal


def chart_data(html: str, element_id: str = "chart-data") -> Any:
    """The JSON document a chart is drawn from."""
    marker = f'id="{element_id}" type="application/json">'
    start = html.index(marker) + len(marker)
    return orjson.loads(html[start : html.index("</script>", start)])


@pytest.fixture
def owner(workspace: Any, client: Client) -> Client:
    client.login(username="acme-owner", password="pw")
    return client


FUNNEL = (
    "/w/acme/analytics/funnel/?step=Signed+Up&step=Report+Created&step=Invite+Sent"
    "&from=2026-05-01&to=2026-05-31&window=8d&by=user"
)


def test_funnel_page_shows_counts_and_chart_data(owner: Client) -> None:
    r = owner.get(FUNNEL)
    assert r.status_code == 200
    html = r.content.decode()
    # u1 and u2 (7 days 1 hour later) created a report within 8 days; only u1 sent an invite
    cells = html.split('data-testid="step-count">')[1:]
    assert [c.split("<")[0] for c in cells] == ["3", "2", "1"]
    assert chart_data(html)["counts"] == [3, 2, 1]
    assert "66.7%" in html and "33.3%" in html


def test_funnel_window_and_property_filter(owner: Client) -> None:
    # a 1-day window drops u2 (report a week later); the filter keeps pro sign-ups only
    r = owner.get(
        "/w/acme/analytics/funnel/?step=Signed+Up&s0_key=plan&s0_op=eq&s0_value=pro"
        "&step=Report+Created&from=2026-05-01&to=2026-05-31&window=1d"
    )
    assert chart_data(r.content.decode())["counts"] == [2, 1]


def test_funnel_errors_are_shown_beside_the_field(owner: Client) -> None:
    r = owner.get(
        "/w/acme/analytics/funnel/?step=Signed+Up&step=&window=99d&from=2026-05-01&to=2026-04-01"
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert 'data-error-for="window"' in html and "90 days" in html
    assert 'data-error-for="steps"' in html
    assert 'id="chart-data"' not in html


def test_funnel_dropped_lists_users_with_links(owner: Client) -> None:
    r = owner.get(FUNNEL.replace("/funnel/?", "/funnel/dropped/?") + "&at=2")
    html = r.content.decode()
    assert r.status_code == 200
    assert "u3" in html and "u1" not in html
    by_account = FUNNEL.replace("/funnel/?", "/funnel/dropped/?").replace("by=user", "by=account")
    html = owner.get(by_account + "&at=2").content.decode()
    assert "/w/acme/analytics/account/?id=acct-2" in html and "acct-1" not in html
    bad = owner.get(FUNNEL.replace("/funnel/?", "/funnel/dropped/?") + "&at=9")
    assert bad.status_code == 422


def test_retention_page_renders_heatmap_data(owner: Client) -> None:
    r = owner.get(
        "/w/acme/analytics/retention/?start=Signed+Up&return=Report+Created"
        "&from=2026-05-01&to=2026-05-31&period=week&periods=2&by=user&bounded=0&bounded=1"
    )
    html = r.content.decode()
    assert r.status_code == 200
    assert 'data-testid="retention-heatmap"' in html
    # week of 2026-05-04: u1, u2, u3 start; u2 makes a report the next week
    data = chart_data(html)
    week = data["cohorts"].index("2026-05-04")
    assert (data["sizes"][week], data["retained"][week]) == (3, [1, 0])
    assert data["curve"] == [1 / 3, 0.0]


def test_paths_and_trends_pages(owner: Client) -> None:
    r = owner.get(
        "/w/acme/analytics/paths/?anchor=start&event=Signed+Up&from=2026-05-01&to=2026-05-31"
        "&depth=3&top=5&by=user&collapse=0&collapse=1"
    )
    assert r.status_code == 200 and 'data-testid="paths-chart"' in r.content.decode()
    r = owner.get(
        "/w/acme/analytics/trends/?event=Signed+Up&event=Report+Created&interval=week"
        "&metric=users&from=2026-05-04&to=2026-05-17"
    )
    html = r.content.decode()
    data = chart_data(html)
    assert data["dates"] == ["2026-05-04", "2026-05-11"]
    assert data["series"] == [
        {"name": "Signed Up", "data": [3, 0]},
        {"name": "Report Created", "data": [1, 1]},
    ]


def test_save_insight_onto_new_dashboard_and_render_it(owner: Client, workspace: Any) -> None:
    page = owner.get(FUNNEL).content.decode()
    assert 'data-testid="save-form"' in page
    body = {
        "steps": ["Signed Up", "Report Created"],
        "from": "2026-05-01",
        "to": "2026-05-31",
    }
    r = owner.post(
        "/w/acme/analytics/insights/save/",
        {
            "kind": "funnel",
            "query": orjson.dumps(body).decode(),
            "name": "Activation",
            "dashboard": "new",
            "dashboard_name": "Growth",
        },
    )
    assert r.status_code == 302
    board_url = r["Location"]
    board = owner.get(board_url).content.decode()
    assert "Growth" in board and "Activation" in board
    assert chart_data(board, "chart-0")["counts"] == [3, 1]
    r = owner.post(board_url, {"action": "rename", "name": "Growth 2026"})
    assert r.status_code == 302 and "Growth 2026" in owner.get(board_url).content.decode()
    # the saved insight opens in its builder; deleting it empties the dashboard
    insight_id = int(board.split('data-insight="')[1].split('"')[0])
    opened = owner.get(f"/w/acme/analytics/insights/{insight_id}/")
    assert opened.status_code == 302 and "step=Signed+Up" in opened["Location"]
    assert chart_data(owner.get(opened["Location"]).content.decode())["counts"] == [3, 1]
    r = owner.post("/w/acme/analytics/dashboards/", {"delete_insight": str(insight_id)})
    assert r.status_code == 302
    assert 'data-testid="empty-dashboard"' in owner.get(board_url).content.decode()


def test_rest_crud_of_insights_and_dashboards(workspace: Any, api_key: Any, client: Client) -> None:
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_key(workspace, 'read,write')}"}
    body = {
        "name": "Weekly users",
        "kind": "trends",
        "query": {
            "from": "2026-05-04",
            "to": "2026-05-17",
            "interval": "week",
            "events": [None, "Signed Up"],
            "metric": "users",
        },
    }
    r = client.post("/api/v1/analytics/insights", body, content_type="application/json", **auth)
    assert r.status_code == 201, r.content
    insight = r.json()
    assert insight["query"]["events"] == [None, {"event": "Signed Up"}]
    result = client.get(f"/api/v1/analytics/insights/{insight['id']}/result", **auth).json()
    assert [p["users"] for p in result["results"][1]["series"]] == [3, 0]
    bad = dict(body, query={"from": "2026-05-04", "to": "2026-05-01"})
    r = client.post("/api/v1/analytics/insights", bad, content_type="application/json", **auth)
    assert r.status_code == 422 and r.json()["error"]["details"][0]["loc"][0] == "query"
    r = client.post(
        "/api/v1/analytics/dashboards",
        {"name": "D", "insights": [insight["id"], 999999]},
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 422
    r = client.post(
        "/api/v1/analytics/dashboards",
        {"name": "D", "insights": [insight["id"]]},
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 201 and r.json()["insights"] == [insight["id"]]
    assert client.get("/api/v1/analytics/dashboards", **auth).json()["count"] == 1
    assert client.delete(f"/api/v1/analytics/insights/{insight['id']}", **auth).status_code == 204
    assert client.get("/api/v1/analytics/dashboards", **auth).json()["items"][0]["insights"] == []
    audit = client.get("/api/v1/audit?limit=50", **auth)
    types = {e["object_type"] for e in audit.json()["items"]} if audit.status_code == 200 else set()
    assert audit.status_code == 403 or {"analytics.insight", "analytics.dashboard"} <= types


@pytest.mark.skipif(
    not query_forms.supports("funnel", "breakdown"), reason="the engine has no breakdown"
)
def test_funnel_breakdown_by_event_property(owner: Client) -> None:
    r = owner.get(
        "/w/acme/analytics/funnel/?step=Signed+Up&step=Report+Created&from=2026-05-01"
        "&to=2026-05-31&window=8d&bd_kind=event_property&bd_key=plan&bd_top=5&over_time=week"
    )
    html = r.content.decode()
    # pro: u1 and u3 signed up, u1 made a report; free: u2 signed up and made one
    rows = {b["value"]: b["counts"] for b in chart_data(html)["breakdown"]}
    assert rows == {"pro": [2, 1], "free": [1, 1]}
    assert 'data-testid="funnel-breakdown"' in html
    assert 'data-testid="funnel-over-time"' in html
    bad = owner.get(
        "/w/acme/analytics/funnel/?step=Signed+Up&step=Report+Created&from=2026-05-01"
        "&to=2026-05-31&bd_kind=account_field&bd_key=colour"
    ).content.decode()
    assert 'data-error-for="bd_key"' in bad


@pytest.mark.skipif(
    not query_forms.supports("trends", "breakdown"), reason="the engine has no breakdown"
)
def test_trends_breakdown_splits_the_first_event(owner: Client) -> None:
    r = owner.get(
        "/w/acme/analytics/trends/?event=Signed+Up&interval=week&metric=users"
        "&from=2026-05-04&to=2026-05-17&bd_kind=event_property&bd_key=plan"
    )
    series = {s["name"]: s["data"] for s in chart_data(r.content.decode())["series"]}
    assert series == {"pro": [2, 0], "free": [1, 0]}


def test_retention_leaves_periods_not_begun_empty(workspace: Any) -> None:
    from datetime import date

    from tobloop.analytics.insight_charts import retention_insight
    from tobloop.analytics.insights.models import RetentionQuery

    query = RetentionQuery.model_validate(
        {
            "start": "Signed Up",
            "return": "Report Created",
            "from": "2026-05-04",
            "to": "2026-05-10",
            "period": "week",
            "periods": 2,
        }
    )
    # on May 12 the week after the cohort's has begun; the one after that has not
    insight = retention_insight(workspace, query, today=date(2026, 5, 12))
    assert insight.chart["retained"] == [[1, None]]
    assert insight.chart["curve"] == [1 / 3, None]
    assert insight.rows[0]["retained"] == [(1, 1 / 3), (None, None)]


def test_active_users_page(owner: Client) -> None:
    r = owner.get("/w/acme/analytics/active/?from=2026-05-04&to=2026-05-05&by=user")
    data = chart_data(r.content.decode())
    # May 4: u1, u2; May 5: u1, u3 (and u1, u2, u3 within the 7 days ending May 5)
    assert (data["dau"], data["wau"], data["mau"]) == ([2, 2], [2, 3], [2, 3])
    assert data["stickiness"] == [1.0, 2 / 3]
    assert 'data-testid="stickiness"' in r.content.decode()


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/w/acme/analytics/retention/?start=Signed+Up&periods=abc", "periods"),
        ("/w/acme/analytics/retention/?start=&period=year", "period"),
        ("/w/acme/analytics/paths/?event=Signed+Up&depth=99&top=0", "depth"),
        ("/w/acme/analytics/paths/?event=", "event"),
        ("/w/acme/analytics/trends/?interval=hour&from=yesterday", "interval"),
        ("/w/acme/analytics/active/?by=team&to=2026-13-45", "by"),
        ("/w/acme/analytics/funnel/?step=A&step=B&by=nobody&s0_key=x&s0_op=gt&s0_value=abc", "by"),
        ("/w/acme/analytics/paths/?event=A&by=team", "query"),
    ],
)
def test_bad_input_is_shown_beside_its_field(owner: Client, url: str, field: str) -> None:
    r = owner.get(url)
    assert r.status_code == 200
    assert f'data-error-for="{field}"' in r.content.decode()


def test_pages_in_chinese_keep_numbers_and_language(owner: Client, settings: Any) -> None:
    owner.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    html = owner.get(FUNNEL).content.decode()
    assert '<html lang="zh-hans">' in html  # charts.js formats numbers for this language
    assert "66.7%" in html
    for page in ("retention", "paths", "trends", "active", "aarrr", "aarrr/settings", "dashboards"):
        assert owner.get(f"/w/acme/analytics/{page}/").status_code == 200, page


def test_account_link_opens_the_account_page(owner: Client, workspace: Any) -> None:
    from tobloop.accounts import facade as accounts

    made = accounts.create_account(
        workspace, accounts.AccountCreate(name="Two", external_id="acct-2")
    )
    accounts.create_account(workspace, accounts.AccountCreate(name="acct-2 lookalike"))
    r = owner.get("/w/acme/analytics/account/?id=acct-2")
    assert r.status_code == 302 and r["Location"] == f"/w/acme/accounts/{made.id}/"
    assert owner.get("/w/acme/analytics/account/?id=acct-9").status_code == 404


def test_time_to_convert_and_trends_of_one_account(owner: Client) -> None:
    html = owner.get(FUNNEL + "&time_to_convert=1").content.decode()
    ttc = chart_data(html)["time_to_convert"]
    assert ttc["step"] == "3. Invite Sent" and sum(ttc["counts"]) == 1  # u1 only
    assert 'data-testid="time-to-convert"' in html
    r = owner.get(
        "/w/acme/analytics/trends/?event=Signed+Up&interval=week&metric=users"
        "&from=2026-05-04&to=2026-05-17&account=acct-1"
    )
    assert chart_data(r.content.decode())["series"][0]["data"] == [2, 0]  # u1, u2 of acct-1


def test_number_filters() -> None:
    from tobloop.analytics.templatetags.analytics_ui import duration_text, pct

    assert [duration_text(x) for x in (5, 90, 3600, 5400, 86400, None)] == [
        "5 s",
        "2 min",
        "1 h",
        "1.5 h",
        "1 d",
        "—",
    ]
    assert (pct(2 / 3), pct(0.0005), pct(None)) == ("66.7%", "0.1%", "—")


def test_dashboard_tiles_of_every_kind(owner: Client, workspace: Any) -> None:
    from tobloop.analytics.logic import saved_insights as saved

    period = {"from": "2026-05-04", "to": "2026-05-17"}
    queries = {
        "retention": {**period, "start": "Signed Up", "return": "Report Created", "periods": 1},
        "trends": {**period, "interval": "week", "events": ["Signed Up"], "metric": "users"},
        "paths": {**period, "start": "Signed Up"},
        "active": {**period},
    }
    ids = [
        saved.create_insight(workspace, saved.InsightIn(name=k, kind=k, query=q)).id  # type: ignore[arg-type]
        for k, q in queries.items()
    ]
    board = saved.create_dashboard(workspace, saved.DashboardIn(name="All", insights=ids))
    html = owner.get(f"/w/acme/analytics/dashboards/{board.id}/").content.decode()
    assert html.count('data-testid="tile"') == 4 and "notice error" not in html
    assert "33.3% of all cohorts" in html  # 1 of the 3 who signed up the week of May 4
    assert "Latest period (2026-05-11): Signed Up: 0" in html
    assert chart_data(html, "chart-3")["dau"][0] == 2
