"""An organiser uploads the slides of an event (with the upload script's progress bar);
a visitor finds them on the event page and downloads the same bytes, safely labelled."""
from __future__ import annotations

import re

from playwright.sync_api import expect

SLIDES = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
          b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n% Innovazione sociale\n" + b"%" * 300_000
          + b"\n%%EOF\n")


def test_an_organiser_uploads_slides_that_a_visitor_downloads(page, live_server):
    facts = live_server.facts
    creds = facts["organiser"]
    page.goto("/admin/login")
    page.get_by_role("textbox", name="E-mail").fill(creds["email"])
    page.get_by_label("Password").fill(creds["password"])
    page.get_by_role("button", name="Accedi").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))

    page.goto(f"/admin/events/{facts['event_id']}/")
    page.get_by_role("link", name="Aggiungi materiale").click()
    page.get_by_role("combobox", name="Tipo", exact=True).select_option("slides")
    page.get_by_role("textbox", name="Titolo", exact=True).fill("Slide della tavola rotonda")
    expect(page.get_by_text("…oppure trascina qui il file.")).to_be_visible()  # the script runs
    page.get_by_label("File", exact=True).set_input_files(files=[{
        "name": "Tavola rotonda – Città.pdf", "mimeType": "application/pdf", "buffer": SLIDES}])
    page.get_by_role("button", name="Salva").click()
    expect(page).to_have_url(re.compile(rf"/admin/events/{facts['event_id']}/(#materials)?$"))
    expect(page.get_by_text("Materiale pubblicato.")).to_be_visible()
    expect(page.get_by_text("PDF, 293 KB")).to_be_visible()

    visitor = page.context.browser.new_context(base_url=live_server.url)
    try:
        public = visitor.new_page()
        public.goto(f"/events/{facts['workshop_slug']}/")
        link = public.get_by_role("link", name="Slide della tavola rotonda")
        expect(link).to_be_visible()
        response = visitor.request.get(link.get_attribute("href"))
        assert response.ok
        assert response.body() == SLIDES
        headers = response.headers
        assert headers["content-type"] == "application/pdf"
        assert headers["x-content-type-options"] == "nosniff"
        assert "filename*=UTF-8''Tavola%20rotonda%20%E2%80%93%20Citt%C3%A0.pdf" in headers[
            "content-disposition"]
    finally:
        visitor.close()
