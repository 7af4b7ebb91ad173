"""The per-process cache keeps what fits its byte budget, least recently used out first."""
from __future__ import annotations

from app.cache import MemoryCache


def test_the_least_recently_used_entries_go_when_the_bytes_run_out():
    cache = MemoryCache(max_bytes=30)
    cache.set_many({"a": b"x" * 10, "b": b"y" * 10, "c": b"z" * 10})
    assert cache.get("a") == b"x" * 10  # "a" is now the most recently used
    cache.set("d", b"w" * 10)
    assert cache.get_many(["a", "b", "c", "d"]) == [b"x" * 10, None, b"z" * 10, b"w" * 10]


def test_replacing_an_entry_counts_its_bytes_once():
    cache = MemoryCache(max_bytes=20)
    for _ in range(5):
        cache.set("a", b"x" * 10)
    cache.set("b", b"y" * 10)
    assert cache.get_many(["a", "b"]) == [b"x" * 10, b"y" * 10]
