"""Exit 0 when the database has no events yet (so `make run` loads the demo), else 1."""
import sys

import sqlalchemy as sa

from app import create_app
from app.events.models import Event
from app.extensions import db

app = create_app()
with app.app_context():
    sys.exit(0 if db.session.scalar(sa.select(sa.func.count(Event.id))) == 0 else 1)
