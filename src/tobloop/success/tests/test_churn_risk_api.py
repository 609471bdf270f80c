"""The churn risk REST endpoints: train, model card, accounts by risk, pooling opt-in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.test import Client

from tobloop.success.tests.test_churn_risk import build


def bearer(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_train_read_and_list_over_rest(
    make_workspace: Any, settings: Any, tmp_path: Path, client: Client, api_key: Any
) -> None:
    settings.DATA_DIR = tmp_path
    principal = make_workspace("acme", timezone="UTC")
    auth = bearer(api_key(principal))
    r = client.get("/api/v1/success/churn-risk/model", **auth)
    assert r.status_code == 200 and r.json() == {"model": None, "pooling": False}
    # Nothing to learn from yet: a reason, not a 500.
    r = client.post("/api/v1/success/churn-risk/train", **auth)
    assert r.status_code == 200 and r.json()["status"] == "too_little"
    assert r.json()["roc_auc"] is None and "not enough history" in r.json()["reason"]

    build(principal)
    r = client.post("/api/v1/success/churn-risk/train", **auth)
    assert r.status_code == 200, r.content
    run = r.json()
    assert run["status"] == "trained" and run["roc_auc"] > 0.9 and run["scored_accounts"] == 8
    model = client.get("/api/v1/success/churn-risk/model", **auth).json()["model"]
    assert model["id"] == run["id"] and len(model["calibration"]) == 10

    r = client.get("/api/v1/success/churn-risk?limit=2&offset=1", **auth)
    page = r.json()
    assert page["count"] == 8 and len(page["items"]) == 2 and page["run_id"] == run["id"]
    assert page["items"][0]["probability"] >= page["items"][1]["probability"]
    r = client.get("/api/v1/success/churn-risk?limit=0", **auth)
    assert r.status_code == 422


def test_pooling_needs_admin_and_read_key_cannot_train(
    make_workspace: Any, client: Client, api_key: Any
) -> None:
    principal = make_workspace("acme", timezone="UTC")
    writer = bearer(api_key(principal, "read,success:write"))
    r = client.put("/api/v1/success/churn-risk/pooling", {"enabled": True}, "application/json",
                   **writer)  # fmt: skip
    assert r.status_code == 403
    reader = bearer(api_key(principal, "read"))
    assert client.post("/api/v1/success/churn-risk/train", **reader).status_code == 403
    admin = bearer(api_key(principal))
    r = client.put("/api/v1/success/churn-risk/pooling", {"enabled": True}, "application/json",
                   **admin)  # fmt: skip
    assert r.status_code == 200 and r.json()["enabled"] is True and r.json()["changed_by"]
    assert client.get("/api/v1/success/churn-risk/pooling", **reader).json()["enabled"] is True
