"""The search form of the event list: a GET form, so no CSRF token."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SearchField, SelectField
from wtforms.validators import Length, Optional

from app.events.labels import EVENT_KINDS


class EventFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField(
        _l("Search in titles and descriptions"),
        validators=[Optional(), Length(max=200)],
        render_kw={"maxlength": 200, "autocomplete": "off"},
    )
    kind = SelectField(_l("Type"), choices=[], validators=[Optional()])
    project = SelectField(_l("Project"), choices=[], validators=[Optional()])
    when = HiddenField()

    def fill_choices(self, projects) -> None:
        self.kind.choices = [("", _l("All types"))] + [(k.value, v) for k, v in EVENT_KINDS.items()]
        self.project.choices = [("", _l("All projects"))] + [
            (p.slug, p.acronym or p.name) for p in projects
        ]
