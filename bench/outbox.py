"""Benchmark of outbox delivery against plain smtplib, into one local aiosmtpd server.

    .venv/bin/python bench/outbox.py            # SQLite file database
    DATABASE_URL=postgresql://... .venv/bin/python bench/outbox.py   # PostgreSQL too

Same run, same server, same messages (a reminder-sized text + HTML e-mail):
1. baseline: smtplib over one connection, messages built and serialised beforehand;
2. baseline + building: smtplib over one connection, building each EmailMessage;
3. the outbox: deliver_due_messages() claiming batches atomically, building each
   message, sending over one reused connection and committing the SENT mark per
   message.
Prints messages per second and the ratios against the baselines.
"""
from __future__ import annotations

import os
import smtplib
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).absolute().parent.parent
sys.path.insert(0, str(ROOT))

MESSAGES = int(os.environ.get("BENCH_MESSAGES", "1000"))
BATCH = 200

TEXT = ("Gentile Maria,\n\nti ricordiamo l'evento a cui ti sei iscritta:\n\n"
        "+RESILIENT: conferenza finale\nlunedì 17 gennaio 2022, 9:45–17:00\n"
        "Parco scientifico e tecnologico Vega, Via delle Industrie 15, 30175 Venezia Mestre\n\n"
        + "Programma e relatori della giornata. " * 40 + "\n")
HTML = "<!doctype html><html><body>" + "".join(
    f"<p style=\"margin:16px 0;color:#1a1a1a\">{line}</p>" for line in TEXT.splitlines()
) + "<table>" + "<tr><td style=\"padding:8px\">Sessione</td><td>9:45–10:30</td></tr>" * 40 \
    + "</table></body></html>"


def make_app(url: str):
    from app import create_app
    from app.config import TestConfig
    from app.extensions import db

    config = type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url})
    app = create_app(config)
    ctx = app.app_context()
    ctx.push()
    db.create_all()
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM outbox")
    return app, ctx


def queue_messages(n: int) -> None:
    from app.extensions import db
    from app.mail.models import OutboxMessage
    from app.mail.outbox import new_message_id

    for i in range(n):
        db.session.add(OutboxMessage(
            category="bench", recipient=f"person{i}@example.org",
            sender="Eventi <eventi@example.org>", subject=f"Promemoria {i}: conferenza finale",
            body_text=TEXT, body_html=HTML, language="it", message_id=new_message_id(),
        ))
    db.session.commit()


def rows(n: int):
    from types import SimpleNamespace

    return [SimpleNamespace(
        sender="Eventi <eventi@example.org>", recipient=f"person{i}@example.org",
        subject=f"Promemoria {i}: conferenza finale", body_text=TEXT, body_html=HTML,
        headers={}, attachments=[], message_id=f"<{i}@bench.local>") for i in range(n)]


def smtplib_prebuilt(port: int, n: int) -> float:
    from app.mail.smtp import MAIL_POLICY, build_message

    payloads = [(r.recipient, build_message(r).as_bytes(policy=MAIL_POLICY)) for r in rows(n)]
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, local_hostname="bench.local") as smtp:
        for rcpt, data in payloads:
            smtp.sendmail("eventi@example.org", [rcpt], data)
    return n / (time.perf_counter() - started)


def smtplib_building(port: int, n: int) -> float:
    from app.mail.smtp import MAIL_POLICY, build_message

    items = rows(n)
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, local_hostname="bench.local") as smtp:
        for r in items:
            smtp.sendmail("eventi@example.org", [r.recipient],
                          build_message(r).as_bytes(policy=MAIL_POLICY))
    return n / (time.perf_counter() - started)


def outbox_rate(app, port: int, n: int) -> float:
    from app.mail.delivery import deliver_due_messages

    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_LOCAL_HOSTNAME="bench.local")
    queue_messages(n)
    sent = 0
    started = time.perf_counter()
    while sent < n:
        report = deliver_due_messages(limit=BATCH)
        if report.sent == 0:
            raise SystemExit(f"delivery stalled: {report}")
        sent += report.sent
    return n / (time.perf_counter() - started)


def main() -> None:
    from tests.smtpd import SMTPServer

    server = SMTPServer().start()
    try:
        prebuilt = smtplib_prebuilt(server.port, MESSAGES)
        building = smtplib_building(server.port, MESSAGES)
        results = []
        with tempfile.TemporaryDirectory() as tmp:
            app, ctx = make_app(f"sqlite:///{tmp}/bench.db")
            results.append(("outbox, SQLite file", outbox_rate(app, server.port, MESSAGES)))
            ctx.pop()
        pg = os.environ.get("DATABASE_URL", "")
        if pg.startswith(("postgres://", "postgresql://", "postgresql+psycopg://")):
            pg = "postgresql+psycopg://" + pg.split("://", 1)[1]
            app, ctx = make_app(pg)
            results.append(("outbox, PostgreSQL", outbox_rate(app, server.port, MESSAGES)))
            ctx.pop()
        received = len(server.messages)
    finally:
        server.stop()

    size = len(TEXT.encode()) + len(HTML.encode())
    print(f"{MESSAGES} messages of ~{size // 1024} KB (text + HTML) into aiosmtpd on 127.0.0.1; "
          f"server received {received}")
    print(f"  smtplib, one connection, pre-built bytes : {prebuilt:7.0f} msg/s  (baseline)")
    print(f"  smtplib, one connection, building each   : {building:7.0f} msg/s  "
          f"({building / prebuilt:.2f}x baseline)")
    for label, rate in results:
        print(f"  {label:<41}: {rate:7.0f} msg/s  ({rate / prebuilt:.2f}x baseline, "
              f"{rate / building:.2f}x smtplib building each)")


if __name__ == "__main__":
    main()
