"""Every model, imported once so SQLAlchemy and Alembic see the whole schema."""
from app.audit import AuditEntry  # noqa: F401
from app.auth.models import Role, User  # noqa: F401
from app.calendars import models as _calendars  # noqa: F401
from app.events.models import (  # noqa: F401
    Event,
    EventFormat,
    EventKind,
    EventStatus,
    Material,
    MaterialKind,
    Project,
    Session,
    Speaker,
    Venue,
    Visibility,
)
from app.mail.models import OutboxMessage  # noqa: F401
from app.newsletter import models as _newsletter  # noqa: F401
from app.registrations.models import Registration  # noqa: F401
from app.reminders import models as _reminders  # noqa: F401
from app.scheduler import models as _scheduler  # noqa: F401
