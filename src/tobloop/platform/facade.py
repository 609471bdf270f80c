"""The platform module's public surface: other modules import only this."""

from tobloop.platform.auth import request_principal
from tobloop.platform.contracts import CreatedKey, Principal, WorkspaceInfo
from tobloop.platform.hooks import on_thresholds_changed, on_workspace_deleted
from tobloop.platform.logic.apikeys import (
    create_api_key,
    list_api_keys,
    principal_for_key,
    revoke_api_key,
)
from tobloop.platform.logic.audit import changed_fields, record_audit
from tobloop.platform.logic.members import (
    add_member,
    create_user,
    principal_for_user,
    system_principal,
    workspaces_of,
)
from tobloop.platform.logic.workspaces import (
    create_workspace,
    get_workspace,
    get_workspace_by_id,
    list_workspaces,
    update_thresholds,
)
from tobloop.platform.permissions import MODULES, ROLE_SCOPES, require
from tobloop.platform.thresholds import SIZE_FIELDS, PlaybookThresholds

__all__ = [
    "MODULES",
    "ROLE_SCOPES",
    "SIZE_FIELDS",
    "CreatedKey",
    "PlaybookThresholds",
    "Principal",
    "WorkspaceInfo",
    "add_member",
    "changed_fields",
    "create_api_key",
    "create_user",
    "create_workspace",
    "get_workspace",
    "get_workspace_by_id",
    "list_api_keys",
    "list_workspaces",
    "on_thresholds_changed",
    "on_workspace_deleted",
    "principal_for_key",
    "principal_for_user",
    "record_audit",
    "request_principal",
    "require",
    "revoke_api_key",
    "system_principal",
    "update_thresholds",
    "workspaces_of",
]
