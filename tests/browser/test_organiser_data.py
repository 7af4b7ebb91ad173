"""An organiser imports people registered on paper, sees the bad row's reason, imports the
good one (who receives the usual e-mail), and reads the event's dashboard: the chart is an
image with a name, and its table says what the chart draws."""
from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.browser.checks import axe_violations, horizontal_overflow
from tests.browser.conftest import PHONE

PAPER_LIST = (
    b"Nome;Cognome;E-mail;Ente\n"
    b"Chiara;Lombardi;chiara.lombardi@example.org;Comune di Belluno\n"
    b"Franco;Esposito;franco-senza-chiocciola;Confartigianato\n"
)


def sign_in(page, creds) -> None:
    page.goto("/admin/login")
    page.get_by_role("textbox", name="E-mail").fill(creds["email"])
    page.get_by_label("Password").fill(creds["password"])
    page.get_by_role("button", name="Accedi").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))


def test_an_organiser_imports_a_paper_list_and_reads_the_dashboard(page, new_page, live_server):
    facts = live_server.facts
    sign_in(page, facts["organiser"])
    page.goto(f"/admin/events/{facts['event_id']}/registrations")
    page.get_by_role("link", name="Importa iscritti").click()

    page.get_by_label(re.compile("^Elenco")).set_input_files(
        {"name": "iscritti-cartacei.csv", "mimeType": "text/csv", "buffer": PAPER_LIST})
    page.get_by_role("button", name="Carica e visualizza l'anteprima").click()

    # The columns were recognised; each row says what will happen to it.
    expect(page.get_by_role("combobox", name="E-mail")).to_have_value("E-mail")
    rows = page.locator("table.eventi-import-rows tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("non è un indirizzo e-mail valido")
    expect(page.get_by_role("status")).to_contain_text("1 non importate")

    page.get_by_role("button", name="Importa 1 persona").click()
    expect(page.get_by_text("1 persona importata")).to_be_visible()
    expect(page.get_by_text("1 riga non è stata importata.")).to_be_visible()
    expect(page.get_by_role("link", name="Chiara Lombardi")).to_be_visible()
    mail = live_server.mail_to("chiara.lombardi@example.org")[0]
    assert facts["workshop_title"] in mail["Subject"]

    page.get_by_role("link", name="Cruscotto dell'evento").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cruscotto dell'evento")
    chart = page.get_by_role("img", name="Iscrizioni nel tempo")
    expect(chart).to_be_visible()
    table = page.locator("#chart-over-time-table")
    expect(table).to_be_hidden()  # behind its disclosure until asked for
    page.get_by_text("Tabella dei dati: Iscrizioni nel tempo").click()
    expect(table).to_be_visible()

    today = datetime.now(ZoneInfo("Europe/Rome")).date().isoformat()
    last = table.locator("tbody tr").last
    expect(last.locator("th")).to_have_text(today)
    totals = [int(n) for n in page.locator(".eventi-dashboard-totals strong").all_inner_texts()]
    expect(last.locator("td").last).to_have_text(str(sum(totals)))
    assert chart.locator("rect").count() == table.locator("tbody tr").count()
    assert axe_violations(page) == []

    phone = new_page(viewport=PHONE)
    sign_in(phone, facts["organiser"])
    phone.goto(f"/admin/events/{facts['event_id']}/dashboard")
    expect(phone.get_by_role("img", name="Iscrizioni nel tempo")).to_be_visible()
    assert horizontal_overflow(phone) is None
