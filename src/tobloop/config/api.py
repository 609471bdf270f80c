"""The REST API: one NinjaAPI, authentication and the single error mapping."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from tobloop.accounts.api import router as accounts_router
from tobloop.analytics.api import router as events_router
from tobloop.analytics.insights.api import router as insights_router
from tobloop.analytics.saved_api import router as saved_insights_router
from tobloop.kernel.errors import TobloopError
from tobloop.platform.api import router as platform_router
from tobloop.platform.auth import PrincipalAuth
from tobloop.revenue.api import router as revenue_router
from tobloop.success.api import router as success_router
from tobloop.success.work.api import router as success_work_router

api = NinjaAPI(
    title="tobloop API",
    version="1",
    description=(
        "Customer operations for ToB companies. Authenticate with `Authorization: Bearer KEY` "
        "(keys from `tobloop apikey create` or Settings → API keys), or with a signed-in "
        "session plus the `X-Workspace` header. Errors are "
        '`{"error": {"code", "message", "details": [{"loc", "msg"}]}}`.'
    ),
    auth=PrincipalAuth(),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def error_body(
    code: str, message: str, details: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or []}}


@api.exception_handler(TobloopError)
def _domain_error(request: HttpRequest, exc: TobloopError) -> HttpResponse:
    details = [{"loc": list(d.loc), "msg": d.msg} for d in exc.details]
    return api.create_response(
        request, error_body(exc.code, exc.message, details), status=exc.status
    )


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    details = [
        {
            "loc": [str(p) for p in e.get("loc", ())],
            "msg": str(e.get("msg", "invalid")).removeprefix("Value error, "),
        }
        for e in exc.errors
    ]
    return api.create_response(
        request, error_body("invalid_input", "the request is not valid", details), status=422
    )


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request,
        error_body("not_authenticated", "send Authorization: Bearer KEY or sign in"),
        status=401,
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = "bad_request" if exc.status_code == 400 else "http_error"  # 400: unreadable JSON
    return api.create_response(request, error_body(code, str(exc)), status=exc.status_code)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, error_body("not_found", "not found"), status=404)


@api.exception_handler(SuspiciousOperation)
def _refused_request(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    """Bodies over DATA_UPLOAD_MAX_MEMORY_SIZE (413), too many form fields or files (400)."""
    if isinstance(exc, RequestDataTooBig):
        body = error_body("payload_too_large", "the request body is too large")
        return api.create_response(request, body, status=413)
    body = error_body("bad_request", "the request cannot be read")
    return api.create_response(request, body, status=400)


api.add_router("/", platform_router)
api.add_router("/", accounts_router)
api.add_router("/", insights_router)
api.add_router("/", saved_insights_router)
api.add_router("/", events_router)
api.add_router("/", revenue_router)
api.add_router("/", success_router)
api.add_router("/", success_work_router)
