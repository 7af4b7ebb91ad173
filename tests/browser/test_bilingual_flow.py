"""A bilingual event from end to end: the organiser writes it in Italian and English in
the back-office; an English visitor reads it in English (the untranslated description in
Italian, marked so), registers, and receives English e-mails and an English programme."""
from __future__ import annotations

import re
import subprocess
import tempfile
from datetime import date, timedelta
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.mail import text_of

TITLE = "Laboratorio sulle competenze per la transizione giusta"
TITLE_EN = "Workshop on skills for the Just Transition"
SUMMARY_EN = "A day in Mestre with training bodies and companies."
DESCRIPTION = "Un laboratorio per enti di formazione, parti sociali e imprese."
SESSION = "Dati e fabbisogni di competenze"
SESSION_EN = "Data and skills needs"


def log_in(page, creds: dict) -> None:
    page.goto("/admin/login")
    page.get_by_role("textbox", name="E-mail").fill(creds["email"])
    page.get_by_label("Password").fill(creds["password"])
    page.get_by_role("button", name="Accedi").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))


def fill_when(page, day: date, start: str, end: str) -> None:
    page.get_by_role("textbox", name="Inizio", exact=True).fill(f"{day.isoformat()}T{start}")
    page.get_by_role("textbox", name="Fine", exact=True).fill(f"{day.isoformat()}T{end}")


def open_english_version(page) -> None:
    disclosure = page.locator("details.english-version")
    disclosure.locator("summary", has_text="Versione in inglese").click()
    expect(disclosure).to_have_attribute("open", "")


def pdf_text(body: bytes) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "programme.pdf"
        path.write_bytes(body)
        return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                              capture_output=True, text=True).stdout


def test_an_english_visitor_reads_registers_and_gets_english_mail_and_programme(page, live_server):
    log_in(page, live_server.facts["organiser"])
    page.get_by_role("link", name="Nuovo evento").first.click()
    day = date.today() + timedelta(days=40)
    page.get_by_role("textbox", name="Titolo", exact=True).fill(TITLE)
    page.get_by_role("textbox", name="Descrizione", exact=True).fill(DESCRIPTION)
    page.get_by_role("combobox", name="Tipo", exact=True).select_option("workshop")
    page.get_by_role("combobox", name="Modalità", exact=True).select_option("in_person")
    open_english_version(page)
    page.get_by_role("textbox", name="Titolo in inglese").fill(TITLE_EN)
    page.get_by_role("textbox", name="Sommario in inglese").fill(SUMMARY_EN)
    fill_when(page, day, "09:00", "13:00")
    page.get_by_role("button", name="Crea la bozza").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)

    page.get_by_role("link", name="Aggiungi una sessione").click()
    page.get_by_role("textbox", name="Titolo", exact=True).fill(SESSION)
    open_english_version(page)
    page.get_by_role("textbox", name="Titolo in inglese").fill(SESSION_EN)
    fill_when(page, day, "09:00", "13:00")
    page.get_by_role("button", name="Salva").click()
    expect(page.get_by_text(SESSION).first).to_be_visible()
    page.get_by_role("button", name="Pubblica", exact=True).click()
    expect(page.get_by_role("button", name=re.compile("Ritira"))).to_be_visible()

    visitor = page.context.browser.new_context(base_url=live_server.url, locale="en-GB")
    try:
        reader = visitor.new_page()
        reader.goto("/events/")
        reader.get_by_role("button", name=re.compile("EN")).click()
        expect(reader.locator("html")).to_have_attribute("lang", "en")
        reader.get_by_role("link", name=TITLE_EN).click()
        expect(reader.get_by_role("heading", level=1)).to_have_text(TITLE_EN)
        expect(reader.get_by_text(SUMMARY_EN)).to_be_visible()
        expect(reader.get_by_text(SESSION_EN)).to_be_visible()
        # No English description was written: the Italian one, announced as Italian.
        expect(reader.locator(".event-description")).to_have_attribute("lang", "it")
        expect(reader.locator(".event-description")).to_contain_text(DESCRIPTION)
        # The calendar links keep the visitor's language.
        ics = reader.get_by_role("link", name="Download the event (.ics)")
        expect(ics).to_have_attribute("href", re.compile(r"calendar\.ics\?lang=en$"))
        calendar = visitor.request.get(ics.get_attribute("href"))
        assert f"SUMMARY:{TITLE_EN}" in calendar.text().replace("\r\n ", "")

        programme = reader.get_by_role("link", name="Download the programme")
        pdf = visitor.request.get(programme.get_attribute("href"))
        assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
        # Long titles are hyphenated at line ends (U+2010): read them joined.
        text = " ".join(pdf_text(pdf.body()).split()).replace("\u2010 ", "")
        assert TITLE_EN in text and SESSION_EN in text and "Programme" in text
        assert TITLE not in text

        reader.locator(".eventi-register-box").get_by_role("link", name="Register").click()
        expect(reader.get_by_role("heading", level=1)).to_have_text(f"Register for {TITLE_EN}")
        email = "jane.doe@example.org"
        reader.get_by_role("textbox", name="First name").fill("Jane")
        reader.get_by_role("textbox", name="Last name").fill("Doe")
        reader.get_by_role("textbox", name="E-mail").fill(email)
        reader.get_by_role("textbox", name="Organisation").fill("Social Economy Europe")
        reader.get_by_role("combobox", name="Category").select_option("terzo_settore")
        consent = reader.get_by_role("checkbox", name=re.compile("I have read the privacy notice"))
        reader.locator(f'label[for="{consent.get_attribute("id")}"]').click()
        reader.get_by_role("button", name="Register").click()
        expect(reader.get_by_role("main")).to_contain_text(email)

        [message] = live_server.mail_to(email)
        assert message["Subject"] == f"Registration confirmed: {TITLE_EN}"
        body = text_of(message)
        assert TITLE_EN in body and TITLE not in body
    finally:
        visitor.close()
