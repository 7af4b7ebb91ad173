"""The page checks themselves find the problems they are meant to find."""
from __future__ import annotations

from tests.browser.checks import (
    axe_violations,
    focus_is_visible,
    horizontal_overflow,
    small_targets,
)
from tests.browser.conftest import PHONE

BAD_PAGE = """<!doctype html><html><head><title>t</title>
<style>body{margin:0} .tiny{width:12px;height:12px;padding:0;border:0;font-size:8px}
.wide{width:600px;height:10px} button:focus{outline:none}</style></head>
<body><main><h1>Prova</h1>
<p style="color:#bbb">Testo poco leggibile</p>
<button class="tiny">a</button><button class="tiny">b</button>
<p>Un <a href="#x">collegamento nel testo</a> resta valido.</p>
<div class="wide"></div>
<div style="overflow-x:auto"><div class="wide"></div></div>
</main></body></html>"""

GOOD_PAGE = """<!doctype html><html lang="it"><head><title>t</title></head>
<body><main><h1>Prova</h1><p>Un <a href="#x">collegamento</a> nel testo.</p>
<button style="min-width:44px;min-height:44px">Invia</button></main></body></html>"""


def test_checks_report_a_broken_page_and_pass_a_sound_one(browser):
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        page.set_content(BAD_PAGE)
        rules = {v.split(" ")[0] for v in axe_violations(page)}
        assert {"color-contrast", "html-has-lang"} <= rules

        overflow = horizontal_overflow(page)
        assert overflow is not None and any(e.startswith("div.wide") for e in overflow["elements"])

        small = small_targets(page)
        assert len(small) == 2 and all(s.startswith('button "') for s in small)

        page.locator("button.tiny").first.focus()
        assert not focus_is_visible(page)

        page.set_content(GOOD_PAGE)
        assert axe_violations(page) == []
        assert horizontal_overflow(page) is None
        assert small_targets(page) == []
        page.keyboard.press("Tab")
        assert focus_is_visible(page)
    finally:
        context.close()
