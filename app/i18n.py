"""Language choice and the way each language writes dates, in the event's time zone."""
from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel.dates import format_date, format_time, get_timezone_name
from flask import current_app, has_request_context, request, session
from flask_babel import get_locale
from markupsafe import Markup

SUPPORTED = ("it", "en")
# The language content is written in when a record does not say (its `language`).
ORIGINAL = "it"
# The one second language content may be given in: a `<field>_en` column beside the original.
SECOND = "en"


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


class Localized(NamedTuple):
    """A text and the language it is written in."""

    text: str
    lang: str

    def __str__(self) -> str:
        return self.text


def original_language(obj: Any) -> str:
    """Records carry their texts' language when they have one (events, issues), else Italian."""
    lang = getattr(obj, "language", None)
    if lang is None:
        # Sessions and materials speak their event's language: read it only when the
        # event is already loaded, never at the cost of a query.
        lang = getattr(_loaded(obj, "event"), "language", None)
    return lang if lang in SUPPORTED else ORIGINAL


def _loaded(obj: Any, relation: str) -> Any:
    """`obj.<relation>` if that row is already in memory: set on the object, or in its
    session's identity map (a session loaded through `event.sessions` has its event
    there without pointing at it); None rather than a query."""
    parent = getattr(obj, "__dict__", {}).get(relation)
    if parent is not None:
        return parent
    state = sa.inspect(obj, raiseerr=False)
    key = getattr(obj, f"{relation}_id", None)
    if state is None or state.session is None or key is None:
        return None
    related = state.mapper.relationships[relation].mapper
    return state.session.identity_map.get(related.identity_key_from_primary_key((key,)))


def localized(obj: Any, field: str, lang: str | None = None) -> Localized:
    """`obj.<field>` in `lang` (the current language by default): the `<field>_en` column
    when English is asked for and given, else the original text and its language.

    Content has two versions at most: the original (Italian unless the record says
    otherwise) and an optional English one in a column beside it, loaded with the row,
    so a list of records needs no further query to speak either language."""
    lang = lang or current_language()
    if lang == SECOND:
        second = getattr(obj, f"{field}_{SECOND}", None)
        if second and second.strip():
            return Localized(second, SECOND)
    return Localized(getattr(obj, field) or "", original_language(obj))


def tr(obj: Any, field: str, lang: str | None = None) -> str:
    """Just the text of `localized` (titles inside sentences, subjects, attributes)."""
    return localized(obj, field, lang).text


def lang_attr(obj: Any, field: str, lang: str | None = None) -> Markup:
    """` lang="it"` when the text shown is not in the page's language (a fallback), so
    screen readers pronounce it right; nothing when it is."""
    page = lang or current_language()
    shown = localized(obj, field, page).lang
    return Markup(' lang="%s"') % shown if shown != page else Markup("")


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
    # {{ event|tr("title") }} and <h1{{ event|lang_attr("title") }}>: content in the
    # visitor's language, with `lang` on the block when it falls back to the original.
    app.jinja_env.filters["tr"] = tr
    app.jinja_env.filters["lang_attr"] = lang_attr
    app.jinja_env.filters["text_lang"] = lambda obj, field, lang=None: localized(obj, field, lang).lang
    app.jinja_env.filters["zone_name"] = format_zone
