"""Users, workspace membership and roles; the principal of a signed-in member."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction

from tobloop.kernel.errors import (
    Conflict,
    ErrorDetail,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from tobloop.platform.contracts import Principal
from tobloop.platform.logic.audit import record_audit
from tobloop.platform.logic.workspaces import workspace_info
from tobloop.platform.models import Membership, Role, Workspace
from tobloop.platform.permissions import ROLE_SCOPES, require


@transaction.atomic
def create_user(*, username: str, password: str, email: str = "", is_staff: bool = False) -> int:
    """Create or update a user; returns the user id."""
    if not username.strip():
        raise InvalidInput("a user needs a user name")
    if not password:
        raise InvalidInput("a user needs a password")
    user_model = get_user_model()
    user, _created = user_model.objects.get_or_create(username=username.strip())
    user.email = email
    user.is_staff = is_staff
    user.is_superuser = is_staff
    user.set_password(password)
    user.save()
    return int(user.pk)


@transaction.atomic
def add_member(
    *, workspace_slug: str, user_id: int, role: str, actor: Principal | None = None
) -> None:
    """Make a user a member (or change their role); audited when an actor is given."""
    if role not in Role.values:
        raise InvalidInput(
            f"unknown role {role!r}; one of {', '.join(Role.values)}",
            details=[ErrorDetail(("role",), "unknown role")],
        )
    try:
        ws = Workspace.objects.get(slug=workspace_slug)
    except Workspace.DoesNotExist:
        raise NotFound(f"no workspace with slug {workspace_slug!r}") from None
    old = Membership.objects.for_workspace(ws.pk).filter(user_id=user_id).first()
    Membership.objects.update_or_create(workspace=ws, user_id=user_id, defaults={"role": role})
    if actor is not None and (old is None or old.role != role):
        record_audit(
            actor,
            action="create" if old is None else "update",
            object_type="membership",
            object_id=user_id,
            object_repr=str(get_user_model().objects.get(pk=user_id)),
            before={"role": old.role} if old else None,
            after={"role": role},
        )


def list_members(principal: Principal) -> list[tuple[str, str]]:
    """(user name, role) of every member, by user name."""
    require(principal.scopes, "platform", "read")
    rows = (
        Membership.objects.for_workspace(principal.workspace_id)
        .select_related("user")
        .order_by("user__username")
    )
    return [(m.user.get_username(), m.role) for m in rows]


@transaction.atomic
def set_member_role(principal: Principal, username: str, role: str) -> None:
    require(principal.scopes, "platform", "admin")
    # PostgreSQL refuses NUL in text: such a name cannot exist, so answer "no user".
    user = get_user_model().objects.filter(username=username).first() if _text(username) else None
    if user is None:
        raise NotFound(f"no user {username!r}", code="user_not_found")
    add_member(
        workspace_slug=principal.workspace.slug, user_id=int(user.pk), role=role, actor=principal
    )


@transaction.atomic
def remove_member(principal: Principal, username: str) -> None:
    require(principal.scopes, "platform", "admin")
    m = (
        Membership.objects.for_workspace(principal.workspace_id)
        .filter(user__username=username)
        .first()
        if _text(username)
        else None
    )
    if m is None:
        raise NotFound(f"{username!r} is not a member of this workspace", code="member_not_found")
    owners = Membership.objects.for_workspace(principal.workspace_id).filter(role=Role.OWNER)
    if m.role == Role.OWNER and owners.count() == 1:
        raise Conflict("the last owner of a workspace cannot be removed", code="last_owner")
    m.delete()
    record_audit(
        principal,
        action="delete",
        object_type="membership",
        object_id=m.user_id,
        object_repr=username,
        before={"role": m.role},
    )


def _text(value: str) -> bool:
    """Whether a name from a request can be looked up (PostgreSQL rejects NUL characters)."""
    return "\x00" not in value


def workspaces_of(user: AbstractBaseUser | AnonymousUser) -> list[tuple[str, str, str]]:
    """(slug, name, role) for each workspace the user belongs to."""
    if not user.is_authenticated:
        return []
    rows = (
        Membership.objects.unscoped()
        .filter(user_id=user.pk)
        .select_related("workspace")
        .order_by("workspace__slug")
    )
    return [(m.workspace.slug, m.workspace.name, m.role) for m in rows]


def principal_for_user(user: AbstractBaseUser | AnonymousUser, workspace_slug: str) -> Principal:
    """The signed-in user acting in one workspace, with the scopes of their role."""
    if not user.is_authenticated:
        raise NotAuthenticated("sign in first")
    try:
        if not _text(workspace_slug):
            raise Membership.DoesNotExist
        m = (
            Membership.objects.unscoped()
            .select_related("workspace")
            .get(user_id=user.pk, workspace__slug=workspace_slug)
        )
    except Membership.DoesNotExist:
        # Same answer whether the workspace exists or not: no probing of other tenants.
        raise PermissionDenied("you are not a member of this workspace") from None
    return Principal(
        workspace=workspace_info(m.workspace),
        label=f"user:{user.get_username()}",
        scopes=ROLE_SCOPES[m.role],
        user_id=int(user.pk),
        role=m.role,
    )


def system_principal(workspace_slug: str, label: str) -> Principal:
    """The operator at the command line: full rights inside one workspace, audited by label."""
    from tobloop.platform.logic.workspaces import get_workspace

    return Principal(
        workspace=get_workspace(workspace_slug),
        label=label,
        scopes=ROLE_SCOPES["owner"],
        role="owner",
    )
