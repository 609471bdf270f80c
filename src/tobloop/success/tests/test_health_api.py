"""The health REST endpoints: weighted profiles, scoring as of a day, overrides, back-test."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tobloop.revenue import facade as revenue
from tobloop.success.tests.fixtures import AS_OF, LATER_SUBSCRIPTIONS, seed
from tobloop.success.tests.test_health_score import PROFILE


@pytest.fixture
def world(make_workspace: Any, settings: Any, tmp_path: Path) -> tuple[Any, dict[str, int]]:
    settings.DATA_DIR = tmp_path
    principal = make_workspace("acme", timezone="UTC")
    return principal, seed(principal, tmp_path)


def bearer(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_weighted_profile_score_override_and_backtest_over_rest(
    world: Any, client: Client, api_key: Any
) -> None:
    principal, ids = world
    auth = bearer(api_key(principal))
    bad = {**PROFILE, "measures": PROFILE["measures"][:2]}
    r = client.post("/api/v1/success/health/profiles", bad, "application/json", **auth)
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["loc"][-1] == "measures"
    r = client.post("/api/v1/success/health/profiles", PROFILE, "application/json", **auth)
    assert r.status_code == 201 and r.json()["kind"] == "score"
    assert r.json()["bands"] == {"green_min": 70.0, "yellow_min": 40.0}

    r = client.post(
        "/api/v1/success/health/score", {"as_of": AS_OF.isoformat()}, "application/json", **auth
    )
    assert r.status_code == 200 and (r.json()["green"], r.json()["red"]) == (1, 2)
    r = client.get(f"/api/v1/success/health?account={ids['A1']}", **auth)
    current = r.json()["current"]
    assert current["score"] == 70.0 and current["measures"][0]["key"] == "days_since_last_activity"

    today = client.post("/api/v1/success/health/score", {}, "application/json", **auth).json()
    until = today["day"]
    body = {"account": ids["A2"], "color": "yellow", "reason": "Exec sponsor engaged",
            "until": until, "score": 55}  # fmt: skip
    r = client.post("/api/v1/success/health/overrides", body, "application/json", **auth)
    assert r.status_code == 201 and r.json()["active"]
    r = client.get(f"/api/v1/success/health?account={ids['A2']}", **auth)
    current = r.json()["current"]
    assert (current["color"], current["score"], current["computed_color"]) == (
        "yellow", 55.0, "red",
    )  # fmt: skip
    r = client.get(f"/api/v1/success/health/overrides?account={ids['A2']}", **auth)
    assert r.json()["count"] == 1
    past = {**body, "until": (AS_OF - timedelta(days=1)).isoformat()}
    r = client.post("/api/v1/success/health/overrides", past, "application/json", **auth)
    assert r.status_code == 422 and r.json()["error"]["details"][0]["loc"] == ["until"]
    assert client.delete(f"/api/v1/success/health/overrides/{ids['A2']}", **auth).status_code == 204
    assert client.delete(f"/api/v1/success/health/overrides/{ids['A2']}", **auth).status_code == 404

    assert not revenue.import_subscriptions(principal, LATER_SUBSCRIPTIONS).rejected
    q = f"from={AS_OF.isoformat()}&to={AS_OF.isoformat()}&profile=Weighted"
    r = client.get(f"/api/v1/success/health/backtest?{q}", **auth)
    report = r.json()["items"][0]
    assert (report["observations"], report["churned"], report["roc_auc"]) == (2, 1, 0.0)
    r = client.get("/api/v1/success/health/measures", **auth)
    assert "usage_trend" in {m["key"] for m in r.json()["items"]}
    # the churn model on the same replay: two rows of one period, too little to validate
    r = client.get(f"/api/v1/success/health/churn-model?from={AS_OF}&to={AS_OF}", **auth)
    model = r.json()
    assert r.status_code == 200 and (model["n"], model["positives"], model["roc_auc"]) == (
        2,
        1,
        None,
    )
    assert model["drivers"] == [] and model["validation"]["selected_on"].startswith("not enough")
    r = client.get("/api/v1/success/health/churn-model?step=day", **auth)
    assert r.status_code == 422 and r.json()["error"]["details"][0]["loc"][-1] == "step"


def test_a_read_only_key_cannot_override(world: Any, client: Client, api_key: Any) -> None:
    principal, ids = world
    auth = bearer(api_key(principal, scopes="read"))
    body = {"account": ids["A2"], "color": "green", "reason": "x", "until": "2099-01-01"}
    r = client.post("/api/v1/success/health/overrides", body, "application/json", **auth)
    assert r.status_code == 403
