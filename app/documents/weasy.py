"""WeasyPrint itself: the restricted fetcher, the per-thread toolkit and HTML to PDF.

Its own module so that importing the app does not import WeasyPrint (0.4 s of every
start-up): app/documents/pdf.py loads it on the first document rendered.
"""
from __future__ import annotations

import base64
import mimetypes
import threading
from pathlib import Path
from typing import Any
from urllib.parse import unquote, unquote_to_bytes, urlsplit

from flask import current_app
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from app.documents.pdf import STYLESHEET, DocumentFetchRefused


class StaticOnlyFetcher(URLFetcher):
    """Loads only the app's static files and data: URIs; refuses every other URL.

    Event descriptions are written by organisers in Markdown and may carry
    `<img src="http://169.254.169.254/...">`: the network and the file system
    beyond the static folder must never be reached while rendering.
    """

    def __init__(self, static_folder: str | Path, base_url: str) -> None:
        super().__init__(allowed_protocols=(), allow_redirects=False, fail_on_errors=False)
        self.static_root = Path(static_folder)
        base = urlsplit(base_url)
        self.origin = (base.scheme, base.netloc)

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if url[:5].lower() == "data:":
            return self._data(url)
        parts = urlsplit(url)
        if (parts.scheme, parts.netloc) != self.origin or not parts.path.startswith("/static/"):
            raise DocumentFetchRefused(f"refused to fetch {url!r}")
        relative = unquote(parts.path[len("/static/"):])
        segments = relative.replace("\\", "/").split("/")
        if any(s in ("", ".", "..") for s in segments) or "\x00" in relative:
            raise DocumentFetchRefused(f"refused to fetch {url!r}")
        # Symbolic links placed inside static by the setup (vendor assets) are followed;
        # a path can never climb out of the folder by itself.
        path = self.static_root.joinpath(*segments)
        if not path.is_file():
            raise DocumentFetchRefused(f"refused to fetch {url!r}")
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": mime})

    @staticmethod
    def _data(url: str) -> URLFetcherResponse:
        header, sep, payload = url[5:].partition(",")
        if not sep:
            raise DocumentFetchRefused("malformed data URI")
        params = header.split(";")
        body = base64.b64decode(payload) if params[-1].lower() == "base64" else (
            unquote_to_bytes(payload))
        mime = params[0] or "text/plain"
        return URLFetcherResponse("data:", body=body, headers={"Content-Type": mime})


# One font configuration and parsed stylesheet per thread: loading the @font-face files
# and parsing the stylesheet is a fixed cost worth paying once, not once per certificate.
_local = threading.local()


def _base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/") + "/"


def _toolkit() -> tuple[StaticOnlyFetcher, FontConfiguration, CSS]:
    static = current_app.static_folder
    stylesheet = Path(static) / STYLESHEET
    key = (str(static), _base_url(), stylesheet.stat().st_mtime_ns)
    kit = getattr(_local, "kit", None)
    if kit is None or kit[0] != key:
        fetcher = StaticOnlyFetcher(static, _base_url())
        fonts = FontConfiguration()
        css = CSS(
            string=stylesheet.read_text(encoding="utf-8"),
            base_url=_base_url() + "static/" + STYLESHEET,
            url_fetcher=fetcher,
            font_config=fonts,
        )
        kit = (key, (fetcher, fonts, css))
        _local.kit = kit
    return kit[1]


def html_to_pdf(html: str, *, tagged: bool = True) -> bytes:
    """Render an HTML string with the print stylesheet and the restricted fetcher."""
    fetcher, fonts, css = _toolkit()
    document = HTML(string=html, base_url=_base_url(), url_fetcher=fetcher)
    options: dict[str, Any] = {"pdf_variant": "pdf/ua-1"} if tagged else {}
    return document.write_pdf(stylesheets=[css], font_config=fonts, **options)
