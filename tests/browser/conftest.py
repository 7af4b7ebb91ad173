"""Fixtures of the browser tests: the live server, Chromium through Playwright, and pages."""
from __future__ import annotations

import pytest

from tests.browser import server as live

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}


def pytest_collection_modifyitems(items):
    from tests.conftest import BACKEND

    for item in items:
        if "tests/browser/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.browser)
            if BACKEND == "postgres":
                # `make test` runs the suite again on PostgreSQL; the browser runs once.
                item.add_marker(pytest.mark.skip(reason="browser tests run in the SQLite pass"))


@pytest.fixture(scope="session")
def chromium_path():
    path = live.find_chromium()
    if path is None:
        pytest.skip("Chromium is not installed (make test installs Debian's chromium)")
    return path


@pytest.fixture(scope="session")
def live_server(chromium_path):
    server = live.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=live.CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server):
    """new_page(viewport=PHONE) opens a page in a fresh context (own cookies) on the live server."""
    contexts = []

    def make(viewport=DESKTOP, **kwargs):
        context = browser.new_context(
            base_url=live_server.url, viewport=viewport, locale="it-IT", **kwargs
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed and "new_page" in getattr(item, "fixturenames", ()):
        # Keep a picture of each open page of a failed flow, named after the test.
        import os
        import tempfile
        from pathlib import Path

        folder = Path(os.environ.get("BROWSER_ARTIFACTS") or Path(tempfile.gettempdir()) / "eventi-browser-failures")
        folder.mkdir(parents=True, exist_ok=True)
        browser = item.funcargs.get("browser")
        for i, context in enumerate(browser.contexts if browser else []):
            for j, pg in enumerate(context.pages):
                path = folder / f"{item.name}-{i}-{j}.png"
                try:
                    pg.screenshot(path=str(path), full_page=True)
                    report.sections.append(("browser", f"screenshot of {pg.url}: {path}"))
                except Exception:  # a closed page has nothing to show
                    pass
    return report
