"""Benchmark of the printable documents.

    .venv/bin/python bench/documents.py

1. A three-day programme with 40 sessions: the app's cold render (queries, template,
   tagged PDF/UA) and warm download (cache hit through the Flask view), against
   WeasyPrint rendering a static HTML file of the same content, in the same run.
2. Certificates of attendance for 500 attendees, each case in its own process so its
   peak memory is its own: the app's streamed ZIP against one 500-page PDF.
"""
from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).absolute().parent.parent
sys.path.insert(0, str(ROOT))

ATTENDEES = 500
MONDAY = datetime(2027, 1, 18, 8, 0, tzinfo=UTC)


def make_app():
    from app import create_app
    from app.config import TestConfig
    from app.extensions import db

    config = type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    app = create_app(config)
    ctx = app.app_context()
    ctx.push()
    db.create_all()
    return app


def build_event(sessions: int = 40, attendees: int = 0):
    from app.extensions import db
    from tests.factories import (
        EventFactory,
        ProjectFactory,
        RegistrationFactory,
        SessionFactory,
        SpeakerFactory,
    )

    event = EventFactory(
        slug="final-conference",
        title="+RESILIENT final conference: social innovation, resilience and the green "
              "and digital transition of small firms in the Mediterranean",
        starts_at=MONDAY, ends_at=MONDAY + timedelta(days=2, hours=9),
        project=ProjectFactory(acronym="+RESILIENT", programme="Interreg MED"),
        description="Three days of talks, round tables and workshops. **Free entry.**",
        contact_name="Ufficio Progetti Comunitari", contact_phone="+39 0422 595288",
    )
    speakers = [SpeakerFactory(name=f"Speaker {n}", affiliation=f"University {n}")
                for n in range(20)]
    per_day = -(-sessions // 3)
    for n in range(sessions):
        day, slot = divmod(n, per_day)
        start = MONDAY + timedelta(days=day, minutes=40 * slot)
        item = SessionFactory(event=event, title=f"Session {n + 1}: value chains and transition",
                              starts_at=start, ends_at=start + timedelta(minutes=40),
                              room=("Auditorium", "Sala Europa", "Sala Giunta")[n % 3])
        item.speakers = [speakers[n % 20], speakers[(n + 7) % 20]]
    for n in range(attendees):
        RegistrationFactory(event=event, first_name="Maria", last_name=f"Rossi{n:03d}",
                            checked_in_at=MONDAY, language=("it", "en")[n % 2])
    db.session.commit()
    return event


def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def programme_bench() -> dict:
    from flask import render_template
    from flask_babel import force_locale
    from weasyprint import HTML

    from app.cache import get_cache
    from app.documents import pdf
    from app.extensions import db

    app = make_app()
    event = build_event()
    url = f"/events/{event.slug}/programme.pdf?lang=it"

    start = time.perf_counter()
    first = pdf.render_programme_pdf(event, "it")
    first_in_process = time.perf_counter() - start

    def cold():
        db.session.expire_all()  # the event and its programme are read from the database again
        pdf.render_programme_pdf(db.session.get(pdf.Event, event.id), "it")

    cold_s = median_time(cold, 5)

    # The same content as a static HTML file, rendered by WeasyPrint with its defaults.
    with app.test_request_context("/"), force_locale("it"):
        sessions = pdf._programme_sessions(event)
        html = render_template(
            "pdf/documents/programme.html",
            days=pdf.programme_days(event, sessions, "it"), session_count=len(sessions),
            event_url=pdf.event_url(event), qr_code=pdf.qr_data_uri(pdf.event_url(event)),
            **pdf._common(event, "it", title=event.title),
        )
    tmp = Path(tempfile.mkdtemp(prefix="bench-documents-"))
    static_url = (Path(app.static_folder).resolve().as_uri()) + "/"
    (tmp / "print.css").write_text(
        (Path(app.static_folder) / pdf.STYLESHEET).read_text().replace("url(/static/", "url(" + static_url))
    (tmp / "programme.html").write_text(html.replace(
        "<head>", '<head><link rel="stylesheet" href="print.css">', 1))

    def static_file():
        HTML(filename=str(tmp / "programme.html")).write_pdf()

    static_s = median_time(static_file, 5)

    client = app.test_client()
    get_cache().clear()
    client.get(url)  # fills the cache

    def warm():
        response = client.get(url)
        assert response.status_code == 200

    warm_s = median_time(warm, 100)
    etag = client.get(url).headers["ETag"]
    revalidate_s = median_time(lambda: client.get(url, headers={"If-None-Match": etag}), 100)

    pages = subprocess.run(["pdfinfo", "-"], input=first, capture_output=True).stdout
    page_count = next((line.split()[-1] for line in pages.decode().splitlines()
                       if line.startswith("Pages:")), "?")
    return {
        "sessions": 40, "pages": page_count, "bytes": len(first),
        "first_render_in_process_s": first_in_process,
        "cold_render_s": cold_s, "static_html_s": static_s,
        "warm_download_s": warm_s, "revalidation_304_s": revalidate_s,
    }


def rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def certificates_bench(mode: str) -> dict:
    from flask_babel import force_locale

    from app.documents import pdf

    app = make_app()
    event = build_event(sessions=4, attendees=ATTENDEES)
    registrations = pdf.checked_in_registrants(event)
    pdf.render_certificate(registrations[0])  # fonts and stylesheet loaded once
    before = rss_mib()
    samples = []
    start = time.perf_counter()
    with app.test_request_context("/"):
        if mode == "zip":
            size = 0
            with open(os.devnull, "wb") as sink:
                for n, chunk in enumerate(pdf.iter_certificates_zip(registrations), 1):
                    sink.write(chunk)
                    size += len(chunk)
                    if n % 100 == 0:
                        samples.append(round(rss_mib(), 1))
        else:
            # The naive way: every certificate as a page of one document.
            from flask import render_template

            with force_locale("it"):
                body = "".join(
                    render_template("pdf/documents/certificate.html", registration=r,
                                    issued_label="", reference=str(r.id),
                                    **pdf._common(event, "it", title="x"))
                    .split("<body>", 1)[1].split("</body>", 1)[0]
                    for r in registrations
                )
                head = render_template("pdf/documents/certificate.html",
                                       registration=registrations[0], issued_label="",
                                       reference="", **pdf._common(event, "it", title="x"))
                html = head.split("<body>", 1)[0] + "<body>" + body + "</body></html>"
            size = len(pdf.html_to_pdf(html))
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"mode": mode, "attendees": len(registrations), "seconds": elapsed,
            "bytes": size, "rss_before_mib": before, "peak_rss_mib": peak,
            "rss_every_100_mib": samples}


