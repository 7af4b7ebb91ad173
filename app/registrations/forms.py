"""Registration forms, built per event (its parts, modes and own questions)."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from babel import Locale
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _ln
from flask_babel import lazy_pgettext as _lp
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import (
    BooleanField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget, html_params

from app.events.models import Event
from app.i18n import current_language, format_short_day, format_time_range, tr
from app.imports.forms import MappingForm
from app.registrations import capacity
from app.registrations.models import AttendanceMode, Question, QuestionKind, RegistrationStatus
from app.registrations.services import AttendeeDetails

CATEGORIES = {
    "impresa": _l("Business"),
    "ente_formazione": _l("Training organisation"),
    "universita_ricerca": _l("University or research"),
    "parte_sociale": _l("Social partner"),
    "terzo_settore": _l("Third-sector organisation"),
    "pubblica_amministrazione": _l("Public administration"),
    "altro": _l("Other"),
}
MODES = {
    AttendanceMode.IN_PERSON: _l("In person"),
    AttendanceMode.ONLINE: _l("Online"),
}
STATUSES = {
    RegistrationStatus.CONFIRMED: _lp("registration", "Confirmed"),
    RegistrationStatus.WAITLISTED: _l("Waiting list"),
    RegistrationStatus.CANCELLED: _lp("registration", "Cancelled"),
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def category_choices() -> list[tuple[str, Any]]:
    """REGISTRATION_CATEGORIES (a list of keys or labels) or the default list."""
    configured = current_app.config["REGISTRATION_CATEGORIES"] or list(CATEGORIES)
    return [(c, CATEGORIES.get(c, c)) for c in configured]


def country_choices() -> list[tuple[str, str]]:
    return list(_countries(current_language()))


@lru_cache(maxsize=8)
def _countries(language: str) -> tuple[tuple[str, str], ...]:
    names = Locale.parse(language).territories
    codes = [c for c in names if len(c) == 2 and c.isalpha() and c not in ("ZZ", "EU", "EZ", "UN", "QO", "XA", "XB")]
    return tuple(sorted(((c, names[c]) for c in codes), key=lambda item: item[1]))


@lru_cache(maxsize=8)
def _country_options(language: str, placeholder: str) -> str:
    options = [f'<option value="">{escape(placeholder)}</option>']
    options += [f'<option value="{code}">{escape(name)}</option>' for code, name in _countries(language)]
    return "".join(options)


class CountrySelect:
    """A <select> of ~250 countries, its options rendered once per language (a page
    rendering them through WTForms widgets spent half its time on this list)."""

    def __call__(self, field, **kwargs) -> Markup:
        kwargs.setdefault("id", field.id)
        options = _country_options(current_language(), str(_l("Choose…")))
        if field.data and field.data.isalpha() and len(field.data) == 2:
            options = options.replace(f'<option value="{field.data}">',
                                      f'<option selected value="{field.data}">', 1)
        if field.flags.required:
            kwargs.setdefault("required", True)
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>{options}</select>")


def plain_name(form, field) -> None:
    value = field.data or ""
    if "<" in value or ">" in value or value.lstrip().startswith(FORMULA_START) or "://" in value:
        raise ValidationError(_l("Please write the name as plain text, without < > or a leading = + - @."))


def normalise_email(value: str) -> str:
    """The normalised address, lower-cased, or ValueError with a readable reason."""
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from exc


def valid_email(form, field) -> None:
    try:
        field.data = normalise_email((field.data or "").strip())
    except ValueError as exc:
        raise ValidationError(_l("Please enter a valid e-mail address.")) from exc


def part_label(part) -> str:
    when = f"{format_short_day(part.starts_at, part.event.timezone)}, {format_time_range(part.starts_at, part.ends_at, part.event.timezone)}"
    return f"{when} – {tr(part, 'title')}"


class RegistrationForm(FlaskForm):
    first_name = StringField(_l("First name"), validators=[DataRequired(), Length(max=100), plain_name])
    last_name = StringField(_l("Last name"), validators=[DataRequired(), Length(max=100), plain_name])
    email = StringField(_l("E-mail"), validators=[DataRequired(), Length(max=254), valid_email],
                        render_kw={"autocomplete": "email", "inputmode": "email"})
    organisation = StringField(_l("Organisation"), validators=[Optional(), Length(max=200)],
                               render_kw={"autocomplete": "organization"})
    category = SelectField(_l("Category"), validators=[DataRequired()])
    country = SelectField(_l("Country"), validators=[DataRequired()], default="IT", widget=CountrySelect())
    attendance_mode = RadioField(_l("How will you attend?"), validators=[InputRequired()])
    parts = MultiCheckboxField(_l("Which days or parts will you attend?"), coerce=int)
    needs = TextAreaField(_l("Accessibility or dietary needs"), validators=[Optional(), Length(max=2000)],
                          render_kw={"rows": 3})
    privacy_consent = BooleanField(_l("I have read the privacy notice and agree to the processing of my data for this event."),
                                   validators=[DataRequired(_l("Please accept the privacy notice to register."))])
    newsletter_opt_in = BooleanField(_l("Send me the newsletter (you will confirm by e-mail)."))
    # Honeypot: hidden from people, filled in by naive bots.
    website = StringField("Website", validators=[Optional(), Length(max=200)])

    def details(self, language: str) -> AttendeeDetails:
        return AttendeeDetails(
            first_name=self.first_name.data.strip(),
            last_name=self.last_name.data.strip(),
            email=self.email.data,
            organisation=(self.organisation.data or "").strip(),
            category=self.category.data or "",
            country=self.country.data or "",
            attendance_mode=AttendanceMode(self.attendance_mode.data),
            part_ids=list(self.parts.data or []),
            needs=(self.needs.data or "").strip(),
            consent=bool(self.privacy_consent and self.privacy_consent.data),
            newsletter_opt_in=bool(self.newsletter_opt_in and self.newsletter_opt_in.data),
            answers=self.answers(),
            answer_labels={str(q.id): q.label for q in getattr(self, "_questions", [])},
            language=language,
        )

    def answers(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for question in getattr(self, "_questions", []):
            value = getattr(self, question.field_name).data
            if question.kind == QuestionKind.YES_NO:
                value = {"yes": True, "no": False}.get(value)
            elif isinstance(value, str):
                value = value.strip()
            if value not in (None, "", []):
                out[str(question.id)] = value
        return out

    @property
    def question_fields(self):
        return [getattr(self, q.field_name) for q in getattr(self, "_questions", [])]


class OrganiserRegistrationForm(RegistrationForm):
    """The organiser adds or corrects a registration: no consent, an explicit override."""

    privacy_consent = None
    newsletter_opt_in = None
    website = None
    override = BooleanField(_l("Confirm even if there are no seats left"))


def _question_field(question: Question):
    validators = [InputRequired() if question.required else Optional()]
    label = question.label
    if question.kind == QuestionKind.TEXT:
        return TextAreaField(label, validators=[*validators, Length(max=1000)], render_kw={"rows": 2})
    if question.kind == QuestionKind.YES_NO:
        return RadioField(label, choices=[("yes", _l("Yes")), ("no", _l("No"))], validators=validators)
    choices = [(o, o) for o in question.option_list]
    if question.kind == QuestionKind.SINGLE:
        return RadioField(label, choices=choices, validators=validators)
    return MultiCheckboxField(
        label, choices=choices,
        validators=[DataRequired()] if question.required else [Optional()],
    )


def build_form(event: Event, questions: list[Question], *, organiser: bool = False,
               availability: capacity.Availability | None = None, **kwargs) -> RegistrationForm:
    base = OrganiserRegistrationForm if organiser else RegistrationForm
    attrs = {q.field_name: _question_field(q) for q in questions}
    form_cls = type("EventRegistrationForm", (base,), attrs)
    form = form_cls(**kwargs)
    form._questions = questions
    form.category.choices = [("", _l("Choose…"))] + category_choices()
    form.country.choices = [("", _l("Choose…"))] + country_choices()
    modes = capacity.modes_offered(event)
    parts = event.registrable_parts
    if availability is not None and not organiser:
        # Offer only what can still be had: parts whose registration is open and, without
        # a waiting list, the modes and parts with a seat left.
        parts = [p for p in parts if availability.part_open(p.id)]
        if not event.waitlist_enabled:
            part_ids = [p.id for p in parts] or [None]
            modes = [m for m in modes
                     if any(not availability.choice_full(m, pid) for pid in part_ids)] or modes
            parts = [p for p in parts
                     if any(not availability.choice_full(m, p.id) for m in modes)]
    form.attendance_mode.choices = [(m.value, _mode_label(m, availability, parts)) for m in modes]
    if len(modes) == 1:
        # Nothing to choose: the field is not shown and takes the only mode.
        form.attendance_mode.data = modes[0].value
        form.attendance_mode.validators = []
        form.attendance_mode.flags.required = False
    form.parts.choices = [(p.id, _part_label(p, availability, modes)) for p in parts]
    if form.parts.choices:
        # Checked with the other fields, so every mistake shows on the first try.
        form.parts.validators = [DataRequired(message=_l("Choose at least one part."))]
        form.parts.flags.required = True
    return form


def _left_text(left: int | None) -> str:
    if left is None:
        return ""
    if left == 0:
        return str(_l("full"))
    return str(_ln("%(num)d seat left", "%(num)d seats left", left))


def _mode_label(mode: AttendanceMode, availability, parts=()) -> str:
    label = str(MODES[mode])
    if availability is None or parts:
        return label  # with parts, what is left is shown per part
    text = _left_text(availability.seats_for(mode))
    return f"{label} – {text}" if text else label


def _part_label(part, availability, modes=()) -> str:
    label = part_label(part)
    if availability is None:
        return label
    bits = []
    for mode in modes:
        text = _left_text(availability.seats_for(mode, part.id))
        if text:
            bits.append(f"{str(MODES[mode]).lower()}: {text}" if len(modes) > 1 else text)
    return f"{label} – {', '.join(bits)}" if bits else label


def form_from_registration(reg) -> dict[str, Any]:
    """Initial data for the organiser's edit form."""
    data = {
        "first_name": reg.first_name,
        "last_name": reg.last_name,
        "email": reg.email,
        "organisation": reg.organisation,
        "category": reg.category,
        "country": reg.country,
        "attendance_mode": reg.attendance_mode.value,
        "parts": [p.id for p in reg.parts],
        "needs": reg.needs,
    }
    for key, value in (reg.answers or {}).items():
        if isinstance(value, bool):
            value = "yes" if value else "no"
        data[f"q_{key}"] = value
    return data


