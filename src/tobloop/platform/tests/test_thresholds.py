"""Playbook thresholds: playbook defaults, every field validated with a clear error."""

from decimal import Decimal

import pytest
from pydantic import ValidationError

from tobloop.accounts import facade as accounts
from tobloop.kernel.errors import InvalidInput, PermissionDenied
from tobloop.platform import facade
from tobloop.platform.thresholds import PlaybookThresholds

JSON = "application/json"

# shared/PLAYBOOK.md, rule by rule
PLAYBOOK = {
    "mid_min_headcount": 100,  # P-PROFILE-3: small < 100 staff ≤ mid
    "large_min_headcount": 1000,  # P-PROFILE-3: mid < 1000 staff ≤ large
    "ltv_min": Decimal("300000"),  # P-ECON-1
    "acv_min": Decimal("60000"),  # P-ECON-1: with a 5-year lifetime
    "lifetime_years": Decimal("5"),  # P-ECON-1
    "cc_max": Decimal("0.20"),  # P-ECON-2: below 20%
    "nrr_target": Decimal("1.00"),  # P-ECON-2: ideal NRR ≥ 100%
    "cac_ltv_max_ratio": Decimal("0.3333"),  # P-ECON-3: CAC below a third of LTV
    "cac_payback_max_months": Decimal("12"),  # P-ECON-4
    "telesales_acv_max": Decimal("10000"),  # P-ECON-5
    "field_sales_acv_min": Decimal("50000"),  # P-ECON-5
    "growth_good_min": Decimal("2"),  # P-ECON-6: 2–3× a year
    "growth_good_max": Decimal("3"),  # P-ECON-6
    "gross_margin": Decimal("1.0"),  # DESIGN.md: LTV gross margin default 1.0
    "ltv_horizon_years": Decimal("10"),  # DESIGN.md: horizon default 10 years
    "warn_margin": Decimal("0.10"),
}

# For every field, values that must be refused (beside text that is no number).
INVALID = {
    "mid_min_headcount": [0, -5, 1.5],
    "large_min_headcount": [1, -1],
    "ltv_min": [-1],
    "acv_min": [-0.01],
    "lifetime_years": [0, -2],
    "cc_max": [1.5, -2],
    "nrr_target": [-0.1],
    "cac_ltv_max_ratio": [0, 1.01],
    "cac_payback_max_months": [0],
    "telesales_acv_max": [-1],
    "field_sales_acv_min": [-1],
    "growth_good_min": [0],
    "growth_good_max": [0, -3],
    "gross_margin": [0, 1.2],
    "ltv_horizon_years": [0],
    "warn_margin": [-0.1, 2],
}


def test_defaults_are_the_playbook_numbers(make_workspace):
    assert PlaybookThresholds().model_dump() == PLAYBOOK
    ws = facade.get_workspace(make_workspace().workspace.slug)
    assert ws.thresholds == PlaybookThresholds()
    # every field names where it comes from
    for name, info in PlaybookThresholds.model_fields.items():
        assert info.description, name


def test_every_field_is_covered():
    assert set(INVALID) == set(PlaybookThresholds.model_fields) == set(PLAYBOOK)


@pytest.mark.parametrize("field", sorted(PLAYBOOK))
def test_every_field_is_validated_through_the_api(field, make_workspace, api_key, client):
    owner = make_workspace()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_key(owner, 'admin')}"}
    for bad in ["many", "", None, [1], *INVALID[field]]:
        r = client.patch("/api/v1/workspace/thresholds", {field: bad}, content_type=JSON, **auth)
        assert r.status_code == 422, (field, bad, r.content)
        err = r.json()["error"]
        assert err["code"] == "invalid_input" and err["message"] == "invalid playbook thresholds"
        assert err["details"], (field, bad)
        detail = err["details"][0]
        assert detail["loc"][0] in (field, "thresholds"), (field, bad, detail)
        assert detail["msg"], (field, bad)
    # nothing was stored
    assert facade.get_workspace(owner.workspace.slug).thresholds == PlaybookThresholds()


def test_field_errors_name_the_field(make_workspace):
    owner = make_workspace()
    with pytest.raises(InvalidInput) as err:
        facade.update_thresholds(owner, {"cc_max": "lots", "ltv_min": -1})
    locs = {d.loc[0] for d in err.value.details}
    assert locs == {"cc_max", "ltv_min"}


def test_unknown_fields_are_refused(make_workspace):
    owner = make_workspace()
    with pytest.raises(InvalidInput) as err:
        facade.update_thresholds(owner, {"churn_max": "0.1"})
    assert err.value.details[0].loc == ("churn_max",)


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"mid_min_headcount": 1000}, "P-PROFILE-3"),
        ({"large_min_headcount": 50}, "P-PROFILE-3"),
        ({"telesales_acv_max": 60000}, "P-ECON-5"),
        ({"growth_good_min": 4}, "P-ECON-6"),
    ],
)
def test_cross_field_rules_explain_themselves(changes, rule, make_workspace):
    owner = make_workspace()
    with pytest.raises(InvalidInput) as err:
        facade.update_thresholds(owner, changes)
    assert rule in err.value.details[0].msg
    assert err.value.details[0].loc == ("thresholds",)


def test_valid_changes_are_stored_and_rederive_segments(make_workspace, api_key, client):
    owner = make_workspace()
    acct = accounts.create_account(owner, accounts.AccountCreate(name="Acme", headcount=60))
    assert acct.segment == "small"
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_key(owner, 'read,admin')}"}
    r = client.patch(
        "/api/v1/workspace/thresholds",
        {"mid_min_headcount": 50, "cc_max": "0.15", "gross_margin": 0.7},
        content_type=JSON,
        **auth,
    )
    assert r.status_code == 200, r.content
    got = r.json()["thresholds"]
    assert (got["mid_min_headcount"], got["cc_max"], got["gross_margin"]) == (50, "0.15", "0.7")
    assert client.get("/api/v1/workspace", **auth).json()["thresholds"] == got
    assert client.get(f"/api/v1/accounts/{acct.id}", **auth).json()["segment"] == "mid"


def test_changing_thresholds_needs_admin(make_workspace, api_key, client):
    owner = make_workspace()
    viewer = facade.principal_for_key(api_key(owner, "read,write"))
    with pytest.raises(PermissionDenied):
        facade.update_thresholds(viewer, {"cc_max": "0.1"})


def test_model_is_frozen_and_strict():
    t = PlaybookThresholds()
    with pytest.raises(ValidationError):
        t.cc_max = Decimal("0.5")  # type: ignore[misc]
    with pytest.raises(ValidationError):
        PlaybookThresholds.model_validate({"cc_max": "NaN"})
    with pytest.raises(ValidationError):
        PlaybookThresholds.model_validate({"ltv_min": "Infinity"})
