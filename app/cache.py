"""A small shared cache for rendered pages, feeds and PDFs, and the one way they answer
a conditional GET.

Keys must embed a data version read from the database (e.g. the event's `version`),
so an entry is never stale whichever worker or host wrote it: an edit changes the
key, and old entries simply age out. With CACHE_REDIS_URL the cache is shared by all
workers; without it each process keeps its own bounded LRU, which is still correct
because correctness comes from the key, not from invalidation.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from flask import Response, current_app, request
from werkzeug.http import parse_date, parse_etags


class MemoryCache:
    """The per-process fallback: an LRU bounded by entries and by bytes held."""

    def __init__(self, max_items: int = 100_000, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_items = max_items
        self.max_bytes = max_bytes
        self._size = 0
        self._data: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        with self._lock:
            values = []
            for key in keys:
                value = self._data.get(key)
                if value is not None:
                    self._data.move_to_end(key)
                values.append(value)
            return values

    def set(self, key: str, value: bytes, ttl: int = 86400) -> None:
        self.set_many({key: value}, ttl)

    def set_many(self, items: Mapping[str, bytes], ttl: int = 86400) -> None:
        with self._lock:
            for key, value in items.items():
                old = self._data.pop(key, None)
                if old is not None:
                    self._size -= len(old)
                self._data[key] = value
                self._size += len(value)
            while self._data and (len(self._data) > self.max_items or self._size > self.max_bytes):
                _, dropped = self._data.popitem(last=False)
                self._size -= len(dropped)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._size = 0


class RedisCache:
    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url)

    def get(self, key: str) -> bytes | None:
        try:
            return self._redis.get("eventi:" + key)
        except Exception:  # a cache outage must not take pages down
            return None

    def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        if not keys:
            return []
        try:
            return self._redis.mget(["eventi:" + key for key in keys])
        except Exception:
            return [None] * len(keys)

    def set(self, key: str, value: bytes, ttl: int = 86400) -> None:
        try:
            self._redis.set("eventi:" + key, value, ex=ttl)
        except Exception:
            pass

    def set_many(self, items: Mapping[str, bytes], ttl: int = 86400) -> None:
        try:
            pipe = self._redis.pipeline(transaction=False)
            for key, value in items.items():
                pipe.set("eventi:" + key, value, ex=ttl)
            pipe.execute()
        except Exception:
            pass

    def clear(self) -> None:
        try:
            for key in self._redis.scan_iter("eventi:*"):
                self._redis.delete(key)
        except Exception:
            pass


def get_cache() -> MemoryCache | RedisCache:
    ext = current_app.extensions
    if "eventi_cache" not in ext:
        url = current_app.config["CACHE_REDIS_URL"]
        ext["eventi_cache"] = (RedisCache(url) if url else
                               MemoryCache(max_bytes=current_app.config["CACHE_MEMORY_MAX_BYTES"]))
    return ext["eventi_cache"]


def cached(key: str, build: Callable[[], bytes], ttl: int = 86400) -> bytes:
    cache = get_cache()
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, ttl)
    return value


def not_modified(etag: str, last_modified: datetime | None = None,
                 environ: Mapping[str, Any] | None = None) -> bool:
    """Does the client's copy match? RFC 9110 13.2.2: If-None-Match decides when sent
    (weak comparison); If-Modified-Since only when it is absent. `environ` defaults to
    the current request's (the WSGI fast path passes its own)."""
    environ = request.environ if environ is None else environ
    if_none_match = environ.get("HTTP_IF_NONE_MATCH")
    if if_none_match:
        etags = parse_etags(if_none_match)
        return etags.star_tag or etags.contains_weak(etag)
    since = parse_date(environ.get("HTTP_IF_MODIFIED_SINCE"))
    return (since is not None and last_modified is not None
            and last_modified.replace(microsecond=0) <= since)


def conditional_response(
    etag: str,
    build: Callable[[], bytes],
    *,
    content_type: str,
    cache_control: str,
    cache_key: str | None = None,
    last_modified: datetime | None = None,
    vary: Iterable[str] = (),
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A 304 when the client's copy is current, else the body, built by `build` or taken
    from the shared cache under `cache_key` (which must embed a data version). Either
    way the ETag, Last-Modified, Cache-Control and Vary headers are the same."""
    if not_modified(etag, last_modified):
        response = Response(status=304)
    else:
        body = cached(cache_key, build) if cache_key else build()
        response = Response(body, content_type=content_type)
        response.headers.update(headers or {})
    response.set_etag(etag)
    if last_modified is not None:
        response.last_modified = last_modified
    response.headers["Cache-Control"] = cache_control
    for name in vary:
        response.vary.add(name)
    return response
