"""The one refusal every capability raises: a reason the person can fix, and where."""
from __future__ import annotations

from typing import Any


class DomainError(ValueError):
    """A change refused for a reason the person can fix.

    `message` is shown to the person (beside the form field named by `field`, or above
    the form when `field` is None). Each capability subclasses it for its own refusals.
    """

    def __init__(self, message: Any, field: str | None = None) -> None:
        # A plain str: a lazy string counts as safe HTML in templates, and messages
        # may quote what people typed.
        self.message = str(message)
        self.field = field
        super().__init__(self.message)
