"""docs/import.md's NPS example is what the import answers; the webhook recipe verifies."""

from __future__ import annotations

import re
from pathlib import Path

from tobloop.success.work import facade
from tobloop.success.work.tests.fixtures import account

DOCS = Path(__file__).resolve().parents[5] / "docs"


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    nxt = re.search(r"^#{1,3} ", text[start + len(heading) :], re.MULTILINE)
    return text[start : start + len(heading) + nxt.start()] if nxt else text[start:]


def test_nps_import_example_is_what_the_import_answers(make_workspace):  # type: ignore[no-untyped-def]
    example = _section((DOCS / "import.md").read_text(encoding="utf-8"),
                       "### NPS rejected rows, by example")  # fmt: skip
    csv = example.split("```csv\n", 1)[1].split("```", 1)[0]
    documented = []
    for line in example.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if line.startswith("| ") and cells[0].isdigit():
            documented.append((int(cells[0]), cells[1].strip("`"), cells[2].strip("`"), cells[3]))
    owner = make_workspace("docs")
    account(owner, "Alpha", "small")

    report = facade.import_answers(owner, csv.encode(), filename="nps.csv")

    assert [(r.row, r.column, r.value, r.reason) for r in report.rejected] == documented
    assert (report.rows, report.created, report.updated) == (5, 1, 0)


def test_nps_columns_table_lists_every_alias() -> None:
    from tobloop.success.work.logic.nps import ALIASES, FIELDS

    table = _section((DOCS / "import.md").read_text(encoding="utf-8"), "### NPS columns")
    rows = {line.split("`")[1]: line for line in table.splitlines() if line.startswith("| `")}
    assert set(FIELDS) <= set(rows)
    for alias, field in ALIASES.items():
        assert f"`{alias}`" in rows[field], alias


def test_the_documented_verification_recipe_accepts_a_real_signature() -> None:
    import hashlib
    import hmac
    import time

    body = b'{"type":"task.created"}'
    ts = int(time.time())
    signature = facade.sign("s3cret-s3cret-s3cret", ts, body)
    mac = hmac.new(b"s3cret-s3cret-s3cret", str(ts).encode() + b"." + body, hashlib.sha256)
    assert signature == "sha256=" + mac.hexdigest()
    assert facade.verify("s3cret-s3cret-s3cret", str(ts), body, signature)
    assert not facade.verify("s3cret-s3cret-s3cret", str(ts), body + b" ", signature)
    assert not facade.verify("other-secret-0000000", str(ts), body, signature)
