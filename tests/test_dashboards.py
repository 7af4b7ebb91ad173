"""Numbers at a glance: an event's dashboard, a project's, and the newsletter's reports."""
from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from app.auth.models import Role
from app.db import utcnow
from app.events.models import EventFormat
from app.extensions import db
from app.newsletter.models import Delivery, DeliveryStatus, SubscriberStatus
from app.registrations.models import (
    Attendance,
    AttendanceMode,
    AttendanceSource,
    RegistrationStatus,
)
from tests.backoffice import sign_in, text
from tests.factories import (
    CampaignFactory,
    EventFactory,
    ProjectFactory,
    RegistrationFactory,
    SubscriberFactory,
    UserFactory,
)


def page_of(resp) -> str:
    assert resp.status_code == 200
    return text(resp)


def table_rows(page: str, table_id: str) -> list[list[str]]:
    table = page.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    return [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


BASE = utcnow().replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(days=5)


def fill(event, extra: int = 0) -> None:
    """Five registrations over three days of Rome time, one check-in; `extra` more on day 3."""
    def reg(at, **kw):
        kw.setdefault("category", "impresa")
        kw.setdefault("country", "IT")
        return RegistrationFactory(event=event, created_at=at, **kw)

    a = reg(BASE)
    reg(BASE + timedelta(hours=2))
    # 23:30 UTC is already the next day in Rome.
    reg(BASE + timedelta(hours=13, minutes=30), country="FR", attendance_mode=AttendanceMode.ONLINE)
    reg(BASE + timedelta(days=2), category="universita_ricerca", status=RegistrationStatus.WAITLISTED,
        waitlist_position=1)
    reg(BASE + timedelta(days=2, hours=1), status=RegistrationStatus.CANCELLED)
    for _ in range(extra):
        reg(BASE + timedelta(days=2, hours=2), category="altro", country="DE")
    door = event.starts_at + timedelta(minutes=5)
    db.session.add(Attendance(registration_id=a.id, event_id=event.id, slot="event",
                              slot_starts_at=event.starts_at, slot_ends_at=event.ends_at,
                              mode=AttendanceMode.IN_PERSON, source=AttendanceSource.DOOR,
                              checked_in_at=door))
    db.session.flush()


def test_the_event_dashboard_draws_its_charts_with_the_right_numbers_behind_them(client, auth, organiser):
    event = EventFactory(format=EventFormat.HYBRID, capacity=100)
    event.organisers.append(organiser)
    fill(event)
    sign_in(client, auth, organiser)
    page = page_of(client.get(f"/admin/events/{event.id}/dashboard"))

    svg = re.search(r'<svg role="img" aria-labelledby="chart-over-time-title chart-over-time-desc".*?</svg>',
                    page, re.S).group(0)
    assert '<title id="chart-over-time-title">Registrations over time</title>' in svg
    assert svg.count("<rect") == 3  # one column per day
    d1, d2, d3 = (BASE.date() + timedelta(days=i) for i in range(3))
    assert table_rows(page, "chart-over-time-table") == [
        [d1.isoformat(), "2", "2"], [d2.isoformat(), "1", "3"], [d3.isoformat(), "2", "5"]]
    assert "<details" in page and "Data table: Registrations over time" in page

    assert table_rows(page, "chart-category-table") == [["Business", "3"], ["University or research", "1"]]
    assert table_rows(page, "chart-country-table") == [["Italy", "3"], ["France", "1"]]
    assert table_rows(page, "table-by-part-mode") == [["Whole event", "2", "1", "3"]]
    assert "1 person is waiting." in page
    day = event.starts_at.astimezone(ZoneInfo("Europe/Rome")).date()
    assert table_rows(page, "chart-checkins-table") == [[day.isoformat(), "1"]]


def test_the_dashboard_costs_the_same_queries_for_five_or_fifty_people(client, auth, organiser, count_queries):
    small, large = EventFactory(), EventFactory()
    for event, extra in ((small, 0), (large, 45)):
        event.organisers.append(organiser)
        fill(event, extra)
    sign_in(client, auth, organiser)
    counts = []
    for event in (small, large):
        with count_queries() as n:
            page_of(client.get(f"/admin/events/{event.id}/dashboard"))
        counts.append(n())
    assert counts[0] == counts[1]
    assert counts[0] <= 12


def test_an_organiser_sees_only_their_events_on_the_dashboards(client, auth, organiser, count_queries):
    project = ProjectFactory(name="+RESILIENT", acronym="+RESILIENT")
    mine = EventFactory(title="Workshop Mestre", project=project)
    mine.organisers.append(organiser)
    theirs = EventFactory(title="Conferenza finale Venezia", project=project)
    fill(mine)
    fill(theirs)
    sign_in(client, auth, organiser)
    assert client.get(f"/admin/events/{theirs.id}/dashboard").status_code == 403
    db.session.commit()
    with count_queries() as n:
        page = page_of(client.get(f"/admin/projects/{project.id}/dashboard"))
    assert "Workshop Mestre" in page and "Conferenza finale Venezia" not in page
    row = table_rows(page, "chart-project-events-table")
    assert len(row) == 1 and row[0][0] == "Workshop Mestre" and row[0][2:] == ["3", "1", "1", "1"]
    assert '<svg role="img"' in page
    flat = n()
    for _ in range(3):
        extra = EventFactory(project=project)
        extra.organisers.append(organiser)
        fill(extra)
    db.session.commit()
    with count_queries() as n:
        page_of(client.get(f"/admin/projects/{project.id}/dashboard"))
    assert n() == flat, n.log


def test_an_issue_reports_sent_failed_and_who_unsubscribed_after_it(client, auth):
    admin = UserFactory(role=Role.ADMIN)
    campaign = CampaignFactory()
    sent_at = utcnow() - timedelta(days=2)
    stayed, left_after, left_before, failed = (SubscriberFactory() for _ in range(4))
    left_after.status = SubscriberStatus.UNSUBSCRIBED
    left_after.unsubscribed_at = sent_at + timedelta(hours=3)
    left_before.status = SubscriberStatus.UNSUBSCRIBED
    left_before.unsubscribed_at = sent_at - timedelta(days=30)
    for sub, status in ((stayed, DeliveryStatus.SENT), (left_after, DeliveryStatus.SENT),
                        (left_before, DeliveryStatus.SENT), (failed, DeliveryStatus.FAILED)):
        db.session.add(Delivery(campaign_id=campaign.id, subscriber_id=sub.id, status=status,
                                sent_at=sent_at if status == DeliveryStatus.SENT else None))
    sign_in(client, auth, admin)
    page = page_of(client.get(f"/admin/newsletter/{campaign.id}/"))
    report = page.split("eventi-campaign-report", 1)[1].split("</table>", 1)[0]
    cells = re.findall(r"<th scope=\"row\">(.*?)</th><td>(.*?)</td>", report)
    assert cells == [("Messages sent", "3"), ("Failed", "1"), ("Unsubscribed after this issue", "1 (33.3%)")]
    listing = page_of(client.get("/admin/newsletter/"))
    assert "Unsubscribed after" in listing
