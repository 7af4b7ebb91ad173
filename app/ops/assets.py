"""Fingerprinted static URLs: /static/css/eventi.3f2a9c1b7d4e.css, cached for a year.

`url_for('static', filename='css/eventi.css')` yields the name with the first 12 hex
digits of the file's SHA-256 inserted before the extension; a new release with a
changed file gets a new URL, so browsers and proxies may keep every fingerprinted
file forever (Cache-Control: public, max-age=31536000, immutable). nginx serves them
in production (deploy/nginx/eventi.conf strips the fingerprint); the app serves them
the same way under `make run`. Unfingerprinted names still work, with the default
short caching. Nothing to build: the fingerprint is read from the file itself.
"""
from __future__ import annotations

import hashlib
import re
import threading
from pathlib import Path

from flask import Flask

IMMUTABLE = "public, max-age=31536000, immutable"
DIGITS = 12
_FINGERPRINTED = re.compile(r"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{12})(?P<ext>\.[A-Za-z0-9]+)$")


class Fingerprints:
    def __init__(self, folder: str) -> None:
        self.folder = Path(folder).resolve()
        self._cache: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def name_for(self, filename: str) -> str | None:
        """The fingerprinted name of a file under the static folder, None if not a file."""
        path = (self.folder / filename).resolve()
        if self.folder not in path.parents:
            return None
        try:
            mtime = path.stat().st_mtime
        except OSError:
            return None
        if not path.is_file():
            return None
        cached = self._cache.get(filename)
        if cached and cached[0] == mtime:
            return cached[1]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:DIGITS]
        stem, dot, ext = filename.rpartition(".")
        name = f"{stem}.{digest}.{ext}" if dot and "/" not in ext else f"{filename}.{digest}"
        with self._lock:
            self._cache[filename] = (mtime, name)
        return name


def install(app: Flask) -> None:
    if not app.static_folder or "static" not in app.view_functions:
        return
    prints = Fingerprints(app.static_folder)
    app.extensions["eventi_fingerprints"] = prints

    @app.url_defaults
    def fingerprint_static(endpoint, values):
        if endpoint == "static" and "filename" in values:
            name = prints.name_for(values["filename"])
            if name:
                values["filename"] = name

    def static(filename: str):
        match = _FINGERPRINTED.match(filename)
        if match:
            original = match["stem"] + match["ext"]
            if prints.name_for(original) is not None:
                response = app.send_static_file(original)
                if prints.name_for(original) == filename:
                    response.headers["Cache-Control"] = IMMUTABLE
                # else: a name from another release: today's file, normal caching
                return response
        return app.send_static_file(filename)

    app.view_functions["static"] = static
