"""What the import pages of every capability share: finding the upload again."""
from __future__ import annotations

from flask import current_app, flash
from flask_babel import gettext as _
from flask_login import current_user

from app.imports.models import StagedImport
from app.imports.services import staged_for


def staged_or_flash(staged_id: int, *, kind: str, event_id: int | None = None) -> StagedImport | None:
    """The signed-in person's upload, or None with a message saying to upload again."""
    staged = staged_for(staged_id, kind=kind, user=current_user, event_id=event_id)
    if staged is None:
        flash(_("That upload is no longer available (it expires after %(minutes)s minutes): "
                "upload the file again.", minutes=current_app.config["IMPORT_STAGING_MINUTES"]),
              "warning")
    return staged
