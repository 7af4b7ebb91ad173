"""Single-line fields hold one line: line breaks and control characters go on input.

Every `String` column (titles, names, rooms, places, e-mail subjects; not `Text`)
is cleaned whenever a value is assigned to it, whichever way it arrives (form,
API, CLI, import): line breaks and tabs become a space, other control characters
are dropped. A title can then never break an .ics line, an e-mail header or a CSV
row. Migration 0002 cleaned the rows written before.
"""
from __future__ import annotations

import re

import sqlalchemy as sa
import sqlalchemy.orm as so

_BREAKS = re.compile("[\r\n\t\v\f\x85\u2028\u2029]+")
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")


def single_line(value):
    """`value` with line breaks turned into spaces and control characters removed."""
    if not isinstance(value, str):
        return value
    if not _CONTROLS.search(value) and "\u2028" not in value and "\u2029" not in value:
        return value
    return _CONTROLS.sub("", _BREAKS.sub(" ", value))


def _is_single_line(column: sa.Column) -> bool:
    kind = column.type
    return isinstance(kind, sa.String) and not isinstance(kind, (sa.Text, sa.Enum))


def _clean_on_set(target, value, oldvalue, initiator):
    return single_line(value)


def install(registry: so.registry) -> None:
    """Listen on every single-line column of every mapped class (idempotent)."""
    for mapper in registry.mappers:
        for prop in mapper.column_attrs:
            if len(prop.columns) != 1 or not _is_single_line(prop.columns[0]):
                continue
            attr = getattr(mapper.class_, prop.key)
            if not sa.event.contains(attr, "set", _clean_on_set):
                sa.event.listen(attr, "set", _clean_on_set, retval=True)
