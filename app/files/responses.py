"""Download responses: the same safe headers for every stored file.

- Content-Type is what the bytes were judged to be on upload (never HTML, never SVG);
- Content-Disposition names the file (RFC 6266, accents kept in filename*); only PDFs and
  pictures may be shown inline, everything else is an attachment;
- nosniff, and a sandboxing Content-Security-Policy: even a browser that decided to render
  the bytes would run nothing from them;
- registrants-only files are `Cache-Control: private`: no shared cache keeps them.
"""
from __future__ import annotations

from flask import Response, current_app, redirect, request, stream_with_context

from app.downloads import content_disposition
from app.files import storage
from app.files.models import Blob
from app.files.services import read_blob

INLINE_TYPES = {"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"}
SANDBOX = "default-src 'none'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'self'"


def blob_response(blob: Blob, *, filename: str, content_type: str, private: bool,
                  cache: str | None = None) -> Response:
    disposition = "inline" if content_type in INLINE_TYPES else "attachment"
    etag = blob.sha256
    cache_control = cache or ("private, no-cache" if private else "public, no-cache")
    config = current_app.config
    if blob.backend == "s3" and config["STORAGE_S3_SIGNED_URLS"]:
        # The client fetches the bytes from the store itself, for a few minutes only.
        url = storage.backend("s3").signed_url(
            blob, filename=filename, disposition=disposition,
            seconds=int(config["STORAGE_S3_URL_SECONDS"]))
        response = redirect(url, code=303)
        response.headers["Cache-Control"] = "private, no-store"
        return response
    if etag in request.if_none_match:
        response = Response(status=304)
    else:
        response = Response(stream_with_context(read_blob(blob)), mimetype=content_type,
                            direct_passthrough=True)
        response.content_length = blob.size
        response.headers["Content-Disposition"] = content_disposition(disposition, filename)
    response.set_etag(etag)
    response.headers["Cache-Control"] = cache_control
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = SANDBOX
    return response
