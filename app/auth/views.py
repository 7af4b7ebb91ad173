"""Login views (filled by the back-office work)."""
from app.auth import bp  # noqa: F401
