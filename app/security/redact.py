"""Private links are redacted wherever the back-office shows a message.

Nobody in the back-office needs an attendee's private link, personal feed, check-in
code, newsletter link or password-reset link: each is a key to someone else's data.
The outbox keeps the real message (it has to be sent); every page that shows it runs
the text through `redact_private_urls`, for every role.
"""
from __future__ import annotations

import re

from markupsafe import Markup

MASK = "•••"

# The path prefixes followed by a secret; the secret is whatever URL-safe run follows.
_PRIVATE = re.compile(
    r"(?P<prefix>/(?:registrations|calendar|admin/checkin|admin/reset-password"
    r"|newsletter/(?:confirm|preferences|unsubscribe))/)"
    r"(?P<secret>[A-Za-z0-9_\-]{8,})"
)


def redact_private_urls(text: str | None) -> str:
    """`text` with the secret part of every private URL replaced by •••."""
    if not text:
        return text or ""
    if isinstance(text, Markup):
        return Markup(_PRIVATE.sub(lambda m: m["prefix"] + MASK, str(text)))
    return _PRIVATE.sub(lambda m: m["prefix"] + MASK, text)
