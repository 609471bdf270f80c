"""Browser-test helpers: an English browser, quick time-outs, signing in, a small workspace."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

HEADER = "external_id,name,domain,industry,headcount,region\n"


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    # The browser asks for English; the language switch is what changes it.
    return {**browser_context_args, "locale": "en-US", "viewport": {"width": 1360, "height": 900}}


@pytest.fixture
def page(page: Any) -> Any:
    page.set_default_timeout(8000)
    return page


@pytest.fixture
def sign_in(page: Any, live_server: Any) -> Callable[[str], None]:
    def sign(username: str, password: str = "pw") -> None:
        page.goto(live_server.url + "/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url("**/w/*/accounts/")

    return sign


def accounts_csv(rows: list[tuple[str, str, str, str, int | str, str]]) -> bytes:
    return (HEADER + "".join(",".join(map(str, r)) + "\n" for r in rows)).encode()


@pytest.fixture
def acme(make_workspace: Callable[..., Any]) -> Any:
    """Workspace ``acme`` with 58 accounts (two list pages); returns the owner's Principal.

    55 small retail fillers, plus one large bank, one mid-size factory and one tiny studio.
    """
    from tobloop.accounts import facade

    owner = make_workspace("acme")
    rows: list[tuple[str, str, str, str, int | str, str]] = [
        (f"F{i:02d}", f"Filler {i:02d}", f"filler{i:02d}.cn", "Retail", 10, "East")
        for i in range(1, 56)
    ]
    rows += [
        ("B1", "Big Bank", "bigbank.cn", "Finance", 5000, "North"),
        ("M1", "Mid Factory", "midfactory.cn", "Manufacturing", 300, "South"),
        ("T1", "Tiny Studio", "tiny.studio", "Software", 8, "East"),
    ]
    report = facade.import_accounts(owner, accounts_csv(rows), filename="acme.csv")
    assert report.created == 58 and not report.rejected
    return owner


@pytest.fixture(autouse=True)
def quick_passwords(settings: Any) -> None:
    """Hash test passwords cheaply: the default hasher costs about a second per sign-in here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
