"""Back-office forms for events, their programme and shared records.

Dates and times are typed in the event's own time zone (datetime-local inputs) and
handed to the operations as aware UTC instants.
"""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    EmailField,
    FloatField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
    ValidationError,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from app.events import operations as ops
from app.events.labels import (
    EVENT_FORMATS,
    EVENT_KINDS,
    MATERIAL_KINDS,
    PROJECT_STATUSES,
    SESSION_KINDS,
)
from app.events.models import (
    EventFormat,
    EventKind,
    MaterialKind,
    ProjectStatus,
    RegistrationMode,
    SessionKind,
    Visibility,
)
from app.events.operations import SLUG_RE, is_http_url
from app.forms import (
    LANGUAGES,
    BaseForm,
    MultiCheckboxField,
    choice,
    enum_choices,
    show_problems,
    to_local,
    to_utc,
)

DEFAULT_TIMEZONE = "Europe/Rome"
# The zones of the partners of Mediterranean cooperation projects, plus a few more.
COMMON_TIMEZONES = (
    "Europe/Rome", "Europe/Athens", "Europe/Belgrade", "Europe/Berlin", "Europe/Brussels",
    "Europe/Istanbul", "Europe/Lisbon", "Europe/Ljubljana", "Europe/London", "Europe/Madrid",
    "Europe/Malta", "Europe/Paris", "Europe/Podgorica", "Europe/Sarajevo", "Europe/Tirane",
    "Europe/Vienna", "Europe/Zagreb", "Asia/Nicosia", "Asia/Amman", "Asia/Beirut",
    "Asia/Hebron", "Asia/Jerusalem", "Africa/Algiers", "Africa/Cairo", "Africa/Casablanca",
    "Africa/Tunis", "America/New_York", "UTC",
)
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]
REGISTRATION_MODES = {
    RegistrationMode.REQUIRED: _l("Registration required (on this site)"),
    RegistrationMode.NOT_REQUIRED: _l("No registration needed"),
    RegistrationMode.EXTERNAL: _l("Registration on another website"),
}
VISIBILITIES = {
    Visibility.PUBLIC: _l("Everyone"),
    Visibility.REGISTRANTS: _l("Registered attendees only"),
}


class HttpUrl:
    """Only http:// and https:// addresses (no javascript:, data:, ftp:)."""

    def __call__(self, form, field) -> None:
        if field.data and not is_http_url(field.data.strip()):
            raise ValidationError(_l("Enter a web address starting with http:// or https://."))


def _datetime_field(label, required: bool = True, description=None) -> DateTimeLocalField:
    validators = [InputRequired()] if required else [Optional()]
    return DateTimeLocalField(label, validators=validators, format=DATETIME_FORMATS,
                              description=description)


def _capacity_field(label, description=None) -> IntegerField:
    return IntegerField(label, validators=[Optional(), NumberRange(min=0, max=1_000_000)],
                        description=description)


def english(form: BaseForm, *names: str) -> dict[str, str]:
    """The optional English versions, blank ones stored as empty (the original shows)."""
    return {name: (getattr(form, name).data or "").strip() for name in names}


