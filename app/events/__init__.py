"""The public event catalogue: list, event page."""
from flask import Blueprint

bp = Blueprint("events", __name__)


@bp.record_once
def _install_fast_path(state) -> None:
    from app.events.fastpath import install

    install(state.app)


from app.events import views  # noqa: E402,F401
