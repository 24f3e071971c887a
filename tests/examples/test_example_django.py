"""examples/django, started as its README says: ``bash examples/django/run.sh`` (gunicorn,
WSGI) and ``bash examples/django/run.sh uvicorn`` (ASGI)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from example_harness import (
    EXAMPLES,
    assert_request_ids,
    by_type,
    check_logs,
    probe_endpoints,
    run_example,
)

#: The loggers that write while a request is handled: each record carries its rid.
REQUEST_TYPES = {
    "request.summary",
    "exampleproject",
    "django.request",
    "dockerflow.django",
    "dockerflow.checks.registry",
}
#: The server's own loggers, for each way to run the example.
SERVER_TYPES = {"gunicorn": "gunicorn.error", "uvicorn": "uvicorn.error"}


@pytest.mark.parametrize("server", ["gunicorn", "uvicorn"])
def test_django_example(tmp_path: Path, server: str) -> None:
    env = {"DATABASE_PATH": str(tmp_path / "db.sqlite3"), "WEB_CONCURRENCY": "2"}
    with run_example(
        tmp_path, "django", *([server] if server != "gunicorn" else []), env=env
    ) as example:
        # A clean heartbeat: the database, its migrations and Django's deployment checks
        # all pass (the example is configured for production, DEBUG off).
        probe_endpoints(
            example,
            EXAMPLES / "django" / "version.json",
            # DEBUG off: the body says only the status, as with the reference library.
            {"status": "ok"},
        )
        status, body, _ = example.get("/", f"django-{server}-hello")
        assert (status, json.loads(body)) == (
            200,
            {"hello": "world", "request_id": f"django-{server}-hello"},
        )
    records = check_logs(example)

    assert [r["Fields"]["rid"] for r in by_type(records, "exampleproject")] == [
        f"django-{server}-hello"
    ]
    # migrate's progress is mozlog records too.
    migrated = [r["Fields"]["msg"] for r in by_type(records, "exampleproject.migrate")]
    assert "Running migrations:" in migrated, migrated
    # The server's own lines are mozlog, and it listens on loopback only (unless asked).
    server_messages = [r["Fields"]["msg"] for r in by_type(records, SERVER_TYPES[server])]
    assert any(f"http://127.0.0.1:{example.port}" in msg for msg in server_messages), (
        server_messages
    )

    # One summary per request, the Dockerflow endpoints' included, each with its own id.
    summaries = {record["Fields"]["rid"]: record for record in by_type(records, "request.summary")}
    assert set(summaries) == example.sent_ids
    assert_request_ids(example, records, REQUEST_TYPES)
    assert summaries["django-error"]["Fields"]["errno"] == 500
    # Django's own record of the 500, with its traceback and the request's id.
    (error,) = by_type(records, "django.request")
    assert error["Fields"]["rid"] == "django-error"
    assert "test exception" in error["Fields"]["traceback"]