class EventForm(BaseForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    slug = StringField(
        _l("Web address"),
        validators=[Optional(), Length(max=120),
                    Regexp(SLUG_RE, message=_l("Use lower-case letters, digits and hyphens only "
                                               "(e.g. final-conference-venice)."))],
        description=_l("The last part of the page address; left empty, it is made from the "
                       "title. Changing it breaks links already shared."),
    )
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=600)],
                            description=_l("One or two sentences for lists and previews."))
    description = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=50_000)],
        description=_l("Markdown: **bold**, *italic*, lists with -, links as [text](https://…)."),
        render_kw={"rows": 10},
    )
    # The English version (optional): English visitors, feeds, PDFs and e-mails get it.
    title_en = StringField(_l("Title in English"), validators=[Optional(), Length(max=300)],
                           description=_l("Empty: English visitors see the title above."))
    summary_en = TextAreaField(_l("Summary in English"), validators=[Optional(), Length(max=600)])
    description_en = TextAreaField(_l("Description in English"),
                                   validators=[Optional(), Length(max=50_000)],
                                   description=_l("Markdown allowed."), render_kw={"rows": 10})
    kind = SelectField(_l("Kind"), choices=enum_choices(EVENT_KINDS), default=EventKind.CONFERENCE.value)
    format = SelectField(_l("Format"), choices=enum_choices(EVENT_FORMATS),
                         default=EventFormat.IN_PERSON.value)
    language = SelectField(_l("Language of the event"), choices=[choice(*lang) for lang in LANGUAGES], default="it")
    timezone = SelectField(_l("Time zone"), choices=[choice(z, z) for z in COMMON_TIMEZONES],
                           default=DEFAULT_TIMEZONE,
                           description=_l("Dates and times below are in this time zone."))
    starts_at = _datetime_field(_l("Starts"))
    ends_at = _datetime_field(_l("Ends"))
    venue_id = SelectField(_l("Venue"), coerce=int, default=0)
    project_id = SelectField(_l("Project"), coerce=int, default=0)
    organisers = MultiCheckboxField(_l("Organisers"), coerce=int, default=[])

    contact_name = StringField(_l("Contact office or person"), validators=[Length(max=200)])
    contact_email = EmailField(_l("Contact e-mail"), validators=[Optional(), Email(), Length(max=254)])
    contact_phone = StringField(_l("Contact phone"), validators=[Length(max=100)])
    contact_notes = TextAreaField(_l("Address and opening hours"),
                                  validators=[Optional(), Length(max=2000)])

    online_join_url = URLField(
        _l("Link to join online"), validators=[Optional(), Length(max=500), HttpUrl()],
        description=_l("Private: only confirmed online attendees ever see it."),
    )
    registration_mode = SelectField(_l("Registration"), choices=enum_choices(REGISTRATION_MODES),
                                    default=RegistrationMode.REQUIRED.value)
    registration_url = URLField(_l("External registration page"),
                                validators=[Optional(), Length(max=500), HttpUrl()])
    registration_opens_at = _datetime_field(_l("Registration opens"), required=False,
                                            description=_l("Empty: open as soon as published."))
    registration_closes_at = _datetime_field(_l("Registration closes"), required=False,
                                             description=_l("Empty: open until the event ends."))
    capacity = _capacity_field(_l("Places in total"), _l("Empty: unlimited."))
    capacity_in_person = _capacity_field(_l("Places in the room"))
    capacity_online = _capacity_field(_l("Places online"))
    waitlist_enabled = BooleanField(_l("Waiting list when full"), default=True)
    reminder_hours_before = IntegerField(
        _l("Reminder (hours before the start)"), default=24,
        validators=[InputRequired(), NumberRange(min=0, max=720)],
    )
    email_note = TextAreaField(
        _l("Note for the e-mails (Italian)"), validators=[Optional(), Length(max=500)],
        description=_l("A short practical note added to the confirmation and reminder e-mails, "
                       "e.g. “bring an ID for the entrance”."),
        render_kw={"rows": 2},
    )
    email_note_en = TextAreaField(
        _l("Note for the e-mails (English)"), validators=[Optional(), Length(max=500)],
        description=_l("For registrants who use the site in English; empty: they read the "
                       "Italian note."),
        render_kw={"rows": 2},
    )

    def __init__(self, *args, venues=(), projects=(), users=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.venue_id.choices = [choice(0, _l("— none —"))] + [
            choice(v.id, v.one_line) for v in venues
        ]
        self.project_id.choices = [choice(0, _l("— none —"))] + [
            choice(p.id, p.acronym or p.name) for p in projects
        ]
        if users is None:
            del self.organisers
        else:
            self.organisers.choices = [choice(u.id, f"{u.name} <{u.email}>") for u in users]

    @classmethod
    def for_event(cls, event, **kwargs) -> EventForm:
        form = cls(obj=event, **kwargs)
        if not form.is_submitted():
            for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
                getattr(form, name).data = to_local(getattr(event, name), event.timezone)
            for name in ("kind", "format", "registration_mode"):
                getattr(form, name).data = getattr(event, name).value
            form.venue_id.data = event.venue_id or 0
            form.project_id.data = event.project_id or 0
            if "organisers" in form:
                form.organisers.data = [u.id for u in event.organisers]
        return form

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        # The operation's own rules, shown all at once beside their fields. The times
        # are compared as typed: all of them are in the event's time zone.
        problems = ops.event_time_problems(
            self.starts_at.data, self.ends_at.data,
            self.registration_opens_at.data, self.registration_closes_at.data,
        ) + ops.registration_mode_problems(self.registration_mode.data, self.registration_url.data)
        return show_problems(self, problems) and ok

    def values(self) -> dict[str, Any]:
        """The typed values for app.events.operations (times in UTC)."""
        tz = self.timezone.data
        return {
            "title": self.title.data,
            "slug": self.slug.data or "",
            "summary": self.summary.data or "",
            "description": self.description.data or "",
            **english(self, "title_en", "summary_en", "description_en"),
            "kind": EventKind(self.kind.data),
            "format": EventFormat(self.format.data),
            "language": self.language.data,
            "timezone": tz,
            "starts_at": to_utc(self.starts_at.data, tz),
            "ends_at": to_utc(self.ends_at.data, tz),
            "venue_id": self.venue_id.data or None,
            "project_id": self.project_id.data or None,
            "contact_name": self.contact_name.data or "",
            "contact_email": (self.contact_email.data or "").lower(),
            "contact_phone": self.contact_phone.data or "",
            "contact_notes": self.contact_notes.data or "",
            "online_join_url": self.online_join_url.data or "",
            "registration_mode": RegistrationMode(self.registration_mode.data),
            "registration_url": self.registration_url.data or "",
            "registration_opens_at": to_utc(self.registration_opens_at.data, tz),
            "registration_closes_at": to_utc(self.registration_closes_at.data, tz),
            "capacity": self.capacity.data,
            "capacity_in_person": self.capacity_in_person.data,
            "capacity_online": self.capacity_online.data,
            "waitlist_enabled": bool(self.waitlist_enabled.data),
            "reminder_hours_before": self.reminder_hours_before.data,
            "email_note": (self.email_note.data or "").strip(),
            "email_note_en": (self.email_note_en.data or "").strip(),
        }


class CancelEventForm(BaseForm):
    reason = TextAreaField(
        _l("Reason for the cancellation"), validators=[DataRequired(), Length(max=1000)],
        description=_l("Shown on the event page and in the e-mail to registered people."),
        render_kw={"rows": 3},
    )


class SessionForm(BaseForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    kind = SelectField(_l("Kind"), choices=enum_choices(SESSION_KINDS), default=SessionKind.TALK.value)
    starts_at = _datetime_field(_l("Starts"))
    ends_at = _datetime_field(_l("Ends"))
    room = StringField(_l("Room"), validators=[Length(max=120)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20_000)],
                                description=_l("Markdown allowed."))
    title_en = StringField(_l("Title in English"), validators=[Optional(), Length(max=300)],
                           description=_l("Empty: English visitors see the title above."))
    description_en = TextAreaField(_l("Description in English"),
                                   validators=[Optional(), Length(max=20_000)],
                                   description=_l("Markdown allowed."))
    registrable = BooleanField(
        _l("People register for this part separately"),
        description=_l("For multi-day events where people attend one day or more."),
    )
    capacity = _capacity_field(_l("Places for this part"), _l("Empty: unlimited."))
    capacity_in_person = _capacity_field(_l("Places in the room for this part"),
                                         _l("Empty: unlimited."))
    capacity_online = _capacity_field(_l("Places online for this part"), _l("Empty: unlimited."))
    registration_closes_at = _datetime_field(
        _l("Registration for this part closes"), required=False,
        description=_l("Empty: when the part starts."))
    speakers = MultiCheckboxField(_l("Speakers"), coerce=int, default=[])

    def __init__(self, *args, event, speakers=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.event = event
        self.speakers.choices = [
            choice(s.id, f"{s.name} ({s.affiliation})" if s.affiliation else s.name)
            for s in speakers
        ]

    @classmethod
    def for_session(cls, session, **kwargs) -> SessionForm:
        form = cls(obj=session, event=session.event, **kwargs)
        if not form.is_submitted():
            tz = session.event.timezone
            form.starts_at.data = to_local(session.starts_at, tz)
            form.ends_at.data = to_local(session.ends_at, tz)
            form.registration_closes_at.data = to_local(session.registration_closes_at, tz)
            form.kind.data = session.kind.value
            form.speakers.data = [s.id for s in session.speakers]
        return form

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        s, e = self.starts_at.data, self.ends_at.data
        if not (s and e):
            return ok
        tz = self.event.timezone
        problems = ops.session_time_problems(self.event, to_utc(s, tz), to_utc(e, tz))
        return show_problems(self, problems) and ok

    def values(self) -> dict[str, Any]:
        tz = self.event.timezone
        return {
            "title": self.title.data,
            "kind": SessionKind(self.kind.data),
            "starts_at": to_utc(self.starts_at.data, tz),
            "ends_at": to_utc(self.ends_at.data, tz),
            "room": self.room.data or "",
            "description": self.description.data or "",
            **english(self, "title_en", "description_en"),
            "registrable": bool(self.registrable.data),
            "capacity": self.capacity.data,
            "capacity_in_person": self.capacity_in_person.data,
            "capacity_online": self.capacity_online.data,
            "registration_closes_at": to_utc(self.registration_closes_at.data, tz),
        }


class MaterialForm(BaseForm):
    kind = SelectField(_l("Kind"), choices=enum_choices(MATERIAL_KINDS),
                       default=MaterialKind.RECORDING.value)
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    title_en = StringField(_l("Title in English"), validators=[Optional(), Length(max=300)],
                           description=_l("Empty: English visitors see the title above."))
    url = URLField(_l("Web address"), validators=[Optional(), Length(max=500), HttpUrl()],
                   description=_l("A link, e.g. the recording; leave it empty when you choose a file."))
    file = FileField(_l("File"), description=_l(
        "PDF, PowerPoint or Impress, Word or Writer, pictures or ZIP. A new file replaces "
        "the current one at the same address."))
    visibility = SelectField(_l("Who can see it"), choices=enum_choices(VISIBILITIES),
                             default=Visibility.PUBLIC.value)
    session_id = SelectField(_l("Session"), coerce=int, default=0)

    def __init__(self, *args, event, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.session_id.choices = [choice(0, _l("— the whole event —"))] + [
            choice(s.id, s.title) for s in event.sessions
        ]

    def values(self) -> dict[str, Any]:
        return {
            "kind": MaterialKind(self.kind.data),
            "title": self.title.data,
            **english(self, "title_en"),
            "url": self.url.data,
            "visibility": Visibility(self.visibility.data),
            "session_id": self.session_id.data or None,
        }


class PictureForm(BaseForm):
    picture = FileField(_l("Picture"), validators=[FileRequired(_l("Choose a picture."))],
                        description=_l("PNG, JPEG, GIF or WebP. Saved again without its "
                                       "metadata (camera, place) and in smaller sizes."))
    alt = StringField(_l("Description for people who cannot see it"),
                      validators=[Length(max=300)])


class VenueForm(BaseForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    address = StringField(_l("Address"), validators=[Length(max=300)])
    postcode = StringField(_l("Postcode"), validators=[Length(max=20)])
    city = StringField(_l("City"), validators=[Length(max=120)])
    country = StringField(
        _l("Country code"), default="IT",
        validators=[DataRequired(), Regexp(r"^[A-Za-z]{2}$",
                                           message=_l("Two letters, e.g. IT, FR, BE."))],
        filters=[lambda v: v.upper() if isinstance(v, str) else v],
    )
    latitude = FloatField(_l("Latitude"), validators=[Optional(), NumberRange(min=-90, max=90)])
    longitude = FloatField(_l("Longitude"),
                           validators=[Optional(), NumberRange(min=-180, max=180)])
    accessibility_notes = TextAreaField(
        _l("Accessibility"), validators=[Optional(), Length(max=2000)],
        description=_l("Step-free access, lifts, accessible toilets, hearing loops: shown on "
                       "the venue's public page."),
    )
    name_en = StringField(_l("Name in English"), validators=[Optional(), Length(max=200)],
                          description=_l("Empty: English visitors see the name above."))
    accessibility_notes_en = TextAreaField(_l("Accessibility in English"),
                                           validators=[Optional(), Length(max=2000)])

    def values(self) -> dict[str, Any]:
        texts = ("name", "address", "postcode", "city", "country", "accessibility_notes",
                 "name_en", "accessibility_notes_en")
        values: dict[str, Any] = {name: getattr(self, name).data or "" for name in texts}
        values["latitude"] = self.latitude.data
        values["longitude"] = self.longitude.data
        return values


class ProjectForm(BaseForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    acronym = StringField(_l("Acronym"), validators=[Length(max=60)])
    slug = StringField(
        _l("Web address"),
        validators=[Optional(), Length(max=120),
                    Regexp(SLUG_RE, message=_l("Use lower-case letters, digits and hyphens only "
                                               "(e.g. final-conference-venice)."))],
        description=_l("Left empty, it is made from the acronym or the name."),
    )
    programme = StringField(_l("Cooperation programme"), validators=[Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=50_000)],
                                description=_l("Markdown allowed."), render_kw={"rows": 8})
    name_en = StringField(_l("Name in English"), validators=[Optional(), Length(max=200)],
                          description=_l("Empty: English visitors see the name above."))
    description_en = TextAreaField(_l("Description in English"),
                                   validators=[Optional(), Length(max=50_000)],
                                   description=_l("Markdown allowed."), render_kw={"rows": 8})
    website = URLField(_l("Website"), validators=[Optional(), Length(max=500), HttpUrl()])
    starts_on = DateField(_l("Start date"), validators=[Optional()])
    ends_on = DateField(_l("End date"), validators=[Optional()])
    budget = DecimalField(_l("Budget (euro)"), places=2,
                          validators=[Optional(), NumberRange(min=0, max=10**12 - 1)])
    priority = StringField(
        _l("Programme priority"), validators=[Optional(), Length(max=300)],
        description=_l("As the programme names it, e.g. “Priority axis 1: innovation”."),
    )
    funding = TextAreaField(_l("Funding"), validators=[Optional(), Length(max=5000)])
    partners = TextAreaField(_l("Partners"), validators=[Optional(), Length(max=10_000)],
                             description=_l("One partner per line."))
    status = SelectField(_l("Status"), choices=enum_choices(PROJECT_STATUSES),
                         default=ProjectStatus.ONGOING.value)

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        return show_problems(self, ops.period_problems(self.starts_on.data, self.ends_on.data)) and ok

    def values(self) -> dict[str, Any]:
        return {
            "name": self.name.data, "acronym": self.acronym.data or "",
            "slug": self.slug.data or "", "programme": self.programme.data or "",
            "description": self.description.data or "", "website": self.website.data or "",
            **english(self, "name_en", "description_en"),
            "starts_on": self.starts_on.data, "ends_on": self.ends_on.data,
            "budget": self.budget.data, "funding": self.funding.data or "",
            "priority": self.priority.data or "",
            "partners": self.partners.data or "", "status": ProjectStatus(self.status.data),
        }


class SpeakerForm(BaseForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    affiliation = StringField(_l("Organisation"), validators=[Length(max=300)])
    role = StringField(_l("Role"), validators=[Length(max=200)])
    bio = TextAreaField(_l("Short biography"), validators=[Optional(), Length(max=5000)])

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name).data or "" for name in ("name", "affiliation", "role",
                                                                   "bio")}
