"""The headers a security review expects, on every response.

- Content-Security-Policy: scripts only from this site (no inline script at all, so
  neither 'unsafe-inline' nor nonces, and whole-page caches stay valid); images from
  the site, `data:` and the hosts in CONTENT_IMAGE_HOSTS; no plugins; forms post
  only here; `frame-ancestors 'none'`, except on views marked `@embeddable` (pages
  for partner sites' iframes, under /embed/; framed by EMBED_ALLOWED_ORIGINS) or `@allow_framing("'self'")`.
- X-Frame-Options for older browsers, X-Content-Type-Options: nosniff,
  Permissions-Policy, Cross-Origin-Opener-Policy.
- Referrer-Policy: strict-origin-when-cross-origin; `no-referrer` on token pages.
- Strict-Transport-Security when HSTS_SECONDS is set (only behind HTTPS).
- Cache-Control: no-store on every /admin page and every token page.

A token page is any route with `<token>` in its rule (attendee page, check-in,
newsletter confirm/preferences/unsubscribe, password reset), or a view marked
`@token_page`: its URL is a key, so it must not travel in a Referer or sit in a cache.

Written as a small after_request hook rather than Flask-Talisman: that project is
unmaintained (last release 2021, archived upstream), and the whole policy here is a
few lines whose every decision is visible in one place.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, current_app, request

PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), "
    "gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), usb=(), "
    "interest-cohort=()"
)

_FRAMING_ATTR = "_frame_ancestors"
_TOKEN_ATTR = "_token_page"


def allow_framing(ancestors: str | None = None) -> Callable:
    """Let other pages frame this view: `ancestors` is a CSP source list, e.g. "'self'"."""

    def decorate(view: Callable) -> Callable:
        setattr(view, _FRAMING_ATTR, ancestors)
        return view

    return decorate


def embeddable(view: Callable) -> Callable:
    """Mark a view as made for partner sites' iframes (its frame-ancestors come from
    EMBED_ALLOWED_ORIGINS, any origin when empty). The only way a page leaves `frame-ancestors 'none'`."""
    setattr(view, _FRAMING_ATTR, "")  # "" = the EMBED_ALLOWED_ORIGINS setting
    return view


def framed_by(view: Callable | None) -> str | None:
    """Who may frame `view`: None = nobody, "" = EMBED_ALLOWED_ORIGINS, else a source list."""
    return getattr(view, _FRAMING_ATTR, None)


def token_page(view: Callable) -> Callable:
    """Mark a view whose URL carries a secret (most are found by their `<token>` rule)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any):
        return view(*args, **kwargs)

    setattr(wrapper, _TOKEN_ATTR, True)
    return wrapper


def _view() -> Callable | None:
    if request.url_rule is None:
        return None
    return current_app.view_functions.get(request.url_rule.endpoint)


def is_token_page() -> bool:
    rule = request.url_rule
    if rule is None:
        return False
    return "<token>" in rule.rule or getattr(_view(), _TOKEN_ATTR, False)


def frame_ancestors() -> str:
    framing = framed_by(_view())
    if framing is None:
        return "'none'"
    if framing == "":
        return " ".join(str(current_app.config.get("EMBED_ALLOWED_ORIGINS") or "").split()) or "*"
    return framing


def content_security_policy() -> str:
    images = " ".join(["'self'", "data:", *(
        f"https://{host}" for host in current_app.config.get("CONTENT_IMAGE_HOSTS", ())
    )])
    return "; ".join((
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        f"img-src {images}",
        "font-src 'self' data:",
        "connect-src 'self'",
        "frame-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        f"frame-ancestors {frame_ancestors()}",
    ))


def add_security_headers(response):
    headers = response.headers
    ancestors = frame_ancestors()
    own = re.search(r"frame-ancestors\s+([^;]+)", headers.get("Content-Security-Policy", ""))
    if own:  # the view set its own policy, naming who may frame it
        ancestors = own.group(1).strip()
    if "Content-Security-Policy" not in headers:
        headers["Content-Security-Policy"] = content_security_policy()
    elif "frame-ancestors" not in headers["Content-Security-Policy"]:
        # A view's own stricter policy still says who may frame it.
        headers["Content-Security-Policy"] += f"; frame-ancestors {ancestors}"
    if ancestors == "'none'":
        headers.setdefault("X-Frame-Options", "DENY")
    elif ancestors == "'self'":
        headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    token = is_token_page()
    if token:
        headers["Referrer-Policy"] = "no-referrer"
        headers.setdefault("X-Robots-Tag", "noindex, nofollow")
    else:
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if hsts := int(current_app.config.get("HSTS_SECONDS") or 0):
        headers.setdefault("Strict-Transport-Security", f"max-age={hsts}; includeSubDomains")
    if request.path.startswith("/admin") or (token and response.mimetype == "text/html"):
        if "no-store" not in headers.get("Cache-Control", ""):
            headers["Cache-Control"] = "no-store"
    return response


class DefaultHeaders:
    """WSGI wrapper adding the site-wide headers to responses Flask never saw (the
    event page fast path answers before Flask runs). Headers already set win."""

    def __init__(self, app: Flask, wsgi_app: Callable) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self._defaults: list[tuple[str, str]] | None = None

    def defaults(self) -> list[tuple[str, str]]:
        if self._defaults is None:
            with self.app.test_request_context("/"):
                response = add_security_headers(self.app.response_class())
            self._defaults = [(k, v) for k, v in response.headers.items()
                              if k not in ("Content-Type", "Content-Length", "Cache-Control")]
        return self._defaults

    def __call__(self, environ, start_response):
        def start(status, headers, exc_info=None):
            present = {name.lower() for name, _ in headers}
            if "content-security-policy" not in present:  # Flask's hook did not run
                headers.extend((k, v) for k, v in self.defaults() if k.lower() not in present)
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)


def init_app(app: Flask) -> None:
    """Call after every blueprint is registered, so the WSGI wrapper is the outermost."""
    app.config.setdefault("CONTENT_IMAGE_HOSTS", ())
    app.config.setdefault("EMBED_ALLOWED_ORIGINS", "")
    app.config.setdefault("HSTS_SECONDS", 0)
    app.after_request(add_security_headers)
    app.wsgi_app = DefaultHeaders(app, app.wsgi_app)
