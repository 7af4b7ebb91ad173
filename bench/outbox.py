"""Benchmark of outbox delivery against plain smtplib, into an SMTP sink in its own process.

    .venv/bin/python bench/outbox.py            # SQLite file database
    DATABASE_URL=postgresql://... .venv/bin/python bench/outbox.py   # PostgreSQL too

Same run, same sink (aiosmtpd's Sink handler in a separate process: in this process it
would compete for the GIL with what is measured), same messages (a reminder-sized
text + HTML e-mail), in ROUNDS alternating rounds (default 5) of BENCH_MESSAGES each:
1. baseline: smtplib over one connection, building each EmailMessage;
2. smtplib over one connection, messages built and serialised beforehand (reference);
3. the outbox, one sender: deliver_due_messages() claiming batches atomically, sending
   over one reused connection and committing the SENT mark per message;
4. the outbox job with MAIL_SENDERS=2 (PostgreSQL only: SKIP LOCKED).
Prints messages per second, the median ratio against the baseline and the goals
(one sender >= 0.8x, two >= 1.2x). BENCH_SINK_PORT (default 5205) is the sink's port.
"""
from __future__ import annotations

import os
import smtplib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).absolute().parent.parent
sys.path.insert(0, str(ROOT))

from bench._goals import goal  # noqa: E402

MESSAGES = int(os.environ.get("BENCH_MESSAGES", "400"))
ROUNDS = int(os.environ.get("ROUNDS", "5"))
SINK_PORT = int(os.environ.get("BENCH_SINK_PORT", "5205"))
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
    ctx.pop()
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


def outbox_rate(app, port: int, n: int, senders: int = 1) -> float:
    from app.mail.delivery import deliver_due_messages
    from app.mail.jobs import deliver_outbox

    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_LOCAL_HOSTNAME="bench.local",
                      MAIL_SENDERS=senders)
    queue_messages(n)
    sent = 0
    started = time.perf_counter()
    while sent < n:
        report = deliver_outbox() if senders > 1 else deliver_due_messages(limit=BATCH)
        if report.sent == 0:
            raise SystemExit(f"delivery stalled: {report}")
        sent += report.sent
    return n / (time.perf_counter() - started)


def start_sink(port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                             "-c", "aiosmtpd.handlers.Sink"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            with smtplib.SMTP("127.0.0.1", port, local_hostname="bench.local", timeout=2):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the SMTP sink did not start")


def main() -> None:
    import statistics

    sink = start_sink(SINK_PORT)
    port = SINK_PORT
    rows: dict[str, list[float]] = {}
    print(f"load average before: {os.getloadavg()[0]:.2f}; {ROUNDS} alternating rounds of "
          f"{MESSAGES} messages", flush=True)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            apps = [("outbox, SQLite file, 1 sender", make_app(f"sqlite:///{tmp}/bench.db"), 1)]
            pg = os.environ.get("DATABASE_URL", "")
            if pg.startswith(("postgres://", "postgresql://", "postgresql+psycopg://")):
                pg = "postgresql+psycopg://" + pg.split("://", 1)[1]
                pg_app = make_app(pg)
                apps += [("outbox, PostgreSQL, 1 sender", pg_app, 1),
                         ("outbox, PostgreSQL, 2 senders", pg_app, 2)]
            for _ in range(ROUNDS):
                rows.setdefault("smtplib building each", []).append(smtplib_building(port, MESSAGES))
                rows.setdefault("smtplib pre-built bytes", []).append(smtplib_prebuilt(port, MESSAGES))
                for label, (app, ctx), senders in apps:
                    ctx.push()
                    try:
                        rows.setdefault(label, []).append(outbox_rate(app, port, MESSAGES, senders))
                    finally:
                        ctx.pop()
    finally:
        sink.terminate()
        sink.wait(10)

    size = len(TEXT.encode()) + len(HTML.encode())
    base = rows["smtplib building each"]
    print(f"{MESSAGES} messages of ~{size // 1024} KB (text + HTML) into aiosmtpd's sink (own process)")
    print(f"{'what':34} {'msg/s':>7} {'vs smtplib building each':>25} {'goal':>6}")
    goals = {"1 sender": 0.8, "2 senders": 1.2}
    met: list[tuple[str, float, float]] = []
    for label, rates in rows.items():
        ratio = statistics.median(r / b for r, b in zip(rates, base, strict=True))
        limit = next((g for k, g in goals.items() if label.endswith(k) and "PostgreSQL" in label), None)
        print(f"{label:34} {statistics.median(rates):7.0f} {ratio:25.2f} "
              f"{'>= ' + str(limit) if limit else '':>6}")
        if limit:
            met.append((f"outbox {label} vs smtplib building each", ratio, limit))
    for name, ratio, limit in met:
        goal(name, ratio, limit, at_most=False)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
