"""Configuration: defaults for the embedded set-up, secrets and services from the environment."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask_babel import lazy_gettext as _l

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once into instance/."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    INSTANCE.mkdir(exist_ok=True)
    path = INSTANCE / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE / 'eventi.db'}"
    # Accept the postgres:// and postgresql:// spellings and use the psycopg 3 driver.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix):]
    return url


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(name: str) -> list[str]:
    return [part for part in os.environ.get(name, "").replace(",", " ").split() if part]


class Config:
    SECRET_KEY = None  # filled lazily in create_app so tests never touch instance/
    # Former keys, still accepted to read sessions and signed values (newest first):
    # rotate SECRET_KEY without logging everyone out (docs/operations.md).
    SECRET_KEY_FALLBACKS = _list("SECRET_KEY_FALLBACKS")
    SQLALCHEMY_DATABASE_URI = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}

    SITE_NAME = os.environ.get("SITE_NAME", "Eventi")
    ORGANISATION_NAME = os.environ.get(
        "ORGANISATION_NAME", "Camera di Commercio di Treviso-Belluno"
    )
    # Public base URL used in e-mails, feeds and QR codes (no trailing slash).
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    # Domain for iCalendar UIDs and Message-IDs.
    UID_DOMAIN = os.environ.get("UID_DOMAIN", "eventi.local")

    LANGUAGES = ("it", "en")
    BABEL_DEFAULT_LOCALE = "it"
    BABEL_DEFAULT_TIMEZONE = "Europe/Rome"
    DEFAULT_TIMEZONE = "Europe/Rome"

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_ENABLED = True
    # Shared cache for rendered pages and feeds; empty = per-process memory.
    CACHE_REDIS_URL = os.environ.get("CACHE_REDIS_URL", "")
    # Without CACHE_REDIS_URL: bytes each process's own cache may hold (pages, feeds, feed fragments).
    CACHE_MEMORY_MAX_BYTES = 64 * 1024 * 1024

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _bool("MAIL_USE_SSL")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Eventi <eventi@localhost>")
    # The outbox's retry policy (app/mail/retry.py): waits of 1, 2, 4... minutes up to
    # 6 hours after a temporary failure, and at most this many attempts.
    MAIL_MAX_ATTEMPTS = int(os.environ.get("MAIL_MAX_ATTEMPTS", "8"))
    MAIL_RETRY_BASE_SECONDS = 60
    MAIL_RETRY_MAX_SECONDS = 6 * 3600
    # Seconds to wait for the SMTP server before giving up on a connection or command.
    MAIL_TIMEOUT = 30
    # The name this host gives in EHLO; empty = UID_DOMAIN.
    MAIL_LOCAL_HOSTNAME = ""
    # PostgreSQL: commit the outbox "sent" marks without waiting for the WAL flush.
    MAIL_ASYNC_COMMIT = False
    # Delivery runs side by side in one outbox job, each claiming its own rows (SKIP
    # LOCKED on PostgreSQL); SQLite has one writer, so there one sender runs.
    MAIL_SENDERS = int(os.environ.get("MAIL_SENDERS", "2"))

    # Bodies larger than this are refused with a 413 page (16 MiB); nginx's
    # client_max_body_size must match.
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", str(16 * 1024 * 1024)))
    # Uploaded files: the largest accepted per family, in MB. Upload pages accept bodies up
    # to the largest plus 1 MB whatever MAX_CONTENT_LENGTH says (nginx must allow as much).
    UPLOAD_MAX_MB = {
        "document": float(os.environ.get("UPLOAD_MAX_MB_DOCUMENT", "20")),
        "image": float(os.environ.get("UPLOAD_MAX_MB_IMAGE", "10")),
        "archive": float(os.environ.get("UPLOAD_MAX_MB_ARCHIVE", "40")),
    }
    # Pictures larger than this many pixels are refused before decoding (decompression bombs).
    PICTURE_MAX_PIXELS = int(os.environ.get("PICTURE_MAX_PIXELS", str(40_000_000)))
    # Where new files go: "database" (bytes in the database, any number of hosts) or "s3".
    STORAGE_BACKEND = os.environ.get("STORAGE_BACKEND", "database")
    # Database backend: the size of one stored (and streamed) chunk, in KB.
    STORAGE_DB_CHUNK_KB = int(os.environ.get("STORAGE_DB_CHUNK_KB", "1024"))
    # S3-compatible store (AWS S3, MinIO, Ceph RGW): endpoint (empty = AWS), bucket, region, keys.
    STORAGE_S3_ENDPOINT = os.environ.get("STORAGE_S3_ENDPOINT", "")
    STORAGE_S3_BUCKET = os.environ.get("STORAGE_S3_BUCKET", "")
    STORAGE_S3_REGION = os.environ.get("STORAGE_S3_REGION", "us-east-1")
    STORAGE_S3_ACCESS_KEY = os.environ.get("STORAGE_S3_ACCESS_KEY", "")
    STORAGE_S3_SECRET_KEY = os.environ.get("STORAGE_S3_SECRET_KEY", "")
    # Object names start with this (several sites may share a bucket).
    STORAGE_S3_PREFIX = os.environ.get("STORAGE_S3_PREFIX", "eventi/")
    # "path" for MinIO and Ceph without wildcard DNS; "virtual" or "auto" for AWS.
    STORAGE_S3_ADDRESSING = os.environ.get("STORAGE_S3_ADDRESSING", "path")
    # Downloads redirect to a signed address of the store (True) or stream through the app.
    STORAGE_S3_SIGNED_URLS = _bool("STORAGE_S3_SIGNED_URLS", True)
    # How long a signed download address works, in seconds.
    STORAGE_S3_URL_SECONDS = int(os.environ.get("STORAGE_S3_URL_SECONDS", "300"))
    # Stored files nothing refers to are deleted once unused for this many hours.
    FILES_ORPHAN_GRACE_HOURS = float(os.environ.get("FILES_ORPHAN_GRACE_HOURS", "24"))
    # Back-office sessions end after this many hours without a request.
    ADMIN_SESSION_HOURS = float(os.environ.get("ADMIN_SESSION_HOURS", "12"))
    # Strict-Transport-Security max-age; 0 sends none (set it once the site is HTTPS-only).
    HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", "0"))
    # Hosts (besides this site) that Markdown images may come from, comma-separated.
    CONTENT_IMAGE_HOSTS = tuple(
        h.strip().lower() for h in os.environ.get("CONTENT_IMAGE_HOSTS", "").split(",") if h.strip()
    )

    REGISTRATION_RETENTION_DAYS = int(os.environ.get("REGISTRATION_RETENTION_DAYS", "365"))
    # Sent (and failed) outbox e-mails are deleted this long after their last attempt.
    OUTBOX_RETENTION_DAYS = int(os.environ.get("OUTBOX_RETENTION_DAYS", "90"))
    PRIVACY_TEXT_VERSION = os.environ.get("PRIVACY_TEXT_VERSION", "2026-01")

    # An uploaded import file waits this long between preview and confirmation; then
    # its staged rows (names and addresses) are deleted.
    IMPORT_STAGING_MINUTES = 60
    # Most data rows one import file may hold (registrants or subscribers). The import
    # runs inside the request (~20-50 ms per registrant, ~20 ms per subscriber), so
    # this keeps it well within the workers' 30 s timeout; longer lists are split.
    IMPORT_MAX_ROWS = 300

    # Registration categories offered on the form (keys or labels); empty = the built-in list.
    REGISTRATION_CATEGORIES: list = []
    # PostgreSQL: how long a registration waits for the event's seat locks before the
    # person is told "many people are registering, try again" (milliseconds).
    REGISTRATION_LOCK_TIMEOUT_MS = 5000
    # How often one address may send the public registration form (Flask-Limiter syntax).
    REGISTRATION_RATE_LIMIT = "10 per minute"
    FEEDBACK_RATE_LIMIT = "20 per hour"  # "Was this page useful?" answers per client address

    EVENTS_PER_PAGE = 20
    # Serve anonymous event pages and the catalogue from the shared page cache.
    EVENT_PAGE_CACHE = True
    # Flask-Login's remember-me cookie: its presence means "maybe signed in", never cached.
    REMEMBER_COOKIE_NAME = "remember_token"

    # The scheduler process: how long its lease lasts, how often a standby looks at it,
    # and how late a missed run may still start.
    SCHEDULER_LEASE_SECONDS = 20
    SCHEDULER_POLL_SECONDS = 5
    SCHEDULER_MISFIRE_GRACE_SECONDS = 30

    # (code, label): codes are stored, labels shown; drawn from the seed pages.
    NEWSLETTER_TOPICS = [
        ("events", _l("Events and webinars")),
        ("funding", _l("Funding calls")),
        ("eu-projects", _l("EU projects")),
        ("social-innovation", _l("Social innovation")),
    ]
    NEWSLETTER_CONFIRM_DAYS = 7
    # Messages per second for campaigns; 0 = as fast as the SMTP server takes them.
    NEWSLETTER_RATE_PER_SECOND = 20.0
    NEWSLETTER_BATCH_SIZE = 50
    # A claimed batch is given back to the queue when its sender vanished for this long.
    NEWSLETTER_CLAIM_SECONDS = 300
    NEWSLETTER_MAX_ATTEMPTS = 8
    # The campaigns' retry policy, the same rule as the outbox's (app/mail/retry.py).
    NEWSLETTER_RETRY_BASE_SECONDS = 60
    NEWSLETTER_RETRY_MAX_SECONDS = 6 * 3600
    # Consecutive permanent refusals after which a subscriber is marked bouncing.
    NEWSLETTER_BOUNCE_THRESHOLD = 3
    # How long one run of the sending job may go on before handing back to the scheduler.
    NEWSLETTER_SEND_BUDGET_SECONDS = 50
    # PostgreSQL: commit the "sent" marks without waiting for the WAL flush (faster on
    # slow disks; a database-server crash could then forget the last ~0.6 s of marks).
    NEWSLETTER_ASYNC_COMMIT = False
    # SMTP connections sending a campaign side by side, each claiming its own rows (1 on SQLite).
    NEWSLETTER_SMTP_CONNECTIONS = 2
    # APScheduler CronTrigger fields for the upcoming-events digest.
    NEWSLETTER_DIGEST_CRON = {"day_of_week": "mon", "hour": 9, "minute": 0,
                              "timezone": "Europe/Rome"}
    NEWSLETTER_DIGEST_WEEKS = 4
    # False: the digest waits as a draft for an organiser to approve it.
    NEWSLETTER_DIGEST_AUTO_SEND = False
    NEWSLETTER_NAME = "La Camera Informa"

    # Behind proxies: how many set each X-Forwarded-* header (0 = not behind a proxy).
    PROXY_FIX_X_FOR = int(os.environ.get("PROXY_FIX_X_FOR", "0"))
    PROXY_FIX_X_PROTO = int(os.environ.get("PROXY_FIX_X_PROTO", "0"))
    PROXY_FIX_X_HOST = int(os.environ.get("PROXY_FIX_X_HOST", "0"))
    PROXY_FIX_X_PORT = int(os.environ.get("PROXY_FIX_X_PORT", "0"))
    PROXY_FIX_X_PREFIX = int(os.environ.get("PROXY_FIX_X_PREFIX", "0"))
    # Logs: "text" or "json"; one line per request unless LOG_REQUESTS is off.
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    # Who may read /metrics (addresses or networks, after PROXY_FIX_X_FOR).
    METRICS_ALLOWED_NETWORKS = os.environ.get("METRICS_ALLOWED_NETWORKS", "127.0.0.1/32,::1/128")
    # Seconds a client is asked to wait when the database is unreachable (503).
    DB_UNAVAILABLE_RETRY_AFTER = int(os.environ.get("DB_UNAVAILABLE_RETRY_AFTER", "5"))
    # Online attendees see the join link until the part ends plus this many minutes.
    JOIN_LINK_GRACE_MINUTES = int(os.environ.get("JOIN_LINK_GRACE_MINUTES", "60"))
    # Check-in at the door opens this many minutes before a part starts (until it ends).
    CHECKIN_OPENS_MINUTES = int(os.environ.get("CHECKIN_OPENS_MINUTES", "90"))
    # Share of a part an online attendee must follow for it to count as attended.
    ONLINE_ATTENDANCE_MIN_PERCENT = int(os.environ.get("ONLINE_ATTENDANCE_MIN_PERCENT", "50"))
    # Public API: items per page by default and at most.
    API_PER_PAGE = 20
    API_PER_PAGE_MAX = 100
    # Requests per API key (the registrations and check-in endpoints).
    API_KEY_RATE_LIMIT = os.environ.get("API_KEY_RATE_LIMIT", "120 per minute")
    # Origins allowed to frame /embed/ pages (space-separated); empty = any origin.
    EMBED_ALLOWED_ORIGINS = os.environ.get("EMBED_ALLOWED_ORIGINS", "")


class ProductionConfig(Config):
    """What `gunicorn wsgi:app` runs with unless told otherwise: Secure cookies, no debug."""

    DEBUG = False


class DevelopmentConfig(Config):
    """`make run` on http://127.0.0.1: cookies without Secure (chosen with EVENTI_SETTINGS=local)."""

    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE


