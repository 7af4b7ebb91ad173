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
    """Plain text for feeds and text e-mails, as a person would type it: paragraphs
    apart, list items with their "-" or "1." marker (nested ones indented), each link's
    address after its words, headings and quotes kept readable."""
    if not text:
        return ""
    return _PlainText().render(_md.parse(text))


class _PlainText:
    """Walks markdown-it's tokens once; raw HTML is never rendered (html=False)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.lists: list[list] = []  # [marker kind, last number] per open list
        self.quote = 0
        self.marker = ""
        self.row: list[str] | None = None

    def render(self, tokens) -> str:
        for token in tokens:
            handler = getattr(self, "_" + token.type, None)
            if handler:
                handler(token)
        text = "\n".join(line.rstrip() for line in self.lines)
        return re.sub(r"\n{3,}", "\n\n", text).strip()

    def _blank(self) -> None:
        if self.lines and self.lines[-1].strip(">").strip():
            self.lines.append(">" * self.quote if self.quote else "")

    def _emit(self, text: str) -> None:
        depth = len(self.lists)
        indent = "  " * max(depth - 1, 0)
        quote = "> " * self.quote
        for number, line in enumerate(text.split("\n")):
            if number == 0 and self.marker:
                self.lines.append(f"{quote}{indent}{self.marker}{line}")
            elif depth:
                self.lines.append(f"{quote}{indent}{' ' * max(len(self.marker), 2)}{line}")
            else:
                self.lines.append(f"{quote}{line}")
        self.marker = ""

    def _bullet_list_open(self, token) -> None:
        self.lists.append(["-", 0])

    def _ordered_list_open(self, token) -> None:
        self.lists.append([".", int(token.attrGet("start") or 1) - 1])

    def _bullet_list_close(self, token) -> None:
        self.lists.pop()
        if not self.lists:
            self._blank()

    _ordered_list_close = _bullet_list_close

    def _list_item_open(self, token) -> None:
        kind = self.lists[-1]
        if kind[0] == "-":
            self.marker = "- "
        else:
            kind[1] += 1
            self.marker = f"{kind[1]}. "

    def _paragraph_close(self, token) -> None:
        if not token.hidden:
            self._blank()

    def _heading_close(self, token) -> None:
        self._blank()

    def _blockquote_open(self, token) -> None:
        self.quote += 1

    def _blockquote_close(self, token) -> None:
        self.quote -= 1
        if self.lines and self.lines[-1].strip() == ">":
            self.lines[-1] = ""
        else:
            self._blank()

    def _hr(self, token) -> None:
        self._emit("---")
        self._blank()

    def _fence(self, token) -> None:
        self._emit(token.content.rstrip("\n"))
        self._blank()

    _code_block = _fence

    def _tr_open(self, token) -> None:
        self.row = []

    def _tr_close(self, token) -> None:
        self._emit(" | ".join(self.row or []))
        self.row = None

    def _table_close(self, token) -> None:
        self._blank()

    def _inline(self, token) -> None:
        text = _inline_text(token.children or [])
        if self.row is not None:
            self.row.append(text)
        else:
            self._emit(text)


def _inline_text(children) -> str:
    parts: list[str] = []
    links: list[tuple[str, int]] = []
    for child in children:
        kind = child.type
        if kind in ("text", "code_inline"):
            parts.append(child.content)
        elif kind in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif kind == "image":
            parts.append(child.content or "")
        elif kind == "link_open":
            links.append((str(child.attrGet("href") or ""), len(parts)))
        elif kind == "link_close" and links:
            href, start = links.pop()
            words = "".join(parts[start:]).strip()
            shown = href.removeprefix("mailto:")
            if shown and shown not in (words, words.removeprefix("mailto:")):
                parts.append(f" ({shown})" if words else shown)
    return "".join(parts)


_TRANSLIT = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "œ": "oe", "’": "-", "'": "-"})


def slugify(text: str, max_length: int = 80) -> str:
    """'Conferenza finale – Venezia, 10/03/2022' -> 'conferenza-finale-venezia-10-03-2022'."""
    text = unicodedata.normalize("NFKD", text.lower().translate(_TRANSLIT))
    text = text.encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    if len(text) > max_length:
        text = text[:max_length].rsplit("-", 1)[0] or text[:max_length]
    return text or "evento"
