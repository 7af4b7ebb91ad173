"""Language choice and the way each language writes dates, in the event's time zone."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_timezone_name
from flask import current_app, has_request_context, request, session
from flask_babel import get_locale

SUPPORTED = ("it", "en")


def select_locale() -> str:
    if not has_request_context():  # CLI commands and jobs: the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    lang = request.args.get("lang")
    if lang in SUPPORTED:
        return lang
    lang = session.get("lang")
    if lang in SUPPORTED:
        return lang
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def current_language() -> str:
    return str(get_locale() or "it")


def local(dt: datetime, tz: str) -> datetime:
    return dt.astimezone(ZoneInfo(tz))


def _time(dt: datetime, lang: str) -> str:
    # Both languages write 9:45 and 17:00 on these sites (no AM/PM).
    return format_time(dt, "H:mm", locale=lang)


def format_day(dt: datetime, tz: str, lang: str | None = None) -> str:
    """'lunedì 17 gennaio 2022' / 'Monday 17 January 2022'."""
    lang = lang or current_language()
    return format_date(local(dt, tz), "EEEE d MMMM y", locale=lang)


def format_short_day(dt: datetime, tz: str, lang: str | None = None) -> str:
    """'lun 17/01' style labels for registrable parts: 'lunedì 17/01'."""
    lang = lang or current_language()
    return format_date(local(dt, tz), "EEEE dd/MM", locale=lang)


def format_time_range(start: datetime, end: datetime, tz: str, lang: str | None = None) -> str:
    lang = lang or current_language()
    return f"{_time(local(start, tz), lang)}–{_time(local(end, tz), lang)}"


def format_event_when(start: datetime, end: datetime, tz: str, lang: str | None = None) -> str:
    """'lunedì 17 gennaio 2022, 9:45–17:00', or a day range for multi-day events."""
    lang = lang or current_language()
    ls, le = local(start, tz), local(end, tz)
    if ls.date() == le.date():
        return f"{format_day(start, tz, lang)}, {format_time_range(start, end, tz, lang)}"
    if (ls.year, ls.month) == (le.year, le.month):
        return f"{ls.day}–{format_date(le, 'd MMMM y', locale=lang)}"
    if ls.year == le.year:
        return f"{format_date(ls, 'd MMMM', locale=lang)} – {format_date(le, 'd MMMM y', locale=lang)}"
    return f"{format_date(ls, 'd MMMM y', locale=lang)} – {format_date(le, 'd MMMM y', locale=lang)}"


def format_datetime_local(dt: datetime | None, tz: str = "Europe/Rome", lang: str | None = None) -> str:
    if dt is None:
        return ""
    lang = lang or current_language()
    ldt = local(dt, tz)
    return f"{format_date(ldt, 'd MMM y', locale=lang)} {_time(ldt, lang)}"


def format_zone(dt: datetime, tz: str, lang: str | None = None) -> str:
    """The zone's name at that instant, and its identifier: 'Ora legale dell’Europa
    centrale (Europe/Rome)' / 'Central European Summer Time (Europe/Rome)'."""
    lang = lang or current_language()
    return f"{get_timezone_name(local(dt, tz), width='long', locale=lang)} ({tz})"


def register_filters(app) -> None:
    app.jinja_env.filters["event_when"] = lambda e, lang=None: format_event_when(
        e.starts_at, e.ends_at, e.timezone, lang
    )
    app.jinja_env.filters["day"] = format_day
    app.jinja_env.filters["short_day"] = format_short_day
    app.jinja_env.filters["time_range"] = format_time_range
    app.jinja_env.filters["local_datetime"] = format_datetime_local
    app.jinja_env.filters["local"] = local
    app.jinja_env.filters["zone_name"] = format_zone
