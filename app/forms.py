"""Form helpers every capability shares: the base form that trims text, check-box lists,
choices, and the wall-clock <-> UTC conversion of datetime-local inputs."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectMultipleField, StringField, widgets

from app.errors import DomainError

try:  # WTForms 3.3 names choices; older versions take (value, label) pairs
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover
    SelectChoice = None

LANGUAGES = (("it", "Italiano"), ("en", "English"))


def to_utc(local: datetime | None, tz: str) -> datetime | None:
    """A naive wall-clock time in `tz` as an aware UTC instant."""
    if local is None:
        return None
    return local.replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)


def to_local(instant: datetime | None, tz: str) -> datetime | None:
    """An aware instant as the naive wall-clock time a datetime-local input shows."""
    if instant is None:
        return None
    return instant.astimezone(ZoneInfo(tz)).replace(tzinfo=None, second=0, microsecond=0)


def choice(value: Any, label: Any) -> Any:
    return SelectChoice(value, label) if SelectChoice else (value, label)


def enum_choices(mapping: dict) -> list[Any]:
    """Choices from an {enum member: label} mapping, valued by the members' strings."""
    return [choice(key.value, label) for key, label in mapping.items()]


class MultiCheckboxField(SelectMultipleField):
    """A list of check boxes: easier than a multiple select on a phone."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def strip_text(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class BaseForm(FlaskForm):
    class Meta:
        def bind_field(self, form, unbound_field, options):
            # Leading and trailing blanks never belong in a stored text (passwords aside).
            cls = unbound_field.field_class
            if issubclass(cls, StringField) and not issubclass(cls, PasswordField):
                filters = [strip_text, *unbound_field.kwargs.get("filters", ())]
                return unbound_field.bind(form=form, filters=filters, **options)
            return unbound_field.bind(form=form, **options)


def show_error(form: FlaskForm, exc: DomainError) -> None:
    """Put a refusal's message beside the field it names (or above the form)."""
    if exc.field and exc.field in form:
        form[exc.field].errors = [*form[exc.field].errors, exc.message]
    else:
        form.form_errors.append(exc.message)


def show_problems(form: FlaskForm, problems: list[tuple[str, Any]]) -> bool:
    """Put each (field, message) a rule found beside its field; True when there were none."""
    for field, message in problems:
        form[field].errors = [*form[field].errors, message]
    return not problems
