"""Which pages other sites may frame: only those marked `@embeddable`.

Every other page is meant to refuse framing (Content-Security-Policy
`frame-ancestors 'none'`). An embeddable view answers with `frame-ancestors` set to
EMBED_ALLOWED_ORIGINS, or to any origin when that setting is empty, and without
X-Frame-Options. The marked endpoints are also listed in EMBEDDABLE_ENDPOINTS, so a
site-wide header policy can leave them alone by name.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Response, current_app, make_response

EMBEDDABLE_ENDPOINTS: set[str] = set()


def frame_ancestors() -> str:
    origins = current_app.config.get("EMBED_ALLOWED_ORIGINS", "").split()
    return " ".join(origins) if origins else "*"


def allow_framing(resp: Response) -> Response:
    policy = f"frame-ancestors {frame_ancestors()}"
    existing = resp.headers.get("Content-Security-Policy", "")
    kept = [d.strip() for d in existing.split(";")
            if d.strip() and not d.strip().startswith("frame-ancestors")]
    resp.headers["Content-Security-Policy"] = "; ".join([*kept, policy])
    resp.headers.pop("X-Frame-Options", None)
    return resp


def embeddable(view: Callable) -> Callable:
    """Mark a view as made to be framed by other sites."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        return allow_framing(make_response(view(*args, **kwargs)))

    wrapper.embeddable = True  # type: ignore[attr-defined]
    EMBEDDABLE_ENDPOINTS.add(f"embeds.{view.__name__}")
    return wrapper
