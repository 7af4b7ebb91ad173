"""From the catalogue's models to the API's shapes: public fields only.

Nothing here reads `online_join_url`, registrant data or registrants-only
materials; drafts never reach these functions because every query that feeds them
filters on PUBLIC_STATUSES.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, url_for

from app.api import schemas as s
from app.events import services as catalogue
from app.events.models import (
    Event,
    EventStatus,
    Material,
    Project,
    RegistrationMode,
    Session,
    Speaker,
    Venue,
)
from app.i18n import SECOND, original_language


def absolute(endpoint: str, **values) -> str:
    # The configured public address, not the Host header: answers are cached and shared.
    return current_app.config["BASE_URL"] + url_for(endpoint, **values)


def localized(obj: Event | Session | Material, field: str, language: str | None = None) -> s.LocalizedText:
    """A text under the language it is written in (`language`, else the record's own:
    sessions and materials speak their event's), and its English version when the
    organiser gave one; a language the text lacks stays absent."""
    texts = {language or original_language(obj): getattr(obj, field) or ""}
    texts[SECOND] = getattr(obj, f"{field}_{SECOND}", "") or texts.get(SECOND, "")
    return s.LocalizedText({lang: text for lang, text in texts.items() if text.strip()})


def when(start: datetime, end: datetime, zone: str) -> s.When:
    tz = ZoneInfo(zone)
    return s.When(start=start.astimezone(tz), end=end.astimezone(tz), timezone=zone)


def project_ref(p: Project) -> s.ProjectRef:
    return s.ProjectRef(id=p.id, slug=p.slug, name=p.name, acronym=p.acronym,
                        url=absolute("projects.detail", slug=p.slug))


def venue_ref(v: Venue) -> s.VenueRef:
    return s.VenueRef(id=v.id, slug=v.slug, name=v.name, city=v.city, country=v.country,
                      url=absolute("directory.venue", slug=v.slug))


def speaker_ref(sp: Speaker) -> s.SpeakerRef:
    return s.SpeakerRef(id=sp.id, slug=sp.slug, name=sp.name, affiliation=sp.affiliation,
                        role=sp.role, url=absolute("directory.speaker", slug=sp.slug))


def _registration_url(e: Event) -> str | None:
    if e.is_cancelled or e.is_past():
        return None
    if e.registration_mode == RegistrationMode.REQUIRED:
        return absolute("registrations.register", slug=e.slug)
    if e.registration_mode == RegistrationMode.EXTERNAL and e.registration_url:
        return e.registration_url
    return None


def _summary_fields(e: Event) -> dict:
    return dict(
        id=e.id,
        slug=e.slug,
        title=localized(e, "title"),
        summary=localized(e, "summary"),
        kind=e.kind,
        format=e.format,
        status="cancelled" if e.status == EventStatus.CANCELLED else "scheduled",
        language=e.language,
        when=when(e.starts_at, e.ends_at, e.timezone),
        project=project_ref(e.project) if e.project else None,
        venue=venue_ref(e.venue) if e.has_venue else None,
        online=e.is_online,
        updated_at=e.updated_at,
        links=s.EventLinks(
            page=absolute("events.detail", slug=e.slug),
            ics=absolute("calendars.event_ics", slug=e.slug),
            programme_pdf=absolute("documents.programme", slug=e.slug),
            registration=_registration_url(e),
        ),
    )


def event_summary(e: Event) -> s.EventSummary:
    return s.EventSummary(**_summary_fields(e))


def programme_item(item: Session, zone: str, language: str) -> s.ProgrammeItem:
    return s.ProgrammeItem(
        id=item.id, title=localized(item, "title", language),
        description=localized(item, "description", language), kind=item.kind,
        when=when(item.starts_at, item.ends_at, zone), room=item.room,
        registrable=item.registrable, speakers=[speaker_ref(sp) for sp in item.speakers],
    )


def event_detail(e: Event) -> s.EventDetail:
    programme = [programme_item(item, e.timezone, original_language(e))
                 for day in catalogue.programme_by_day(e) for item in day.sessions]
    return s.EventDetail(
        **_summary_fields(e),
        description=localized(e, "description"),
        registration_mode=e.registration_mode.value,
        parts=[p for p in programme if p.registrable],
        programme=programme,
        materials=[
            s.Material(id=m.id, kind=m.kind, title=localized(m, "title", original_language(e)),
                       url=m.url, session_id=m.session_id)
            for m in catalogue.public_materials(e)
        ],
    )


def project(p: Project) -> s.Project:
    return s.Project(
        **project_ref(p).model_dump(),
        programme=p.programme, description=p.description, website=p.website,
        starts_on=p.starts_on, ends_on=p.ends_on, status=p.status,
        budget=str(p.budget) if p.budget is not None else None, funding=p.funding,
        priority=p.priority,
        partners=p.partner_list,
        events_url=absolute("api.events", project=p.slug, when="all"),
    )


def venue(v: Venue) -> s.Venue:
    return s.Venue(
        **venue_ref(v).model_dump(), address=v.address, postcode=v.postcode,
        latitude=v.latitude, longitude=v.longitude,
        accessibility_notes=v.accessibility_notes, map_url=catalogue.map_url(v),
    )


def speaker(sp: Speaker) -> s.Speaker:
    return s.Speaker(**speaker_ref(sp).model_dump(), bio=sp.bio)
