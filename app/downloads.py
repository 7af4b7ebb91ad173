"""The kernel's download headers: a file name every browser saves as given (accents kept),
and personal exports kept out of every cache."""
from __future__ import annotations

from urllib.parse import quote


def content_disposition(disposition: str, filename: str) -> str:
    """RFC 6266: a plain name as it is; any other, an ASCII fallback and the real one
    (accents and spaces kept) as filename*."""
    if filename and all(c.isascii() and (c.isalnum() or c in "._-") for c in filename):
        return f'{disposition}; filename="{filename}"'
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_"
                       for c in filename) or "file"
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def attachment(filename: str) -> dict[str, str]:
    """Headers of a download holding personal data: saved under `filename`, never stored."""
    return {"Content-Disposition": content_disposition("attachment", filename),
            "Cache-Control": "no-store"}
