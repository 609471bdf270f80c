"""API authentication: a bearer API key, or a signed-in session plus a workspace."""

from __future__ import annotations

from django.http import HttpRequest
from django.middleware.csrf import CsrfViewMiddleware
from ninja.security.base import AuthBase

from tobloop.kernel.errors import InvalidInput, NotAuthenticated, PermissionDenied
from tobloop.platform.contracts import Principal
from tobloop.platform.logic.apikeys import principal_for_key
from tobloop.platform.logic.members import principal_for_user, workspaces_of

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def _csrf_ok(request: HttpRequest) -> bool:
    check = CsrfViewMiddleware(lambda r: None)  # type: ignore[arg-type,return-value]
    return check.process_view(request, None, (), {}) is None  # type: ignore[arg-type]


def principal_from_request(request: HttpRequest) -> Principal:
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise NotAuthenticated("use Authorization: Bearer KEY", code="invalid_api_key")
        return principal_for_key(key.strip())
    user = request.user
    if not user.is_authenticated:
        raise NotAuthenticated("send Authorization: Bearer KEY or sign in")
    slug = request.headers.get("X-Workspace") or request.GET.get("workspace")
    if not slug:
        mine = workspaces_of(user)
        if len(mine) != 1:
            raise InvalidInput(
                "name the workspace with the X-Workspace header", code="workspace_required"
            )
        slug = mine[0][0]
    if request.method not in SAFE_METHODS and not _csrf_ok(request):
        raise PermissionDenied("CSRF check failed for a session request", code="csrf_failed")
    return principal_for_user(user, slug)


def request_principal(request: HttpRequest) -> Principal:
    """The Principal :class:`PrincipalAuth` authenticated for this API request.

    For operations of the API router (its ``auth`` runs before the operation); anything else
    on ``request.auth`` is a wiring mistake and fails the assertion.
    """
    principal = request.auth  # type: ignore[attr-defined]
    assert isinstance(principal, Principal)
    return principal


class PrincipalAuth(AuthBase):
    """django-ninja auth: returns the Principal, or raises a domain error (mapped to 401/403)."""

    openapi_type = "http"
    openapi_scheme = "bearer"

    def __call__(self, request: HttpRequest) -> Principal:
        principal = principal_from_request(request)
        request.principal = principal  # type: ignore[attr-defined]
        return principal
