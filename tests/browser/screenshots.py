"""`make screenshots`: the pages a new user sees first, at desktop and phone width,
rendered by Chromium from the real server with the demo data into docs/screenshots/."""
from __future__ import annotations

import sys
from pathlib import Path

from tests.browser import server as live

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WIDTHS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 360, "height": 740}}
# name, path (formatted with the server's facts), whether the organiser must be logged in
SHOTS = [
    ("home", "/", False),
    ("event", "/events/{workshop_slug}/", False),
    ("registration-form", "/events/{workshop_slug}/register", False),
    ("attendee-page", "/registrations/{attendee_token}/", False),
    ("admin-event", "/admin/events/{event_id}/", True),
]
# Full pages, cut at this height so the files stay small and show what matters first.
MAX_HEIGHT = {"desktop": 1600, "phone": 2200}


def main() -> int:
    from playwright.sync_api import sync_playwright

    chromium = live.find_chromium()
    if chromium is None:
        print("Chromium is not installed: apt-get install chromium", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    server = live.start()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=live.CHROMIUM_ARGS)
            for device, viewport in WIDTHS.items():
                visitor = browser.new_context(base_url=server.url, viewport=viewport,
                                              reduced_motion="reduce")
                organiser = browser.new_context(base_url=server.url, viewport=viewport,
                                                reduced_motion="reduce")
                login(organiser.new_page(), server.facts["organiser"])
                for name, path, admin in SHOTS:
                    page = (organiser if admin else visitor).new_page()
                    page.goto(path.format(**server.facts))
                    page.wait_for_load_state("networkidle")
                    height = min(page.evaluate("document.documentElement.scrollHeight"),
                                 MAX_HEIGHT[device])
                    target = OUT / f"{name}-{device}.png"
                    page.screenshot(path=str(target), full_page=True, animations="disabled",
                                    clip={"x": 0, "y": 0, "width": viewport["width"], "height": height})
                    print(f"wrote {target.relative_to(OUT.parents[1])}")
                    page.close()
                visitor.close()
                organiser.close()
            browser.close()
    finally:
        server.stop()
    return 0


def login(page, creds: dict) -> None:
    page.goto("/admin/login")
    page.locator("input[name=email]").fill(creds["email"])
    page.locator("input[name=password]").fill(creds["password"])
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/admin/")
    page.close()


if __name__ == "__main__":
    sys.exit(main())
