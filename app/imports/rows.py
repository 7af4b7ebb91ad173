"""The rows of a staged list as an import sees them: mapped to fields, checked one by one."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

from app.imports.models import StagedImport

# (field name, label, required, header names that map to it without asking)
Field = tuple[str, Any, bool, tuple[str, ...]]


def normalise_header(text: str) -> str:
    return " ".join(text.replace("_", " ").strip().lower().split())


def guess_mapping(fields: list[Field], header: list[str]) -> dict[str, str]:
    """{field: column} for the columns whose header names a field."""
    found: dict[str, str] = {}
    for name, _label, _required, words in fields:
        for column in header:
            if normalise_header(column) in words and column not in found.values():
                found[name] = column
                break
    return found


def mapped_rows(staged: StagedImport, mapping: dict[str, str]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line in the file, {field: cell}) of every row, through the chosen columns."""
    for number, record in staged.as_records():
        yield number, {name: record.get(column, "").strip() for name, column in mapping.items() if column}


@dataclass
class RowCheck:
    """One row: its values, what importing does with it, or why it is refused."""

    number: int  # the line in the file (the header is line 1)
    values: dict[str, str]
    problems: list[Any] = field(default_factory=list)
    outcome: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class ImportCheck:
    rows: list[Any]

    @property
    def importable(self) -> list[Any]:
        return [r for r in self.rows if r.ok]

    @property
    def refused(self) -> int:
        return sum(1 for r in self.rows if not r.ok)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.ok and r.outcome == outcome)


def first_seen(checks: list[Any], address: str) -> dict[str, int]:
    """Refuse every row repeating an earlier row's `address` attribute; {address: line}."""
    seen: dict[str, int] = {}
    for check in checks:
        value = getattr(check, address)
        if not value:
            continue
        if value in seen:
            check.problems.append(_l("The same address is on line %(line)s.", line=seen[value]))
        else:
            seen[value] = check.number
    return seen

