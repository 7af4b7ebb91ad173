"""`make cluster-test`: Eventi on several hosts, on this machine's loopback addresses.

Debian's nginx with a self-signed certificate in front of two app hosts (gunicorn bound
to 127.0.0.2 and 127.0.0.3, each its own process tree), a fresh PostgreSQL database on
the machine's server, Redis (a database number of its own), two schedulers and an SMTP
relay (aiosmtpd, its own process). Every request goes through https:// on the proxy.
The files of deploy/ are used as they are: the nginx site and the gunicorn settings are
rendered from them with this run's paths and ports, the environment from deploy/env.example.

Seven scenarios, each printing its figures; everything started is stopped by PID.
CLUSTER_MIXED_SECONDS shortens the two-minute mixed load (scenario 7) when set.
"""
from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy"))
from render import render  # noqa: E402  (deploy/render.py, the installer's own tool)

BIN = Path(sys.executable).parent
PG_ADMIN = os.environ.get("CLUSTER_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_BASE = os.environ.get("CLUSTER_REDIS_URL", "redis://127.0.0.1:6379")
REDIS_DB = int(os.environ.get("CLUSTER_REDIS_DB", "14"))
MIXED_SECONDS = float(os.environ.get("CLUSTER_MIXED_SECONDS", "120"))
DEADLINE_SECONDS = float(os.environ.get("CLUSTER_DEADLINE_SECONDS", "600"))
HOST_IPS = ("127.0.0.2", "127.0.0.3")
LEASE_SECONDS, POLL_SECONDS = 10, 2
# A campaign goes out over this many SMTP connections: the crash window is one message each.
NEWSLETTER_CONNECTIONS = 2
WORKERS_PER_HOST = int(os.environ.get("CLUSTER_WORKERS", "3"))

STARTED = time.monotonic()
RESULTS: list[tuple[str, bool, str]] = []


def log(text: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.1f}s] {text}", flush=True)


def check_deadline() -> None:
    if time.monotonic() - STARTED > DEADLINE_SECONDS:
        raise TimeoutError(f"the cluster test ran past {DEADLINE_SECONDS:.0f}s")


def free_port(ip: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((ip, 0))
        return s.getsockname()[1]


# -- processes -------------------------------------------------------------------------------


class Processes:
    """Every process the test starts, each the leader of its own process group."""

    def __init__(self, logdir: Path) -> None:
        self.logdir = logdir
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, cmd: list[str], env: dict[str, str]) -> subprocess.Popen:
        out = open(self.logdir / f"{name}.log", "ab")  # noqa: SIM115
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        out.close()
        self.procs[name] = proc
        log(f"started {name} (pid {proc.pid}): {' '.join(Path(c).name if i == 0 else c for i, c in enumerate(cmd))}")
        return proc

    def kill9(self, name: str) -> None:
        """SIGKILL the whole process tree (a gunicorn master and its workers)."""
        proc = self.procs[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def stop(self, name: str, timeout: float = 20) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)

    def stop_all(self, timeout: float = 40) -> None:
        """SIGTERM to every group at once, then SIGKILL to whatever is left after `timeout`."""
        running = {n: p for n, p in self.procs.items() if p.poll() is None}
        for proc in running.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for name, proc in running.items():
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log(f"{name} (pid {proc.pid}) ignored SIGTERM: SIGKILL")
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        # Workers of a killed master may linger in its group: make sure the groups are empty.
        for proc in running.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        self.procs.clear()


# -- an HTTPS client with its own address and cookies --------------------------------------------


class Browser:
    def __init__(self, proxy_port: int, source_ip: str = "127.0.0.1", timeout: float = 60) -> None:
        self.port = proxy_port
        self.source_ip = source_ip
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPSConnection | None = None
        self.ctx = ssl.create_default_context(cafile=CERT_FILE)

    def _connection(self) -> http.client.HTTPSConnection:
        if self.conn is None:
            self.conn = http.client.HTTPSConnection(
                "127.0.0.1", self.port, context=self.ctx, timeout=self.timeout,
                source_address=(self.source_ip, 0))
        return self.conn

    def request(self, method: str, path: str, data=None, headers=None):
        body = None
        hdrs = {"Host": f"127.0.0.1:{self.port}", "User-Agent": "eventi-cluster-test"}
        if self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if data is not None:
            body = urllib.parse.urlencode(data, doseq=True)
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
            # As a browser does: Flask-WTF checks the Referer of HTTPS form posts.
            hdrs["Referer"] = f"https://127.0.0.1:{self.port}{path}"
        hdrs.update(headers or {})
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(method, path, body=body, headers=hdrs)
                resp = conn.getresponse()
                payload = resp.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A kept-alive connection the proxy closed in between: open a new one.
                # The request never reached the proxy, so sending it again is safe.
                self.close()
                if attempt == 2:
                    raise
        for value in resp.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if resp.getheader("Connection", "").lower() == "close":
            self.close()
        return Response(resp.status, dict((k.lower(), v) for k, v in resp.getheaders()), payload)

    def get(self, path: str, **kw):
        return self.request("GET", path, **kw)

    def post(self, path: str, data, **kw):
        return self.request("POST", path, data=data, **kw)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def csrf(self) -> str:
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.text)
        return match.group(1) if match else ""


CERT_FILE = ""


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


# -- the cluster -----------------------------------------------------------------------------


