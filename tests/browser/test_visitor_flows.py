"""What a visitor does in a real browser: find the hybrid workshop, register for one day
online, follow the private link from the e-mail and cancel; the same with the keyboard
only; and switching the language."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.checks import focus_indicator, focus_is_visible
from tests.browser.mail import link_in

ATTENDEE_LINK = r"/registrations/[A-Za-z0-9_-]{20,}/"


def tick(control) -> None:
    """Click a checkbox or radio button the way a person does: on its label."""
    control.page.locator(f'label[for="{control.get_attribute("id")}"]').click()
    expect(control).to_be_checked()


def test_visitor_registers_for_one_day_online_and_cancels_from_the_emailed_link(page, live_server):
    facts = live_server.facts
    page.goto("/")
    page.get_by_role("navigation", name="Navigazione principale").get_by_role("link", name="Eventi").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Eventi")

    # Only workshops.
    page.get_by_role("combobox", name="Tipo").select_option("workshop")
    page.get_by_role("button", name="Cerca").click()
    expect(page).to_have_url(re.compile(r"kind=workshop"))
    cards = page.locator("main .card")
    expect(cards.first).to_be_visible()
    for kind in cards.locator(".eventi-kind, .category-top").all_inner_texts():
        assert "workshop" in kind.lower()

    page.get_by_role("link", name=facts["workshop_title"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(facts["workshop_title"])

    page.locator(".eventi-register-box").get_by_role("link", name="Iscriviti").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Iscriviti a {facts['workshop_title']}")

    email = "lucia.verdi@example.org"
    page.get_by_role("textbox", name="Nome", exact=True).fill("Lucia")
    page.get_by_role("textbox", name="Cognome").fill("Verdi")
    page.get_by_role("textbox", name="E-mail").fill(email)
    page.get_by_role("textbox", name="Organizzazione").fill("Cooperativa Sociale Aurora")
    page.get_by_role("combobox", name="Categoria").select_option(label="Ente del terzo settore")
    tick(page.get_by_role("radio", name="Online"))
    tick(page.get_by_role("checkbox", name=re.compile(re.escape(facts["first_part_title"]))))
    tick(page.get_by_role("checkbox", name=re.compile("Ho letto l'informativa")))
    page.get_by_role("button", name="Iscriviti").click()

    # The confirmation says where the private link went; the e-mail brings it.
    link = expect_registration_sent(page, live_server, email)
    page.goto(link)
    expect(page.get_by_text("Confermata", exact=True)).to_be_visible()
    expect(page.get_by_role("region", name="Partecipa online")).to_be_visible()

    # Another device (a phone) opens the same link and cancels.
    other = page.context.browser.new_context(viewport={"width": 360, "height": 740})
    try:
        phone = other.new_page()
        phone.goto(link)
        expect(phone.get_by_role("heading", level=1)).to_have_text(facts["workshop_title"])
        phone.get_by_role("link", name="Annulla la mia iscrizione").click()
        phone.get_by_role("button", name="Sì, annulla la mia iscrizione").click()
        expect(phone).to_have_url(link)
        expect(phone.get_by_text("Annullata", exact=True)).to_be_visible()
        expect(phone.get_by_role("region", name="Partecipa online")).to_have_count(0)
    finally:
        other.close()
    assert len(live_server.mail_to(email, count=2)) == 2  # confirmation, then cancellation


def expect_registration_sent(page, live_server, email: str) -> str:
    """The page after registering tells the visitor to check the inbox; return the
    private link the e-mail carries."""
    expect(page.get_by_role("heading", level=1)).to_have_text("Grazie: controlla la tua casella di posta")
    expect(page.get_by_role("main")).to_contain_text(email)
    assert "/registrations/" not in page.url  # the private page is reached only from the e-mail
    message = live_server.mail_to(email)[0]
    return link_in(message, live_server.url, ATTENDEE_LINK)


def tab_to(page, predicate, limit=80) -> list[dict]:
    """Press Tab until predicate(active element info) holds; every stop must show focus."""
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        info = focus_indicator(page)
        stops.append(info)
        if info["onScreen"]:
            assert focus_is_visible(page), f"no visible focus on {info}"
        if predicate(info):
            return stops
    raise AssertionError(f"not reached with Tab; stops: {[(s['tag'], s['name']) for s in stops]}")


def test_keyboard_only_registration(page, live_server):
    facts = live_server.facts
    page.goto(f"/events/{facts['workshop_slug']}/")
    tab_to(page, lambda i: i["tag"] == "a" and i["name"] == "Iscriviti")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Iscriviti a {facts['workshop_title']}")

    # Every control of the form is reached in order with Tab.
    controls = page.locator(
        "form.eventi-register-form :is(input, select, textarea, button):not([type=hidden]):not([tabindex='-1'])"
    )
    names = {page.evaluate("e => e.name || e.id || e.textContent.trim()", c) for c in controls.element_handles()}
    reached = set()
    stops = tab_to(page, lambda i: i["tag"] == "input" and i["name"] == "first_name" or False)
    page.keyboard.type("Marco")
    values = {
        "last_name": "Neri",
        "email": "marco.neri@example.org",
        "organisation": "Ente di formazione Dolomiti",
    }
    for _ in range(60):
        page.keyboard.press("Tab")
        info = focus_indicator(page)
        stops.append(info)
        assert focus_is_visible(page), f"no visible focus on {info}"
        name = page.evaluate("() => document.activeElement.name || document.activeElement.id")
        reached.add(name or info["name"])
        if name in values:
            page.keyboard.type(values[name])
        elif name == "category":
            page.keyboard.press("End")  # the last category, "Altro"
        elif name == "attendance_mode":
            # Arrow keys move within a radio group: choose Online.
            while page.evaluate("() => document.activeElement.value") != "online":
                page.keyboard.press("ArrowDown")
        elif name == "parts" and "parts-done" not in reached:
            page.keyboard.press("Space")  # the first day only
            reached.add("parts-done")
        elif name == "privacy_consent":
            page.keyboard.press("Space")
        if info["tag"] == "button" and info["type"] == "submit":
            break
    missed = {n for n in names if n not in reached and n != "first_name"} - {""}
    assert not missed, f"controls never reached with Tab: {missed}"
    page.keyboard.press("Enter")
    link = expect_registration_sent(page, live_server, values["email"])
    page.goto(link)
    expect(page.get_by_text("Confermata", exact=True)).to_be_visible()
    expect(page.get_by_role("region", name="Partecipa online")).to_be_visible()


def test_language_switch_turns_the_page_into_english_and_back(page, live_server):
    page.goto(f"/events/{live_server.facts['workshop_slug']}/")
    expect(page.locator("html")).to_have_attribute("lang", "it")
    expect(page.get_by_role("link", name="Eventi", exact=True).first).to_be_visible()

    page.get_by_role("button", name=re.compile("EN")).click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(re.escape(live_server.facts["workshop_slug"])))
    expect(page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Events")).to_be_visible()
    expect(page.locator(".eventi-register-box").get_by_role("link", name="Register")).to_be_visible()

    page.get_by_role("button", name=re.compile("IT")).click()
    expect(page.locator("html")).to_have_attribute("lang", "it")
    expect(page.locator(".eventi-register-box").get_by_role("link", name="Iscriviti")).to_be_visible()
