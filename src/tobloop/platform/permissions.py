"""Roles, scopes and the one permission check used by every view and endpoint."""

from __future__ import annotations

from collections.abc import Iterable

from tobloop.kernel.errors import InvalidInput, PermissionDenied

MODULES = (
    "platform",
    "accounts",
    "revenue",
    "analytics",
    "success",
    "requirements",
    "ecosystem",
    "pricing",
)
ACTIONS = ("read", "write", "admin")

ROLE_SCOPES: dict[str, frozenset[str]] = {
    "owner": frozenset({"read", "write", "admin"}),
    "admin": frozenset({"read", "write", "admin"}),
    "analyst": frozenset({"read", "analytics:write"}),
    "csm": frozenset({"read", "accounts:write", "success:write"}),
    "sales": frozenset({"read", "accounts:write", "revenue:write", "pricing:write"}),
    "partner_manager": frozenset({"read", "ecosystem:write"}),
    "viewer": frozenset({"read"}),
}

WRITE_KEY_SCOPES = frozenset({"events:write"})


def valid_scopes() -> frozenset[str]:
    per_module = {f"{m}:{a}" for m in MODULES for a in ("read", "write")}
    return frozenset({"read", "write", "admin"} | per_module)


def parse_scopes(raw: str | Iterable[str]) -> tuple[str, ...]:
    """Split and validate ``read,accounts:write`` into a sorted tuple; unknown scopes fail."""
    items = [s.strip() for s in (raw.split(",") if isinstance(raw, str) else raw)]
    items = [s for s in items if s]
    if not items:
        raise InvalidInput("at least one scope is needed", code="invalid_scopes")
    unknown = sorted(set(items) - valid_scopes())
    if unknown:
        raise InvalidInput(
            f"unknown scope(s): {', '.join(unknown)}; use read, write, admin or MODULE:read|write "
            f"with MODULE one of {', '.join(MODULES)}",
            code="invalid_scopes",
        )
    return tuple(sorted(set(items)))


def scopes_allow(scopes: frozenset[str], module: str, action: str) -> bool:
    """``write`` implies ``read``; ``admin`` is its own scope; module scopes narrow to one."""
    if action == "admin":
        return "admin" in scopes
    if action == "read":
        return bool(scopes & {"read", "write", f"{module}:read", f"{module}:write"})
    if action == "write":
        return bool(scopes & {"write", f"{module}:write"})
    return False


def require(scopes: frozenset[str], module: str, action: str) -> None:
    if not scopes_allow(scopes, module, action):
        raise PermissionDenied(f"this needs the {module}:{action} permission")
