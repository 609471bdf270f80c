"""Web views' access to a workspace: signed-in membership and one permission check."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tobloop.kernel.errors import NotAuthenticated, PermissionDenied, TobloopError
from tobloop.platform.logic.members import principal_for_user
from tobloop.platform.permissions import require

View = Callable[..., HttpResponse]


def member_view(module: str, action: str = "read") -> Callable[[View], View]:
    """Resolve ``slug`` to the member's Principal and check ``module:action``; fail closed."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                principal = principal_for_user(request.user, slug)
                require(principal.scopes, module, action)
            except NotAuthenticated:
                return redirect_to_login(request.get_full_path())
            except PermissionDenied as exc:
                return render(request, "web/error.html", {"error": exc}, status=403)
            request.principal = principal  # type: ignore[attr-defined]
            try:
                return view(request, principal, *args, **kwargs)
            except TobloopError as exc:
                return render(request, "web/error.html", {"error": exc}, status=exc.status)

        return wrapper

    return decorate
