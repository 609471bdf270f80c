"""Middleware of the project as a whole."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from tobloop.config.api import error_body

API_PREFIX = "/api/v1/"


class ApiMethodNotAllowed:
    """A wrong HTTP method on an API path answers the API's JSON error shape, not plain text.

    django-ninja answers 405 with Django's empty ``HttpResponseNotAllowed``; scripts that parse
    every API error as ``{"error": {…}}`` would choke on it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code == 405
            and request.path.startswith(API_PREFIX)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            allowed = response.get("Allow", "")
            message = f"{request.method} is not allowed on {request.path}"
            if allowed:
                message += f"; use {allowed}"
            json = JsonResponse(error_body("method_not_allowed", message), status=405)
            if allowed:
                json["Allow"] = allowed
            return json
        return response
