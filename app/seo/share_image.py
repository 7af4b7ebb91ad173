"""The share image of an event (1200×630 PNG): title, dates and place, drawn with Pillow.

Returns bytes, like the other outputs; the view caches them under the event's version.
"""
from __future__ import annotations

import io
from functools import cache

from PIL import Image, ImageDraw, ImageFont

from app.events.models import Event
from app.events.services import event_days
from app.i18n import format_day, format_time_range, tr

WIDTH, HEIGHT = 1200, 630
BLUE = (0, 102, 204)  # the site's primary colour
FONT_DIR = "/usr/share/fonts/truetype/dejavu/"


@cache
def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    try:
        return ImageFont.truetype(FONT_DIR + name, size)
    except OSError:  # fonts-dejavu-core missing: Pillow's own font, still readable
        return ImageFont.load_default(size)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int, max_lines: int) -> list[str]:
    lines: list[str] = []
    words = text.split()
    current = ""
    for word in words:
        trial = f"{current} {word}".strip()
        if draw.textlength(trial, font=font) <= width:
            current = trial
            continue
        if current:
            lines.append(current)
        current = word
        if len(lines) == max_lines:
            break
    if current and len(lines) < max_lines:
        lines.append(current)
    if len(lines) == max_lines and " ".join(lines) != " ".join(words):
        last = lines[-1]
        while last and draw.textlength(last + "…", font=font) > width:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return lines


def render_share_image(event: Event, site_name: str, lang: str) -> bytes:
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, 90), fill=BLUE)
    draw.text((60, 24), site_name, font=_font(36, bold=True), fill="white")
    y = 140
    for line in _wrap(draw, tr(event, "title", lang), _font(60, bold=True), WIDTH - 120, 4):
        draw.text((60, y), line, font=_font(60, bold=True), fill=(26, 26, 26))
        y += 74
    y += 20
    days = event_days(event)
    first, last = days[0], days[-1]
    when = format_day(first[0], event.timezone, lang)
    if len(days) > 1:
        when += " – " + format_day(last[0], event.timezone, lang)
    else:
        when += ", " + format_time_range(first[0], first[1], event.timezone, lang)
    draw.text((60, y), when, font=_font(34), fill=BLUE)
    y += 50
    place = event.venue.one_line if event.has_venue else ""
    if event.is_online:
        place = f"{place} + online" if place else "Online"
    for line in _wrap(draw, place, _font(30), WIDTH - 120, 2):
        draw.text((60, y), line, font=_font(30), fill=(70, 70, 70))
        y += 42
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