class Cluster:
    def __init__(self) -> None:
        self.work = Path(tempfile.mkdtemp(prefix="eventi-cluster-"))
        (self.work / "logs").mkdir()
        self.procs = Processes(self.work / "logs")
        self.db_name = f"eventi_deploy_cluster_{os.getpid()}"
        self.proxy_port = free_port("127.0.0.1")
        self.http_port = free_port("127.0.0.1")
        self.smtp_port = free_port("127.0.0.1")
        self.host_ports = {ip: free_port(ip) for ip in HOST_IPS}
        self.mail_file = self.work / "mail.tsv"
        self.access_log = self.work / "nginx" / "access.log"
        self.env: dict[str, str] = {}
        self.data: dict = {}

    # set-up ------------------------------------------------------------------------------
    def psql(self, sql: str, db: str | None = None) -> str:
        url = PG_ADMIN if db is None else PG_ADMIN.rsplit("/", 1)[0] + "/" + db
        out = subprocess.run(["psql", url, "-qAtc", sql], check=True, capture_output=True,
                             text=True, timeout=60)
        return out.stdout.strip()

    def redis(self, *args: str) -> str:
        url = f"{REDIS_BASE}/{REDIS_DB}"
        return subprocess.run(["redis-cli", "-u", url, *args], check=True, capture_output=True,
                              text=True, timeout=30).stdout.strip()

    def make_env(self) -> None:
        """deploy/env.example with this run's values, read as systemd's EnvironmentFile would."""
        values: dict[str, str] = {}
        for line in (ROOT / "deploy" / "env.example").read_text().splitlines():
            if line and not line.startswith("#") and "=" in line:
                key, _, value = line.partition("=")
                values[key.strip()] = value.strip()
        db_url = PG_ADMIN.rsplit("/", 1)[0] + "/" + self.db_name
        base_url = f"https://127.0.0.1:{self.proxy_port}"
        values.update({
            "DATABASE_URL": db_url,
            "SECRET_KEY": secrets.token_urlsafe(48),
            "BASE_URL": base_url,
            "UID_DOMAIN": "cluster.eventi.test",
            "RATELIMIT_STORAGE_URI": f"{REDIS_BASE}/{REDIS_DB}",
            "CACHE_REDIS_URL": f"{REDIS_BASE}/{REDIS_DB}",
            "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(self.smtp_port),
            "MAIL_USE_TLS": "false", "MAIL_USERNAME": "", "MAIL_PASSWORD": "",
            "MAIL_DEFAULT_SENDER": "Eventi <eventi@cluster.eventi.test>",
            "LOG_FORMAT": "json",
            "EVENTI_SCHEDULER_LEASE_SECONDS": str(LEASE_SECONDS),
            "EVENTI_SCHEDULER_POLL_SECONDS": str(POLL_SECONDS),
            "EVENTI_NEWSLETTER_RATE_PER_SECOND": "150",
            "EVENTI_NEWSLETTER_CLAIM_SECONDS": "15",
            "EVENTI_NEWSLETTER_SMTP_CONNECTIONS": str(NEWSLETTER_CONNECTIONS),
            "EVENTI_MAIL_LOCAL_HOSTNAME": "cluster.eventi.test",
            "GUNICORN_WORKERS": str(WORKERS_PER_HOST),
            "GUNICORN_TIMEOUT": "60",
        })
        (self.work / "env").write_text("".join(f"{k}={v}\n" for k, v in values.items()))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("EVENTI_", "GUNICORN_"))}
        for key in ("TEST_DATABASE_URL", "DATABASE_BACKEND", "PROMETHEUS_MULTIPROC_DIR",
                    "XDG_RUNTIME_DIR"):
            env.pop(key, None)
        env.update(values)
        env.update({"FLASK_APP": "wsgi:app", "PYTHONPATH": str(ROOT), "HOME": str(self.work)})
        self.env = env

    def certificate(self) -> None:
        global CERT_FILE
        cert, key = self.work / "tls.crt", self.work / "tls.key"
        subprocess.run([
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=60)
        CERT_FILE = str(cert)

    def nginx_config(self) -> Path:
        prefix = self.work / "nginx"
        prefix.mkdir(exist_ok=True)
        servers = "\n".join(
            f"    server {ip}:{port} max_fails=3 fail_timeout=10s;"
            for ip, port in self.host_ports.items())
        site = render((ROOT / "deploy" / "nginx" / "eventi.conf").read_text(), {
            "SERVER_NAME": "127.0.0.1 localhost",
            "LISTEN_HTTPS": f"127.0.0.1:{self.proxy_port}",
            "LISTEN_HTTP": f"127.0.0.1:{self.http_port}",
            "TLS_CERT": CERT_FILE, "TLS_KEY": str(self.work / "tls.key"),
            "APP_SERVERS": servers,
            "STATIC_ROOT": str(ROOT / "static"),
            "MAX_BODY": "16m",
            "METRICS_ALLOW": "        allow 127.0.0.1;",
            "CONF_DIR": str(ROOT / "deploy" / "nginx"),
            "ACCESS_LOG": str(self.access_log),
        })
        (prefix / "eventi.conf").write_text(site)
        main = render((ROOT / "tests" / "cluster" / "nginx.conf").read_text(), {
            "PREFIX": str(prefix), "USER": "user root;" if os.geteuid() == 0 else "",
        })
        (prefix / "nginx.conf").write_text(main)
        return prefix / "nginx.conf"

    def wait_for(self, what: str, probe, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                if probe():
                    return
            time.sleep(0.3)
        raise RuntimeError(f"{what} did not come up within {timeout:.0f}s")

    def host_ok(self, ip: str) -> bool:
        conn = http.client.HTTPConnection(ip, self.host_ports[ip], timeout=5)
        try:
            conn.request("GET", "/healthz")
            return conn.getresponse().status == 200
        finally:
            conn.close()

    def start_host(self, ip: str, wait: bool = True) -> None:
        name = f"web-{ip}"
        runtime = self.work / name
        runtime.mkdir(exist_ok=True)
        env = dict(self.env, GUNICORN_BIND=f"{ip}:{self.host_ports[ip]}",
                   RUNTIME_DIRECTORY=str(runtime))
        self.procs.start(name, [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "wsgi:app"], env)
        if wait:
            self.wait_for(name, lambda: self.host_ok(ip), timeout=120)

    def start(self) -> None:
        self.psql(f'CREATE DATABASE "{self.db_name}"')
        self.redis("FLUSHDB")
        self.make_env()
        self.certificate()
        t = time.monotonic()
        subprocess.run([str(BIN / "flask"), "db", "upgrade"], cwd=ROOT, env=self.env, check=True,
                       capture_output=True, timeout=180)
        out = subprocess.run([str(BIN / "python"), "-m", "tests.cluster.setup_data", "seed"],
                             cwd=ROOT, env=self.env, check=True, capture_output=True, text=True,
                             timeout=180)
        self.data = json.loads(out.stdout.strip().splitlines()[-1])
        log(f"database {self.db_name} migrated and seeded in {time.monotonic() - t:.1f}s "
            f"({self.data['subscribers']} subscribers)")
        sink = self.procs.start("smtp", [str(BIN / "python"), "-m", "tests.cluster.smtpsink",
                                         str(self.smtp_port), str(self.mail_file)], self.env)
        self.wait_for("smtp relay", lambda: sink.poll() is None and socket.create_connection(
            ("127.0.0.1", self.smtp_port), 1).close() is None)
        for ip in HOST_IPS:
            self.start_host(ip, wait=False)
        for n in (1, 2):
            self.procs.start(f"scheduler-{n}", [str(BIN / "flask"), "scheduler", "run"],
                             dict(self.env, HOSTNAME=f"scheduler{n}"))
        conf = self.nginx_config()
        test = subprocess.run(["nginx", "-t", "-c", str(conf), "-p", str(conf.parent)],
                              capture_output=True, text=True, timeout=30)
        if test.returncode:
            raise RuntimeError("nginx -t: " + test.stderr)
        self.procs.start("nginx", ["nginx", "-c", str(conf), "-p", str(conf.parent)], self.env)
        for ip in HOST_IPS:
            self.wait_for(f"web-{ip}", lambda ip=ip: self.host_ok(ip), timeout=120)
        self.wait_for("nginx", lambda: Browser(self.proxy_port).get("/healthz").status == 200)
        self.wait_for("a scheduler leader", lambda: self.leader() is not None, timeout=90)
        log(f"cluster up: nginx https://127.0.0.1:{self.proxy_port} -> "
            + ", ".join(f"{ip}:{p}" for ip, p in self.host_ports.items()))

    def stop(self) -> None:
        self.procs.stop_all()
        with contextlib.suppress(Exception):
            self.psql(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
        with contextlib.suppress(Exception):
            self.redis("FLUSHDB")
        if os.environ.get("CLUSTER_KEEP_LOGS"):
            log(f"logs kept in {self.work}")
        else:
            shutil.rmtree(self.work, ignore_errors=True)

    # observations -------------------------------------------------------------------------
    def sql(self, query: str) -> list[list[str]]:
        out = self.psql(query, self.db_name)
        return [line.split("|") for line in out.splitlines() if line]

    def leader(self) -> str | None:
        rows = self.sql("SELECT holder FROM scheduler_leases WHERE name = 'scheduler' "
                        "AND expires_at > now()")
        return rows[0][0] if rows else None

    def upstream(self, response: Response) -> str:
        """The app host nginx sent a request to (the last one when it retried), from its log."""
        rid = response.headers.get("x-request-id", "")
        for _ in range(10):  # nginx writes the line just after the answer
            found = self.upstreams().get(rid)
            if found:
                return found
            time.sleep(0.1)
        return "?"

    def upstreams(self) -> dict[str, str]:
        """request id -> the app host nginx sent it to (the last one when it retried)."""
        found = {}
        for line in self.access_log.read_text().splitlines():
            rid = re.search(r"rid=(\S+)", line)
            ups = re.search(r"upstream=(\S+(?:, \S+)*)", line)
            if rid and ups:
                found[rid.group(1)] = ups.group(1).split(", ")[-1]
        return found

    def mail_lines(self) -> list[list[str]]:
        if not self.mail_file.exists():
            return []
        return [line.split("\t") for line in self.mail_file.read_text().splitlines()]


def scenario(title: str):
    def wrap(func):
        def run(cluster: Cluster) -> None:
            check_deadline()
            log(f"== {title}")
            started = time.monotonic()
            try:
                ok, summary = func(cluster)
            except Exception as exc:  # noqa: BLE001 - report and go on with the next one
                ok, summary = False, f"{type(exc).__name__}: {exc}"
            took = time.monotonic() - started
            RESULTS.append((title, ok, f"[{took:.1f}s] {summary}"))
            log(f"{'PASS' if ok else 'FAIL'} {title} ({took:.1f}s): {summary}")
        return run
    return wrap


def registration_form(page: Response, n: int, *, mode: str, parts: list[int]) -> dict:
    return {"csrf_token": page.csrf(), "first_name": "Persona", "last_name": f"Numero {n}",
            "email": f"person{n}@example.org", "organisation": "Impresa", "category": "impresa",
            "country": "IT", "attendance_mode": mode, "parts": [str(p) for p in parts],
            "privacy_consent": "y"}


def registration_category(cluster: Cluster, page: Response) -> str:
    match = re.search(r'<select[^>]*name="category".*?<option[^>]*value="([^"]+)"', page.text, re.S)
    if match and not match.group(1):
        options = re.findall(r'<option[^>]*value="([^"]*)"', page.text.split('name="category"', 1)[1])
        return next(o for o in options if o)
    return match.group(1) if match else "impresa"


# -- 1 ---------------------------------------------------------------------------------------


@scenario("1. 100 concurrent registrations, two-day hybrid event, per-day limits")
def concurrent_registrations(c: Cluster):
    event = c.data["hybrid"]
    path = f"/events/{event['slug']}/register"
    first = Browser(c.proxy_port).get(path)
    category = registration_category(c, first)

    def one(n: int):
        b = Browser(c.proxy_port, source_ip=f"127.0.1.{n + 1}")
        page = b.get(path)
        parts = [event["parts"][0]] if n % 3 == 0 else [event["parts"][1]] if n % 3 == 1 else event["parts"]
        form = registration_form(page, n, mode="in_person" if n % 2 else "online", parts=parts)
        form["category"] = category
        barrier.wait(30)
        resp = b.post(path, form)
        b.close()
        return resp.status, resp.headers.get("x-request-id", "")

    barrier = threading.Barrier(100)
    t = time.monotonic()
    with ThreadPoolExecutor(100) as pool:
        answers = list(pool.map(one, range(100)))
    elapsed = time.monotonic() - t
    statuses = Counter(s for s, _ in answers)
    hosts = Counter(c.upstreams().get(rid, "?") for _, rid in answers)
    rows = c.sql(f"SELECT status, count(*) FROM registrations WHERE event_id = {event['id']} GROUP BY status")
    by_status = {s: int(n) for s, n in rows}
    over = []
    for part, cap in c.sql(f"SELECT id, capacity FROM sessions WHERE event_id = {event['id']} AND registrable"):
        used = int(c.sql(f"SELECT count(*) FROM registration_parts rp JOIN registrations r ON r.id = rp.registration_id "
                         f"WHERE rp.session_id = {part} AND r.status = 'confirmed'")[0][0])
        log(f"   day {part}: {used} confirmed of {cap}")
        if cap and used > int(cap):
            over.append(f"part {part}: {used}>{cap}")
    for mode, cap in (("in_person", 30), ("online", 40)):
        used = int(c.sql(f"SELECT count(*) FROM registrations WHERE event_id = {event['id']} "
                         f"AND status = 'confirmed' AND attendance_mode = '{mode}'")[0][0])
        log(f"   {mode}: {used} confirmed of {cap}")
        if used > cap:
            over.append(f"{mode}: {used}>{cap}")
    positions = [int(p) for (p,) in c.sql(
        f"SELECT waitlist_position FROM registrations WHERE event_id = {event['id']} "
        "AND status = 'waitlisted' ORDER BY waitlist_position")]
    gapless = positions == list(range(1, len(positions) + 1))
    log(f"   answers {dict(statuses)} in {elapsed:.1f}s; hosts {dict(hosts)}; "
        f"registrations {by_status}; waiting positions 1..{len(positions)} gapless={gapless}")
    ok = (statuses == Counter({303: 100}) and not over and gapless
          and sum(by_status.values()) == 100 and len([h for h in hosts if h != "?"]) == 2)
    return ok, (f"100 POSTs -> {dict(statuses)}, {len(hosts)} hosts {dict(hosts)}, "
                f"{by_status}, cells over capacity: {over or 'none'}, waiting list {len(positions)} gapless={gapless}")


# -- 2 ---------------------------------------------------------------------------------------


def form_fields(html: str, field: str) -> dict[str, list[str]]:
    """Every field, with its current value, of the first form that has a field named `field`."""
    from html.parser import HTMLParser

    class Parser(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.inside = False
            self.forms: list[dict[str, list[str]]] = []
            self.fields: dict[str, list[str]] = defaultdict(list)
            self.select: str | None = None
            self.textarea: str | None = None
            self.text = ""

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "form":
                self.inside = True
                self.fields = defaultdict(list)
                self.forms.append(self.fields)
            if not self.inside:
                return
            if tag == "input" and a.get("name"):
                kind = (a.get("type") or "text").lower()
                if kind in ("checkbox", "radio") and "checked" not in a:
                    return
                if kind in ("submit", "button", "file"):
                    return
                self.fields[a["name"]].append(a.get("value") or ("y" if kind == "checkbox" else ""))
            elif tag == "select":
                self.select, self.first_option, self.chosen = a.get("name"), None, False
            elif tag == "option" and self.select:
                if self.first_option is None:
                    self.first_option = a.get("value", "")
                if "selected" in a:
                    self.chosen = True
                    self.fields[self.select].append(a.get("value", ""))
            elif tag == "textarea":
                self.textarea, self.text = a.get("name"), ""

        def handle_endtag(self, tag):
            if tag == "form":
                self.inside = False
            elif tag == "select":
                if self.select and not self.chosen and self.first_option is not None:
                    self.fields[self.select].append(self.first_option)  # as a browser sends it
                self.select = None
            elif tag == "textarea" and self.textarea:
                self.fields[self.textarea].append(self.text)
                self.textarea = None

        def handle_data(self, data):
            if self.textarea:
                self.text += data

    parser = Parser()
    parser.feed(html)
    return dict(next(f for f in parser.forms if field in f))


@scenario("2. An organiser's edit on one host is what the other host serves next (page, feed, PDF)")
def no_stale_cache(c: Cluster):
    event = c.data["edited"]
    slug = event["slug"]
    reader = Browser(c.proxy_port, source_ip="127.0.0.20")
    paths = {"page": f"/events/{slug}/", "feed": f"/events/{slug}/calendar.ics",
             "pdf": f"/events/{slug}/programme.pdf"}
    for path in paths.values():  # warm the shared cache with the old title
        assert reader.get(path).status == 200
    organiser = Browser(c.proxy_port, source_ip="127.0.0.21")
    login = organiser.get("/admin/login")
    resp = organiser.post("/admin/login", {"csrf_token": login.csrf(), "email": c.data["organiser"],
                                     "password": c.data["password"], "next": ""})
    assert resp.status in (302, 303), f"login answered {resp.status}"
    edit_path = f"/admin/events/{event['id']}/edit"
    page = organiser.get(edit_path)
    assert page.status == 200, f"edit page answered {page.status}"
    fields = form_fields(page.text, "title")
    new_title = f"Titolo modificato {secrets.token_hex(3)}"
    fields["title"] = [new_title]
    resp = organiser.post(edit_path, fields)
    assert resp.status in (302, 303), f"edit answered {resp.status}: {resp.text[:300]}"
    edit_host = c.upstream(resp)
    checks = []
    for kind, path in paths.items():
        # The very next request for it served by the other host.
        for _ in range(8):
            r = reader.get(path)
            host = c.upstream(r)
            if host != edit_host:
                break
        if kind == "pdf":
            text = subprocess.run(["pdftotext", "-", "-"], input=r.body, capture_output=True,
                                  timeout=30).stdout.decode("utf-8", "replace")
            text = " ".join(text.split())
        elif kind == "feed":
            text = r.text.replace("\r\n ", "")
        else:
            text = r.text
        fresh = new_title in text
        checks.append((kind, host, r.status, fresh))
        log(f"   {kind}: served by {host} (edit by {edit_host}) status {r.status} new title shown={fresh}")
    ok = all(status == 200 and fresh and host != edit_host for _, host, status, fresh in checks)
    return ok, f"edit on {edit_host}; " + ", ".join(
        f"{k} from {h}: {'fresh' if f else 'STALE'}" for k, h, _, f in checks)


# -- 3 ---------------------------------------------------------------------------------------


@scenario("3. Rate limits count across hosts and per real client (X-Forwarded-For)")
def rate_limits(c: Cluster):
    def signups(ip: str, count: int) -> tuple[Counter, Counter]:
        b = Browser(c.proxy_port, source_ip=ip)
        token = b.get("/newsletter/").csrf()  # the sign-up form carries a CSRF token
        statuses, hosts = Counter(), Counter()
        for n in range(count):
            r = b.post("/newsletter/", {"csrf_token": token,
                                        "email": f"limit-{ip}-{n}@example.org", "consent": "y",
                                        "language": "it", "source": "form"})
            statuses[r.status] += 1
            hosts[c.upstream(r)] += 1
        b.close()
        return statuses, hosts

    heavy, heavy_hosts = signups("127.0.0.30", 14)
    light = {ip: signups(ip, 4)[0] for ip in ("127.0.0.31", "127.0.0.32", "127.0.0.33")}
    log(f"   127.0.0.30: {dict(heavy)} over hosts {dict(heavy_hosts)}")
    for ip, st in light.items():
        log(f"   {ip}: {dict(st)}")
    ok = (heavy.get(429, 0) == 4 and heavy.get(302, 0) + heavy.get(303, 0) == 10
          and len([h for h in heavy_hosts if h != "?"]) == 2
          and all(429 not in st for st in light.values()))
    return ok, (f"one client: {dict(heavy)} across {len(heavy_hosts)} hosts (limit 10/min); "
                f"three others: {[dict(s) for s in light.values()]}")


# -- 4 ---------------------------------------------------------------------------------------


@scenario("4. kill -9 of one app host during a GET load")
def kill_app_host(c: Cluster):
    victim = HOST_IPS[0]
    stop = threading.Event()
    gets, posts = Counter(), Counter()
    failures: list[str] = []
    post_outcomes: list[tuple[str, int]] = []
    lock = threading.Lock()
    paths = [f"/events/{c.data['open']['slug']}/", "/events/", "/", f"/events/{c.data['open']['slug']}/calendar.ics",
             "/calendar.ics", "/privacy"]

    def getter(n: int):
        b = Browser(c.proxy_port, source_ip=f"127.0.3.{n + 1}", timeout=30)
        i = 0
        while not stop.is_set():
            path = paths[i % len(paths)] + (f"?n={i}" if i % 2 else "")
            i += 1
            try:
                status = b.get(path).status
            except Exception as exc:  # noqa: BLE001
                status = -1
                with lock:
                    failures.append(f"{path}: {type(exc).__name__} {exc}")
                b.close()
            with lock:
                gets[status] += 1

    def poster(n: int):
        b = Browser(c.proxy_port, source_ip=f"127.0.4.{n + 1}", timeout=30)
        path = f"/events/{c.data['open']['slug']}/register"
        k = 0
        while not stop.is_set() and k < 8:
            page = b.get(path)
            email = f"kill-{n}-{k}@example.org"
            form = {"csrf_token": page.csrf(), "first_name": "Tizio", "last_name": f"K{n}",
                    "email": email, "organisation": "", "category": CATEGORY[0], "country": "IT",
                    "privacy_consent": "y"}
            try:
                status = b.post(path, form).status
            except Exception:  # noqa: BLE001
                status = -1
                b.close()
            with lock:
                posts[status] += 1
                post_outcomes.append((email, status))
            k += 1
            time.sleep(0.5)

    threads = [threading.Thread(target=getter, args=(n,)) for n in range(16)]
    threads += [threading.Thread(target=poster, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    time.sleep(4)
    before = sum(gets.values())
    killed_at = time.monotonic()
    c.procs.kill9(f"web-{victim}")
    log(f"   killed host {victim} (whole process tree) after {before} GETs")
    time.sleep(8)
    stop.set()
    for t in threads:
        t.join(60)
    after = sum(gets.values()) - before
    # POSTs: every registration is whole (its confirmation e-mail is in the outbox with it),
    # and every POST answered 303 has its registration.
    emails = {e for e, _ in post_outcomes}
    rows = c.sql("SELECT r.email, count(o.id) FROM registrations r LEFT JOIN outbox o "
                 "ON o.registration_id = r.id WHERE r.email LIKE 'kill-%' GROUP BY r.email")
    stored = {e: int(n) for e, n in rows}
    half = [e for e, n in stored.items() if n < 1]
    lost = [e for e, s in post_outcomes if s == 303 and e not in stored]
    failed_posts = [(e, s) for e, s in post_outcomes if s != 303]
    log(f"   GETs: {dict(gets)} ({before} before the kill, {after} in the {time.monotonic() - killed_at:.0f}s after)"
        f"{'; failures: ' + ', '.join(failures[:5]) if failures else ''}")
    log(f"   POSTs: {dict(posts)}; failed: {failed_posts}; stored of those: "
        f"{[e for e, _ in failed_posts if e in stored]}; half-written: {half}; answered 303 but missing: {lost}")
    c.start_host(victim, wait=False)  # back before scenario 6, which needs both hosts
    ok = (set(gets) == {200} and not failures and not half and not lost and len(emails) == len(post_outcomes))
    return ok, (f"{sum(gets.values())} GETs, failed {sum(v for k, v in gets.items() if k != 200)}; "
                f"POSTs {dict(posts)}, half-written {len(half)}")


CATEGORY = ["impresa"]


# -- 5 ---------------------------------------------------------------------------------------


@scenario("5. kill -9 of the scheduler leader during a 2,000-recipient campaign")
def kill_scheduler_leader(c: Cluster):
    out = subprocess.run([str(BIN / "python"), "-m", "tests.cluster.setup_data", "send",
                          str(c.data["campaign"])], cwd=ROOT, env=c.env, check=True,
                         capture_output=True, text=True, timeout=60)
    recipients = json.loads(out.stdout.strip().splitlines()[-1])["recipients"]
    campaign = c.data["campaign"]
    subject = "numero del cluster"

    def sent() -> int:
        return int(c.sql(f"SELECT count(*) FROM newsletter_deliveries WHERE campaign_id = {campaign} "
                         "AND status = 'sent'")[0][0])

    deadline = time.monotonic() + 60
    while sent() < 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    leader = c.leader()
    name = next(n for n in ("scheduler-1", "scheduler-2")
                if c.procs.procs[n].pid == int(leader.split(":")[1]))
    at_kill = sent()
    # What the killed leader's lease still had to run: no standby may lead before it ends,
    # and the one polling next takes over within a poll of it.
    lease_left = float(c.sql("SELECT extract(epoch FROM expires_at - now()) FROM scheduler_leases "
                             "WHERE name = 'scheduler'")[0][0])
    killed = time.monotonic()
    c.procs.kill9(name)
    log(f"   killed {name} ({leader}) with {at_kill}/{recipients} sent")
    new_leader, takeover = None, None
    while time.monotonic() - killed < LEASE_SECONDS + POLL_SECONDS + 30:
        holder = c.leader()
        if holder and holder != leader:
            new_leader, takeover = holder, time.monotonic() - killed
            break
        time.sleep(0.2)
    log(f"   standby {new_leader} leads after {takeover if takeover is None else round(takeover, 1)}s; "
        f"the lease had {lease_left:.1f}s left (documented: within lease {LEASE_SECONDS}s + poll "
        f"{POLL_SECONDS}s)")
    finish_deadline = time.monotonic() + 120
    while time.monotonic() < finish_deadline:
        remaining = int(c.sql(f"SELECT count(*) FROM newsletter_deliveries WHERE campaign_id = {campaign} "
                              "AND status NOT IN ('sent', 'failed', 'skipped', 'cancelled')")[0][0])
        if remaining == 0:
            break
        time.sleep(0.5)
    done = time.monotonic() - killed
    time.sleep(1)
    copies = Counter(line[0] for line in c.mail_lines() if subject in line[-1])
    ids = defaultdict(set)
    for line in c.mail_lines():
        if subject in line[-1]:
            ids[line[0]].add(line[1])
    twice = {r: n for r, n in copies.items() if n > 1}
    missing = recipients - len(copies)
    log(f"   campaign finished {done:.1f}s after the kill: {len(copies)} recipients got it, "
        f"missing {missing}, more than one copy {len(twice)} {twice or ''}"
        f"{' (same Message-ID: the documented crash window)' if twice and all(len(ids[r]) == 1 for r in twice) else ''}")
    # Restart a second scheduler so the cluster has a standby again.
    c.procs.procs.pop(name, None)
    c.procs.start(name, [str(BIN / "flask"), "scheduler", "run"], c.env)
    # The one documented window (README, "The one window in which a crash can repeat a
    # message"): the message the killed leader had handed to the relay but not yet marked
    # sent goes out again, with the same Message-ID. At most one per connection of the
    # killed sender (NEWSLETTER_SMTP_CONNECTIONS).
    same_id = all(len(ids[r]) == 1 for r in twice)
    # The bound counts from the kill the lease time left (at most LEASE_SECONDS), one poll,
    # and one second for the standby's own query and this loop's.
    bound = min(lease_left, LEASE_SECONDS) + POLL_SECONDS + 1
    ok = (takeover is not None and takeover <= bound
          and missing == 0 and len(twice) <= NEWSLETTER_CONNECTIONS and same_id)
    return ok, (f"takeover in {takeover and round(takeover, 1)}s (lease left {lease_left:.1f}s + poll "
                f"{POLL_SECONDS}s + 1s = {bound:.1f}s); "
                f"{len(copies)}/{recipients} recipients, {missing} missing, {recipients - missing - len(twice)} "
                f"exactly one copy, {len(twice)} a second copy with the same Message-ID "
                "(the message in flight at the kill: the documented crash window)")


# -- 6 ---------------------------------------------------------------------------------------


@scenario("6. PostgreSQL connections cut under load: 503 + Retry-After, then full recovery")
def database_cut(c: Cluster):
    stop = threading.Event()
    timeline: list[tuple[float, int, str]] = []
    lock = threading.Lock()
    t0 = time.monotonic()
    paths = ["/events/", f"/events/{c.data['open']['slug']}/?x=1", "/", "/calendar.ics"]

    def load(n: int):
        b = Browser(c.proxy_port, source_ip=f"127.0.5.{n + 1}", timeout=30)
        i = 0
        while not stop.is_set():
            path = paths[i % len(paths)]
            i += 1
            try:
                r = b.get(path)
                status, retry = r.status, r.headers.get("retry-after", "")
            except Exception as exc:  # noqa: BLE001
                status, retry = -1, type(exc).__name__
                b.close()
            with lock:
                timeline.append((time.monotonic() - t0, status, retry))
            time.sleep(0.02)

    for ip in HOST_IPS:
        c.wait_for(f"web-{ip}", lambda ip=ip: c.host_ok(ip), timeout=120)
    pids_before = {name: p.pid for name, p in c.procs.procs.items()}
    threads = [threading.Thread(target=load, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    time.sleep(3)
    cut_start = time.monotonic() - t0
    c.psql(f'ALTER DATABASE "{c.db_name}" WITH ALLOW_CONNECTIONS false')
    killed = c.psql(f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    f"WHERE datname = '{c.db_name}' AND pid <> pg_backend_pid()")
    time.sleep(5)
    c.psql(f'ALTER DATABASE "{c.db_name}" WITH ALLOW_CONNECTIONS true')
    cut_end = time.monotonic() - t0
    time.sleep(8)
    stop.set()
    for t in threads:
        t.join(60)
    during = [s for at, s, _ in timeline if cut_start + 0.5 < at < cut_end]
    after = [s for at, s, _ in timeline if at > cut_end + 3]
    bad_503 = [r for at, s, r in timeline if s == 503 and not r]
    others = Counter(s for _, s, _ in timeline if s not in (200, 503))
    first_ok = next((at - cut_end for at, s, _ in timeline if at > cut_end and s == 200), None)
    pids_after = {name: p.pid for name, p in c.procs.procs.items() if p.poll() is None}
    restarted = [n for n, pid in pids_before.items() if pids_after.get(n) != pid]
    lease_fresh = c.sql("SELECT extract(epoch FROM now() - renewed_at) FROM scheduler_leases "
                        "WHERE name = 'scheduler'")
    log(f"   {killed} backends terminated; cut {cut_end - cut_start:.1f}s; during: {dict(Counter(during))}; "
        f"after: {dict(Counter(after))}; first 200 {first_ok and round(first_ok, 2)}s after the cut")
    log(f"   503 without Retry-After: {len(bad_503)}; other answers: {dict(others)}; processes restarted: "
        f"{restarted or 'none'}; lease renewed {float(lease_fresh[0][0]):.1f}s ago")
    ok = (503 in during and not bad_503 and not others and after and set(after) == {200}
          and not restarted and float(lease_fresh[0][0]) < LEASE_SECONDS)
    return ok, (f"during the cut {dict(Counter(during))} (all 503 with Retry-After: {not bad_503}); "
                f"after {dict(Counter(after))}; no process restarted: {not restarted}")


# -- 7 ---------------------------------------------------------------------------------------


@scenario(f"7. Mixed load at 50 concurrent clients for {MIXED_SECONDS:.0f}s")
def mixed_load(c: Cluster):
    open_slug, hybrid = c.data["open"]["slug"], c.data["hybrid"]["slug"]
    reads = {
        "page": [f"/events/{open_slug}/", f"/events/{hybrid}/", "/events/", "/"],
        "feed": [f"/events/{open_slug}/calendar.ics", "/calendar.ics"],
        "pdf": [f"/events/{open_slug}/programme.pdf", f"/events/{hybrid}/programme.pdf"],
    }
    timings: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    lock = threading.Lock()
    end = time.monotonic() + MIXED_SECONDS

    def client(n: int):
        ip = f"127.0.6.{n + 1}"
        b = Browser(c.proxy_port, source_ip=ip, timeout=60)
        rng = __import__("random").Random(n)
        last_reg = last_news = 0.0
        i = 0
        while time.monotonic() < end:
            now = time.monotonic()
            i += 1
            roll = rng.random()
            if roll < 0.08 and now - last_reg > 7:
                kind, last_reg = "register", now
            elif roll < 0.14 and now - last_news > 7:
                kind, last_news = "newsletter", now
            else:
                kind = rng.choices(["page", "feed", "pdf"], weights=[70, 20, 10])[0]
            started = time.monotonic()
            try:
                if kind == "register":
                    path = f"/events/{open_slug}/register"
                    page = b.get(path)
                    r = b.post(path, {"csrf_token": page.csrf(), "first_name": "Carico",
                                      "last_name": f"C{n}", "email": f"mix-{n}-{i}@example.org",
                                      "category": CATEGORY[0], "country": "IT", "privacy_consent": "y"})
                    good = r.status == 303
                elif kind == "newsletter":
                    page = b.get("/newsletter/")  # the sign-up form carries a CSRF token
                    r = b.post("/newsletter/", {"csrf_token": page.csrf(),
                                                "email": f"mixnews-{n}-{i}@example.org", "consent": "y",
                                                "language": "it", "source": "form"})
                    good = r.status in (302, 303)
                else:
                    r = b.get(rng.choice(reads[kind]))
                    good = r.status == 200
            except Exception as exc:  # noqa: BLE001
                good, r = False, None
                b.close()
                with lock:
                    errors.append(f"{kind}: {type(exc).__name__}")
            took = time.monotonic() - started
            with lock:
                timings[kind].append(took)
                if not good and r is not None:
                    errors.append(f"{kind}: {r.status}")

    with ThreadPoolExecutor(50) as pool:
        list(pool.map(client, range(50)))
    total = sum(len(v) for v in timings.values())
    log(f"   {total} operations in {MIXED_SECONDS:.0f}s ({total / MIXED_SECONDS:.1f}/s), errors {len(errors)} "
        f"{dict(Counter(errors)) if errors else ''}")
    lines = []
    for kind in ("page", "feed", "pdf", "register", "newsletter"):
        values = timings.get(kind, [])
        if values:
            line = (f"{kind:<10} n={len(values):5d}  p50={percentile(values, 50) * 1000:7.1f} ms  "
                    f"p99={percentile(values, 99) * 1000:7.1f} ms")
            log("   " + line)
            lines.append(f"{kind} p50 {percentile(values, 50) * 1000:.0f}ms p99 {percentile(values, 99) * 1000:.0f}ms")
    return not errors, f"{total} operations, {len(errors)} errors; " + "; ".join(lines)


# -- proxy basics ---------------------------------------------------------------------------


@scenario("0. The proxy: TLS with HTTP/2, fingerprinted static files, gzip, /metrics, /readyz")
def proxy_basics(c: Cluster):
    ctx = ssl.create_default_context(cafile=CERT_FILE)
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    with socket.create_connection(("127.0.0.1", c.proxy_port), 5) as raw, \
            ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        alpn, version = tls.selected_alpn_protocol(), tls.version()
    b = Browser(c.proxy_port)
    home = b.get("/")
    css = re.search(r'href="(/static/css/eventi\.[0-9a-f]{12}\.css)"', home.text).group(1)
    static = b.get(css, headers={"Accept-Encoding": "gzip"})
    big = re.search(r'href="(/static/vendor/[^"]+\.[0-9a-f]{12}\.css)"', home.text).group(1)
    gz = b.get(big, headers={"Accept-Encoding": "gzip"})
    plain_redirect = http.client.HTTPConnection("127.0.0.1", c.http_port, timeout=5)
    plain_redirect.request("GET", "/events/", headers={"Host": "127.0.0.1"})
    redirect = plain_redirect.getresponse()
    ready = b.get("/readyz")
    # /metrics straight from one host (as Prometheus scrapes each host), all workers summed.
    conn = http.client.HTTPConnection(HOST_IPS[1], c.host_ports[HOST_IPS[1]], timeout=10)
    conn.request("GET", "/metrics")
    metrics = conn.getresponse().read().decode()
    outside = Browser(c.proxy_port, source_ip="127.0.0.99").get("/metrics")
    log(f"   TLS {version}, ALPN {alpn}; {css}: {static.status} Cache-Control '{static.headers.get('cache-control')}'"
        f" served by nginx={'x-request-id' not in static.headers}; gzip on {big.rsplit('/', 1)[-1]}: "
        f"{gz.headers.get('content-encoding')}; http -> {redirect.status} {redirect.getheader('Location')}")
    log(f"   /readyz {ready.status} {ready.text.strip()}; /metrics from {HOST_IPS[1]}: "
        f"{len(metrics.splitlines())} lines; /metrics through the proxy from 127.0.0.99: {outside.status}")
    ok = (alpn == "h2" and static.status == 200 and "immutable" in static.headers.get("cache-control", "")
          and "x-request-id" not in static.headers and gz.headers.get("content-encoding") == "gzip"
          and redirect.status == 301 and ready.status == 200 and "eventi_http_requests_total" in metrics
          and outside.status == 403)
    return ok, f"ALPN {alpn}, static immutable, gzip, readyz {ready.status}, metrics restricted"


def main() -> int:
    cluster = Cluster()
    try:
        t = time.monotonic()
        cluster.start()
        log(f"started in {time.monotonic() - t:.1f}s")
        first = Browser(cluster.proxy_port).get(f"/events/{cluster.data['hybrid']['slug']}/register")
        CATEGORY[0] = registration_category(cluster, first)
        for step in (proxy_basics, concurrent_registrations, no_stale_cache, rate_limits,
                     kill_app_host, kill_scheduler_leader, database_cut, mixed_load):
            step(cluster)
    except Exception as exc:  # noqa: BLE001
        RESULTS.append(("cluster", False, f"{type(exc).__name__}: {exc}"))
        log(f"FAIL: {type(exc).__name__}: {exc}")
        if os.environ.get("CLUSTER_KEEP_LOGS") is None:
            for path in sorted((cluster.work / "logs").glob("*.log")):
                tail = path.read_text(errors="replace").splitlines()[-15:]
                print(f"--- {path.name}\n" + "\n".join(tail))
    finally:
        t = time.monotonic()
        cluster.stop()
        log(f"everything stopped in {time.monotonic() - t:.1f}s")
    print()
    print("Cluster test summary")
    for title, ok, summary in RESULTS:
        print(f"  {'PASS' if ok else 'FAIL'}  {title}\n        {summary}")
    passed = sum(1 for _, ok, _ in RESULTS if ok)
    failed = len(RESULTS) - passed
    print(f"  total {time.monotonic() - STARTED:.0f}s")
    print(f"cluster: {passed} passed, {failed} failed")
    return 0 if failed == 0 and passed >= 8 else 1


if __name__ == "__main__":
    sys.exit(main())