class QuestionForm(FlaskForm):
    label = StringField(_l("Question"), validators=[DataRequired(), Length(max=300)])
    kind = SelectField(_l("Kind of answer"), choices=[
        (QuestionKind.TEXT.value, _l("Text")),
        (QuestionKind.SINGLE.value, _l("One choice")),
        (QuestionKind.MULTIPLE.value, _l("Several choices")),
        (QuestionKind.YES_NO.value, _l("Yes or no")),
    ])
    options = TextAreaField(_l("Options, one per line"), validators=[Optional(), Length(max=3000)])
    required = BooleanField(_l("Required"))

    def validate_options(self, field) -> None:
        if self.kind.data in (QuestionKind.SINGLE.value, QuestionKind.MULTIPLE.value):
            if len([line for line in (field.data or "").splitlines() if line.strip()]) < 2:
                raise ValidationError(_l("Give at least two options, one per line."))


class MessageForm(FlaskForm):
    status = SelectField(_l("Send to"), choices=[
        ("", _l("Confirmed and waiting list")),
        (RegistrationStatus.CONFIRMED.value, _l("Confirmed only")),
        (RegistrationStatus.WAITLISTED.value, _l("Waiting list only")),
    ], validators=[Optional()])
    mode = SelectField(_l("Attendance"), choices=[
        ("", _l("In person and online")),
        (AttendanceMode.IN_PERSON.value, _l("In person only")),
        (AttendanceMode.ONLINE.value, _l("Online only")),
    ], validators=[Optional()])
    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=10000)],
                         render_kw={"rows": 8})


class ConfirmForm(FlaskForm):
    """An empty form: a POST carrying only the CSRF token."""


class RegistrationImportForm(MappingForm):
    """The columns of an uploaded list of registrants, and how to import them."""

    send_emails = BooleanField(_l("Send each imported person the usual e-mails"), default=True,
                               description=_l("Confirmation or waiting-list e-mail with the calendar invite."))
    override = BooleanField(_l("Confirm beyond capacity"),
                            description=_l("Everyone valid is confirmed even when no seats are left; recorded in the audit log."))
