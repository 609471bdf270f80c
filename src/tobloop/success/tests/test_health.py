"""The health code (P-REQ-4): hand-computed verdicts, daily history, API and tenant isolation."""

from __future__ import annotations

from datetime import date

import pytest

from tobloop.accounts import facade as accounts
from tobloop.kernel.errors import InvalidInput, NotFound, PermissionDenied
from tobloop.success import facade
from tobloop.success.logic.health_profiles import profile_for
from tobloop.success.logic.health_rules import HealthRuleIn, health_code
from tobloop.success.models import HealthProfile

RULES = [
    {"id": "at_risk", "color": "red", "measure": "lifecycle_stage", "op": "eq", "value": "at_risk"},
    {"id": "no_contacts", "color": "red", "measure": "no_contacts"},
    {"id": "no_dm", "color": "yellow", "measure": "no_decision_maker"},
    {"id": "legacy", "color": "yellow", "measure": "custom_field", "field": "plan", "op": "in",
     "value": ["legacy", "trial"]},
    {"id": "tiny", "color": "yellow", "measure": "custom_field", "field": "seats", "op": "lt",
     "value": 5, "label": "Fewer than 5 seats"},
]  # fmt: skip


def facts(**kw: object) -> dict[str, object]:
    base = {
        "no_decision_maker": False,
        "no_contacts": False,
        "lifecycle_stage": "active",
        "segment": "mid",
        "custom_fields": {},
    }
    return {**base, **kw}


def rules() -> list[HealthRuleIn]:
    return [HealthRuleIn.model_validate(r) for r in RULES]


def test_no_flag_is_green() -> None:
    verdict = health_code(rules(), facts(custom_fields={"plan": "pro", "seats": 20}))
    assert verdict.color == "green" and verdict.flags == []


def test_any_red_flag_is_red_and_names_every_flag_that_fired() -> None:
    verdict = health_code(
        rules(), facts(lifecycle_stage="at_risk", no_decision_maker=True, no_contacts=True)
    )
    assert verdict.color == "red"
    assert [f.rule for f in verdict.flags] == ["at_risk", "no_contacts", "no_dm"]
    assert verdict.reason == "Red: lifecycle stage is at_risk; no contacts known."


def test_yellow_flags_only_give_yellow() -> None:
    verdict = health_code(rules(), facts(custom_fields={"plan": "Legacy", "seats": "3"}))
    assert verdict.color == "yellow"
    assert [f.rule for f in verdict.flags] == ["legacy", "tiny"]
    assert "Fewer than 5 seats" in verdict.reason


def test_unknown_facts_never_raise_a_flag() -> None:
    # seats blank or not a number: "fewer than 5 seats" cannot be answered "yes"
    for seats in (None, "", "many"):
        assert health_code(rules(), facts(custom_fields={"seats": seats})).color == "green"
    blank = HealthRuleIn(id="no_plan", color="yellow", measure="custom_field", field="plan",
                         op="is_blank")  # fmt: skip
    assert health_code([blank], facts()).color == "yellow"


def test_rules_are_validated() -> None:
    with pytest.raises(ValueError, match="unknown measure"):
        HealthRuleIn(id="x", color="red", measure="vibes")
    with pytest.raises(ValueError, match="needs a field"):
        HealthRuleIn(id="x", color="red", measure="custom_field", op="is_blank")
    with pytest.raises(ValueError, match="needs a value"):
        HealthRuleIn(id="x", color="red", measure="headcount", op="lt")
    with pytest.raises(ValueError, match="NUL"):
        HealthRuleIn(id="x", color="red", measure="segment", op="eq", value="a\x00b")
    with pytest.raises(ValueError, match="finite"):
        HealthRuleIn(id="x", color="red", measure="headcount", op="lt", value=float("nan"))
    with pytest.raises(ValueError, match="color"):
        HealthRuleIn(id="x", color="green", measure="no_contacts")


