"""``tobloop import events FILE``: history in Segment's message format (NDJSON) or CSV.

Every line is checked exactly as ``/v1/batch`` checks a message (history mode: a time is
required and taken as is). Two paths store the same events:

- **bulk**: the file is taken in parts of about BULK_BYTES (cut at line ends, copied by the
  kernel); DuckDB reads a part with its own JSON reader and checks every line in SQL; when
  every line passes (and every line has a ``messageId``), the part is loaded in one
  transaction, without Python touching each line. On DuckDB a part is first tried straight
  into the events table, without a staging table (``DuckDBStore.insert_import``); the
  statement stops at the first line that needs more: at an identify or group call the part
  falls back to the staged load, as it does when a key is a duplicate; at a line that fails a
  check, to the line-by-line check;
- **line by line**: otherwise (a line fails a check, or the JSON reader refuses one) the part
  is read in Python, each invalid line reported with its line number in the file, field,
  value and reason, and the valid ones loaded.

Re-importing a file stores nothing twice (events are deduplicated by ``messageId``).
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

import duckdb
import orjson

from tobloop.analytics.contracts import EventImportReport, LoadResult, RejectedRow
from tobloop.analytics.ingest import segment
from tobloop.analytics.store import event_store
from tobloop.analytics.store.base import EventStore, ProfileHook
from tobloop.analytics.store.duckdb_store import DuckDBStore
from tobloop.analytics.store.schema import duckdb_dedupe_key
from tobloop.kernel.errors import InvalidInput
from tobloop.platform.facade import Principal, require

Progress = Callable[[str, int, int | None], None]
CHUNK_LINES = 500_000
BULK_BYTES = 256 << 20  # about a million Segment events per part
_SOURCE_FIELDS = (
    "type",
    "event",
    "userId",
    "anonymousId",
    "groupId",
    "previousId",
    "name",
    "category",
    "messageId",
    "timestamp",
    "originalTimestamp",
    "properties",
    "traits",
    "context",
)
_JSON_FIELDS = ("properties", "traits", "context")
_READ_COLUMNS = (
    "{"
    + ", ".join(f"'{c}': '{'JSON' if c in _JSON_FIELDS else 'VARCHAR'}'" for c in _SOURCE_FIELDS)
    + "}"
)
# The time formats the bulk path parses itself; anything else goes line by line. Hours and
# offsets are bounded here: DuckDB's cast reads hour 24 as the next day's midnight and ignores
# an offset of 24 hours or 60 minutes, which Python refuses.
_H, _M = "([01][0-9]|2[0-3])", "[0-5][0-9]"
_TIME_PATTERN = (
    rf"[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}([T ]{_H}:{_M}(:{_M}(\.[0-9]{{1,6}})?)?)?"
    rf"(Z|[+-]{_H}(:?{_M})?)?"
)
# DuckDB reads a scalar of another JSON type into a VARCHAR column as its JSON text. Whatever
# could be such a text is left to the line-by-line check: objects, arrays, booleans and
# non-integral numbers (integers are taken as ids by both paths).
_NOT_TEXT = r"^[\[{]|^(true|false)$|^-?[0-9]+([.][0-9]*)?([eE][-+]?[0-9]+)$|^-?[0-9]+[.]"
_NOT_STRING = r"^[\[{]|^(true|false)$|^-?[0-9]"
# The characters str.strip() removes (str.isspace); a track call's event needs another one.
# SQL trim() keeps tabs and line ends, which Python strips.
PY_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_NOT_BLANK = "[^" + "".join(f"\\x{{{ord(c):x}}}" for c in PY_WHITESPACE) + "]"


def _letter_first(col: str) -> str:
    """Whether a value starts with an ASCII letter: then it is none of the shapes _NOT_TEXT and
    _NOT_STRING look for but the texts ``true`` and ``false``, and not blank. Tested first in a
    CASE (DuckDB evaluates a branch only for its rows), so that the usual ids and event names
    skip the regular expressions (0.075 CPU-s per million lines)."""
    return f"(ascii({col}) BETWEEN 97 AND 122 OR ascii({col}) BETWEEN 65 AND 90)"


def _id_ok(col: str) -> str:
    return (
        f"({col} IS NULL OR (CASE WHEN {_letter_first(col)} THEN {col} NOT IN ('true', 'false') "
        f"ELSE NOT regexp_matches({col}, '{_NOT_TEXT}') END "
        f"AND length({col}) <= {segment.MAX_ID_LENGTH}))"
    )


def _text_ok(col: str) -> str:
    """A value the line-by-line path takes only as a JSON string."""
    return (
        f"({col} IS NULL OR CASE WHEN {_letter_first(col)} THEN {col} NOT IN ('true', 'false') "
        f"ELSE NOT regexp_matches({col}, '{_NOT_STRING}') END)"
    )


# The usual time (ISO 8601 in UTC with milliseconds, as Segment's libraries send it, one of
# _TIME_PATTERN's shapes) is parsed by strptime with its format: together with the guards, which
# leave strptime no room for the spaces it skips or the digits it lets a field go without, only
# the 24 characters `dddd-dd-ddTdd:dd:dd.dddZ` of a valid time pass (what the GLOB of that shape
# and the cast took before, 0.07 CPU-s per million lines dearer). Other times are cast and
# matched with the regular expression.
USUAL_FORMAT = "%Y-%m-%dT%H:%M:%S.%gZ"
USUAL_TIME = "length(ts_text) = 24 AND ascii(ts_text) BETWEEN 48 AND 57 AND ends_with(ts_text, 'Z')"
# A line's time (``ts_text``: its timestamp, else originalTimestamp) in epoch milliseconds:
# ``ts_usual`` for the usual shape, ``ts`` for any (NULL when DuckDB cannot read it), and
# whether the bulk path vouches for it (TIME_OK; the range is checked on ``ts`` besides).
TS_USUAL = f"epoch_ms(CASE WHEN {USUAL_TIME} THEN try_strptime(ts_text, '{USUAL_FORMAT}') END)"
TS_ANY = "coalesce(ts_usual, epoch_ms(TRY_CAST(ts_text AS TIMESTAMPTZ)))"
TIME_OK = (
    "CASE WHEN ts_usual IS NOT NULL THEN true "
    f"ELSE regexp_full_match(ts_text, '{_TIME_PATTERN}') END"
)


DEDUPE_KEY = duckdb_dedupe_key("$workspace", "messageId")


def _obj_ok(col: str) -> str:
    return f"({col} IS NULL OR starts_with({col}::VARCHAR, '{{') OR {col}::VARCHAR = 'null')"


# Mirrors segment.normalize(history=True) for the lines it accepts; a line it cannot vouch
# for makes the whole file go the line-by-line way, which is the authority.
BULK_SELECT = f"""
WITH src AS (
    SELECT *,
           coalesce(type, CASE WHEN event IS NOT NULL THEN 'track' END) AS k,
           nullif(userId, '') AS u,
           nullif(anonymousId, '') AS a,
           coalesce(timestamp, originalTimestamp) AS ts_text,
           {TS_USUAL} AS ts_usual,
           {TS_ANY} AS ts,
           json_extract(context, '$.groupId') AS gid,
           CASE WHEN type = 'identify' AND (traits IS NULL
                                            OR regexp_matches(traits::VARCHAR, '^\\{{\\s*\\}}$'))
                THEN json_extract(context, '$.traits') ELSE traits END AS tr
    FROM read_ndjson($path, columns={_READ_COLUMNS}, format='newline_delimited',
                     records=true, maximum_object_size=1048576)
)
SELECT $workspace::BIGINT AS workspace_id, k AS type,
       CASE WHEN k = 'track' THEN event
            WHEN k IN ('page', 'screen') THEN left(coalesce(name, ''), 255)
            ELSE '' END AS event,
       coalesce(u, a) AS distinct_id, u AS user_id, a AS anonymous_id,
       CASE WHEN k = 'group' THEN nullif(groupId, '')
            WHEN starts_with(gid::VARCHAR, '"') THEN gid ->> '$'
            ELSE gid::VARCHAR END AS account_id,
       ts AS timestamp, $received::BIGINT AS received_at,
       messageId AS message_id,
       {DEDUPE_KEY} AS dedupe_key,
       CASE WHEN k = 'alias' THEN previousId END AS previous_id,
       CASE WHEN k IN ('page', 'screen') AND category <> ''
                 AND json_extract(properties, '$.category') IS NULL
            THEN json_merge_patch(coalesce(properties, '{{}}'), json_object('category', category))
            WHEN starts_with(properties::VARCHAR, '{{') THEN properties ELSE '{{}}' END
           AS properties,
       CASE WHEN starts_with(tr::VARCHAR, '{{') THEN tr ELSE '{{}}' END AS traits,
       CASE WHEN starts_with(context::VARCHAR, '{{') THEN context ELSE '{{}}' END AS context,
       'import' AS source,
       coalesce(
           k IN ('track', 'identify', 'group', 'page', 'screen', 'alias')
           AND {_id_ok("userId")} AND {_id_ok("anonymousId")} AND coalesce(u, a) IS NOT NULL
           AND {_obj_ok("properties")} AND {_obj_ok("tr")} AND {_obj_ok("context")}
           AND (gid IS NULL OR gid::VARCHAR = 'null' OR starts_with(gid::VARCHAR, '"')
                OR regexp_full_match(gid::VARCHAR, '-?[0-9]+'))
           AND length(coalesce(gid::VARCHAR, '')) <= {segment.MAX_ID_LENGTH}
           AND (k <> 'track'
                OR (CASE WHEN {_letter_first("event")} THEN event NOT IN ('true', 'false')
                         ELSE {_text_ok("event")} AND regexp_matches(event, '{_NOT_BLANK}') END
                    AND length(event) <= {segment.MAX_EVENT_LENGTH}))
           AND (k NOT IN ('page', 'screen') OR ({_text_ok("name")} AND {_text_ok("category")}))
           AND (k <> 'group' OR ({_id_ok("groupId")} AND nullif(groupId, '') IS NOT NULL))
           AND (k <> 'alias' OR ({_id_ok("previousId")} AND u IS NOT NULL
                                 AND nullif(previousId, '') IS NOT NULL))
           AND {_text_ok("messageId")} AND messageId <> ''
           AND length(messageId) <= {segment.MAX_ID_LENGTH}
           AND {TIME_OK}
           AND ts >= {segment.EARLIEST_MS} AND ts <= $received + {segment.FUTURE_TOLERANCE_MS}
           AND strlen(coalesce(properties::VARCHAR, '')) + strlen(coalesce(
               tr::VARCHAR, '')) + strlen(coalesce(context::VARCHAR, '')) < 30000,
           false) AS line_ok
