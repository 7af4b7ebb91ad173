"""Benchmark of file downloads: a 5 MB PDF served by the app from each storage backend,
against Flask's send_file serving the same bytes from disk, in the same run.

    .venv/bin/python bench/files.py [--rounds 5] [--downloads 10]

Everything runs through the WSGI interface in this process (no network between the
client and the app), so the figures compare what the app does per download: the
database backend's chunk queries, the S3 backend's streaming from moto's server (run as
its own process on 127.0.0.1:5106, so it does not share our GIL), and the signed-address
redirect. Cases alternate within each round; each figure is the median of the rounds.
With TEST_DATABASE_URL set, the database backend is measured on PostgreSQL too.
"""
from __future__ import annotations

import argparse
import io
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).absolute().parent.parent
sys.path.insert(0, str(ROOT))

SIZE = 5 * 1024 * 1024
MOTO_PORT = 5106
MOTO = f"http://127.0.0.1:{MOTO_PORT}"


def pdf_bytes() -> bytes:
    head = b"%PDF-1.7\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    body = os.urandom(SIZE - len(head) - 7)  # incompressible, like a PDF's images
    return head + body + b"\n%%EOF\n"


def start_moto() -> subprocess.Popen:
    exe = shutil.which("moto_server", path=str(Path(sys.executable).parent))
    proc = subprocess.Popen([exe, "-H", "127.0.0.1", "-p", str(MOTO_PORT)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", MOTO_PORT), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("moto_server did not start")


def baseline_app(path: Path):
    from flask import Flask, send_file

    bare = Flask("bare")

    @bare.get("/file.pdf")
    def file():
        return send_file(path, mimetype="application/pdf", conditional=False)

    return bare.test_client()


def eventi_app(database_url: str, backend: str, signed: bool = False):
    import boto3

    from app import create_app
    from app.config import TestConfig
    from app.events.models import Material, MaterialKind
    from app.extensions import db
    from app.files import services as files
    from tests.factories import EventFactory

    bucket = f"bench-{backend}-{int(signed)}"
    config = type("BenchConfig", (TestConfig,), {
        "SQLALCHEMY_DATABASE_URI": database_url, "STORAGE_BACKEND": backend,
        "STORAGE_S3_ENDPOINT": MOTO, "STORAGE_S3_BUCKET": bucket,
        "STORAGE_S3_ACCESS_KEY": "bench", "STORAGE_S3_SECRET_KEY": "bench",
        "STORAGE_S3_SIGNED_URLS": signed, "EVENT_PAGE_CACHE": False,
    })
    app = create_app(config)
    ctx = app.app_context()
    ctx.push()
    db.drop_all()
    db.create_all()
    if backend == "s3":
        s3 = boto3.client("s3", endpoint_url=MOTO, region_name="us-east-1",
                          aws_access_key_id="bench", aws_secret_access_key="bench")
        try:
            s3.create_bucket(Bucket=bucket)
        except s3.exceptions.BucketAlreadyOwnedByYou:
            pass
    event = EventFactory(slug="bench")
    material = Material(event=event, kind=MaterialKind.SLIDES, title="Slides", url="")
    db.session.add(material)
    db.session.flush()
    material_id = material.id
    files.attach_material_file(material_id, files.Upload(io.BytesIO(DATA), "slides.pdf", SIZE))
    db.session.commit()
    db.session.remove()
    ctx.pop()
    return app, f"/events/bench/materials/{material_id}"


def fetch(client, url: str) -> int:
    response = client.get(url, buffered=False)
    if response.status_code == 303:
        with urllib.request.urlopen(response.headers["Location"]) as remote:
            size = 0
            while chunk := remote.read(256 * 1024):
                size += len(chunk)
        response.close()
        return size
    size = sum(len(chunk) for chunk in response.response)
    response.close()
    assert size == SIZE, size
    return size


def timed(client, url: str, downloads: int) -> float:
    """MB/s over `downloads` downloads."""
    start = time.perf_counter()
    total = sum(fetch(client, url) for _ in range(downloads))
    return total / 1048576 / (time.perf_counter() - start)


DATA = b""


def main() -> None:
    global DATA
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--downloads", type=int, default=10)
    args = parser.parse_args()
    DATA = pdf_bytes()
    tmp = Path(tempfile.mkdtemp(prefix="eventi-bench-files-"))
    path = tmp / "slides.pdf"
    path.write_bytes(DATA)
    moto = start_moto()
    try:
        cases = {"send_file from disk": (baseline_app(path), "/file.pdf")}
        sqlite_url = f"sqlite:///{tmp / 'bench.db'}"
        for label, url in [("database (SQLite file)", sqlite_url)] + (
                [("database (PostgreSQL)", os.environ["TEST_DATABASE_URL"])]
                if os.environ.get("TEST_DATABASE_URL") else []):
            app, address = eventi_app(url, "database")
            cases[label] = (app, address)
        app, address = eventi_app(f"sqlite:///{tmp / 'bench-s3.db'}", "s3")
        cases["s3 streamed through the app"] = (app, address)
        app, address = eventi_app(f"sqlite:///{tmp / 'bench-s3-signed.db'}", "s3", signed=True)
        cases["s3 signed-URL redirect + fetch"] = (app, address)

        clients = {}
        for label, (target, address) in cases.items():
            client = target.test_client() if hasattr(target, "test_client") else target
            clients[label] = (client, address, target)
        results: dict[str, list[float]] = {label: [] for label in clients}
        for _ in range(args.rounds):
            for label, (client, address, target) in clients.items():
                if hasattr(target, "app_context"):
                    with target.app_context():
                        results[label].append(timed(client, address, args.downloads))
                else:
                    results[label].append(timed(client, address, args.downloads))
        base = statistics.median(results["send_file from disk"])
        print(f"5 MB PDF, {args.downloads} downloads per round, median of {args.rounds} "
              f"alternating rounds")
        print(f"{'case':34} {'MB/s':>8} {'ratio':>7}")
        for label, values in results.items():
            median = statistics.median(values)
            print(f"{label:34} {median:8.0f} {median / base:7.2f}")
    finally:
        moto.send_signal(signal.SIGTERM)
        moto.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
