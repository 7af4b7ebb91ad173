"""Campaign sending throughput and memory, against plain smtplib in the same run.

    .venv/bin/python bench/newsletter.py [--subscribers 10000] [--memory 10000,50000]

1. Throughput: a campaign to N subscribers through a local aiosmtpd server (one reused
   connection, a commit per accepted message), against plain smtplib sending the same
   prepared messages over one connection. Prints messages per second and the ratio.
2. Memory: the sender's peak Python heap (tracemalloc) and the process's peak RSS for
   campaigns of 10,000 and 50,000 subscribers, each in a fresh process, with a transport
   that discards the bytes so the figure is the sender's own.

The database is a SQLite file in a temporary directory (the embedded default), or
BENCH_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/eventi_bench).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import smtplib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BODY = "\n\n".join(
    f"## Notizia {i}\n\nLa Camera di Commercio di Treviso-Belluno informa che è aperto il "
    f"**bando {i}** per l'innovazione sociale e l'imprenditorialità nell'area MED. "
    "Le imprese interessate possono presentare domanda entro la scadenza indicata; "
    "il programma Interreg MED sostiene progetti di cooperazione territoriale. "
    f"[Scheda del bando {i}](https://www.tb.camcom.it/bandi/{i})"
    for i in range(1, 25)
)


class SinkHandler:
    count = 0

    async def handle_DATA(self, server, session, envelope):
        SinkHandler.count += 1
        return "250 OK"


def start_server():
    from aiosmtpd.controller import Controller

    from tests.smtpd import free_port

    port = free_port()
    controller = Controller(SinkHandler(), hostname="127.0.0.1", port=port)
    controller.start()
    return controller, port


def make_app(db_url: str, port: int = 0):
    from app import create_app
    from app.config import TestConfig

    cfg = type("BenchConfig", (TestConfig,), {
        "TESTING": False,
        "SQLALCHEMY_DATABASE_URI": db_url,
        "MAIL_SERVER": "127.0.0.1" if port else "",
        "MAIL_PORT": port,
        "BASE_URL": "https://eventi.example.org",
        "NEWSLETTER_RATE_PER_SECOND": 0,
        "NEWSLETTER_BATCH_SIZE": 200,
        "NEWSLETTER_SEND_BUDGET_SECONDS": 3600,
        "NEWSLETTER_ASYNC_COMMIT": os.environ.get("BENCH_ASYNC_COMMIT") == "1",
    })
    app = create_app(cfg)
    if db_url.startswith("sqlite") and os.environ.get("BENCH_SQLITE_JOURNAL", "wal") == "wal":
        import sqlalchemy as sa

        from app.extensions import db

        with app.app_context():
            @sa.event.listens_for(db.engine, "connect")
            def _wal(dbapi_conn, _record):
                # WAL with synchronous=NORMAL: a commit survives a process crash (the case
                # the sender guards against) without an fsync per message.
                dbapi_conn.execute("PRAGMA journal_mode=WAL")
                dbapi_conn.execute("PRAGMA synchronous=NORMAL")
    return app


def setup_campaign(n: int) -> int:
    """Fresh tables, n active subscribers inserted in bulk, one campaign started."""
    import sqlalchemy as sa

    from app.db import utcnow
    from app.events.models import Event, EventStatus
    from app.extensions import db
    from app.newsletter.models import Campaign, Subscriber, SubscriberStatus, subscriber_topics
    from app.newsletter.sending import start_due_campaigns
    from app.newsletter.services import schedule_campaign

    db.drop_all()
    db.create_all()
    now = utcnow()
    chunk = 5000
    for start in range(0, n, chunk):
        db.session.execute(sa.insert(Subscriber), [
            {"email": f"reader{i}@example.org", "name": f"Reader {i}",
             "language": "it" if i % 5 else "en", "status": SubscriberStatus.ACTIVE,
             "token": f"tok{i:08d}-abcdefghijklmnopqrstuvwxyz0123", "consent_at": now,
             "confirmed_at": now, "consent_version": "2026-01",
             "created_at": now, "updated_at": now}
            for i in range(start, min(n, start + chunk))
        ])
    db.session.execute(sa.insert(subscriber_topics).from_select(
        ["subscriber_id", "topic"], sa.select(Subscriber.id, sa.literal("events"))))
    events = []
    for i in range(6):
        from datetime import timedelta
        e = Event(slug=f"evento-{i}", title=f"Evento {i}: missione a Marsiglia",
                  summary="Workshop e incontri B2B.", status=EventStatus.PUBLISHED,
                  starts_at=now + timedelta(days=5 + i), ends_at=now + timedelta(days=5 + i, hours=8))
        db.session.add(e)
        events.append(e)
    db.session.flush()
    campaign = Campaign(subject="La Camera Informa – numero di prova", body_markdown=BODY,
                        featured_event_ids=[e.id for e in events], language="it")
    db.session.add(campaign)
    db.session.flush()
    schedule_campaign(campaign, None)
    db.session.commit()
    start_due_campaigns()
    return campaign.id


def throughput(n: int, db_url: str) -> dict:
    from app.extensions import db
    from app.newsletter.models import Delivery, Subscriber
    from app.newsletter.sending import prepare_message, send_due_campaigns

    controller, port = start_server()
    app = make_app(db_url, port)
    try:
        with app.app_context():
            campaign_id = setup_campaign(n)
            import sqlalchemy as sa

            from app.newsletter.models import Campaign

            campaign = db.session.get(Campaign, campaign_id)
            prepared = {lang: prepare_message(campaign, lang) for lang in ("it", "en")}
            rows = db.session.execute(
                sa.select(Delivery.id, Subscriber.email, Subscriber.token, Subscriber.language)
                .join(Subscriber, Subscriber.id == Delivery.subscriber_id).order_by(Delivery.id)
            ).all()
            messages = [(email, prepared[lang].render(recipient=email, token=token, delivery_id=did))
                        for did, email, token, lang in rows]
            size = sum(len(m) for _, m in messages) / len(messages)
            sender = prepared["it"].sender
            db.session.commit()

            # Baseline: the same prepared bytes, plain smtplib, one connection.
            SinkHandler.count = 0
            smtp = smtplib.SMTP("127.0.0.1", port, local_hostname="bench.local")
            t0 = time.perf_counter()
            for email, data in messages:
                smtp.sendmail(sender, [email], data)
            base_s = time.perf_counter() - t0
            smtp.quit()
            assert SinkHandler.count == n, SinkHandler.count
            del messages

            # Ours: claim, render, send, commit each row.
            SinkHandler.count = 0
            t0 = time.perf_counter()
            report = send_due_campaigns()
            ours_s = time.perf_counter() - t0
            assert report.sent == n and SinkHandler.count == n, (report, SinkHandler.count)
    finally:
        controller.stop()
    return {"n": n, "bytes": int(size), "baseline_mps": n / base_s, "ours_mps": n / ours_s,
            "ratio": base_s / ours_s}


class DiscardTransport:
    def send(self, message, *, sender, recipients):
        pass

    def close(self):
        pass


def memory(n: int, db_url: str) -> dict:
    import tracemalloc

    from app.newsletter.sending import send_due_campaigns

    app = make_app(db_url)
    with app.app_context():
        setup_campaign(n)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        tracemalloc.start()
        report = send_due_campaigns(transport_factory=DiscardTransport)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert report.sent == n
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"n": n, "heap_peak_kib": peak // 1024, "rss_peak_mib": rss_after / 1024,
            "rss_growth_mib": (rss_after - rss_before) / 1024}


def db_url_for(tmp: str, name: str) -> str:
    return os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/{name}.db"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--memory", default="10000,50000")
    parser.add_argument("--child", choices=("throughput", "memory"))
    parser.add_argument("--n", type=int)
    parser.add_argument("--db")
    args = parser.parse_args()

    if args.child:
        fn = throughput if args.child == "throughput" else memory
        print(json.dumps(fn(args.n, args.db)))
        return

    with tempfile.TemporaryDirectory() as tmp:
        def child(kind: str, n: int) -> dict:
            out = subprocess.run(
                [sys.executable, __file__, "--child", kind, "--n", str(n),
                 "--db", db_url_for(tmp, f"{kind}{n}")],
                check=True, capture_output=True, text=True, cwd=ROOT,
            ).stdout
            return json.loads(out.strip().splitlines()[-1])

        backend = "PostgreSQL" if os.environ.get("BENCH_DATABASE_URL") else (
            "SQLite file, journal " + os.environ.get("BENCH_SQLITE_JOURNAL", "wal"))
        t = child("throughput", args.subscribers)
        print(f"database: {backend}; message size ~{t['bytes'] / 1024:.1f} KiB; "
              f"{t['n']:,} subscribers via aiosmtpd on 127.0.0.1")
        print(f"  plain smtplib, same prepared messages, one connection: {t['baseline_mps']:7.0f} msg/s")
        print(f"  campaign sender (claim, render, send, commit per message): {t['ours_mps']:7.0f} msg/s")
        print(f"  ratio: {t['ratio']:.2f} (target >= 0.8)")
        print("memory of the sender (bytes discarded instead of sent):")
        for n in [int(x) for x in args.memory.split(",") if x]:
            m = child("memory", n)
            print(f"  {m['n']:>6,} subscribers: peak Python heap {m['heap_peak_kib']:,} KiB, "
                  f"peak RSS {m['rss_peak_mib']:.0f} MiB (+{m['rss_growth_mib']:.1f} MiB while sending)")


if __name__ == "__main__":
    main()
