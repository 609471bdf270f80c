"""``import events``: the bulk path and the line-by-line path store the same; rejects by line."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest

from tobloop.analytics.logic.importing import BULK_STAGE, import_events
from tobloop.analytics.store.base import ms_to_datetime
from tobloop.analytics.store.duckdb_store import DuckDBStore
from tobloop.platform import facade

MESSAGES: list[dict[str, Any]] = [
    {"type": "identify", "userId": "u1", "traits": {"email": "A@X.CN"}},
    {"type": "identify", "userId": "u2", "context": {"traits": {"plan": "pro"}}},
    {"type": "group", "userId": "u1", "groupId": "acct-1", "traits": {"name": "Acme"}},
    {"type": "group", "anonymousId": "a9", "groupId": 42},
    {"event": "Signed Up", "userId": 7},  # no type: a track call; numeric user id
    {"type": "track", "event": "Exported", "userId": "u1", "properties": {"rows": 3}},
    {"type": "track", "event": "Exported", "anonymousId": "a9", "context": {"groupId": 5}},
    {"type": "page", "userId": "u2", "name": "Pricing", "category": "Docs"},
    {
        "type": "page",
        "userId": "u2",
        "name": "Home",
        "category": "Docs",
        "properties": {"category": "Own"},
    },
    {"type": "screen", "userId": "u2"},
    {"type": "alias", "userId": "u2", "previousId": "a9"},
    {"type": "track", "event": "Exported", "userId": "u1", "traits": {}, "properties": None},
]
TIMES = [
    "2026-03-01T08:00:00Z",
    "2026-03-01T08:00:00.5+08:00",
    "2026-03-01 09:30:00",
    "2026-03-02",
    "2026-03-02T10:00:00.123456Z",
    "2026-03-02T10:00:00-0500",
]


def history(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {**m, "messageId": f"h-{i}", "timestamp": TIMES[i % len(TIMES)]}
        for i, m in enumerate(messages)
    ]


def write(path: Path, lines: list[Any]) -> Path:
    path.write_bytes(
        b"".join((x if isinstance(x, bytes) else orjson.dumps(x)) + b"\n" for x in lines)
    )
    return path


@pytest.fixture
def principal(db: None) -> Any:
    facade.create_workspace(name="Import", slug="imp")
    return facade.system_principal("imp", "test")


def stored(store: DuckDBStore, workspace_id: int) -> list[dict[str, Any]]:
    return [
        asdict(e) | {"received_at": None, "source": None} for e in store.all_events(workspace_id)
    ]


def test_bulk_and_line_by_line_paths_store_the_same(principal: Any, tmp_path: Path) -> None:
    rows = history(MESSAGES)
    bulk_store = DuckDBStore(tmp_path / "bulk.duckdb")
    bulk = import_events(principal, write(tmp_path / "a.ndjson", rows), store=bulk_store)
    slow_store = DuckDBStore(tmp_path / "slow.duckdb")
    # One bad line sends the whole file the line-by-line way.
    slow = import_events(
        principal, write(tmp_path / "b.ndjson", [*rows, b"{oops"]), store=slow_store
    )
    assert (bulk.rows, bulk.created, bulk.rejected) == (len(rows), len(rows), [])
    assert (tmp_path / "a.ndjson").exists() and (tmp_path / "b.ndjson").exists()
    assert (slow.rows, slow.created, len(slow.rejected)) == (len(rows) + 1, len(rows), 1)
    assert stored(bulk_store, principal.workspace_id) == stored(slow_store, principal.workspace_id)
    events = {e["message_id"]: e for e in stored(bulk_store, principal.workspace_id)}
    assert events["h-1"]["traits"] == {"plan": "pro"}
    assert events["h-1"]["timestamp"].isoformat() == "2026-03-01T00:00:00.500000+00:00"
    assert events["h-2"]["timestamp"].isoformat() == "2026-03-01T09:30:00+00:00"
    assert events["h-3"]["account_id"] == "42"
    assert (events["h-4"]["type"], events["h-4"]["user_id"]) == ("track", "7")
    assert events["h-6"]["account_id"] == "5"
    assert events["h-7"]["properties"] == {"category": "Docs"}
    assert events["h-8"]["properties"] == {"category": "Own"}
    assert events["h-10"]["previous_id"] == "a9"


def test_rejected_lines_are_reported_and_the_rest_stored(principal: Any, tmp_path: Path) -> None:
    good = history(MESSAGES[4:6])
    lines: list[Any] = [
        good[0],
        b"",
        b"not json",
        {"type": "track", "userId": "u", "messageId": "x1", "timestamp": "2026-01-01"},
        {"type": "track", "event": "E", "userId": "u", "messageId": "x2"},
        {"type": "track", "event": "E", "userId": "u", "timestamp": "2040-01-01T00:00:00Z"},
        {"type": "track", "event": "E", "userId": ["u"], "timestamp": "2026-01-01"},
        b'{"type": "track", "event": "\xff", "userId": "u", "timestamp": "2026-01-01"}',
        good[1],
    ]
    store = DuckDBStore(tmp_path / "events.duckdb")
    report = import_events(principal, write(tmp_path / "e.ndjson", lines), store=store)
    assert (report.rows, report.created, report.updated) == (8, 2, 0)
    got = [(r.row, r.column, r.value, r.reason) for r in report.rejected]
    assert got[0][:3] == (3, None, None) and got[0][3].startswith("not valid JSON")
    assert got[1] == (4, "event", None, "event is required (a non-empty string)")
    assert got[2] == (5, "timestamp", None, "timestamp is required")
    assert got[3] == (
        6,
        "timestamp",
        "2040-01-01T00:00:00Z",
        "timestamp is more than a day in the future",
    )
    assert got[4] == (7, "userId", None, "userId must be a string")
    assert got[5][0] == 8 and "JSON" in got[5][3]
    assert len(store.all_events(principal.workspace_id)) == 2


def test_csv_rows_become_events(principal: Any, tmp_path: Path) -> None:
    source = tmp_path / "events.csv"
    source.write_text(
        "event,user_id,account,time,message_id,plan,seats,properties.source\n"
        "Signed Up,u1,acct-1,2026-02-01 10:00:00,c1,pro,5,ads\n"
        ",u2,acct-1,2026-02-01 11:00:00,c2,free,1,\n"
        "Invited,u1,,2026-02-02T09:00:00+08:00,c3,,2.5,\n",
        encoding="utf-8",
    )
    store = DuckDBStore(tmp_path / "events.duckdb")
    report = import_events(principal, source, fmt="csv", store=store)
    assert (report.rows, report.created) == (3, 2)
    assert [(r.row, r.column, r.reason) for r in report.rejected] == [
        (3, "event", "event is required (a non-empty string)")
    ]
    second, first = store.all_events(principal.workspace_id)
    assert (first.event, first.user_id, first.account_id, first.message_id) == (
        "Invited",
        "u1",
        None,
        "c3",
    )
    assert first.properties == {"seats": 2.5}
    assert second.properties == {"plan": "pro", "seats": 5, "source": "ads"}
    assert second.account_id == "acct-1"


def test_group_calls_of_a_history_create_accounts(principal: Any, tmp_path: Path) -> None:
    from tobloop.accounts import facade as accounts
    from tobloop.analytics.models import EventUser

    contact_account = accounts.create_account(
        principal, accounts.AccountCreate(name="Known", external_id="acct-known")
    )
    accounts.create_contact(
        principal,
        accounts.ContactCreate(name="Ana", email="ana@x.cn", account_id=contact_account.id),
    )
    lines = history(
        [
            {
                "type": "group",
                "userId": "u1",
                "groupId": "acct-new",
                "traits": {
                    "name": "New Co",
                    "employees": "1,200",
                    "industry": "Retail",
                    "website": "https://www.newco.cn",
                    "plan": "growth",
                },
            },
            {"type": "group", "userId": "u2", "groupId": "acct-bare", "traits": {"employees": -3}},
            {"type": "group", "userId": "u1", "groupId": "acct-known", "traits": {"plan": "pro"}},
            {"type": "identify", "userId": "u1", "traits": {"email": "Ana@X.cn", "role": "cto"}},
        ]
    )
    import_events(
        principal,
        write(tmp_path / "g.ndjson", lines),
        store=DuckDBStore(tmp_path / "events.duckdb"),
    )
    page = accounts.list_accounts(principal, accounts.AccountFilter(limit=10))
    by_ext = {a.external_id: a for a in page.items}
    new = by_ext["acct-new"]
    assert (new.name, new.headcount, new.industry, new.domain, new.segment) == (
        "New Co",
        1200,
        "Retail",
        "newco.cn",
        "large",
    )
    assert new.custom_fields == {"plan": "growth"}
    assert (by_ext["acct-bare"].name, by_ext["acct-bare"].headcount) == ("acct-bare", None)
    assert (by_ext["acct-known"].name, by_ext["acct-known"].custom_fields) == (
        "Known",
        {"plan": "pro"},
    )
    user = EventUser.objects.for_workspace(principal.workspace_id).get(distinct_id="u1")
    assert (user.email, user.account_external_id) == ("ana@x.cn", "acct-known")
    assert user.traits == {"email": "Ana@X.cn", "role": "cto"}
    contact = accounts.list_contacts(principal, accounts.ContactFilter(q="ana")).items[0]
    assert user.contact_id == contact.id


def test_the_bulk_path_takes_every_shape_of_valid_message(principal: Any, tmp_path: Path) -> None:
    from tobloop.analytics.logic.importing import _Importer

    source = write(tmp_path / "a.ndjson", history(MESSAGES))
    importer = _Importer(
        principal.workspace_id,
        DuckDBStore(tmp_path / "e.duckdb"),
        lambda rows: None,
        lambda *a: None,
    )
    outcome = importer._bulk(source)
    assert outcome is not None and outcome.stored == len(MESSAGES)
    assert outcome.rows == len(MESSAGES)
    # A float id or a boolean event the bulk path cannot tell from text: line by line.
    odd = write(tmp_path / "b.ndjson", [{**history(MESSAGES)[4], "userId": 4.5}])
    assert importer._bulk(odd) is None
    # Lines the JSON reader refuses: malformed, or not an object.
    for i, bad in enumerate([b'{"type": ', b"[1, 2]", b'"text"']):
        lines = source.read_bytes() + bad + b"\n"
        assert importer._bulk(write_bytes(tmp_path / f"c{i}.ndjson", lines)) is None


def write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("ending", [b"\n", b""])
def test_files_are_split_into_parts_of_whole_lines(tmp_path: Path, ending: bytes) -> None:
    from tobloop.analytics.logic.importing import count_lines, split_bytes

    source = tmp_path / "s.ndjson"
    source.write_bytes(b"\n".join(b"line %d" % i for i in range(1, 11)) + ending)
    parts = tmp_path / "parts"
    parts.mkdir()
    got = [(offset, p.read_bytes()) for p, offset in split_bytes(source, parts, 20)]
    # line 1…9 are 7 bytes with their newline, line 10 is 8: each part goes on to a line end.
    assert [body.count(b"\n") for _, body in got] == [3, 3, 3, 1 if ending else 0]
    assert [offset for offset, _ in got] == [0, 21, 42, 63]
    assert b"".join(body for _, body in got) == source.read_bytes()
    # each part is written over the one two before it, renamed (the last, shorter, cut)
    assert sorted(f.name for f in parts.iterdir()) == ["part-2.ndjson", "part-3.ndjson"]
    assert [count_lines(source, offset) for offset, _ in got] == [0, 3, 6, 9]
    assert count_lines(source) == 10
    (whole, offset), *more = list(split_bytes(source, parts, 1000))
    assert (whole, offset, more) == (source, 0, [])  # a small file is read in place


def test_the_next_part_is_made_while_the_current_one_is_used() -> None:
    import threading

    from tobloop.analytics.logic.importing import made_ahead

    made = [threading.Event() for _ in range(4)]
    makers: set[str] = set()
    closed = threading.Event()

    def parts() -> Any:
        try:
            for n in range(4):
                makers.add(threading.current_thread().name)
                made[n].set()
                yield n
        finally:
            closed.set()

    seen = []
    for n in made_ahead(parts()):
        # the next part gets made while this one is in use (the last has no next)
        seen.append(n + 1 == 4 or made[n + 1].wait(timeout=10))
    assert seen == [True] * 4
    assert threading.current_thread().name not in makers
    assert closed.is_set()

    for event in made:
        event.clear()
    closed.clear()
    for n in made_ahead(parts()):
        if n == 1:
            break  # the caller stops early: the part made ahead is finished, the source closed
    assert [e.is_set() for e in made] == [True, True, True, False] and closed.is_set()


def test_rejected_rows_keep_their_line_numbers_across_parts(
    principal: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    import tobloop.analytics.logic.importing as importing

    monkeypatch.setattr(importing, "BULK_BYTES", 400)  # three parts of about four lines
    monkeypatch.setattr(importing, "CHUNK_LINES", 2)  # the line-by-line path stores in twos
    rows: list[Any] = history(MESSAGES)  # 12 valid lines
    rows[9] = {"type": "track", "userId": "u", "messageId": "bad", "timestamp": "2026-01-01"}
    rows[6] = b'{"type": "track", '  # malformed: the JSON reader refuses its part
    source = write(tmp_path / "p.ndjson", rows)
    assert len(list(importing.split_bytes(source, tmp_path, 400))) == 3
    report = import_events(principal, source, store=DuckDBStore(tmp_path / "e.duckdb"))
    assert (report.rows, report.created) == (12, 10)
    assert [(r.row, r.column) for r in report.rejected] == [(7, None), (10, "event")]


def test_bulk_keys_are_the_stores_dedupe_keys(principal: Any, tmp_path: Path) -> None:
    """The bulk path derives dedupe_key its own way; it must be schema.dedupe_key exactly, or a
    re-import of events stored by the loader (or the line-by-line path) would store them twice."""
    from tobloop.analytics.logic.importing import _Importer
    from tobloop.analytics.store.schema import dedupe_key

    # (ids that could be numbers go line by line: they are not used here)
    ids = ["h-0", "m", "é-ü-中文", "x" * 200, "a:b:c", "id-" + "0123456789abcdef" * 2]
    rows = [
        {"type": "track", "event": "E", "userId": "u", "messageId": m, "timestamp": "2026-01-01"}
        for m in ids
    ]
    store = DuckDBStore(tmp_path / "e.duckdb")
    importer = _Importer(principal.workspace_id, store, lambda rows: None, lambda *a: None)
    bulk = importer._bulk(write(tmp_path / "a.ndjson", rows))
    assert bulk is not None and bulk.stored == len(ids)
    with store.reading() as con:
        assert con is not None
        keys = dict(con.execute("SELECT message_id, dedupe_key FROM events").fetchall())
    assert keys == {m: dedupe_key(principal.workspace_id, m) for m in ids}
    # Stored line by line (the loader's key expression) first, then imported in bulk: the bulk
    # import finds every event already stored.
    other = DuckDBStore(tmp_path / "o.duckdb")
    slow = import_events(principal, write(tmp_path / "b.ndjson", [*rows, b"{oops"]), store=other)
    assert (slow.created, len(slow.rejected)) == (len(ids), 1)
    again = import_events(principal, tmp_path / "a.ndjson", store=other)
    assert (again.rows, again.created, again.duplicates) == (len(ids), 0, len(ids))


def test_an_event_of_whitespace_is_rejected_on_both_paths(principal: Any, tmp_path: Path) -> None:
    """Python's strip() removes tabs, line ends and Unicode spaces, SQL's trim() only some: the
    bulk path must not store an event name the line-by-line check refuses."""
    from tobloop.analytics.logic.importing import PY_WHITESPACE, _Importer

    assert set(PY_WHITESPACE) == {chr(c) for c in range(0x110000) if chr(c).isspace()}
    blank = ["\t", "\n", " \r\n", "\u3000", "\x85\xa0", "\x1c"]
    rows = [
        {
            "type": "track",
            "event": e,
            "userId": "u",
            "messageId": f"w-{i}",
            "timestamp": "2026-01-01",
        }
        for i, e in enumerate([*blank, "\u200bzero-width", " ok "])
    ]
    store = DuckDBStore(tmp_path / "e.duckdb")
    importer = _Importer(principal.workspace_id, store, lambda rows: None, lambda *a: None)
    # One line a file: a line the bulk check refuses sends its whole file line by line.
    bulk = [importer._bulk(write(tmp_path / f"{i}.ndjson", [row])) for i, row in enumerate(rows)]
    assert [b is not None for b in bulk] == [False] * len(blank) + [True, True]
    report = import_events(principal, write(tmp_path / "w.ndjson", rows), store=store)
    assert [(r.row, r.column) for r in report.rejected] == [(i + 1, "event") for i in range(6)]
    assert report.duplicates == 2  # the two stored by _bulk above
    assert sorted(e.event for e in store.all_events(principal.workspace_id)) == [
        " ok ",
        "\u200bzero-width",
    ]


def test_the_bulk_checks_shortcuts_take_nothing_the_line_by_line_check_refuses(
    principal: Any, tmp_path: Path
) -> None:
    """Ids and event names that start with a letter skip the regular expressions, and the usual
    time shape is parsed by strptime: the bulk path may refuse a line the line-by-line check
    takes (the part then goes line by line), never take one it refuses, nor store another time
    than it would."""
    import time

    from tobloop.analytics.ingest import segment
    from tobloop.analytics.logic.importing import _Importer

    texts: list[Any] = ["u1", "true", "false", "True", "trueish", "f", "Z9", "a b", "{x", "[x",
                        "12", "-3", "1.5", "1e5", "é", "\u3000x", " x", "", "null",
                        True, False, 12, -3, 1.5, 1e5, {"a": 1}, ["x"], None]  # fmt: skip
    times = [
        "2025-03-14T15:09:26.535Z",
        "2025-03-14t15:09:26.535z",
        "2025-03-14T 5:09:26.535Z",
        "2025-03-14T15:09:26.5 NZ",  # DuckDB's cast reads a time zone's name
        " 2025-03-14T15:09:26.535Z",
        "2025-03-14T15:09:26.535Z ",
        "2025-03-1415:09:26.535Z",
        "2025-03-14T15:09:26,535Z",
        "2025-03-14T15:09:2\u0663.5Z",
        # strptime skips spaces and lets a field have fewer digits than its format's
        " 2025-03-14T15:09:26.53Z",
        "2025-03-14T15:09:26.53Z ",
        "2025-3-14T15:09:26.5355Z",
        "2025-03-14T15:09:26.5Z\t",
        "2025-03-14T15:09:26.5Z",
        "2025-02-30T15:09:26.535Z",
        "2025-03-14T24:00:00.000Z",
        "+025-03-14T15:09:26.535Z",
    ]
    base = {"type": "track", "event": "E", "userId": "u", "messageId": "m",
            "timestamp": "2025-03-14T15:09:26.535Z"}  # fmt: skip
    rows = [{**base, field: v} for field in ("userId", "messageId", "event") for v in texts]
    rows += [{**base, "anonymousId": v, "userId": None} for v in texts]
    rows += [{**base, "timestamp": t} for t in times]
    store = DuckDBStore(tmp_path / "e.duckdb")
    importer = _Importer(principal.workspace_id, store, lambda rows: None, lambda *a: None)
    received = int(time.time() * 1000)
    python_times: dict[str, int] = {}
    for i, row in enumerate(rows):
        if isinstance(row["messageId"], str) and row["messageId"]:
            row = {**row, "messageId": f"{row['messageId']}-{i}"}
        try:
            record = orjson.loads(segment.normalize(dict(row), workspace_id=1, received_ms=received,
                                                    source="import", history=True))  # fmt: skip
            python_times[record["message_id"]] = record["timestamp"]
            python_takes = True
        except segment.Rejected:
            python_takes = False
        bulk_takes = importer._bulk(write(tmp_path / f"{i}.ndjson", [row])) is not None
        assert python_takes or not bulk_takes, row
    stored = store.all_events(principal.workspace_id)
    assert {e.message_id: e.timestamp for e in stored} == {
        e.message_id: ms_to_datetime(python_times[e.message_id]) for e in stored
    }
    assert importer._bulk(write(tmp_path / "usual.ndjson", [{**base, "messageId": "u"}]))


def _catalog_counts(store: DuckDBStore, workspace_id: int) -> list[tuple[Any, ...]]:
    return [
        (
            c.type,
            c.event,
            c.count,
            c.first_seen,
            c.last_seen,
            [(p.name, p.count, p.first_seen, p.last_seen) for p in c.properties],
        )
        for c in store.catalog(workspace_id)
    ]


def test_parts_without_profile_calls_are_inserted_directly_with_the_same_result(
    principal: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    """A part of track/page/screen/alias calls is inserted without a staging table; whatever
    it stores (events, accounts from the users' links, duplicates, catalog) is what the staged
    load stores. Parts with identify/group calls or duplicates go the staged way."""
    links = [
        {"type": "group", "userId": "u1", "groupId": "acct-1", "timestamp": "2026-02-01"},
        {"type": "group", "userId": "u1", "groupId": "acct-2", "timestamp": "2026-02-02"},
        {"type": "group", "userId": "u2", "groupId": "acct-3", "timestamp": "2026-02-01"},
    ]
    tracks: list[dict[str, Any]] = [
        {"type": "track", "event": "Exported", "userId": "u1", "properties": {"rows": 3}},
        {"type": "track", "event": "Exported", "userId": "u2", "context": {"groupId": "own"}},
        {"event": "Exported", "anonymousId": "a3", "properties": {"rows": 1, "fmt": "csv"}},
        {"type": "page", "userId": "u1", "name": "Pricing", "category": "Docs"},
        {"type": "alias", "userId": "u3", "previousId": "a3"},
    ]
    files = {
        "links": write(
            tmp_path / "links.ndjson",
            [{**m, "messageId": f"g-{i}"} for i, m in enumerate(links)],
        ),
        "tracks": write(
            tmp_path / "tracks.ndjson",
            [
                {**m, "messageId": f"t-{i}", "timestamp": f"2026-03-0{i + 1}T10:00:00Z"}
                for i, m in enumerate(tracks)
            ],
        ),
        # a message id repeated inside the file
        "repeat": write(
            tmp_path / "repeat.ndjson",
            [
                {**tracks[0], "messageId": "r-1", "timestamp": "2026-04-01"},
                {**tracks[0], "messageId": "r-1", "timestamp": "2026-04-02"},
            ],
        ),
        # a group call with an escaped type: the JSON reader sees it
        "escaped": write_bytes(
            tmp_path / "escaped.ndjson",
            b'{"type": "\\u0067roup", "userId": "u4", "groupId": "acct-4", '
            b'"messageId": "e-1", "timestamp": "2026-05-01"}\n'
            b'{"type": "track", "event": "Late", "userId": "u4", '
            b'"messageId": "e-2", "timestamp": "2026-05-02"}\n',
        ),
        # a line that fails a check (an event of blanks): the statement refuses the part
        "blank": write_bytes(
            tmp_path / "blank.ndjson",
            b'{"type": "track", "event": "  ", "userId": "u5", '
            b'"messageId": "b-1", "timestamp": "2026-06-01"}\n'
            b'{"type": "track", "event": "Fine", "userId": "u5", '
            b'"messageId": "b-2", "timestamp": "2026-06-02"}\n',
        ),
    }
    order = ["links", "tracks", "tracks", "repeat", "escaped", "blank"]

    direct_results: list[bool] = []
    original = DuckDBStore.insert_import

    def spy(self: DuckDBStore, select_sql: str, params: dict[str, Any]) -> Any:
        try:
            result = original(self, select_sql, params)
        except duckdb.InvalidInputException:
            direct_results.append("failed check")
            raise
        direct_results.append(result is not None)
        return result

    monkeypatch.setattr(DuckDBStore, "insert_import", spy)
    fast = DuckDBStore(tmp_path / "fast.duckdb")
    staged: list[str] = []  # the parts staged from the file (not the line-by-line loads)
    original_staged = DuckDBStore.load_select

    def staged_spy(self: DuckDBStore, stage_sql: str, *args: Any, **kwargs: Any) -> Any:
        if stage_sql == BULK_STAGE:
            staged.append(Path(args[0]["path"]).name)
        return original_staged(self, stage_sql, *args, **kwargs)

    monkeypatch.setattr(DuckDBStore, "load_select", staged_spy)
    fast_reports = [import_events(principal, files[n], store=fast) for n in order]
    # links and escaped: refused at their group calls (the escaped type too), then staged;
    # tracks: direct; tracks again: duplicates, staged; repeat: staged; blank: a line fails a
    # check, so the part goes line by line without trying the staged load
    assert direct_results == [False, True, False, False, False, "failed check"]
    assert staged == ["links.ndjson", "tracks.ndjson", "repeat.ndjson", "escaped.ndjson"]
    monkeypatch.setattr(DuckDBStore, "load_select", original_staged)

    monkeypatch.setattr(DuckDBStore, "insert_import", lambda self, sql, params: None)
    slow = DuckDBStore(tmp_path / "slow.duckdb")
    slow_reports = [import_events(principal, files[n], store=slow) for n in order]

    def counts(reports: list[Any]) -> list[tuple[int, int, int]]:
        return [(r.rows, r.created, r.duplicates) for r in reports]

    assert (
        counts(fast_reports)
        == counts(slow_reports)
        == [
            (3, 3, 0),
            (5, 5, 0),
            (5, 0, 5),
            (2, 1, 1),
            (2, 2, 0),
            (2, 1, 0),
        ]
    )
    assert [[r.row for r in x.rejected] for x in (fast_reports[-1], slow_reports[-1])] == [[1]] * 2
    assert stored(fast, principal.workspace_id) == stored(slow, principal.workspace_id)
    events = {e["message_id"]: e for e in stored(fast, principal.workspace_id)}
    assert [events[f"t-{i}"]["account_id"] for i in range(5)] == [
        "acct-2",  # u1's latest group
        "own",
        None,
        "acct-2",
        None,
    ]
    assert events["e-2"]["account_id"] == "acct-4"
    assert _catalog_counts(fast, principal.workspace_id) == _catalog_counts(
        slow, principal.workspace_id
    )


def test_the_bulk_path_reads_every_time_it_vouches_for_as_python_does() -> None:
    """The bulk path's reading of a time (strptime for the usual shape, else DuckDB's cast where
    the pattern vouches for the text) against segment.parse_time_ms, the line-by-line path's, on
    dates × separators × times × zones: whatever the bulk path takes, Python takes and reads as
    the same millisecond. DuckDB's cast reads hour 24 and ignores offsets of 24 hours or 60
    minutes, which Python refuses; the pattern leaves those to the line-by-line check."""
    import itertools

    import pyarrow as pa

    from tobloop.analytics.ingest import segment
    from tobloop.analytics.logic.importing import TIME_OK, TS_ANY, TS_USUAL

    dates = ["2025-03-14", "2024-02-29", "2025-02-29", "2025-12-31", "2025-13-01", "2025-01-32"]
    times = ["", "24", "23", "24:00", "23:59", "24:00:00", "23:59:59", "23:59:60", "12:60:00",
             "12:30:45.1", "12:30:45.123", "12:30:45.123456", "12:30:45.1234567", "12:30:45.",
             "24:00:00.000", "07:08:09.010"]  # fmt: skip
    zones = ["", "Z", "z", "+05", "+0530", "+05:30", "-23:59", "+24:00", "+23:60", "-00:00",
             "+12:00:00", "+5", "+05:3", " NZ"]  # fmt: skip
    texts = sorted(
        {d + z for d in dates for z in zones}
        | {d + s + t + z for d, s, t, z in itertools.product(dates, "T t", times[1:], zones)}
        | {" 2025-03-14T07:08:09.010Z", "2025-03-14T07:08:09.01Z ", "2025-3-14T07:08:09.0100Z"}
    )
    con = duckdb.connect()
    con.register("texts", pa.table({"ts_text": texts}))
    rows = con.execute(
        f"SELECT ts_text, ts, {TIME_OK} FROM (SELECT *, {TS_ANY} AS ts FROM "
        f"(SELECT ts_text, {TS_USUAL} AS ts_usual FROM texts))"
    ).fetchall()

    def python(text: str) -> int | None:
        try:
            return segment.parse_time_ms(text, "timestamp")
        except segment.Rejected:
            return None

    taken = {text: ts for text, ts, ok in rows if ok and ts is not None}
    assert len(rows) == len(texts) > 3000
    assert {text: python(text) for text in taken} == taken
    # and the usual shapes are among them
    assert taken["2025-03-14T07:08:09.010Z"] == python("2025-03-14T07:08:09.010Z")
    assert taken["2025-12-31T23:59:59+05:30"] == python("2025-12-31T23:59:59+05:30")
