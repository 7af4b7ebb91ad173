"""Running senders side by side: one thread each, each in its own application context
(so its own database session), for the outbox (MAIL_SENDERS) and the newsletter
(NEWSLETTER_SMTP_CONNECTIONS)."""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from flask import current_app

from app.extensions import db

T = TypeVar("T")


def sender_count(setting: object) -> int:
    """How many senders a setting asks for, at least one; one on SQLite, which has a
    single writer and no SKIP LOCKED."""
    if db.engine.dialect.name == "sqlite":
        return 1
    return max(1, int(setting))  # type: ignore[call-overload]


def side_by_side(count: int, work: Callable[[int], T], name: str = "sender") -> list[T]:
    """`work(n)` for n in range(count), each in its own thread and application context;
    returns the results in order. With count 1 it runs here. The first exception any
    thread raised (even a BaseException) is raised again once all have finished."""
    if count <= 1:
        return [work(0)]
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    results: list = [None] * count
    errors: list[BaseException] = []

    def run(n: int) -> None:
        with app.app_context():
            try:
                results[n] = work(n)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(n,), name=f"{name}-{n}") for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results
