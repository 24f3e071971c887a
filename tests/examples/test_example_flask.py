"""examples/flask, started as its README says (``bash examples/flask/run.sh``)."""

from __future__ import annotations

import json
from pathlib import Path

from example_harness import (
    EXAMPLES,
    assert_request_ids,
    by_type,
    check_logs,
    probe_endpoints,
    run_example,
)

#: The loggers that write while a request is handled: each record carries its rid.
REQUEST_TYPES = {"request.summary", "example", "app", "dockerflow.flask"}


def test_flask_example(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'example.db'}", "WEB_CONCURRENCY": "2"}
    with run_example(tmp_path, "flask", env=env) as example:
        probe_endpoints(
            example,
            EXAMPLES / "flask" / "version.json",
            {
                "status": "ok",
                "checks": {"check_database_connected": "ok", "check_disk_space": "ok"},
                "details": {},
            },
        )
        status, body, _ = example.get("/", "flask-hello", {"User-Agent": "example-test"})
        assert (status, json.loads(body)) == (200, {"hello": "world", "request_id": "flask-hello"})
    records = check_logs(example)
    assert_request_ids(example, records, REQUEST_TYPES)

    summaries = {record["Fields"]["rid"]: record for record in by_type(records, "request.summary")}
    assert set(summaries) == example.sent_ids
    hello = summaries["flask-hello"]["Fields"]
    assert (hello["path"], hello["errno"], hello["agent"], hello["method"]) == (
        "/",
        0,
        "example-test",
        "GET",
    )
    error = summaries["flask-error"]
    assert (error["Severity"], error["Fields"]["errno"]) == (3, 500)
    # The view's own record, and Flask's "Exception on /__error__ [GET]", with their rid.
    assert [r["Fields"]["rid"] for r in by_type(records, "example")] == ["flask-hello"]
    (flask_error,) = by_type(records, "app")
    assert flask_error["Fields"]["msg"].startswith("Exception on /__error__")
    assert flask_error["Fields"]["rid"] == "flask-error"
    assert (
        "This is a test exception from the /__error__ endpoint."
        in flask_error["Fields"]["traceback"]
    )
    # Gunicorn's own lines are mozlog too, and it listened on loopback only.
    listening = [
        r for r in by_type(records, "gunicorn.error") if "Listening at" in r["Fields"]["msg"]
    ]
    assert listening and f"http://127.0.0.1:{example.port}" in listening[0]["Fields"]["msg"]
