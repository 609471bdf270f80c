"""Shared test fixtures: workspaces, members, API clients and the browser set-up."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from typing import Any

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright + ORM in one test

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


APP_DB_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "live_server",
}


def uses_app_db(item: pytest.Item) -> bool:
    """Whether a test touches the Django application database (directly or via fixtures)."""
    fixtures = set(getattr(item, "fixturenames", ()))
    return bool(fixtures & APP_DB_FIXTURES) or item.get_closest_marker("django_db") is not None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The second pass of the test command (PostgreSQL) re-runs only the tests whose outcome
    # can depend on the application database; engine-only tests and CLI subprocess tests
    # (which keep their own SQLite data directory) would repeat the first pass exactly.
    if os.environ.get("TOBLOOP_TEST_APP_DB_ONLY") == "1":
        keep = [item for item in items if uses_app_db(item)]
        dropped = [item for item in items if not uses_app_db(item)]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
        items[:] = keep
    if os.path.exists(CHROMIUM):
        return
    skip = pytest.mark.skip(reason="Debian chromium is not installed (scripts/test installs it)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def _own_event_store_per_process(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each test process keeps its embedded event store in a data directory of its own.

    The application database is one per xdist worker, so two workers number their workspaces
    alike; a shared event store would let one worker's events show up in the other's
    workspace of the same id.
    """
    from django.conf import settings

    settings.DATA_DIR = tmp_path_factory.mktemp("data")


# The highest workspace id this process has made. SQLite hands out the ids of a rolled-back
# test again, but the event store (not rolled back) still holds that test's events.
_highest_workspace_id = {"id": 0}


def _never_reuse_workspace_ids() -> None:
    from django.db import connection

    if connection.vendor != "sqlite":
        return  # PostgreSQL sequences are not rolled back
    floor = _highest_workspace_id["id"]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE sqlite_sequence SET seq = max(seq, %s) WHERE name = 'platform_workspace'",
            [floor],
        )
        if cursor.rowcount == 0:
            cursor.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES ('platform_workspace', %s)",
                [floor],
            )


@pytest.fixture
def make_workspace(db: None) -> Callable[..., Any]:
    """Create a workspace with an owner user; returns the owner's Principal."""
    from tobloop.platform import facade

    counter = {"n": 0}

    def make(slug: str | None = None, role: str = "owner", **kwargs: Any) -> Any:
        counter["n"] += 1
        slug = slug or f"ws{counter['n']}"
        _never_reuse_workspace_ids()
        ws = facade.create_workspace(name=f"Workspace {slug}", slug=slug, **kwargs)
        _highest_workspace_id["id"] = max(_highest_workspace_id["id"], ws.id)
        return member(slug, f"{slug}-{role}", role)

    return make


def member(slug: str, username: str, role: str) -> Any:
    from django.contrib.auth import get_user_model

    from tobloop.platform import facade

    uid = facade.create_user(username=username, password="pw")
    facade.add_member(workspace_slug=slug, user_id=uid, role=role)
    return facade.principal_for_user(get_user_model().objects.get(pk=uid), slug)


@pytest.fixture
def add_member(db: None) -> Callable[[str, str, str], Any]:
    return member


@pytest.fixture
def api_key(db: None) -> Callable[..., str]:
    from tobloop.platform import facade

    def make(principal: Any, scopes: str = "read,write,admin") -> str:
        return facade.create_api_key(workspace_id=principal.workspace_id, scopes=scopes).key

    return make
