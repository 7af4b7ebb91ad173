"""Schemathesis against the live API: generated requests to every operation of the
OpenAPI document, over HTTP, on the demo data. No answer may be a 5xx or break the
document; a bounded number of cases keeps it well under a minute."""
from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.core.failures import FailureGroup
from werkzeug.serving import make_server

from app.api import keys
from app.auth.models import User
from app.events.models import Event, EventStatus
from app.extensions import db
from tests.factories import RegistrationFactory
from tests.smtpd import free_port

MAX_EXAMPLES = 15  # per operation and generation mode: about 240 cases in all


@pytest.fixture
def live_api(app, runner):
    """The app served over HTTP on the demo data, with an organiser's key."""
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    organiser = db.session.scalar(db.select(User).where(User.email == "organiser@eventi.local"))
    event = db.session.scalar(db.select(Event).where(Event.status == EventStatus.PUBLISHED)
                              .order_by(Event.id))
    event.organisers.append(organiser)
    RegistrationFactory(event=event)
    _, plain = keys.create_key(organiser, "scanner", None)
    db.session.commit()
    server = make_server("127.0.0.1", free_port(), app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    started = time.perf_counter()
    try:
        yield f"http://127.0.0.1:{server.server_port}", plain, event.id
    finally:
        print(f"\nlive API served in {time.perf_counter() - started:.1f} s")
        server.shutdown()
        thread.join(timeout=10)


CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
]


def _fuzz(operation, mode, *, base_url: str, http, headers: dict, path_parameters,
          counts: Counter, failures: list[str]) -> None:
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), derandomize=True)
    def run(case):
        counts["cases"] += 1
        response = case.call(base_url=base_url, session=http, headers=headers)
        try:
            case.validate_response(response, checks=CHECKS)
        except (AssertionError, FailureGroup) as exc:
            failures.append(f"{mode.value} {case.method} {case.formatted_path}: {exc}")

    try:
        run()
    except Unsatisfiable:
        # Nothing invalid to send (a path parameter that takes any text, say).
        assert mode == schemathesis.GenerationMode.NEGATIVE, operation.label


def test_generated_requests_find_no_server_error_and_no_answer_outside_the_document(live_api):
    base_url, api_key, event_id = live_api
    document = requests.get(base_url + "/api/v1/openapi.json", timeout=10).json()
    schema = schemathesis.openapi.from_dict(document)
    counts: Counter[str] = Counter()
    failures: list[str] = []
    http = requests.Session()

    for result in schema.get_all_operations():
        operation = result.ok()
        counts["operations"] += 1
        # The organiser's operations run with a real key and, for valid data, a real event.
        headers = {"Authorization": f"Bearer {api_key}"} if "organiser" in operation.path else {}
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            path_parameters = ({"event_id": event_id}
                               if headers and mode == schemathesis.GenerationMode.POSITIVE else None)
            _fuzz(operation, mode, base_url=base_url, http=http, headers=headers,
                  path_parameters=path_parameters, counts=counts, failures=failures)

    print(f"\nschemathesis: {counts['operations']} operations, {counts['cases']} cases, "
          f"{len(failures)} failures")
    assert counts["operations"] == sum(len(item) for item in document["paths"].values()) == 10
    assert not failures, "\n".join(failures[:10])
