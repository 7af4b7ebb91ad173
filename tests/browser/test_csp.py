"""The Content-Security-Policy blocks nothing the site itself needs: on every page of the
list, no violation is reported (a blocked script would be one) and bootstrap-italia's
script ran wherever the page loads it (embeds do not)."""
from __future__ import annotations

import pytest

from tests.browser.conftest import DESKTOP
from tests.browser.pages import PAGES, missing
from tests.browser.test_pages import admin_state  # noqa: F401  (the fixture)

# The pages partner sites frame: plain markup on embeds/base.html, no bootstrap-italia script.
FRAMED = {"embeds.events", "embeds.event"}

RECORD = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline'));
});
"""


@pytest.mark.parametrize("spec", PAGES, ids=[p.name for p in PAGES])
def test_the_policy_blocks_nothing_the_page_needs(spec, browser, live_server, admin_state):  # noqa: F811
    if reason := missing(spec):
        pytest.skip(reason)
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP,
                                  storage_state=admin_state if spec.admin else None)
    try:
        context.add_init_script(RECORD)
        page = context.new_page()
        console = []
        page.on("console", lambda msg: console.append(msg.text))
        response = page.goto(spec.url(live_server.facts))
        assert response.status == spec.status
        assert "frame-ancestors" in response.headers["content-security-policy"]
        page.wait_for_load_state("load")
        violations = page.evaluate("() => window.__cspViolations")
        refused = [m for m in console if "Content Security Policy" in m]
        assert violations == [] and refused == [], (violations, refused)
        if spec.endpoint not in FRAMED:  # the framed embeds load no script of it
            assert page.evaluate("() => typeof window.bootstrap !== 'undefined'"), \
                "bootstrap-italia did not run"
    finally:
        context.close()
