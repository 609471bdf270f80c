"""The accounts module's public surface: other modules import only this."""

from tobloop.accounts.contracts import AccountView, ContactView, ImportReport, Page, RejectedRow
from tobloop.accounts.logic.contact_counts import contact_role_counts
from tobloop.accounts.logic.csvfile import (
    CsvTable,
    column_plan,
    load_mapping,
    parse_mapping,
    read_csv,
    read_upload,
)
from tobloop.accounts.logic.derivation import (
    explain_segment,
    rederive_segments,
    risk_flag_label,
    segment_for,
)
from tobloop.accounts.logic.importing import import_accounts, import_contacts
from tobloop.accounts.logic.listing import (
    AccountFilter,
    ContactFilter,
    facet_values,
    list_accounts,
    list_contacts,
)
from tobloop.accounts.logic.records import (
    create_account,
    create_contact,
    delete_account,
    delete_contact,
    get_account,
    get_accounts,
    get_contact,
    update_account,
    update_contact,
)
from tobloop.accounts.panels import AccountPanel, account_panels, register_account_panel
from tobloop.accounts.schemas import AccountCreate, AccountPatch, ContactCreate, ContactPatch

__all__ = [
    "AccountCreate",
    "AccountFilter",
    "AccountPanel",
    "AccountPatch",
    "AccountView",
    "ContactCreate",
    "ContactFilter",
    "ContactPatch",
    "ContactView",
    "CsvTable",
    "ImportReport",
    "Page",
    "RejectedRow",
    "account_panels",
    "column_plan",
    "contact_role_counts",
    "create_account",
    "create_contact",
    "delete_account",
    "delete_contact",
    "explain_segment",
    "facet_values",
    "get_account",
    "get_accounts",
    "get_contact",
    "import_accounts",
    "import_contacts",
    "list_accounts",
    "list_contacts",
    "load_mapping",
    "parse_mapping",
    "read_csv",
    "read_upload",
    "rederive_segments",
    "register_account_panel",
    "risk_flag_label",
    "segment_for",
    "update_account",
    "update_contact",
]
