"""Redirect targets taken from a request: only paths on this site (no open redirects)."""
from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(target: str | None) -> str | None:
    """`target` when it is a path on this site, else None.

    Refuses absolute URLs, scheme-relative `//host`, backslashes (browsers read `/\\host`
    as `//host`) and control characters (a tab or newline inside `//` is dropped by
    browsers too).
    """
    if not target:
        return None
    target = target.strip()
    parts = urlsplit(target)
    if (
        parts.scheme or parts.netloc or not target.startswith("/")
        or target.startswith("//") or "\\" in target
        or any(ord(c) < 32 or ord(c) == 127 for c in target)
    ):
        return None
    return target
