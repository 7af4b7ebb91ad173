"""Reading the e-mails the live server sent."""
from __future__ import annotations

import re
from email.message import EmailMessage


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    return part.get_content() if part is not None else ""


def link_in(message: EmailMessage, base_url: str, path_pattern: str) -> str:
    """The first link to base_url + a path matching path_pattern (a regular expression)."""
    pattern = re.escape(base_url) + path_pattern
    match = re.search(pattern, text_of(message))
    assert match, f"no link matching {path_pattern} in the e-mail:\n{text_of(message)}"
    return match.group(0)