FROM src
"""
BULK_STAGE = "CREATE OR REPLACE TEMP TABLE staging AS " + BULK_SELECT
RECORD_COLUMNS = (
    "workspace_id, type, event, distinct_id, user_id, anonymous_id, account_id, timestamp, "
    "received_at, message_id, previous_id, properties, traits, context, source"
)


@dataclass
class _Outcome:
    rows: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    stored: int = 0
    duplicates: int = 0

    def add(self, result: LoadResult) -> None:
        self.stored += result.stored
        self.duplicates += result.duplicates


def split_bytes(path: Path, into: Path, size: int) -> Generator[tuple[Path, int], None, None]:
    """Parts of about ``size`` bytes, each ending at a line end: (part file, its first byte).

    A file within ``size`` is used as it is; parts are copied by the kernel
    (``copy_file_range``), without passing through Python. Part n is written over the file of
    part n - 2, renamed (the caller is done with it when it asks for part n, even with one part
    made ahead): overwriting pages the kernel already holds costs a third less of its time than
    filling new ones (0.56 against 0.86 s for 2.5 GB), and the new name keeps any reader from
    taking it for the earlier part.
    """
    total = path.stat().st_size
    if total <= size:
        yield path, 0
        return
    start, n = 0, 0
    with path.open("rb") as src:
        while start < total:
            end = min(start + size, total)
            while end < total:  # on to the end of the line
                src.seek(end)
                block = src.read(1 << 16)
                cut = block.find(b"\n")
                end = min(total, end + (cut + 1 if cut >= 0 else len(block)))
                if cut >= 0 or not block:
                    break
            part, spare = into / f"part-{n}.ndjson", into / f"part-{n - 2}.ndjson"
            if n >= 2 and spare.exists():
                spare.rename(part)
            _copy_range(src.fileno(), part, start, end - start)
            yield part, start
            start, n = end, n + 1


T = TypeVar("T")
_DONE = object()


def made_ahead(items: Generator[T, None, None]) -> Iterator[T]:
    """The items of ``items``, each next one made in a thread while the caller works on the one
    before: the next part of a file is copied while DuckDB loads the current one (the copy is
    kernel time, about 0.1 s per part, which otherwise waits between two parts).

    At most one item is made ahead; when the caller stops early, that one is finished and
    ``items`` is closed."""
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="tobloop-ahead") as pool:
            coming = pool.submit(next, items, _DONE)
            while (item := coming.result()) is not _DONE:
                coming = pool.submit(next, items, _DONE)
                yield cast(T, item)
    finally:
        items.close()


def _copy_range(fd: int, dest: Path, offset: int, length: int) -> None:
    """``length`` bytes of ``fd`` from ``offset`` into ``dest``, over what it holds (cut to
    ``length`` after)."""
    with dest.open("r+b" if dest.exists() else "wb") as out:
        done = 0
        try:
            while done < length:
                copied = os.copy_file_range(fd, out.fileno(), length - done, offset + done)
                if copied == 0:
                    break
                done += copied
        except OSError:  # a file system without it: through user space
            while done < length:
                block = os.pread(fd, min(16 << 20, length - done), offset + done)
                if not block:
                    break
                out.write(block)
                done += len(block)
        out.truncate(done)


def count_lines(path: Path, end: int | None = None) -> int:
    """Lines of a file, or of its first ``end`` bytes (a last line without a newline counts),
    read in 16 MB blocks."""
    lines, last, left = 0, b"\n", end if end is not None else path.stat().st_size
    with path.open("rb") as f:
        while left > 0 and (block := f.read(min(16 << 20, left))):
            lines += block.count(b"\n")
            last = block[-1:]
            left -= len(block)
    return lines + (last != b"\n")


def import_events(
    principal: Principal,
    path: Path,
    *,
    fmt: str = "ndjson",
    filename: str | None = None,
    progress: Progress | None = None,
    store: EventStore | None = None,
    on_profiles: ProfileHook | None = None,
) -> EventImportReport:
    require(principal.scopes, "analytics", "write")
    if on_profiles is None:
        from tobloop.analytics.logic.profiles import apply_profiles

        on_profiles = apply_profiles
    store = store or event_store()
    report = _Importer(principal.workspace_id, store, on_profiles, progress or _quiet)
    if fmt == "csv":
        out = report.csv_file(path)
    elif fmt == "ndjson":
        out = report.ndjson(path, row_offset=0, columns={})
    else:
        raise InvalidInput(f"unknown format {fmt!r}: use ndjson or csv", code="invalid_format")
    return EventImportReport(
        file=filename if filename is not None else str(path),
        rows=out.rows,
        created=out.stored,
        updated=0,
        duplicates=out.duplicates,
        rejected=sorted(out.rejected, key=lambda r: r.row),
    )


def _quiet(phase: str, done: int, total: int | None) -> None:
    return None


class _Importer:
    def __init__(
        self, workspace_id: int, store: EventStore, on_profiles: ProfileHook, progress: Progress
    ) -> None:
        self.workspace_id = workspace_id
        self.store = store
        self.on_profiles = on_profiles
        self.progress = progress

    def ndjson(self, path: Path, *, row_offset: int, columns: dict[str, str]) -> _Outcome:
        """The file in parts of BULK_BYTES: each part is stored in one transaction, in bulk
        when all its lines pass, else line by line (so memory stays bounded and a few bad
        lines only slow down their own part)."""
        total = _Outcome()
        with (
            self.store.kept_instance(),
            tempfile.TemporaryDirectory(prefix="tobloop-import-") as tmp,
        ):
            for part, offset in made_ahead(split_bytes(path, Path(tmp), BULK_BYTES)):
                self.progress("Importing", total.rows, None)
                out = self._bulk(part)
                if out is None:
                    first = count_lines(path, offset) + 1 if offset else 1
                    out = self._line_by_line(
                        part, total.rows, row_offset=row_offset + first - 1, columns=columns
                    )
                total.rows += out.rows
                total.stored += out.stored
                total.duplicates += out.duplicates
                total.rejected += out.rejected
        self.progress("Stored", total.rows, total.rows)
        return total

    # -- bulk ---------------------------------------------------------------------------------

    def _bulk(self, path: Path) -> _Outcome | None:
        """The part in one pass of DuckDB's JSON reader, or None when a line needs the
        line-by-line check (malformed, not an object, or a value the SQL cannot vouch for)."""
        params = {
            "path": str(path.resolve()),
            "workspace": self.workspace_id,
            "received": time.time_ns() // 1_000_000,
        }
        rows = 0

        def accept(con: duckdb.DuckDBPyConnection) -> bool:
            nonlocal rows
            row = con.execute(
                "SELECT count(*), count(*) FILTER (WHERE NOT line_ok) FROM staging"
            ).fetchone()
            assert row is not None
            rows = int(row[0])
            return rows > 0 and int(row[1]) == 0

        try:
            if isinstance(self.store, DuckDBStore):
                direct = self.store.insert_import(BULK_SELECT, params)
                if direct is not None:
                    return _Outcome(rows=direct.rows, stored=direct.stored)
                result = self.store.load_select(BULK_STAGE, params, self.on_profiles, accept)
                if result is None:
                    return None
                return _Outcome(rows=rows, stored=result.stored, duplicates=result.duplicates)
            with tempfile.TemporaryDirectory(prefix="tobloop-import-") as tmp:
                con = duckdb.connect(config={"threads": 2, "preserve_insertion_order": False})
                try:
                    con.execute(BULK_STAGE, params)
                    if not accept(con):
                        return None
                    records = Path(tmp) / "records.ndjson"
                    con.execute(
                        f"COPY (SELECT {RECORD_COLUMNS} FROM staging) TO '{records}' (FORMAT JSON)"
                    )
                finally:
                    con.close()
                result = self._load(records)
        except (
            duckdb.InvalidInputException,
            duckdb.ConversionException,
        ):  # the reader refused a line, or the direct insert met one that fails a check
            return None
        return _Outcome(rows=rows, stored=result.stored, duplicates=result.duplicates)

    # -- line by line -------------------------------------------------------------------------

    def _line_by_line(
        self, path: Path, done: int, *, row_offset: int, columns: dict[str, str]
    ) -> _Outcome:
        """Every line checked in Python; ``done``: lines of the file before this part.

        The valid lines' records are written to a chunk file as they come, not held: holding
        half a million of them cost more than checking them (each new record's memory
        faulted in: 10.5 instead of 4.9 µs per line here)."""
        out = _Outcome()
        received = time.time_ns() // 1_000_000
        with tempfile.TemporaryDirectory(prefix="tobloop-import-") as tmp:
            chunk, held = Path(tmp) / "chunk.ndjson", 0
            part = chunk.open("wb", buffering=1 << 20)
            try:
                for number, line in _numbered_lines(path):
                    if not line.strip():
                        continue
                    out.rows += 1
                    record = self._check(line, number + row_offset, received, columns, out)
                    if record is None:
                        continue
                    part.write(record)
                    held += 1
                    if held >= CHUNK_LINES:
                        part.close()
                        self._store_chunk(chunk, out)
                        part, held = chunk.open("wb", buffering=1 << 20), 0
                        self.progress("Storing", done + number, None)
                part.close()
                if held:
                    self._store_chunk(chunk, out)
            finally:
                part.close()  # a second close does nothing
        return out

    def _check(
        self, line: bytes, row: int, received: int, columns: dict[str, str], out: _Outcome
    ) -> bytes | None:
        try:
            msg = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            out.rejected.append(RejectedRow(row, None, None, f"not valid JSON: {exc}"))
            return None
        try:
            return segment.normalize(
                msg,
                workspace_id=self.workspace_id,
                received_ms=received,
                source="import",
                history=True,
            )
        except segment.Rejected as exc:
            value = msg.get(exc.field) if isinstance(msg, dict) else None
            text = None if value is None or isinstance(value, dict | list) else str(value)[:200]
            column = columns.get(exc.field, exc.field) if exc.field != "message" else None
            out.rejected.append(RejectedRow(row, column, text, exc.reason))
            return None

    def _load(self, records: Path) -> LoadResult:
        """Record lines loaded as the spool's loader loads them, in turn with the loads of
        other hosts (event_loader.hosts_load_lock; ClickHouse only)."""
        from tobloop.analytics.logic.event_loader import hosts_load_lock

        with hosts_load_lock(self.store):
            return self.store.load([records], self.on_profiles)

    def _store_chunk(self, path: Path, out: _Outcome) -> None:
        out.add(self._load(path))
        path.unlink()

    # -- CSV ----------------------------------------------------------------------------------

    def csv_file(self, path: Path) -> _Outcome:
        from tobloop.accounts.facade import read_csv

        table = read_csv(path.read_bytes())
        plan = [csv_target(h) for h in table.header]
        columns = {target[1]: header for target, header in zip(plan, table.header, strict=True)}
        with tempfile.TemporaryDirectory(prefix="tobloop-import-") as tmp:
            ndjson = Path(tmp) / "events.ndjson"
            with ndjson.open("wb") as f:
                for _row, cells in table.rows:
                    f.write(
                        orjson.dumps(csv_message(plan, cells), option=orjson.OPT_APPEND_NEWLINE)
                    )
            out = self.ndjson(ndjson, row_offset=1, columns=columns)
        out.rows = len(table.rows)
        # read_csv numbers rows as a spreadsheet shows them; skipped blank rows shift lines.
        numbers = [r for r, _ in table.rows]
        for i, rejected in enumerate(out.rejected):
            index = rejected.row - 2
            if 0 <= index < len(numbers):
                out.rejected[i] = RejectedRow(
                    numbers[index], rejected.column, rejected.value, rejected.reason
                )
        return out


_CSV_NAMES = {
    "type": "type",
    "event": "event",
    "event_name": "event",
    "userid": "userId",
    "user_id": "userId",
    "user": "userId",
    "anonymousid": "anonymousId",
    "anonymous_id": "anonymousId",
    "groupid": "groupId",
    "group_id": "groupId",
    "account": "groupId",
    "account_id": "groupId",
    "timestamp": "timestamp",
    "time": "timestamp",
    "messageid": "messageId",
    "message_id": "messageId",
    "name": "name",
    "previousid": "previousId",
    "previous_id": "previousId",
}
_NUMBER = re.compile(r"-?(0|[1-9]\d{0,17})(\.\d+)?")


def csv_target(header: str) -> tuple[str, str]:
    """(where, key): a message field, or a key of properties/traits/context."""
    name = header.strip()
    low = name.lower().replace(" ", "_").replace("-", "_")
    for prefix in ("properties", "traits", "context"):
        if low.startswith(prefix + "."):
            return prefix, name[len(prefix) + 1 :]
    if low in _CSV_NAMES:
        return "field", _CSV_NAMES[low]
    return "properties", name


def _cell(value: str) -> Any:
    if _NUMBER.fullmatch(value):
        return float(value) if "." in value else int(value)
    return value


def csv_message(plan: list[tuple[str, str]], cells: list[str]) -> dict[str, Any]:
    """A CSV row as a Segment message; an account column sets context.groupId."""
    msg: dict[str, Any] = {}
    nested: dict[str, dict[str, Any]] = {"properties": {}, "traits": {}, "context": {}}
    for (where, key), raw in zip(plan, cells, strict=False):
        value = raw.strip()
        if not value:
            continue
        if where == "field":
            msg[key] = value
        else:
            nested[where][key] = _cell(value)
    msg.setdefault("type", "track")
    if "groupId" in msg and msg["type"] != "group":
        nested["context"]["groupId"] = msg.pop("groupId")
    for where, values in nested.items():
        if values:
            msg[where] = values
    return msg


def _numbered_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    with path.open("rb", buffering=1 << 20) as f:
        yield from enumerate(f, start=1)