def test_the_most_specific_profile_applies() -> None:
    def p(pk: int, segment: str = "", stage: str = "", active: bool = True) -> HealthProfile:
        return HealthProfile(pk=pk, name=str(pk), segment=segment, lifecycle_stage=stage,
                             is_active=active)  # fmt: skip

    catch_all, mid, onboarding, both = (
        p(1),
        p(2, "mid"),
        p(3, stage="onboarding"),
        p(4, "mid", "onboarding"),
    )
    profiles = [both, onboarding, mid, catch_all, p(5, "mid", "onboarding", active=False)]
    assert profile_for(profiles, "mid", "onboarding") is both
    assert profile_for(profiles, "large", "onboarding") is onboarding
    assert profile_for(profiles, "mid", "active") is mid
    assert profile_for(profiles, "small", "active") is catch_all
    assert profile_for([mid], "small", "active") is None


def make_accounts(principal) -> dict[str, int]:
    new = accounts.AccountCreate
    ids = {}
    ids["healthy"] = accounts.create_account(principal, new(name="Healthy", headcount=150)).id
    accounts.create_contact(
        principal,
        accounts.ContactCreate(name="Dee", account_id=ids["healthy"], role="decision_maker"),
    )
    ids["no_dm"] = accounts.create_account(principal, new(name="NoDM", headcount=150)).id
    accounts.create_contact(
        principal, accounts.ContactCreate(name="Eve", account_id=ids["no_dm"], role="end_user")
    )
    ids["lonely"] = accounts.create_account(principal, new(name="Lonely", headcount=20)).id
    ids["unsized"] = accounts.create_account(principal, new(name="Unsized")).id
    return ids


def test_scoring_a_workspace_stores_a_daily_history(make_workspace) -> None:
    # given: a profile for mid-size accounts and one for small ones; "Unsized" fits neither
    owner = make_workspace()
    ids = make_accounts(owner)
    facade.create_health_profile(owner, {"name": "Mid", "segment": "mid", "rules": RULES})
    facade.create_health_profile(
        owner,
        {"name": "Small", "segment": "small", "rules": [
            {"id": "no_contacts", "color": "yellow", "measure": "no_contacts"}]},
    )  # fmt: skip
    # when
    first = facade.score_workspace(owner, day=date(2026, 3, 1))
    # then
    assert (first.scored, first.red, first.yellow, first.green, first.unscored) == (3, 0, 2, 1, 1)
    health = facade.account_health(owner, ids["no_dm"])
    assert health.current is not None and health.current.color == "yellow"
    assert [f.rule for f in health.current.flags] == ["no_dm"]
    assert health.current.profile_name == "Mid"
    lonely = facade.account_health(owner, ids["lonely"]).current
    assert lonely is not None and lonely.color == "yellow" and lonely.profile_name == "Small"
    assert facade.account_health(owner, ids["unsized"]).current is None

    # when: the next day the account turns at risk, and it is scored twice that day
    accounts.update_account(owner, ids["no_dm"], accounts.AccountPatch(lifecycle_stage="at_risk"))
    facade.score_account(owner, ids["no_dm"], day=date(2026, 3, 2))
    again = facade.score_account(owner, ids["no_dm"], day=date(2026, 3, 2))
    # then: one verdict per day, newest first, naming the red flag
    assert again.verdicts[0].color == "red"
    history = facade.account_health(owner, ids["no_dm"]).history
    assert [(v.day, v.color) for v in history] == [
        (date(2026, 3, 2), "red"),
        (date(2026, 3, 1), "yellow"),
    ]
    assert history[0].reason == "Red: lifecycle stage is at_risk."


def test_profiles_are_validated_unique_and_audited(make_workspace) -> None:
    owner = make_workspace()
    created = facade.install_default_health_profile(owner)
    assert [r.id for r in created.rules] == ["at_risk", "no_contacts", "no_decision_maker"]
    with pytest.raises(InvalidInput) as caught:
        facade.create_health_profile(owner, {"name": "Bad", "segment": "huge"})
    assert caught.value.details[0].loc[0] == "segment"
    from tobloop.kernel.errors import Conflict

    with pytest.raises(Conflict):
        facade.create_health_profile(owner, {"name": "Health code"})


