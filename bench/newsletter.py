"""Campaign sending throughput and memory, against plain smtplib in the same run.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/eventi_bench .venv/bin/python bench/newsletter.py

1. Throughput: a campaign to BENCH_SUBSCRIBERS subscribers (default 2,000) sent into
   aiosmtpd's Sink running in its own process (in this one it would compete for the GIL
   with what is measured) on BENCH_SINK_PORT (default 5206), in ROUNDS alternating
   rounds (default 5): plain smtplib sending the same prepared bytes over one
   connection (the baseline), and the campaign sender (claim, render, send, commit per
   message) over NEWSLETTER_SMTP_CONNECTIONS=2 connections. Prints messages per second
   and the median of the rounds' ratios, with the goal (>= 1.0).
2. Memory: the sender's peak Python heap (tracemalloc) and the process's peak RSS for
   campaigns of 10,000 and 50,000 subscribers, each in a fresh process, with a transport
   that discards the bytes so the figure is the sender's own.

The database is DATABASE_URL (or BENCH_DATABASE_URL) when it is PostgreSQL, else a
SQLite file in a temporary directory, where the sender uses one connection and no goal
is printed.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._goals import goal  # noqa: E402
from bench.outbox import start_sink  # noqa: E402

SUBSCRIBERS = int(os.environ.get("BENCH_SUBSCRIBERS", "2000"))
ROUNDS = int(os.environ.get("ROUNDS", "5"))
SINK_PORT = int(os.environ.get("BENCH_SINK_PORT", "5206"))
CONNECTIONS = 2

BODY = "\n\n".join(
    f"## Notizia {i}\n\nLa Camera di Commercio di Treviso-Belluno informa che è aperto il "
    f"**bando {i}** per l'innovazione sociale e l'imprenditorialità nell'area MED. "
    "Le imprese interessate possono presentare domanda entro la scadenza indicata; "
    "il programma Interreg MED sostiene progetti di cooperazione territoriale. "
    f"[Scheda del bando {i}](https://www.tb.camcom.it/bandi/{i})"
    for i in range(1, 25)
)


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
        "NEWSLETTER_SMTP_CONNECTIONS": CONNECTIONS,
        "MAIL_LOCAL_HOSTNAME": "bench.local",
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
    from app.newsletter.models import Subscriber, SubscriberStatus, subscriber_topics

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
    return started_campaign([e.id for e in events])


def another_campaign(campaign_id: int) -> int:
    """A new issue like `campaign_id`, to the same subscribers: each round sends a fresh
    campaign, as production does, rather than the same rows again on an ever more
    bloated table."""
    from app.extensions import db
    from app.newsletter.models import Campaign

    return started_campaign(list(db.session.get(Campaign, campaign_id).featured_event_ids))


def started_campaign(event_ids: list[int]) -> int:
    """An issue to every subscriber, scheduled and started (its delivery rows written)."""
    from app.extensions import db
    from app.newsletter.models import Campaign
    from app.newsletter.sending import start_due_campaigns
    from app.newsletter.services import schedule_campaign

    campaign = Campaign(subject="La Camera Informa – numero di prova", body_markdown=BODY,
                        featured_event_ids=event_ids, language="it")
    db.session.add(campaign)
    db.session.flush()
    schedule_campaign(campaign, None)
    db.session.commit()
    start_due_campaigns()
    return campaign.id


def throughput(n: int, db_url: str, port: int) -> dict:
    import sqlalchemy as sa

    from app.extensions import db
    from app.newsletter.models import Campaign, Delivery, Subscriber
    from app.newsletter.sending import prepare_message, send_due_campaigns

    app = make_app(db_url, port)
    with app.app_context():
        campaign_id = setup_campaign(n)
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

        def baseline() -> float:
            """The same prepared bytes, plain smtplib, one connection."""
            with smtplib.SMTP("127.0.0.1", port, local_hostname="bench.local") as smtp:
                t0 = time.perf_counter()
                for email, data in messages:
                    smtp.sendmail(sender, [email], data)
                return n / (time.perf_counter() - t0)

        def ours() -> float:
            """Claim, render, send, commit each row, over the configured connections."""
            if rounds_sent:  # the first round sends the campaign set up above
                another_campaign(campaign_id)
            rounds_sent.append(1)
            t0 = time.perf_counter()
            report = send_due_campaigns()
            rate = n / (time.perf_counter() - t0)
            assert report.sent == n, report
            return rate

        rounds_sent: list[int] = []
        base_rates, our_rates = [], []
        for r in range(ROUNDS):
            if r % 2 == 0:
                base_rates.append(baseline())
                our_rates.append(ours())
            else:
                our_rates.append(ours())
                base_rates.append(baseline())
        connections = 1 if db.engine.dialect.name == "sqlite" else CONNECTIONS
    return {"n": n, "bytes": int(size), "connections": connections,
            "baseline_mps": statistics.median(base_rates), "ours_mps": statistics.median(our_rates),
            "ratio": statistics.median(o / b for o, b in zip(our_rates, base_rates, strict=True)),
            "ratios": [round(o / b, 2) for o, b in zip(our_rates, base_rates, strict=True)]}


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


def postgres_url() -> str:
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://", "postgresql+psycopg://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return ""


def db_url_for(tmp: str, name: str) -> str:
    return postgres_url() or f"sqlite:///{tmp}/{name}.db"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=SUBSCRIBERS)
    parser.add_argument("--memory", default="10000,50000")
    parser.add_argument("--child", choices=("memory",))
    parser.add_argument("--n", type=int)
    parser.add_argument("--db")
    args = parser.parse_args()

    if args.child:
        print(json.dumps(memory(args.n, args.db)))
        return

    print(f"load average before: {os.getloadavg()[0]:.2f}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        def child(kind: str, n: int) -> dict:
            out = subprocess.run(
                [sys.executable, __file__, "--child", kind, "--n", str(n),
                 "--db", db_url_for(tmp, f"{kind}{n}")],
                check=True, capture_output=True, text=True, cwd=ROOT,
            ).stdout
            return json.loads(out.strip().splitlines()[-1])

        backend = "PostgreSQL" if postgres_url() else "SQLite file (one connection)"
        sink = start_sink(SINK_PORT)
        try:
            t = throughput(args.subscribers, db_url_for(tmp, "throughput"), SINK_PORT)
        finally:
            sink.terminate()
            sink.wait(10)
        print(f"database: {backend}; message size ~{t['bytes'] / 1024:.1f} KiB; "
              f"{t['n']:,} subscribers into aiosmtpd's Sink (own process) on 127.0.0.1; "
              f"{ROUNDS} alternating rounds, medians")
        print(f"  plain smtplib, same prepared bytes, one connection: {t['baseline_mps']:7.0f} msg/s")
        print(f"  campaign sender, {t['connections']} connection(s) (claim, render, send, commit "
              f"per message): {t['ours_mps']:7.0f} msg/s")
        print(f"  ratio: {t['ratio']:.2f} (rounds: {', '.join(map(str, t['ratios']))})", flush=True)
        if t["connections"] == CONNECTIONS:
            goal("newsletter, 2 connections vs smtplib one connection, same bytes", t["ratio"], 1.0,
                 at_most=False)
        print("memory of the sender (bytes discarded instead of sent):")
        for n in [int(x) for x in args.memory.split(",") if x]:
            m = child("memory", n)
            print(f"  {m['n']:>6,} subscribers: peak Python heap {m['heap_peak_kib']:,} KiB, "
                  f"peak RSS {m['rss_peak_mib']:.0f} MiB (+{m['rss_growth_mib']:.1f} MiB while sending)",
                  flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
