"""The pages every check runs on: all public pages and the main back-office pages."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Page:
    name: str
    path: str  # formatted with the live server's facts
    endpoint: str  # the page is checked once this endpoint exists
    admin: bool = False
    status: int = 200

    def url(self, facts: dict) -> str:
        return self.path.format(**facts)


PAGES = [
    Page("home", "/", "main.home"),
    Page("events", "/events/", "events.index"),
    Page("events-past", "/events/?when=past", "events.index"),
    Page("event", "/events/{workshop_slug}/", "events.detail"),
    Page("past-event", "/events/{past_slug}/", "events.detail"),
    Page("projects", "/projects/", "projects.index"),
    Page("project", "/projects/{project_slug}/", "projects.detail"),
    Page("newsletter", "/newsletter/", "newsletter.index"),
    Page("privacy", "/privacy", "main.privacy"),
    Page("not-found", "/events/no-such-event/", "events.detail", status=404),
    Page("register", "/events/{workshop_slug}/register", "registrations.register"),
    Page("attendee", "/registrations/{attendee_token}/", "registrations.attendee"),
    Page("speaker", "/speakers/{speaker_slug}/", "directory.speaker"),
    Page("venue", "/venues/{venue_slug}/", "directory.venue"),
    Page("embed-events", "/embed/events?project={project_slug}&limit=5", "embeds.events"),
    Page("embed-event", "/embed/events/{workshop_slug}", "embeds.event"),
    Page("embed-guide", "/embed/", "embeds.guide"),
    Page("api-docs", "/api/", "api.docs"),
    Page("login", "/admin/login", "auth.login"),
    Page("admin-dashboard", "/admin/", "admin.dashboard", admin=True),
    Page("admin-events", "/admin/events/", "events_admin.events", admin=True),
    Page("admin-event", "/admin/events/{event_id}/", "events_admin.event_detail", admin=True),
    Page("admin-event-edit", "/admin/events/{event_id}/edit", "events_admin.event_edit", admin=True),
    Page("admin-registrations", "/admin/events/{event_id}/registrations",
         "registrations_admin.event_registrations", admin=True),
    Page("admin-newsletter", "/admin/newsletter/", "newsletter_admin.campaigns", admin=True),
    Page("admin-outbox", "/admin/outbox", "mail_admin.outbox", admin=True),
    Page("admin-questions", "/admin/events/{event_id}/registrations/questions",
         "registrations_admin.questions", admin=True),
    Page("admin-page-ratings", "/admin/feedback", "feedback_admin.results", admin=True),
    Page("admin-api-keys", "/admin/api-keys/", "api_admin.index", admin=True),
    Page("admin-event-dashboard", "/admin/events/{event_id}/dashboard",
         "registrations_admin.event_dashboard", admin=True),
    Page("admin-project-dashboard", "/admin/projects/{project_id}/dashboard",
         "registrations_admin.project_dashboard", admin=True),
    Page("admin-registrant-import", "/admin/events/{event_id}/registrations/import",
         "registrations_admin.import_upload", admin=True),
    Page("admin-registrant-import-check",
         "/admin/events/{event_id}/registrations/import/{registrant_import_id}",
         "registrations_admin.import_check", admin=True),
    Page("admin-subscriber-import", "/admin/newsletter/import", "newsletter_admin.import_upload",
         admin=True),
    Page("admin-subscriber-import-check", "/admin/newsletter/import/{subscriber_import_id}",
         "newsletter_admin.import_check", admin=True),
    Page("admin-subscribers", "/admin/newsletter/subscribers", "newsletter_admin.subscribers",
         admin=True),
    Page("admin-subscriber-erase", "/admin/newsletter/subscribers/{subscriber_id}/erase",
         "newsletter_admin.subscriber_erase", admin=True),
    Page("newsletter-preferences", "/newsletter/preferences/{subscriber_token}",
         "newsletter.preferences"),
    Page("newsletter-unsubscribe", "/newsletter/unsubscribe/{subscriber_token}",
         "newsletter.unsubscribe"),
    Page("newsletter-erase", "/newsletter/erase/{subscriber_token}", "newsletter.erase"),
    Page("newsletter-erased", "/newsletter/erased", "newsletter.erased"),
]


@cache
def endpoints() -> dict[str, str]:
    """Endpoint name -> URL rule of the application as it stands."""
    from app import create_app
    from app.config import TestConfig

    app = create_app(TestConfig)
    return {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()}


def missing(page: Page) -> str | None:
    """Why a page cannot be checked yet, or None."""
    if page.endpoint not in endpoints():
        return f"{page.endpoint} does not exist yet"
    if page.admin and "auth.login" not in endpoints():
        return "the login page does not exist yet"
    return None
