"""The real server for the browser tests: gunicorn and the scheduler on a fresh database.

Used by the pytest fixtures and by `make screenshots`.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.smtpd import SMTPServer, free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def find_chromium() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser"):
        if candidate and (path := shutil.which(candidate)):
            return path
    return None


# Without the background-networking switches Chromium keeps calling Google's hosts,
# which a closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def has_command(group: str, name: str) -> bool:
    from flask import Flask

    from app.cli import register

    app = Flask("probe")
    register(app)
    cmd = app.cli.commands.get(group)
    return bool(cmd) and name in getattr(cmd, "commands", {})


@dataclass
class LiveServer:
    url: str
    facts: dict
    smtp: SMTPServer
    workdir: Path
    processes: list[subprocess.Popen] = field(default_factory=list)
    scheduler: bool = False

    def stop(self) -> None:
        for proc in self.processes:
            proc.terminate()
        for proc in self.processes:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.smtp.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def log(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def mail_to(self, address: str, timeout: float = 60, count: int = 1):
        """Wait for the scheduler to deliver `count` messages to `address`; return them all."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.smtp.to(address)
            if len(found) >= count:
                return found
            time.sleep(0.25)
        raise AssertionError(
            f"no e-mail to {address} within {timeout}s; scheduler log:\n{self.log('scheduler')[-3000:]}"
        )


def start(workers: int = 2) -> LiveServer:
    workdir = Path(tempfile.mkdtemp(prefix="eventi-browser-"))
    smtp = SMTPServer().start()
    # BROWSER_TEST_PORT pins the server's port when the machine hands out port ranges.
    port = int(os.environ.get("BROWSER_TEST_PORT") or 0) or free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "FLASK_APP": "wsgi:app",
        "DATABASE_URL": f"sqlite:///{workdir / 'eventi.db'}",
        "SECRET_KEY": "browser-tests-secret-key",
        "BASE_URL": url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp.port),
        "MAIL_USE_TLS": "0",
        "MAIL_USE_SSL": "0",
        "SESSION_COOKIE_SECURE": "0",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("CACHE_REDIS_URL", None)
    server = LiveServer(url=url, facts={}, smtp=smtp, workdir=workdir)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "tests.browser.bootstrap"], cwd=ROOT, env=env,
            capture_output=True, text=True, timeout=300,
        )
        if done.returncode != 0:
            raise RuntimeError(f"preparing the database failed:\n{done.stderr[-4000:]}")
        server.facts = json.loads(done.stdout)

        def spawn(name: str, args: list[str]) -> None:
            out = open(workdir / f"{name}.log", "w")  # noqa: SIM115 (closed with the process)
            server.processes.append(
                subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
            )

        spawn("gunicorn", [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}",
                           "--workers", str(workers), "--timeout", "60", "wsgi:app"])
        if has_command("scheduler", "run"):
            spawn("scheduler", [str(BIN / "flask"), "scheduler", "run"])
            server.scheduler = True
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or server.processes[0].poll() is not None:
                raise RuntimeError(f"gunicorn did not start:\n{server.log('gunicorn')[-4000:]}")
            time.sleep(0.2)
    except BaseException:
        server.stop()
        raise
    return server
