"""An organiser logs in, creates an event with two sessions, publishes it, and finds it
on the public list and in the calendar feed."""
from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import expect


def fill_when(page, day: date, start: str, end: str) -> None:
    page.get_by_role("textbox", name="Inizio", exact=True).fill(f"{day.isoformat()}T{start}")
    page.get_by_role("textbox", name="Fine", exact=True).fill(f"{day.isoformat()}T{end}")


def test_organiser_creates_and_publishes_an_event_with_two_sessions(page, live_server):
    creds = live_server.facts["organiser"]
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login"))  # the back-office needs a login
    page.get_by_role("textbox", name="E-mail").fill(creds["email"])
    page.get_by_label("Password").fill(creds["password"])
    page.get_by_role("button", name="Accedi").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))

    page.get_by_role("link", name="Nuovo evento").first.click()
    title = "Visita studio: le imprese sociali di Torino"
    day = date.today() + timedelta(days=45)
    page.get_by_role("textbox", name="Titolo", exact=True).fill(title)
    page.get_by_role("combobox", name="Tipo", exact=True).select_option("study_visit")
    page.get_by_role("combobox", name="Modalità", exact=True).select_option("in_person")
    fill_when(page, day, "09:00", "17:00")
    page.get_by_role("button", name="Crea la bozza").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    event_page = page.url

    for title_, start, end in [("Presentazioni delle imprese", "09:00", "12:30"),
                               ("Visita ai laboratori", "14:00", "17:00")]:
        page.get_by_role("link", name="Aggiungi una sessione").click()
        page.get_by_role("textbox", name="Titolo", exact=True).fill(title_)
        fill_when(page, day, start, end)
        page.get_by_role("button", name="Salva").click()
        expect(page).to_have_url(re.compile(re.escape(event_page) + "#programme$"))
        expect(page.get_by_text(title_).first).to_be_visible()

    # A draft is nowhere on the public site.
    public = page.context.request.get("/events/")
    assert title not in public.text()

    page.get_by_role("button", name="Pubblica", exact=True).click()
    expect(page.get_by_role("button", name=re.compile("Ritira"))).to_be_visible()

    visitor = page.context.browser.new_context(base_url=live_server.url)
    try:
        public_page = visitor.new_page()
        public_page.goto("/events/")
        public_page.get_by_role("link", name=title).click()
        expect(public_page.get_by_role("heading", level=1)).to_have_text(title)
        expect(public_page.get_by_text("Visita ai laboratori")).to_be_visible()

        feed = visitor.request.get("/calendar.ics")
        assert feed.ok
        assert feed.headers["content-type"].startswith("text/calendar")
        unfolded = feed.text().replace("\r\n ", "").replace("\n ", "")
        assert f"SUMMARY:{title}" in unfolded.replace("\\,", ",").replace("\\;", ";")
    finally:
        visitor.close()
