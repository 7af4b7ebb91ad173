"""A real SMTP server on 127.0.0.1 (aiosmtpd) that records messages and can be told to fail."""
from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A free loopback port; the first free one of TEST_PORTS (e.g. "5500-5509") when set,
    so several test runs sharing a machine each stay in the range given to them."""
    span = os.environ.get("TEST_PORTS", "")
    if span:
        low, high = (int(p) for p in span.split("-"))
        for port in range(low, high + 1):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
        raise RuntimeError(f"no free port in TEST_PORTS={span}")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Recorder:
    messages: list[EmailMessage] = field(default_factory=list)
    # Replies to use instead of accepting, consumed one per DATA command, e.g. "451 try later".
    planned_failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.planned_failures:
                return self.planned_failures.pop(0)
            msg = message_from_bytes(envelope.content, policy=policy.default)
            msg["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
            self.messages.append(msg)
        return "250 OK"


class SMTPServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.recorder = Recorder()
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)

    def start(self) -> SMTPServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def messages(self) -> list[EmailMessage]:
        return self.recorder.messages

    def fail_next(self, reply: str, times: int = 1) -> None:
        self.recorder.planned_failures.extend([reply] * times)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in m["X-Envelope-To"]]
