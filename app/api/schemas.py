"""The shapes the API answers with and the queries it accepts, as pydantic models.

Every response body is built through one of these models, and the OpenAPI document
takes its schemas from the same models (`app.api.spec`), so the description cannot
drift from what is served. pydantic writes JSON Schema 2020-12, the dialect of
OpenAPI 3.1, so nothing is translated on the way.
"""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, field_validator

from app.events.models import EventFormat, EventKind, MaterialKind, ProjectStatus, SessionKind

Url = Annotated[str, Field(json_schema_extra={"format": "uri"})]


class Language(StrEnum):
    IT = "it"
    EN = "en"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LocalizedText(RootModel[dict[Literal["it", "en"], str]]):
    """A text by language code (it, en); a language the text is not written in is absent."""


class When(Strict):
    start: datetime = Field(description="ISO 8601 with the offset of the event's zone")
    end: datetime = Field(description="ISO 8601 with the offset of the event's zone")
    timezone: str = Field(description="IANA zone name, e.g. Europe/Rome", examples=["Europe/Rome"])


class ProjectRef(Strict):
    id: int
    slug: str
    name: str
    acronym: str
    url: Url


class VenueRef(Strict):
    id: int
    slug: str
    name: str
    city: str
    country: str = Field(description="ISO 3166-1 alpha-2")
    url: Url


class SpeakerRef(Strict):
    id: int
    slug: str
    name: str
    affiliation: str
    role: str
    url: Url


class EventLinks(Strict):
    page: Url
    ics: Url = Field(description="the event as iCalendar")
    programme_pdf: Url
    registration: Url | None = Field(
        description="the registration form (ours or the organiser's); null when none is needed"
    )


class EventSummary(Strict):
    id: int
    slug: str
    title: LocalizedText
    summary: LocalizedText
    kind: EventKind
    format: EventFormat
    status: Literal["scheduled", "cancelled"]
    language: str = Field(description="language the event is held in")
    when: When
    project: ProjectRef | None
    venue: VenueRef | None
    online: bool = Field(description="whether people can attend online")
    updated_at: datetime
    links: EventLinks


class Material(Strict):
    id: int
    kind: MaterialKind
    title: LocalizedText
    url: Url
    session_id: int | None


class ProgrammeItem(Strict):
    id: int
    title: LocalizedText
    description: LocalizedText = Field(description="Markdown")
    kind: SessionKind
    when: When
    room: str
    registrable: bool = Field(description="a part people register for separately")
    speakers: list[SpeakerRef]


class EventDetail(EventSummary):
    description: LocalizedText = Field(description="Markdown")
    registration_mode: Literal["required", "not_required", "external"]
    parts: list[ProgrammeItem] = Field(description="the parts people register for separately")
    programme: list[ProgrammeItem]
    materials: list[Material] = Field(description="public materials and recordings")


class Project(ProjectRef):
    programme: str
    description: str
    website: str
    starts_on: date | None
    ends_on: date | None
    status: ProjectStatus
    budget: str | None = Field(description="decimal amount in euro, as a string")
    priority: str
    funding: str
    partners: list[str]
    events_url: Url = Field(description="this project's events in the API")


class Venue(VenueRef):
    address: str
    postcode: str
    latitude: float | None
    longitude: float | None
    accessibility_notes: str
    map_url: Url = Field(description="OpenStreetMap")


class Speaker(SpeakerRef):
    bio: str


class PageLinks(Strict):
    self: Url
    first: Url
    last: Url
    prev: Url | None
    next: Url | None


class Page(Strict):
    page: int
    per_page: int
    total: int
    links: PageLinks


class EventList(Page):
    items: list[EventSummary]


class ProjectList(Page):
    items: list[Project]


class VenueList(Page):
    items: list[Venue]


class SpeakerList(Page):
    items: list[Speaker]


class Problem(Strict):
    """What went wrong, in the shape of RFC 9457 problem details."""

    status: int
    title: str
    detail: str | None = None
    errors: dict[str, list[str]] | None = Field(default=None, description="by parameter")


# --- queries --------------------------------------------------------------------


class PageQuery(BaseModel):
    # Parameters the API does not know (a `lang` for the site, say) are ignored.
    model_config = ConfigDict(extra="ignore")

    page: int = Field(default=1, ge=1, le=100000)
    per_page: int = Field(default=20, ge=1, le=100)


class EventQuery(PageQuery):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    when: Literal["upcoming", "past", "all"] = Field(
        default="upcoming",
        description="upcoming (not yet over), past, or all; from/to narrow further",
    )
    kind: EventKind | None = None
    format: EventFormat | None = None
    project: str | None = Field(default=None, max_length=120, description="project slug")
    venue: str | None = Field(default=None, max_length=120, description="venue slug")
    speaker: str | None = Field(default=None, max_length=120, description="speaker slug")
    from_: date | None = Field(default=None, alias="from",
                               description="events ending on or after this day")
    to: date | None = Field(default=None, description="events starting on or before this day")
    q: str | None = Field(default=None, max_length=200, description="words in title or summary")
    language: Language | None = Field(default=None, description="language the event is held in")

    @field_validator("q", "project", "venue", "speaker")
    @classmethod
    def _no_control_characters(cls, value: str | None) -> str | None:
        if value is not None and any(ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF for c in value):
            raise ValueError("control characters are not allowed")
        return value


class Registration(Strict):
    """One registration, with the columns of the CSV export."""

    id: int
    first_name: str
    last_name: str
    email: str
    organisation: str
    category: str
    country: str
    attendance_mode: str
    status: str
    waitlist_position: int | None
    parts: list[int] = Field(description="ids of the parts chosen")
    needs: str = Field(description="accessibility or dietary needs")
    newsletter_opt_in: bool
    registered_at: datetime
    checked_in_at: datetime | None
    cancelled_at: datetime | None
    answers: dict[str, str | bool | list[str] | None] = Field(
        description="answers to the event's own questions, by question label"
    )


class RegistrationList(Strict):
    event: EventSummary
    items: list[Registration]


class CheckIn(Strict):
    registration: Registration
    already_checked_in: bool


class CheckInRequest(Strict):
    token: str = Field(min_length=1, max_length=200, description="the token of the QR code")

