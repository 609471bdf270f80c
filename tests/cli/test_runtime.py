"""The helpers every command shares (cli/runtime.py): actor, principal, number format."""

from __future__ import annotations

import getpass
from typing import Any

import pytest
import typer

from tobloop.cli import runtime


def test_num_prints_three_decimals_and_a_dash_for_no_value() -> None:
    assert runtime.num(None) == "—"
    assert runtime.num(0.0) == "0.000"
    assert runtime.num(0.81349) == "0.813"
    assert runtime.num(1) == "1.000"


def test_actor_is_the_login_name_or_plain_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(getpass, "getuser", lambda: "mei")
    assert runtime.cli_actor() == "cli:mei"

    def no_login() -> str:
        raise OSError("no login name")

    monkeypatch.setattr(getpass, "getuser", no_login)
    assert runtime.cli_actor() == "cli"


def test_principal_is_an_owner_of_the_named_or_only_workspace(
    make_workspace: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(getpass, "getuser", lambda: "mei")
    make_workspace("acme")
    principal = runtime.cli_principal(None, as_json=True)  # the only workspace
    assert principal.workspace.slug == "acme"
    assert principal.label == "cli:mei" and principal.role == "owner"

    make_workspace("beta")
    assert runtime.cli_principal("beta", as_json=True).workspace.slug == "beta"
    with pytest.raises(typer.Exit) as exited:  # two workspaces and no --workspace
        runtime.cli_principal(None, as_json=True)
    assert exited.value.exit_code == runtime.EXIT_USAGE
