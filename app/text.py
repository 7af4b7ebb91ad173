"""Text helpers: sanitised Markdown, plain text from Markdown, slugs."""
from __future__ import annotations

import re
import unicodedata

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

# Raw HTML in Markdown is not rendered at all; nh3 then cleans what Markdown made.
_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "u", "a", "ul", "ol", "li", "blockquote",
    "h2", "h3", "h4", "h5", "h6", "code", "pre", "hr", "table", "thead", "tbody",
    "tr", "th", "td", "img",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}}


def _image_hosts() -> tuple[str, ...]:
    from flask import current_app, has_app_context

    if not has_app_context():
        return ()
    return tuple(current_app.config.get("CONTENT_IMAGE_HOSTS") or ())


def _allowed_image(src: str, hosts: tuple[str, ...]) -> bool:
    """Images come from the site itself (a path) or a host in CONTENT_IMAGE_HOSTS."""
    from urllib.parse import urlsplit

    if src.startswith("/") and not src.startswith("//") and "\\" not in src:
        return True
    parts = urlsplit(src)
    return parts.scheme == "https" and (parts.hostname or "").lower() in hosts


def _attribute_filter(hosts: tuple[str, ...]):
    def keep(tag: str, attribute: str, value: str) -> str | None:
        if tag == "img" and attribute == "src" and not _allowed_image(value, hosts):
            return None
        return value

    return keep


def render_markdown(text: str | None) -> Markup:
    if not text:
        return Markup("")
    html = _md.render(text)
    # Headings in descriptions start at h2: the page's h1 is the event title.
    html = re.sub(r"<(/?)h1>", r"<\1h2>", html)
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        # An image from anywhere would tell a third party who reads the page, and when.
        attribute_filter=_attribute_filter(_image_hosts()),
    )
    # An image whose source was refused leaves its alt text (already escaped) behind.
    cleaned = _IMG_WITHOUT_SRC.sub(lambda m: m.group(1) or "", cleaned)
    return Markup(cleaned)


_IMG_WITHOUT_SRC = re.compile(r'<img(?![^>]*\ssrc=)(?:[^>]*?\salt="([^"]*)")?[^>]*>')


def markdown_to_text(text: str | None) -> str:
    """Plain text for feeds and text e-mails: the Markdown rendered, then tags dropped."""
    if not text:
        return ""
    html = _md.render(text)
    html = re.sub(r"</(p|li|h\d|blockquote|tr)>", "\n", html)
    html = re.sub(r"<br\s*/?>", "\n", html)
    plain = nh3.clean(html, tags=set())
    plain = (
        plain.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
        .replace("&quot;", '"').replace("&#39;", "'")
    )
    lines = [line.strip() for line in plain.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


_TRANSLIT = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "œ": "oe", "’": "-", "'": "-"})


def slugify(text: str, max_length: int = 80) -> str:
    """'Conferenza finale – Venezia, 10/03/2022' -> 'conferenza-finale-venezia-10-03-2022'."""
    text = unicodedata.normalize("NFKD", text.lower().translate(_TRANSLIT))
    text = text.encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    if len(text) > max_length:
        text = text[:max_length].rsplit("-", 1)[0] or text[:max_length]
    return text or "evento"
