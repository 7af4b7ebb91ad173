"""An SMTP relay for the cluster test, in its own process: it accepts every message and
appends one line per recipient to a file: recipient, Message-ID, subject."""
from __future__ import annotations

import email
import email.policy
import signal
import sys
import threading

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, path: str) -> None:
        self.out = open(path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content or envelope.content,
                                       policy=email.policy.default)
        message_id = str(msg.get("Message-ID", "")).strip()
        subject = " ".join(str(msg.get("Subject", "")).split())
        request_id = str(msg.get("X-Request-ID", "")).strip()
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.out.write(f"{rcpt.lower()}\t{message_id}\t{request_id}\t{subject}\n")
        return "250 OK"


def main() -> None:
    port, path = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Handler(path), hostname="127.0.0.1", port=port,
                            server_hostname="sink.eventi.test", ready_timeout=10)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    print("ready", flush=True)
    stop.wait(3600)  # bounded: the cluster test stops it long before
    controller.stop()


if __name__ == "__main__":
    main()
