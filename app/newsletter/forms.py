"""Forms of the newsletter: sign-up, preferences, campaigns."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.db import utcnow
from app.imports.forms import MappingForm

LANGUAGE_CHOICES = [("it", "Italiano"), ("en", "English")]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ValidEmail:
    """A deliverable-looking address in plain ASCII (no SMTPUTF8 needed to reach it)."""

    def __call__(self, form, field) -> None:
        try:
            result = validate_email(field.data or "", check_deliverability=False,
                                    allow_smtputf8=False)
        except EmailNotValidError as exc:
            raise ValidationError(_l("Enter a valid e-mail address.")) from exc
        field.data = result.normalized


def topic_choices():
    return [(code, label) for code, label in current_app.config["NEWSLETTER_TOPICS"]]


class SubscribeForm(FlaskForm):
    email = EmailField(_l("E-mail"), filters=[_strip],
                       validators=[DataRequired(), Length(max=254), ValidEmail()])
    name = StringField(_l("Name (optional)"), filters=[_strip], validators=[Length(max=200)])
    topics = MultiCheckboxField(_l("Topics"), validators=[Optional()])
    language = RadioField(_l("Language of the e-mails"), choices=LANGUAGE_CHOICES, default="it")
    consent = BooleanField(
        _l("I have read the privacy notice and agree to receive the newsletter."),
        validators=[DataRequired(_l("Please give your consent to receive the newsletter."))],
    )
    # Where the form was sent from (the home page block posts only e-mail and consent).
    source = HiddenField(default="form")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.topics.choices = topic_choices()


class PreferencesForm(FlaskForm):
    topics = MultiCheckboxField(_l("Topics"), validators=[Optional()])
    language = RadioField(_l("Language of the e-mails"), choices=LANGUAGE_CHOICES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.topics.choices = topic_choices()


class ConfirmForm(FlaskForm):
    """A button: confirming or leaving is a POST, so link scanners change nothing."""


class SendNowForm(FlaskForm):
    """Sending to every subscriber cannot be taken back: the organiser ticks a box first."""

    confirm = BooleanField(
        _l("I have checked the preview: send this issue now"),
        validators=[DataRequired(message=_l("Tick the box to confirm the sending."))],
    )


class CampaignForm(FlaskForm):
    subject = StringField(_l("Subject"), filters=[_strip],
                          validators=[DataRequired(), Length(max=200)])
    body_markdown = TextAreaField(
        _l("Text"), validators=[DataRequired(), Length(max=50_000)],
        description=_l("Markdown: **bold**, *italic*, [link](https://…), lists. HTML is removed."),
        render_kw={"rows": 12},
    )
    subject_en = StringField(_l("Subject in English"), filters=[_strip],
                             validators=[Optional(), Length(max=200)],
                             description=_l("Empty: English subscribers get the subject above."))
    body_markdown_en = TextAreaField(
        _l("Text in English"), validators=[Optional(), Length(max=50_000)],
        description=_l("Empty: English subscribers get the text above."), render_kw={"rows": 12},
    )
    featured_event_ids = MultiCheckboxField(_l("Featured upcoming events"), coerce=int,
                                            validators=[Optional()])
    target_topics = MultiCheckboxField(
        _l("Send to subscribers of these topics"), validators=[Optional()],
        description=_l("None ticked: every subscriber."),
    )
    target_language = SelectField(
        _l("Send to subscribers reading"),
        choices=[("", _l("Every language"))] + LANGUAGE_CHOICES,
    )
    language = SelectField(_l("Language of this issue"), choices=LANGUAGE_CHOICES)

    def __init__(self, *args, events=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.target_topics.choices = topic_choices()
        self.featured_event_ids.choices = [
            (e.id, f"{e.title} ({e.starts_at.astimezone(ZoneInfo(e.timezone)):%d/%m/%Y})")
            for e in events
        ]


class ScheduleForm(FlaskForm):
    when = DateTimeLocalField(
        _l("Send on (Europe/Rome time)"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()]
    )

    def validate_when(self, field) -> None:
        if field.data and self.aware() < utcnow():
            raise ValidationError(_l("Choose a date and time in the future."))

    def aware(self) -> datetime:
        tz = ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])
        return self.when.data.replace(tzinfo=tz)


class TestSendForm(FlaskForm):
    email = EmailField(_l("Send a test to"), filters=[_strip],
                       validators=[DataRequired(), Length(max=254), ValidEmail()])


class SubscriberImportForm(MappingForm):
    """The columns of an uploaded list of subscribers, and how to import them."""

    confirmed = BooleanField(
        _l("Import as already confirmed (no confirmation e-mail)"),
        description=_l("Administrators only, when these people have already confirmed elsewhere."))
    reason = StringField(_l("Why no confirmation e-mail is needed"), validators=[Optional(), Length(max=300)])
