"""Serve cached event pages to cookie-less visitors before Flask's request machinery runs.

An anonymous GET of /events/<slug>/ with no query string and no session or remember
cookie is exactly the case the page cache is for: every such visitor gets the same
bytes, in the default language. This WSGI wrapper, installed by create_app, answers it
with one indexed query (the page stamp) and one cache lookup. On a miss it lets the
Flask view render the page and keeps the answer under the same key, unless the view
touched the session (a Set-Cookie: the copy is personal). Correctness comes from the
key (the stamp is read from the database on every request), so it is right with any
number of workers and hosts. `fast_path_slug` is the one eligibility rule: the view
asks it too, to know that caching this request is the fast path's job.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask import Flask

from app.cache import get_cache, not_modified
from app.events import services
from app.extensions import db

PATH = re.compile(r"^/events/([^/]+)/$")


def page_key(slug: str, stamp: str, language: str) -> str:
    return f"event-page:{slug}:{stamp}:{language}"


def page_etag(key: str) -> str:
    return hashlib.sha1(key.encode()).hexdigest()[:20]


def page_headers(etag: str) -> list[tuple[str, str]]:
    return [
        ("ETag", f'"{etag}"'),
        ("Cache-Control", "public, no-cache"),
        ("Vary", "Cookie"),
    ]


def fast_path_slug(environ: Mapping[str, Any], config: Mapping[str, Any]) -> str | None:
    """The event's slug when the fast path answers this request (see the module), else None."""
    if environ.get("REQUEST_METHOD") != "GET" or environ.get("QUERY_STRING"):
        return None
    if not config["EVENT_PAGE_CACHE"]:
        return None
    match = PATH.match(environ.get("PATH_INFO", ""))
    if match is None:
        return None
    cookies = environ.get("HTTP_COOKIE", "")
    if cookies:
        names = {c.split("=", 1)[0].strip() for c in cookies.split(";")}
        if names & {config["SESSION_COOKIE_NAME"], config["REMEMBER_COOKIE_NAME"]}:
            return None
    return match.group(1)


class EventPageFastPath:
    def __init__(self, app: Flask, wsgi_app: Callable) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self._cache = None
        self._engine = None

    def _resources(self):
        if self._cache is None:
            with self.app.app_context():
                self._engine = db.engine
                self._cache = get_cache()
        return self._engine, self._cache

    def __call__(self, environ, start_response) -> Iterable[bytes]:
        slug = fast_path_slug(environ, self.app.config)
        if slug is None:
            return self.wsgi_app(environ, start_response)
        try:
            engine, cache = self._resources()
            with engine.connect() as conn:
                stamp = services.event_page_stamp_on(conn, slug)
            if stamp is None:  # no public event: the view answers 404
                return self.wsgi_app(environ, start_response)
            key = page_key(slug, stamp, self.app.config["BABEL_DEFAULT_LOCALE"])
            etag = page_etag(key)
            if not_modified(etag, environ=environ):
                start_response("304 NOT MODIFIED", page_headers(etag))
                return [b""]
            body = cache.get(key)
        except Exception:  # the Flask view answers properly, errors included
            self.app.logger.debug("event page fast path fell through", exc_info=True)
            return self.wsgi_app(environ, start_response)
        if body:
            start_response("200 OK", [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", str(len(body))),
                *page_headers(etag),
            ])
            return [body]
        return self._render_and_keep(environ, start_response, cache, key, etag)

    def _render_and_keep(self, environ, start_response, cache, key: str, etag: str):
        """A miss: the view renders the page; a 200 that set no cookie is kept and shared."""
        answer: dict[str, Any] = {}

        def remember(status, headers, exc_info=None):
            answer.update(status=status, headers=headers)
            return lambda data: None  # the view returns its body; it never writes directly

        chunks = self.wsgi_app(environ, remember)
        try:
            body = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        status, headers = answer["status"], list(answer["headers"])
        if status.startswith("200") and not any(h.lower() == "set-cookie" for h, _ in headers):
            cache.set(key, body)
            headers = [(h, v) for h, v in headers if h.lower() not in {"etag", "cache-control", "vary"}]
            headers += page_headers(etag)
        start_response(status, headers)
        return [body]


def install(app: Flask) -> None:
    """Put the fast path in front of the application (see the module)."""
    app.wsgi_app = EventPageFastPath(app, app.wsgi_app)
