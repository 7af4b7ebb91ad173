"""One retry policy for everything that sends mail: the outbox and the newsletter.

A temporary failure waits base, 2 x base, 4 x base... (never more than the cap) before
the next attempt; after `max_attempts` attempts the message is given up as failed.
Each sender reads its own numbers from the settings (MAIL_* or NEWSLETTER_*).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any


@dataclass(frozen=True)
class RetryPolicy:
    base: timedelta
    cap: timedelta
    max_attempts: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any], prefix: str) -> RetryPolicy:
        """`prefix` "MAIL" or "NEWSLETTER": its _RETRY_BASE_SECONDS, _RETRY_MAX_SECONDS
        and _MAX_ATTEMPTS settings."""
        return cls(
            base=timedelta(seconds=float(config[f"{prefix}_RETRY_BASE_SECONDS"])),
            cap=timedelta(seconds=float(config[f"{prefix}_RETRY_MAX_SECONDS"])),
            max_attempts=int(config[f"{prefix}_MAX_ATTEMPTS"]),
        )

    def delay(self, attempts: int) -> timedelta:
        """The wait after `attempts` failed attempts."""
        return min(self.base * 2 ** max(attempts - 1, 0), self.cap)

    def gives_up(self, attempts: int) -> bool:
        """True when `attempts` failed attempts are all this message gets."""
        return attempts >= self.max_attempts
