"""Trust X-Forwarded-* only as far as the configured proxies (PROXY_FIX_*; 0 = none)."""
from __future__ import annotations

import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

SETTINGS = ("for", "proto", "host", "port", "prefix")


def hop_counts(config) -> dict[str, int]:
    """PROXY_FIX_X_FOR etc. from the app config, else the environment; default 0."""
    counts = {}
    for name in SETTINGS:
        key = f"PROXY_FIX_X_{name.upper()}"
        value = config.get(key)
        if value is None:
            value = os.environ.get(key, "0")
        counts[f"x_{name}"] = int(value or 0)
    return counts


def install(app: Flask) -> None:
    counts = hop_counts(app.config)
    if any(counts.values()):
        # Each count is the number of proxies in front of the app that set that header:
        # 1 for one nginx. A larger number than the real one lets clients forge addresses.
        app.wsgi_app = ProxyFix(app.wsgi_app, **counts)
