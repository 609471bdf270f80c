"""The import report being built: rejected rows and counts, and one input row."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tobloop.accounts.facade import RejectedRow


@dataclass
class Outcome:
    rejected: list[RejectedRow] = field(default_factory=list)
    created: int = 0
    updated: int = 0

    def reject(self, row: int, column: str | None, value: str | None, reason: str) -> None:
        self.rejected.append(RejectedRow(row=row, column=column, value=value, reason=reason))


@dataclass(frozen=True)
class SourceRow:
    """One input row: field → raw value and field → the column it came from."""

    row: int
    values: dict[str, Any]
    columns: dict[str, str]
