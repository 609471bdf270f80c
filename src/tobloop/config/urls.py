"""URL map: the web UI, the REST API under /api/v1/ and Django admin."""

from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt

from tobloop.config.api import api, error_body
from tobloop.config.health import healthz


@csrf_exempt  # a 404 for every method, not a CSRF refusal for unsafe ones
def api_not_found(request: HttpRequest) -> JsonResponse:
    """Unknown paths under /api/v1/ answer the API's error shape, not an HTML page."""
    return JsonResponse(error_body("not_found", f"no API endpoint at {request.path}"), status=404)


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", api_not_found),  # the API's root is no endpoint either
    path("api/v1/", api.urls),
    re_path(r"^api/v1/", api_not_found),
    path("", include("tobloop.web.urls")),
    path("", include("tobloop.accounts.urls")),
    path("", include("tobloop.analytics.urls")),
    path("", include("tobloop.revenue.urls")),
    path("", include("tobloop.revenue.overview_urls")),
    path("", include("tobloop.platform.urls")),
    path("", include("tobloop.success.urls")),
    path("", include("tobloop.success.work.urls")),
]
