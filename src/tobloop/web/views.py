"""Layout-level pages: home (pick a workspace), sign-in handled by Django auth views."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from tobloop.platform.facade import workspaces_of


@login_required
def home(request: HttpRequest) -> HttpResponse:
    mine = workspaces_of(request.user)
    if len(mine) == 1:
        return redirect("accounts:list", slug=mine[0][0])
    return render(request, "web/home.html", {"workspaces": mine})
