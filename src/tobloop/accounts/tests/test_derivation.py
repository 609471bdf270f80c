"""P-PROFILE-3 segments and tiers, P-PROFILE-2 risk flags: hand-computed cases."""

import pytest

from tobloop.accounts import facade
from tobloop.accounts.logic.derivation import risk_flags_for, segment_for
from tobloop.platform.facade import PlaybookThresholds, update_thresholds

DEFAULT = PlaybookThresholds()


@pytest.mark.parametrize(
    ("headcount", "segment", "tier"),
    [
        (None, "unknown", "unassigned"),
        (0, "small", "online_partner"),
        (99, "small", "online_partner"),
        (100, "mid", "regional_csm"),
        (999, "mid", "regional_csm"),
        (1000, "large", "dedicated_team"),
        (250_000, "large", "dedicated_team"),
    ],
)
def test_segment_boundaries_follow_the_playbook_defaults(headcount, segment, tier):
    verdict = segment_for(headcount, DEFAULT)
    assert (verdict.segment, verdict.service_tier) == (segment, tier)


def test_segment_reason_names_the_cut_off():
    text = facade.explain_segment(250, DEFAULT)
    assert "250" in text and "100" in text and "1,000" in text and "P-PROFILE-3" in text


def test_risk_flags():
    assert risk_flags_for([]) == ["no_contacts", "no_decision_maker"]
    assert risk_flags_for(["end_user", "champion"]) == ["no_decision_maker"]
    assert risk_flags_for(["decision_maker"]) == []


def test_changing_a_cut_off_rederives_every_account(make_workspace):
    owner = make_workspace()
    ids = {}
    for n in (50, 150, 600, 1500):
        ids[n] = facade.create_account(owner, facade.AccountCreate(name=f"A{n}", headcount=n)).id
    new = update_thresholds(owner, {"mid_min_headcount": 200, "large_min_headcount": 500})
    owner = type(owner)(**{**owner.__dict__, "workspace": new})
    got = {n: facade.get_account(owner, i).segment for n, i in ids.items()}
    assert got == {50: "small", 150: "small", 600: "large", 1500: "large"}


def test_contacts_clear_risk_flags(make_workspace):
    owner = make_workspace()
    acct = facade.create_account(owner, facade.AccountCreate(name="Acme"))
    assert acct.risk_flags == ["no_contacts", "no_decision_maker"]
    facade.create_contact(owner, facade.ContactCreate(name="Ana", account_id=acct.id))
    assert facade.get_account(owner, acct.id).risk_flags == ["no_decision_maker"]
    c = facade.create_contact(
        owner, facade.ContactCreate(name="Bo", account_id=acct.id, role="decision_maker")
    )
    assert facade.get_account(owner, acct.id).risk_flags == []
    facade.delete_contact(owner, c.id)
    assert facade.get_account(owner, acct.id).risk_flags == ["no_decision_maker"]


def test_invalid_thresholds_are_rejected_with_the_field(make_workspace):
    from tobloop.kernel.errors import InvalidInput

    owner = make_workspace()
    with pytest.raises(InvalidInput) as exc:
        update_thresholds(owner, {"mid_min_headcount": 2000})
    assert "mid_min_headcount" in str(exc.value.details)
    with pytest.raises(InvalidInput) as exc:
        update_thresholds(owner, {"cc_max": "lots"})
    assert exc.value.details[0].loc == ("cc_max",)


def test_get_accounts_reads_many_of_one_workspace(make_workspace):
    # given two accounts here and one in another workspace
    owner = make_workspace("here")
    other = make_workspace("there")
    a = facade.create_account(owner, facade.AccountCreate(name="Acme", headcount=150))
    b = facade.create_account(owner, facade.AccountCreate(name="Globex"))
    foreign = facade.create_account(other, facade.AccountCreate(name="Initech"))
    # when
    got = facade.get_accounts(owner, [a.id, b.id, foreign.id, a.id])
    # then the same views as one by one, and nothing of the other workspace
    assert got == {a.id: facade.get_account(owner, a.id), b.id: facade.get_account(owner, b.id)}
