"""Data for the cluster test, written through the app's models in the cluster's database.

    python -m tests.cluster.setup_data seed            -> JSON with ids and slugs
    python -m tests.cluster.setup_data send CAMPAIGN   -> schedules the campaign for now
"""
from __future__ import annotations

import json
import sys
from datetime import timedelta

SUBSCRIBERS = 2000
ORGANISER_PASSWORD = "cluster organiser password 42"


def seed() -> dict:
    import sqlalchemy as sa

    from app.auth.models import Role
    from app.events.models import EventFormat, EventKind
    from app.extensions import db
    from app.newsletter.models import Subscriber
    from tests.factories import (
        CampaignFactory,
        EventFactory,
        SessionFactory,
        UserFactory,
        in_days,
    )

    organiser = UserFactory(email="organiser@example.org", role=Role.ADMIN,
                            password=ORGANISER_PASSWORD)
    start = in_days(20, 9)
    hybrid = EventFactory(
        slug="cluster-hybrid", title="Workshop ibrido a due giornate", kind=EventKind.WORKSHOP,
        format=EventFormat.HYBRID, starts_at=start, ends_at=start + timedelta(days=1, hours=4),
        capacity=None, capacity_in_person=30, capacity_online=40,
    )
    day1 = SessionFactory(event=hybrid, title="Prima giornata", starts_at=start,
                          ends_at=start + timedelta(hours=8), registrable=True, capacity=25)
    day2 = SessionFactory(event=hybrid, title="Seconda giornata", starts_at=start + timedelta(days=1),
                          ends_at=start + timedelta(days=1, hours=4), registrable=True, capacity=25)
    open_event = EventFactory(slug="cluster-open", title="Convegno aperto", capacity=None,
                              starts_at=in_days(30, 9), ends_at=in_days(30, 17))
    SessionFactory(event=open_event, title="Apertura", starts_at=open_event.starts_at)
    edited = EventFactory(slug="cluster-edit", title="Titolo prima della modifica",
                          starts_at=in_days(40, 9), ends_at=in_days(40, 17))
    SessionFactory(event=edited, title="Sessione unica", starts_at=edited.starts_at)
    db.session.flush()
    # 2,000 active subscribers in one statement (factories would take a minute).
    from app.db import utcnow
    from app.newsletter.services import new_token

    now = utcnow()
    db.session.execute(sa.insert(Subscriber), [
        {"email": f"reader{n:04d}@example.org", "name": f"Reader {n}", "language": "it",
         "status": "active", "token": new_token(), "consent_version": "2026-01",
         "consent_at": now, "confirmed_at": now}
        for n in range(SUBSCRIBERS)
    ])
    campaign = CampaignFactory(subject="La Camera Informa: numero del cluster")
    db.session.commit()
    return {"organiser": organiser.email, "password": ORGANISER_PASSWORD,
            "hybrid": {"id": hybrid.id, "slug": hybrid.slug, "parts": [day1.id, day2.id]},
            "open": {"id": open_event.id, "slug": open_event.slug},
            "edited": {"id": edited.id, "slug": edited.slug},
            "campaign": campaign.id, "subscribers": SUBSCRIBERS}


def send(campaign_id: int) -> dict:
    from app.extensions import db
    from app.newsletter.models import Campaign
    from app.newsletter.services import recipients_count, schedule_campaign

    campaign = db.session.get(Campaign, campaign_id)
    schedule_campaign(campaign, None)
    count = recipients_count(campaign)
    db.session.commit()
    return {"campaign": campaign_id, "recipients": count}


def main() -> None:
    from app import create_app

    app = create_app()
    with app.app_context():
        if sys.argv[1] == "seed":
            result = seed()
        elif sys.argv[1] == "send":
            result = send(int(sys.argv[2]))
        else:
            raise SystemExit(f"unknown command {sys.argv[1]}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