def run_child(mode: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--certificates", mode], cwd=ROOT,
                         capture_output=True, text=True, timeout=110)
    if out.returncode:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    import logging

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    if len(sys.argv) == 3 and sys.argv[1] == "--certificates":
        print(json.dumps(certificates_bench(sys.argv[2])))
        return

    p = programme_bench()
    print("Programme: 3 days, 40 sessions,", p["pages"], "A4 pages,", p["bytes"] // 1024, "KiB")
    print(f"  first render in a new process  {p['first_render_in_process_s'] * 1000:8.0f} ms")
    print(f"  cold render (app, PDF/UA)      {p['cold_render_s'] * 1000:8.0f} ms")
    print(f"  static HTML file, WeasyPrint   {p['static_html_s'] * 1000:8.0f} ms   (baseline)")
    print(f"  ratio cold / static file       {p['cold_render_s'] / p['static_html_s']:8.2f}x")
    print(f"  warm download (cache hit)      {p['warm_download_s'] * 1000:8.2f} ms   "
          f"({p['static_html_s'] / p['warm_download_s']:.0f}x faster than the baseline)")
    print(f"  revalidation answered 304      {p['revalidation_304_s'] * 1000:8.2f} ms")

    print(f"Certificates of attendance, {ATTENDEES} attendees (each case in its own process):")
    for mode, label in (("zip", "streamed ZIP, one PDF each"),
                        ("single", "one 500-page PDF (naive)")):
        c = run_child(mode)
        print(f"  {label:28s} {c['seconds']:6.1f} s  {c['bytes'] / 2**20:6.1f} MiB out  "
              f"RSS {c['rss_before_mib']:.0f} MiB before, peak {c['peak_rss_mib']:.0f} MiB"
              + (f"; every 100: {c['rss_every_100_mib']}" if c["rss_every_100_mib"] else ""))


if __name__ == "__main__":
    main()