def test_permissions(make_workspace, add_member) -> None:
    owner = make_workspace("acme")
    viewer = add_member("acme", "viewer-1", "viewer")
    with pytest.raises(PermissionDenied):
        facade.create_health_profile(viewer, {"name": "X"})
    with pytest.raises(PermissionDenied):
        facade.score_workspace(viewer)
    assert facade.list_health_profiles(viewer) == []
    assert facade.score_workspace(owner).scored == 0


def test_tenant_isolation(make_workspace) -> None:
    a, b = make_workspace("a"), make_workspace("b")
    ids = make_accounts(a)
    profile = facade.install_default_health_profile(a)
    facade.install_default_health_profile(b)
    facade.score_workspace(a)
    # b sees neither a's accounts, their health, nor a's profile
    assert facade.score_workspace(b).scored == 0
    with pytest.raises(NotFound):
        facade.account_health(b, ids["healthy"])
    with pytest.raises(NotFound):
        facade.score_account(b, ids["healthy"])
    with pytest.raises(NotFound):
        facade.delete_health_profile(b, profile.id)
    assert [p.name for p in facade.list_health_profiles(b)] == ["Health code"]
    assert facade.account_health(a, ids["healthy"]).current is not None


@pytest.fixture
def client_for(client, api_key):
    def make(principal, scopes="read,write,admin"):
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {api_key(principal, scopes)}"
        return client

    return make


def test_rest_api(make_workspace, client_for, api_key) -> None:
    owner = make_workspace()
    ids = make_accounts(owner)
    c = client_for(owner)
    r = c.post("/api/v1/success/health/profiles", {"name": "Code", "rules": RULES},
               content_type="application/json")  # fmt: skip
    assert r.status_code == 201, r.content
    profile_id = r.json()["id"]
    r = c.post("/api/v1/success/health/profiles", {"name": "Bad", "rules": [{"id": "x"}]},
               content_type="application/json")  # fmt: skip
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_input"

    r = c.get(f"/api/v1/success/health?account={ids['lonely']}")
    assert r.status_code == 200 and r.json()["current"] is None
    r = c.post("/api/v1/success/health/score", {}, content_type="application/json")
    assert r.status_code == 200, r.content
    assert {k: r.json()[k] for k in ("scored", "red", "yellow", "green", "unscored")} == {
        "scored": 4, "red": 2, "yellow": 1, "green": 1, "unscored": 0,
    }  # fmt: skip
    r = c.post("/api/v1/success/health/score", {"account": ids["no_dm"]},
               content_type="application/json")  # fmt: skip
    assert r.json()["verdicts"][0]["color"] == "yellow"
    body = c.get(f"/api/v1/success/health?account={ids['lonely']}").json()
    assert body["current"]["color"] == "red"
    assert {f["rule"] for f in body["current"]["flags"]} == {"no_contacts", "no_dm"}
    assert len(body["history"]) == 1

    assert c.get("/api/v1/success/health").status_code == 422
    assert c.get("/api/v1/success/health?account=999999").status_code == 404
    r = c.put(f"/api/v1/success/health/profiles/{profile_id}", {"name": "Code", "rules": []},
              content_type="application/json")  # fmt: skip
    assert r.status_code == 200 and r.json()["rules"] == []
    assert c.delete(f"/api/v1/success/health/profiles/{profile_id}").status_code == 204
    assert c.get("/api/v1/success/health/profiles").json()["count"] == 0
    # verdicts outlive their profile
    assert c.get(f"/api/v1/success/health?account={ids['lonely']}").json()["current"]

    other = make_workspace()
    c.defaults["HTTP_AUTHORIZATION"] = f"Bearer {api_key(other)}"
    assert c.get(f"/api/v1/success/health?account={ids['lonely']}").status_code == 404
    reader = api_key(owner, "read")
    r = c.post("/api/v1/success/health/score", {}, content_type="application/json",
               HTTP_AUTHORIZATION=f"Bearer {reader}")  # fmt: skip
    assert r.status_code == 403


def test_a_churned_account_is_judged_only_by_a_churned_profile() -> None:
    catch_all = HealthProfile(pk=1, name="all", is_active=True)
    assert profile_for([catch_all], "mid", "churned") is None
    lost = HealthProfile(pk=2, name="lost", lifecycle_stage="churned", is_active=True)
    assert profile_for([catch_all, lost], "mid", "churned") is lost
