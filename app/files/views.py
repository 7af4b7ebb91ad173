"""Pictures by the hash of their bytes: an address that changes when the picture does,
so it can be cached for a year."""
from __future__ import annotations

from flask import abort

from app.files import bp
from app.files.responses import blob_response
from app.files.services import picture_blob

YEAR = 365 * 24 * 3600


@bp.get("/files/pictures/<sha>.<ext>")
def picture(sha: str, ext: str):
    if len(sha) != 64 or not all(c in "0123456789abcdef" for c in sha):
        abort(404)
    found = picture_blob(sha)
    if found is None or found[1].format != ext:
        abort(404)
    blob, variant = found
    return blob_response(blob, filename=f"{variant.size}.{ext}", content_type=blob.content_type,
                         private=False, cache=f"public, max-age={YEAR}, immutable")
