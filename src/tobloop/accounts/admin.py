from django.contrib import admin

from tobloop.accounts.models import Account, Contact
from tobloop.platform.admin_scoping import WorkspaceScopedAdmin


@admin.register(Account)
class AccountAdmin(WorkspaceScopedAdmin):
    list_display = (
        "name",
        "workspace",
        "external_id",
        "industry",
        "headcount",
        "segment",
        "service_tier",
        "region",
    )
    list_filter = ("segment", "service_tier", "lifecycle_stage")
    search_fields = ("name", "external_id", "domain")
    readonly_fields = ("segment", "service_tier", "risk_flags")
    raw_id_fields = ("csm_owner",)


@admin.register(Contact)
class ContactAdmin(WorkspaceScopedAdmin):
    list_display = ("name", "workspace", "account", "email", "role", "is_primary")
    list_filter = ("role",)
    search_fields = ("name", "email")
    raw_id_fields = ("account",)
