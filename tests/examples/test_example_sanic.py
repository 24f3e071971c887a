"""examples/sanic, started as its README says (``bash examples/sanic/run.sh``)."""

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
REQUEST_TYPES = {"request.summary", "dockerflow.sanic", "sanic.error", "sanic.access"}


def test_sanic_example(tmp_path: Path) -> None:
    with run_example(tmp_path, "sanic", env={"WORKERS": "2"}) as example:
        # Sanic's main process listens before its workers are up: wait for both (a worker
        # stopped while it starts prints a plain traceback, from multiprocessing).
        example.wait_for(2, '"msg":"Worker ready')
        # version.json is served from the example's directory, not /app, when run locally.
        probe_endpoints(
            example,
            EXAMPLES / "sanic" / "version.json",
            {"status": "ok", "checks": {"disk_space": "ok"}, "details": {}},
        )
        status, body, _ = example.get("/", "sanic-hello")
        assert (status, json.loads(body)) == (200, {"hello": "world", "request_id": "sanic-hello"})
    records = check_logs(example)
    assert_request_ids(example, records, REQUEST_TYPES)

    summaries = {record["Fields"]["rid"]: record for record in by_type(records, "request.summary")}
    assert set(summaries) == example.sent_ids
    assert (summaries["sanic-error"]["Severity"], summaries["sanic-error"]["Fields"]["errno"]) == (
        3,
        500,
    )
    (error,) = by_type(records, "sanic.error")
    assert error["Fields"]["rid"] == "sanic-error"
    assert "test exception" in error["Fields"]["traceback"]
    # Sanic's own server lines (workers starting and stopping) are mozlog too.
    messages = [r["Fields"].get("msg", "") for r in by_type(records, "sanic.server")]
    assert any(message.startswith("Worker ready") for message in messages), messages
