"""The import contract: valid rows kept, bad rows named, idempotent, unreadable files inert."""

import pytest
from pydantic import ValidationError

from tobloop.accounts import facade
from tobloop.accounts.models import Account, Contact
from tobloop.kernel.errors import InvalidInput

HEADER = "external_id,name,domain,industry,headcount,region,has_it_department\n"


def test_valid_rows_are_kept_and_bad_rows_named(make_workspace):
    owner = make_workspace()
    raw = (
        HEADER + "A1,Acme,acme.com,Retail,50,East,yes\n"
        "A2,Bad Co,not a domain,Retail,12,East,no\n"
        "A3,Big,big.cn,Finance,abc,North,\n"
        "A4,,x.com,Retail,5,East,no\n"
        "A5,Fine,fine.io,Software,2500,South,是\n"
    ).encode()
    report = facade.import_accounts(owner, raw, filename="crm.csv")
    assert (report.rows, report.created, report.updated) == (5, 2, 0)
    rejected = [(r.row, r.column, r.value) for r in report.rejected]
    assert rejected == [(3, "domain", "not a domain"), (4, "headcount", "abc"), (5, "name", "")]
    assert all(r.reason for r in report.rejected)
    got = dict(
        Account.objects.for_workspace(owner.workspace_id).values_list("external_id", "segment")
    )
    assert got == {"A1": "small", "A5": "large"}


def test_reimport_updates_and_never_duplicates(make_workspace):
    owner = make_workspace()
    facade.import_accounts(owner, (HEADER + "A1,Acme,acme.com,Retail,50,East,yes\n").encode())
    report = facade.import_accounts(
        owner, (HEADER + "A1,Acme Ltd,acme.com,Retail,500,East,yes\n").encode()
    )
    assert (report.created, report.updated) == (0, 1)
    rows = list(Account.objects.for_workspace(owner.workspace_id).values_list("name", "segment"))
    assert rows == [("Acme Ltd", "mid")]
    again = facade.import_accounts(
        owner, (HEADER + "A1,Acme Ltd,acme.com,Retail,500,East,yes\n").encode()
    )
    assert (again.created, again.updated) == (0, 0)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
@pytest.mark.parametrize("sep", [",", "\t"])
def test_encodings_and_separators(make_workspace, encoding, sep):
    owner = make_workspace()
    text = f"客户编号{sep}客户名称{sep}行业{sep}员工人数\nC1{sep}华为技术{sep}制造{sep}1200\n"
    report = facade.import_accounts(owner, text.encode(encoding))
    assert report.created == 1 and not report.rejected
    acct = Account.objects.for_workspace(owner.workspace_id).get()
    assert (acct.name, acct.industry, acct.headcount) == ("华为技术", "制造", 1200)


def test_mapping_and_custom_fields(make_workspace):
    owner = make_workspace()
    raw = b"Company ID,Company,Employees,Tier\nX1,Acme,80,gold\n"
    mapping = {
        "Company ID": "external_id",
        "Company": "name",
        "Employees": "headcount",
        "Tier": "custom.tier",
    }
    report = facade.import_accounts(owner, raw, mapping=mapping)
    assert report.created == 1
    acct = Account.objects.for_workspace(owner.workspace_id).get()
    assert acct.custom_fields == {"tier": "gold"} and acct.headcount == 80


def test_unreadable_file_changes_nothing(make_workspace):
    owner = make_workspace()
    facade.import_accounts(owner, (HEADER + "A1,Acme,acme.com,Retail,50,East,yes\n").encode())
    for raw in (b"\x00\x01\x02binary", b"", b'external_id,name\n"A2,unterminated\n'):
        with pytest.raises(InvalidInput):
            facade.import_accounts(owner, raw)
    assert Account.objects.for_workspace(owner.workspace_id).count() == 1


def test_repeated_external_id_in_one_file_is_rejected(make_workspace):
    owner = make_workspace()
    report = facade.import_accounts(owner, b"external_id,name\nA1,One\nA1,Two\n")
    assert report.created == 1
    assert [(r.row, r.column) for r in report.rejected] == [(3, "external_id")]


def test_contacts_import(make_workspace):
    owner = make_workspace()
    facade.import_accounts(owner, b"external_id,name\nA1,Acme\n")
    raw = (
        b"account_external_id,name,email,role,title\n"
        b"A1,Ana,ana@acme.com,decision_maker,CEO\n"
        b"A1,Bo,bo@acme.com,boss,CTO\n"
        b"A9,Cy,cy@x.com,end_user,\n"
        b"A1,Di,not-an-email,end_user,\n"
    )
    report = facade.import_contacts(owner, raw)
    assert report.created == 1
    assert [(r.row, r.column) for r in report.rejected] == [
        (3, "role"),
        (4, "account_external_id"),
        (5, "email"),
    ]
    again = facade.import_contacts(owner, raw)
    assert (again.created, again.updated) == (0, 0)
    assert Contact.objects.for_workspace(owner.workspace_id).count() == 1
    acct = Account.objects.for_workspace(owner.workspace_id).get()
    assert acct.risk_flags == []


def test_blank_cells_on_reimport(make_workspace):
    owner = make_workspace()
    facade.import_accounts(owner, b"external_id,name,lifecycle_stage,headcount\nA1,Acme,trial,50\n")
    report = facade.import_accounts(
        owner, b"external_id,name,lifecycle_stage,headcount\nA1,,,\nA1x,New,,\n"
    )
    assert [(r.row, r.column, r.reason) for r in report.rejected] == [
        (2, "name", "name cannot be blank")
    ]
    acct = Account.objects.for_workspace(owner.workspace_id).get(external_id="A1")
    assert (acct.name, acct.lifecycle_stage, acct.headcount) == ("Acme", "trial", 50)
    new = Account.objects.for_workspace(owner.workspace_id).get(external_id="A1x")
    assert new.lifecycle_stage == "active"


def test_api_patch_with_nulls_is_a_clear_error(make_workspace):
    owner = make_workspace()
    acct = facade.create_account(owner, facade.AccountCreate(name="Acme"))
    with pytest.raises(ValidationError, match="name cannot be blank"):
        facade.AccountPatch.model_validate({"name": None})
    kept = facade.update_account(owner, acct.id, facade.AccountPatch(lifecycle_stage=None))
    assert kept.lifecycle_stage == "active"
