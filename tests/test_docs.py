"""The reference docs keep up with the code: every CLI command and option is in docs/cli.md,
every REST operation is in docs/api.md, and neither documents something that is gone."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer

from tobloop.cli.app import app

DOCS = Path(__file__).resolve().parent.parent / "docs"
HEADING = re.compile(r"^(#{2,3}) `tobloop ([a-z0-9 -]+)`\s*$", re.MULTILINE)


def cli_commands() -> dict[str, Any]:
    """Every leaf command of the Typer app by its path (``import accounts``)."""
    found: dict[str, Any] = {}

    def walk(command: Any, path: list[str]) -> None:
        subcommands = getattr(command, "commands", None)
        if subcommands is None:
            found[" ".join(path)] = command
            return
        for name, sub in subcommands.items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return found


def cli_sections() -> dict[str, str]:
    """The text of each ``### `tobloop …``` section of docs/cli.md, by command path."""
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    heads = list(HEADING.finditer(text))
    sections = {}
    for i, match in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        nxt = re.search(r"^#{1,2} ", text[match.end() : end], re.MULTILINE)
        if nxt:
            end = match.end() + nxt.start()
        sections[match.group(2).strip()] = text[match.start() : end]
    return sections


def test_cli_reference_documents_the_conventions():
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    for needle in ("--workspace", "--json", "exit", "TOBLOOP_DATA_DIR", '{"error"'):
        assert needle in text, needle
    for code in ("| 0 |", "| 1 |", "| 2 |", "| 3 |"):
        assert code in text, f"exit code {code} is not in the table"
    for rule in ("the only workspace", "demo workspace", "no_workspace", "workspace_required"):
        assert rule in text, rule


@pytest.mark.parametrize("path", sorted(cli_commands()))
def test_every_cli_command_and_option_is_documented(path):
    sections = cli_sections()
    assert path in sections, f"docs/cli.md needs a section '### `tobloop {path}`'"
    section = sections[path]
    command = cli_commands()[path]
    for param in command.params:
        if param.param_type_name == "argument":
            name = (param.metavar or param.name or "").upper()
            assert name in section, f"tobloop {path}: argument {name} is not in docs/cli.md"
            continue
        for opt in [*param.opts, *param.secondary_opts]:
            if opt.startswith("--"):
                assert re.search(rf"{re.escape(opt)}(?![\w-])", section), (
                    f"tobloop {path}: option {opt} is not in its docs/cli.md section"
                )


def test_cli_reference_has_no_stale_commands():
    stale = sorted(set(cli_sections()) - set(cli_commands()))
    assert not stale, f"docs/cli.md documents commands that do not exist: {stale}"


def _spec_paths() -> set[tuple[str, str]]:
    from tobloop.config.api import api

    spec = api.get_openapi_schema()
    return {
        (method.upper(), re.sub(r"\{[^}]*\}", "{}", path.removeprefix("/api/v1")))
        for path, ops in spec["paths"].items()
        for method in ops
    }


def test_every_rest_operation_is_in_the_api_reference():
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    documented = {
        (m, re.sub(r"\{[^}]*\}", "{}", p.removeprefix("/api/v1")))
        for m, p in re.findall(r"\b(GET|POST|PUT|PATCH|DELETE) (/[\w/{}.-]*)", text)
    }
    missing = sorted(_spec_paths() - documented)
    assert not missing, f"docs/api.md does not list these operations: {missing}"
    stale = sorted(
        (m, p) for m, p in documented - _spec_paths() if not p.startswith(("/v1/", "/sa"))
    )
    assert not stale, f"docs/api.md lists operations that do not exist: {stale}"


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    nxt = re.search(r"^#{1,3} ", text[start + len(heading) :], re.MULTILINE)
    return text[start : start + len(heading) + nxt.start()] if nxt else text[start:]


def test_import_reference_lists_every_column_alias():
    from tobloop.accounts.logic.importing import ACCOUNT_ALIASES, CONTACT_ALIASES
    from tobloop.accounts.schemas import ACCOUNT_FIELDS, CONTACT_FIELDS

    text = (DOCS / "import.md").read_text(encoding="utf-8")
    for heading, aliases, fields in (
        ("### Account columns", ACCOUNT_ALIASES, ACCOUNT_FIELDS),
        ("### Contact columns", CONTACT_ALIASES, CONTACT_FIELDS),
    ):
        table = _section(text, heading)
        rows = {
            line.split("|")[1].strip().split("`")[1]: line
            for line in table.splitlines()
            if line.startswith("| `")
        }
        assert set(fields) - {"custom_fields"} <= set(rows), heading
        for alias, field in aliases.items():
            assert f"`{alias}`" in rows[field], f"{heading}: alias {alias!r} of {field}"


def test_import_reference_example_is_what_the_import_answers(make_workspace, add_member):
    from tobloop.accounts import facade

    text = (DOCS / "import.md").read_text(encoding="utf-8")
    example = _section(text, "### Rejected rows, by example")
    csv = example.split("```csv\n", 1)[1].split("```", 1)[0]
    documented = []
    for line in example.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if line.startswith("| ") and cells[0].isdigit():
            column, value = (None if c == "`null`" else c.strip("`") for c in cells[1:3])
            documented.append(
                (int(cells[0]), column, "" if value == "(empty)" else value, cells[3])
            )
    owner = make_workspace("acme")
    add_member("acme", "ana", "csm")
    report = facade.import_accounts(owner, csv.encode(), filename="example.csv")
    got = [(r.row, r.column, r.value, r.reason) for r in report.rejected]
    assert got == documented
    assert (report.created, report.updated) == (1, 0)
