"""Someone subscribes to La Camera Informa and confirms from the e-mail."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.mail import link_in


def test_subscriber_signs_up_and_confirms_from_the_email(page, live_server):
    email = "paolo.gialli@example.org"
    page.goto("/")
    page.get_by_role("navigation", name="Navigazione principale").get_by_role("link", name="Newsletter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Newsletter La Camera Informa")

    page.get_by_role("textbox", name="E-mail").fill(email)
    page.get_by_role("textbox", name="Nome (facoltativo)").fill("Paolo Gialli")
    consent = page.get_by_role("checkbox", name=re.compile("Ho letto l'informativa"))
    page.locator(f'label[for="{consent.get_attribute("id")}"]').click()
    expect(consent).to_be_checked()
    page.get_by_role("button", name="Registrati gratuitamente").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    message = live_server.mail_to(email)[0]
    link = link_in(message, live_server.url, r"/newsletter/confirm/[A-Za-z0-9_-]+")
    page.goto(link)
    expect(page.get_by_text(email)).to_be_visible()
    page.get_by_role("button", name="Conferma la mia iscrizione").click()
    expect(page.get_by_text("Grazie: la tua iscrizione è confermata.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/newsletter/preferences/"))

    # The link works once.
    page.goto(link)
    expect(page.get_by_role("alert")).to_contain_text("non è valido")
