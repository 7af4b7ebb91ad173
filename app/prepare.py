"""`make run` in one process: bring the database up to date, load the demo when it has no
events, then serve with gunicorn (the app preloaded, so the workers fork ready) beside
the scheduler. Each step used to import the whole app anew, three times in series.

    python -m app.prepare          # migrate and load the demo if needed, then exit
    python -m app.prepare serve    # the same, then serve until Ctrl-C (or SIGTERM)
"""
from __future__ import annotations

import logging
import os
import subprocess
import sys

import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from app.demo import load
from app.events.models import Event
from app.extensions import db


def prepare() -> None:
    app = create_app()
    with app.app_context():
        # migrations/env.py configures logging for the `flask db` commands (a root handler,
        # alembic's lines at INFO): here it would double every log line of the server and
        # print per-revision lines that say nothing useful to someone starting the demo.
        root = logging.getLogger()
        handlers, level = list(root.handlers), root.level
        logging.disable(logging.INFO)
        try:
            upgrade()
        finally:
            logging.disable(logging.NOTSET)
            root.handlers[:] = handlers
            root.setLevel(level)
        if db.session.scalar(sa.select(sa.func.count(Event.id))) == 0:
            for line in load():
                print(line, flush=True)
        db.engine.dispose()  # no connection is carried into the forked workers


def serve() -> int:
    from gunicorn.app.wsgiapp import WSGIApplication

    flask = os.path.join(os.path.dirname(sys.executable), "flask")
    scheduler = subprocess.Popen([flask, "scheduler", "run"])
    print(f"Serving on {os.environ.get('BASE_URL', '')} (scheduler running beside it); "
          "Ctrl-C stops both.", flush=True)
    sys.argv = ["gunicorn", "-c", "deploy/gunicorn.conf.py", "--preload", "wsgi:app"]
    try:
        WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").run()
    except SystemExit:
        pass
    finally:
        if scheduler.poll() is None:
            scheduler.terminate()
        scheduler.wait()
    return 0


if __name__ == "__main__":
    prepare()
    sys.exit(serve() if sys.argv[1:] == ["serve"] else 0)
