"""The two steps every import shares: the upload, and the column mapping with its options."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import SelectField
from wtforms.validators import ValidationError

from app.forms import choice

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class UploadForm(FlaskForm):
    file = FileField(
        _l("List (CSV or XLSX, first row with the column names)"),
        validators=[
            FileRequired(_l("Choose a CSV or XLSX file.")),
            FileAllowed(["csv", "xlsx", "txt"], _l("Choose a CSV or XLSX file.")),
            FileSize(MAX_UPLOAD_BYTES, message=_l("The file is larger than 5 MB.")),
        ],
    )


class MappingForm(FlaskForm):
    """One select per field ("which column holds it?"); subclasses add their options."""

    field_names: list[str] = []

    def mapping(self) -> dict[str, str]:
        return {name: self[name].data for name in self.field_names if self[name].data}


def _required(label: Any):
    def check(form, field) -> None:
        if not field.data:
            raise ValidationError(_l("Choose the column that holds %(field)s.", field=label))
    return check


def mapping_form(base: type[MappingForm], fields: list[tuple[str, Any, bool, Any]],
                 header: list[str], guessed: dict[str, str], **kwargs: Any) -> MappingForm:
    """A `base` form with one select per (name, label, required, _) in `fields`."""
    choices = [choice("", _l("— not in the file —"))] + [choice(c, c) for c in header]

    class Form(base):
        pass

    for name, label, required, _words in fields:
        setattr(Form, name, SelectField(label, choices=choices, default=guessed.get(name, ""),
                                        validators=[_required(label)] if required else []))
    Form.field_names = [f[0] for f in fields]
    return Form(**kwargs)

