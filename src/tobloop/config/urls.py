"""URL map: the web UI, the REST API under /api/v1/ and Django admin."""

from django.contrib import admin
from django.urls import include, path

from tobloop.config.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("tobloop.web.urls")),
    path("", include("tobloop.accounts.urls")),
    path("", include("tobloop.platform.urls")),
]
