"""A small shared cache for rendered pages, feeds and PDFs.

Keys must embed a data version read from the database (e.g. the event's `version`),
so an entry is never stale whichever worker or host wrote it: an edit changes the
key, and old entries simply age out. With CACHE_REDIS_URL the cache is shared by all
workers; without it each process keeps its own bounded LRU, which is still correct
because correctness comes from the key, not from invalidation.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from flask import current_app


class MemoryCache:
    def __init__(self, max_items: int = 512) -> None:
        self.max_items = max_items
        self._data: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def set(self, key: str, value: bytes, ttl: int = 86400) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.max_items:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


class RedisCache:
    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url)

    def get(self, key: str) -> bytes | None:
        try:
            return self._redis.get("eventi:" + key)
        except Exception:  # a cache outage must not take pages down
            return None

    def set(self, key: str, value: bytes, ttl: int = 86400) -> None:
        try:
            self._redis.set("eventi:" + key, value, ex=ttl)
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
        url = current_app.config.get("CACHE_REDIS_URL")
        ext["eventi_cache"] = RedisCache(url) if url else MemoryCache()
    return ext["eventi_cache"]


def cached(key: str, build: Callable[[], bytes], ttl: int = 86400) -> bytes:
    cache = get_cache()
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, ttl)
    return value
