"""Every public page and the main back-office pages, at desktop and phone width:
no serious accessibility violation (axe-core, WCAG 2.0/2.1 A and AA), no sideways
scrolling, touch targets of at least 24 px; and valid HTML (Nu Html Checker)."""
from __future__ import annotations

import json
import subprocess

import pytest

from tests.browser.checks import VNU, axe_violations, horizontal_overflow, small_targets
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.pages import PAGES, missing


@pytest.fixture(scope="module")
def admin_state(browser, live_server, tmp_path_factory):
    """A logged-in organiser's cookies, saved once for all back-office pages."""
    from tests.browser.pages import endpoints

    if "auth.login" not in endpoints():
        return None
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    creds = live_server.facts["organiser"]
    page.goto("/admin/login")
    page.locator("input[type=email], input[name=email]").first.fill(creds["email"])
    page.locator("input[type=password]").first.fill(creds["password"])
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()
    path = tmp_path_factory.mktemp("state") / "admin.json"
    context.storage_state(path=str(path))
    context.close()
    return str(path)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "360px"])
@pytest.mark.parametrize("spec", PAGES, ids=[p.name for p in PAGES])
def test_page_is_accessible_and_fits_the_screen(spec, viewport, browser, live_server, admin_state):
    if reason := missing(spec):
        pytest.skip(reason)
    context = browser.new_context(
        base_url=live_server.url, viewport=viewport,
        storage_state=admin_state if spec.admin else None,
    )
    try:
        page = context.new_page()
        response = page.goto(spec.url(live_server.facts))
        assert response.status == spec.status, f"{spec.name}: HTTP {response.status}"
        if spec.admin:
            assert "/admin/login" not in page.url, "the organiser was sent back to the login page"
        page.wait_for_load_state("load")

        violations = axe_violations(page)
        assert not violations, "accessibility violations:\n" + "\n".join(violations)

        overflow = horizontal_overflow(page)
        assert overflow is None, f"the page scrolls sideways: {overflow}"

        small = small_targets(page)
        assert not small, "touch targets smaller than 24x24 px: " + "; ".join(small)
    finally:
        context.close()


def test_every_page_is_valid_html(browser, live_server, admin_state, tmp_path):
    """The HTML the server sends, checked by the Nu Html Checker in one run."""
    files = {}
    visitor = browser.new_context(base_url=live_server.url)
    organiser = browser.new_context(base_url=live_server.url, storage_state=admin_state)
    try:
        for spec in PAGES:
            if missing(spec):
                continue
            context = organiser if spec.admin else visitor
            response = context.request.get(spec.url(live_server.facts), max_redirects=0)
            assert response.status == spec.status, f"{spec.name}: HTTP {response.status}"
            path = tmp_path / f"{spec.name}.html"
            path.write_bytes(response.body())
            files[path.name] = spec.name
    finally:
        visitor.close()
        organiser.close()
    done = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--format", "json", "--exit-zero-always",
         *sorted(str(tmp_path / f) for f in files)],
        capture_output=True, text=True, timeout=300,
    )
    report = json.loads(done.stderr or done.stdout)
    errors = [
        f"{files.get(m['url'].rsplit('/', 1)[-1], m['url'])}:{m.get('lastLine', '?')}: {m['message']}"
        f" -- {m.get('extract', '').strip()[:120]}"
        for m in report["messages"]
        if m["type"] == "error" or m.get("subType") == "fatal"
    ]
    assert not errors, "invalid HTML:\n" + "\n".join(errors)
