"""Demo data: the projects and events of the seed pages, plus upcoming events."""
from __future__ import annotations

from collections.abc import Iterator


def load() -> Iterator[str]:
    yield "nothing to load yet"
