"""gunicorn settings for one Eventi app host: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Every value can be changed from the environment (the systemd unit reads
/etc/eventi/env), so the file itself stays as shipped:

  GUNICORN_BIND            127.0.0.1:8000     address:port nginx proxies to
  GUNICORN_WORKERS         cores              gthread workers (see docs/operations.md, sizing)
  GUNICORN_WORKER_CLASS    gthread            or sync (then GUNICORN_THREADS is ignored)
  GUNICORN_THREADS         8                  threads per worker
  GUNICORN_TIMEOUT         30                 seconds before a silent worker is killed
  GUNICORN_ACCESS_LOG      (off)              "-" for gunicorn's own access log; the app
                                              already writes one line per request
  GUNICORN_CONTROL_SOCKET  $RUNTIME_DIRECTORY/gunicorn.ctl under systemd, else off
  PROMETHEUS_MULTIPROC_DIR $RUNTIME_DIRECTORY/prometheus under systemd, else a
                                              private temporary folder

The control socket: gunicorn 27 opens one by default at a fixed path in the home
directory (or $XDG_RUNTIME_DIR), shared by every instance run by the same user, so
two instances on one machine fight over it. Each instance here gets its own path in
its own runtime directory, or none at all.
"""
from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile

_runtime = os.environ.get("RUNTIME_DIRECTORY", "").split(":")[0]

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count()))
# Threaded workers: under a mixed load (bench/mixed.py) a sync worker serving a cached
# page waits behind registrations queued on the event's lock and behind feed bodies;
# a thread of the same worker answers it meanwhile. Cached pages then keep their p99
# within 3× of their p99 alone and twice the throughput of 4 sync workers. A bare
# view's p99 is worse with threads, but no Eventi route is a bare view.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# SIGTERM (systemctl stop/restart) lets requests in flight finish for this long.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# Recycle workers now and then, staggered, so slow leaks never add up.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = max_requests // 10
# Not preloaded: SIGHUP (systemctl reload) starts new workers on the new code, then
# stops the old ones gracefully.
preload_app = False
# X-Forwarded-* are read by the app's ProxyFix (PROXY_FIX_*), not by gunicorn.
forwarded_allow_ips = ""

errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
access_log_format = (
    '%(h)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s ua="%(a)s"'
)

_control = os.environ.get("GUNICORN_CONTROL_SOCKET")
if _control is None and _runtime:
    _control = os.path.join(_runtime, "gunicorn.ctl")
if _control:
    control_socket = _control
    control_socket_mode = 0o600
else:
    control_socket_disable = True

_own_metrics_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _own_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = (
        os.path.join(_runtime, "prometheus") if _runtime
        else tempfile.mkdtemp(prefix="eventi-prometheus-")
    )


def on_starting(server):
    """Start with an empty metrics folder: files of a previous run would count twice."""
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder, mode=0o700, exist_ok=True)


def on_exit(server):
    """A folder made here for this run (no runtime directory given) goes with it."""
    if _own_metrics_dir and not _runtime:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)


def child_exit(server, worker):
    """A dead worker's gauges must not be summed any more."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
