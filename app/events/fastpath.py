"""Serve cached event pages to cookie-less visitors before Flask's request machinery runs.

An anonymous GET of /events/<slug>/ with no query string and no session or remember
cookie is exactly the case the page cache is for: every such visitor gets the same
bytes. This WSGI wrapper answers it with one indexed query (the page stamp) and one
cache lookup; anything else, a cache miss or any error falls through to the Flask
view, which renders the page and fills the cache under the same key. Correctness
comes from the key (the stamp is read from the database on every request), so it is
right with any number of workers and hosts.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from flask import Flask

from app.events import services

PATH = re.compile(r"^/events/([^/]+)/$")
STAMP_KEY = "eventi.event_page_stamp"


def page_key(slug: str, stamp: str, language: str) -> str:
    return f"event-page:{slug}:{stamp}:{language}"


def page_etag(key: str) -> str:
    import hashlib

    return hashlib.sha1(key.encode()).hexdigest()[:20]


def page_headers(etag: str) -> list[tuple[str, str]]:
    return [
        ("ETag", f'"{etag}"'),
        ("Cache-Control", "public, no-cache"),
        ("Vary", "Cookie"),
    ]


class EventPageFastPath:
    def __init__(self, app: Flask, wsgi_app: Callable) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self._cache = None
        self._engine = None

    def _resources(self):
        if self._cache is None:
            from app.cache import get_cache
            from app.extensions import db

            with self.app.app_context():
                self._engine = db.engine
                self._cache = get_cache()
        return self._engine, self._cache

    def _eligible(self, environ) -> str | None:
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("QUERY_STRING"):
            return None
        if not self.app.config.get("EVENT_PAGE_CACHE", True):
            return None
        match = PATH.match(environ.get("PATH_INFO", ""))
        if match is None:
            return None
        cookies = environ.get("HTTP_COOKIE", "")
        if cookies:
            names = {c.split("=", 1)[0].strip() for c in cookies.split(";")}
            personal = {
                self.app.config.get("SESSION_COOKIE_NAME", "session"),
                self.app.config.get("REMEMBER_COOKIE_NAME", "remember_token"),
            }
            if names & personal:
                return None
        return match.group(1)

    def __call__(self, environ, start_response) -> Iterable[bytes]:
        slug = self._eligible(environ)
        if slug is not None:
            try:
                engine, cache = self._resources()
                with engine.connect() as conn:
                    stamp = services.event_page_stamp_on(conn, slug)
                # On a miss the view renders the page: it reuses this stamp, read a moment ago.
                environ[STAMP_KEY] = (slug, stamp)
                if stamp is not None:
                    language = self.app.config.get("BABEL_DEFAULT_LOCALE", "it")
                    key = page_key(slug, stamp, language)
                    etag = page_etag(key)
                    if f'"{etag}"' in environ.get("HTTP_IF_NONE_MATCH", ""):
                        start_response("304 NOT MODIFIED", page_headers(etag))
                        return [b""]
                    body = cache.get(key)
                    if body:
                        start_response("200 OK", [
                            ("Content-Type", "text/html; charset=utf-8"),
                            ("Content-Length", str(len(body))),
                            *page_headers(etag),
                        ])
                        return [body]
            except Exception:  # the Flask view answers properly, errors included
                self.app.logger.debug("event page fast path fell through", exc_info=True)
        return self.wsgi_app(environ, start_response)


def install(app: Flask) -> None:
    app.wsgi_app = EventPageFastPath(app, app.wsgi_app)