def settings_from_environment() -> type[Config]:
    """Production unless EVENTI_SETTINGS=local says otherwise (only `make run` does)."""
    if os.environ.get("EVENTI_SETTINGS", "").strip().lower() in {"local", "development"}:
        return DevelopmentConfig
    return ProductionConfig


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    BASE_URL = "http://localhost"
    SERVER_NAME = None
    # Whatever the machine's environment says, tests talk to no outside service:
    # the smtp_server fixture points MAIL_SERVER at a local aiosmtpd when needed.
    MAIL_SERVER = ""
    CACHE_REDIS_URL = ""
    RATELIMIT_STORAGE_URI = "memory://"
    SECRET_KEY_FALLBACKS: list[str] = []
    PROXY_FIX_X_FOR = PROXY_FIX_X_PROTO = PROXY_FIX_X_HOST = PROXY_FIX_X_PORT = 0
    PROXY_FIX_X_PREFIX = 0
    METRICS_ALLOWED_NETWORKS = "127.0.0.1/32,::1/128"
    STORAGE_BACKEND = "database"
    STORAGE_S3_ENDPOINT = STORAGE_S3_BUCKET = STORAGE_S3_ACCESS_KEY = STORAGE_S3_SECRET_KEY = ""


def runtime_defaults(app) -> None:
    """Fill the settings that need the file system only when nothing else set them."""
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key()
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        INSTANCE.mkdir(exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = _database_url()
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        # A busy timeout lets concurrent writers wait instead of failing at once.
        opts = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        opts.setdefault("connect_args", {}).setdefault("timeout", 30)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = opts
