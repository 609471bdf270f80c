"""Reading CRM exports: encodings (UTF-8, UTF-8 with BOM, GB18030), comma or tab, mappings."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from tobloop.kernel.errors import ErrorDetail, InvalidInput, PayloadTooLarge

ENCODINGS = ("utf-8-sig", "gb18030")


@dataclass(frozen=True)
class CsvTable:
    """A decoded CSV: the header, the data rows with their spreadsheet row number (header = 1)."""

    encoding: str
    delimiter: str
    header: list[str]
    rows: list[tuple[int, list[str]]]


def decode(raw: bytes) -> tuple[str, str]:
    """Text and encoding; UTF-8 (with or without BOM) first, then GB18030 for Chinese Excel."""
    for encoding in ENCODINGS:
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise InvalidInput(
        "the file is neither UTF-8 nor GB18030 text",
        code="unreadable_file",
        details=[ErrorDetail(("file",), "cannot decode")],
    )


def read_csv(raw: bytes) -> CsvTable:
    """Parse a whole file up front, so a file that cannot be read changes nothing."""
    if b"\x00" in raw[:4096]:
        raise InvalidInput(
            "the file is binary, not CSV text",
            code="unreadable_file",
            details=[ErrorDetail(("file",), "binary content")],
        )
    text, encoding = decode(raw)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        lines = list(reader)
    except csv.Error as exc:
        raise InvalidInput(
            f"the CSV cannot be parsed: {exc}",
            code="unreadable_file",
            details=[ErrorDetail(("file", reader.line_num), str(exc))],
        ) from None
    if not lines or not any(cell.strip() for cell in lines[0]):
        raise InvalidInput(
            "the file has no header row",
            code="unreadable_file",
            details=[ErrorDetail(("file", 1), "empty header")],
        )
    header = [h.strip() for h in lines[0]]
    dupes = sorted({h for h in header if h and header.count(h) > 1})
    if dupes:
        raise InvalidInput(
            f"the header repeats column(s): {', '.join(dupes)}",
            code="unreadable_file",
            details=[ErrorDetail(("file", 1), "duplicate column")],
        )
    rows = [(i + 2, line) for i, line in enumerate(lines[1:]) if any(c.strip() for c in line)]
    return CsvTable(encoding=encoding, delimiter=delimiter, header=header, rows=rows)


def load_mapping(path: str | Path | None) -> dict[str, str]:
    if path is None:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"cannot read the mapping file: {exc}", code="invalid_mapping") from None
    return parse_mapping(data)


def parse_mapping(data: object) -> dict[str, str]:
    """A mapping is ``{"source column": "field"}``; ``{"columns": {...}}`` is accepted too."""
    if isinstance(data, Mapping) and "columns" in data and isinstance(data["columns"], Mapping):
        data = data["columns"]
    if not isinstance(data, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) and "\x00" not in k + v for k, v in data.items()
    ):
        raise InvalidInput(
            'a mapping is a JSON object {"source column": "field", …}', code="invalid_mapping"
        )
    return {str(k).strip(): str(v).strip() for k, v in data.items()}


def column_plan(
    header: list[str],
    mapping: Mapping[str, str],
    fields: tuple[str, ...],
    aliases: Mapping[str, str],
) -> dict[int, str]:
    """Column index → field. Explicit mapping first, then field names and known aliases.

    Columns that map to nothing are ignored, except ``custom.KEY`` targets, which fill
    custom fields.
    """
    unknown = sorted(
        v for v in mapping.values() if v not in fields and not v.startswith("custom.") and v
    )
    if unknown:
        raise InvalidInput(
            f"the mapping names unknown field(s): {', '.join(unknown)}; known "
            f"fields: {', '.join(fields)}",
            code="invalid_mapping",
        )
    missing = sorted(k for k in mapping if k not in header)
    if missing:
        raise InvalidInput(
            f"the mapping names column(s) not in the file: {', '.join(missing)}",
            code="invalid_mapping",
        )
    plan: dict[int, str] = {}
    for index, name in enumerate(header):
        target = mapping.get(name)
        if target is None:
            key = name.strip().lower().replace(" ", "_").replace("-", "_")
            target = key if key in fields else aliases.get(name.strip().lower())
        if target:
            plan[index] = target
    return plan


def cells(plan: Mapping[int, str], line: list[str]) -> Iterator[tuple[str, str, str]]:
    """(field, column-name-index, value) for the mapped cells of one line."""
    for index, target in plan.items():
        yield target, str(index), line[index] if index < len(line) else ""


class Upload(Protocol):
    """What an uploaded file offers (Django's UploadedFile and ninja's alike)."""

    @property
    def size(self) -> int | None: ...

    def read(self) -> bytes: ...


def read_upload(file: Upload, mapping_json: str | None) -> tuple[bytes, dict[str, str]]:
    """The bytes of an uploaded import file and its optional mapping, within the size limit."""
    from django.conf import settings

    limit = settings.TOBLOOP_IMPORT_MAX_BYTES
    if file.size is not None and file.size > limit:
        raise PayloadTooLarge(f"the file is larger than {limit} bytes")
    mapping: dict[str, str] = {}
    if mapping_json:
        try:
            mapping = parse_mapping(json.loads(mapping_json))
        except ValueError:
            raise InvalidInput("mapping is not valid JSON", code="invalid_mapping") from None
    return file.read(), mapping
