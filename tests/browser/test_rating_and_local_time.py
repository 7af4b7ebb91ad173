"""In a real browser: the page-rating component on a public page, and the visitor's own
time next to an online event's times when their browser is in another time zone."""
from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import expect


def test_a_visitor_says_a_page_was_not_useful_and_why(page, live_server):
    page.goto("/events/")
    rating = page.get_by_role("region", name="Questa pagina ti è stata utile?")
    expect(rating).to_be_visible()
    reason = rating.get_by_role("combobox", name="Perché? (facoltativo)")

    # Choosing "No" offers only the reasons that fit a page that did not help.
    rating.locator('label[for="rating-no"]').click()
    expect(rating.get_by_role("radio", name="No")).to_be_checked()
    expect(reason.locator('optgroup[data-for="yes"]')).to_have_attribute("hidden", "")
    reason.select_option(label="Le informazioni non erano chiare")
    rating.get_by_role("button", name="Invia").click()

    expect(page).to_have_url(re.compile(r"/events/#page-rating$"))
    expect(page.get_by_role("alert")).to_contain_text("Grazie")


def test_the_rating_works_without_javascript(new_page, live_server):
    page = new_page(java_script_enabled=False)
    page.goto("/projects/")
    rating = page.get_by_role("region", name="Questa pagina ti è stata utile?")
    rating.locator('label[for="rating-yes"]').click()  # as a person does: on the label
    expect(rating.get_by_role("radio", name="Sì")).to_be_checked()
    rating.get_by_role("combobox").select_option("clear")
    rating.get_by_role("button", name="Invia").click()
    expect(page.get_by_role("alert")).to_contain_text("Grazie")


def test_an_online_event_shows_the_visitors_own_time_next_to_the_events(new_page, live_server):
    slug = live_server.facts["workshop_slug"]  # hybrid: people follow it from anywhere
    far = new_page(timezone_id="America/New_York")
    far.goto(f"/events/{slug}/")
    facts = far.locator(".event-facts")
    expect(facts.get_by_text(re.compile(r"Orari in Ora (standard|legale) dell’Europa centrale \(Europe/Rome\)"))).to_be_visible()
    local = facts.locator(".local-time").first
    expect(local).to_be_visible()
    expect(local).to_contain_text("nel tuo fuso orario:")
    # The visitor's time is the event's moment seen from New York (five or six hours
    # earlier, depending on the two countries' clock changes).
    event_time = facts.locator("time[data-local-end]").first.get_attribute("datetime")
    there = datetime.fromisoformat(event_time).astimezone(ZoneInfo("America/New_York"))
    expect(local).to_contain_text(re.compile(rf"(^|\D)0?{there.hour}:{there.minute:02d}"))
    expect(local.locator("time")).to_have_attribute("datetime", re.compile(r"Z$"))

    # At home nothing is added; without scripts the zone's name is all there is.
    home = new_page(timezone_id="Europe/Rome")
    home.goto(f"/events/{slug}/")
    expect(home.locator(".event-zone")).to_be_visible()
    expect(home.locator(".local-time")).to_have_count(0)
    plain = new_page(timezone_id="America/New_York", java_script_enabled=False)
    plain.goto(f"/events/{slug}/")
    expect(plain.locator(".event-zone")).to_be_visible()
    expect(plain.locator(".local-time")).to_have_count(0)


def test_the_new_and_changed_pages_are_valid_accessible_html(browser, live_server, new_page, tmp_path):
    """The rating on public pages, the zone note, the outbox's ticks and filters, the
    questions' buttons and the ratings page: valid HTML, no serious axe violation, touch
    targets of 24 px."""
    import json
    import subprocess

    from tests.browser.checks import VNU, axe_violations, small_targets
    from tests.browser.conftest import PHONE

    facts = live_server.facts
    slug, event_id = facts["workshop_slug"], facts["event_id"]
    public = ["/events/", f"/events/{slug}/"]
    admin = ["/admin/outbox", "/admin/feedback", f"/admin/events/{event_id}/registrations/questions",
             f"/admin/events/{event_id}/"]

    page = new_page()
    page.goto("/admin/login")
    page.locator("input[type=email]").first.fill(facts["organiser"]["email"])
    page.locator("input[type=password]").first.fill(facts["organiser"]["password"])
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()
    visitor = new_page(viewport=PHONE)

    files = []
    for n, url in enumerate(public + admin):
        who = page if url.startswith("/admin") else visitor
        response = who.goto(url)
        assert response.status == 200 and who.url.endswith(url), url
        assert axe_violations(who) == [], url
        assert small_targets(who) == [], url
        path = tmp_path / f"page{n}.html"
        path.write_bytes(response.body())
        files.append(str(path))
    done = subprocess.run(["java", "-jar", str(VNU), "--errors-only", "--format", "json",
                           "--exit-zero-always", *files], capture_output=True, text=True, timeout=300)
    report = json.loads(done.stderr or done.stdout)
    errors = [f"{m['url'].rsplit('/', 1)[-1]}:{m.get('lastLine')}: {m['message']}" for m in report["messages"]
              if m["type"] == "error" or m.get("subType") == "fatal"]
    assert errors == []
