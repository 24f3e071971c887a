"""examples/fastapi, started as its README says (``bash examples/fastapi/run.sh``): the
four endpoints answer, and every line the example writes is mozlog JSON, uvicorn's own
lines included."""

from __future__ import annotations

import json
import sys
from pathlib import Path

_EXAMPLES_TESTS = str(Path(__file__).resolve().parent.parent / "examples")
if _EXAMPLES_TESTS not in sys.path:
    sys.path.insert(0, _EXAMPLES_TESTS)

from example_harness import (  # noqa: E402
    EXAMPLES,
    assert_request_ids,
    by_type,
    check_logs,
    probe_endpoints,
    run_example,
)

#: The loggers that write while a request is handled: each record carries its rid.
REQUEST_TYPES = {"request.summary", "dockerflow.fastapi.views"}


def test_fastapi_example(tmp_path: Path) -> None:
    with run_example(tmp_path, "fastapi", env={"WORKERS": "2"}) as example:
        # uvicorn's supervisor listens before its workers are up: wait for both.
        example.wait_for(2, "Application startup complete")
        probe_endpoints(
            example,
            EXAMPLES / "fastapi" / "version.json",
            {"status": "ok", "checks": {"disk_space": "ok"}, "details": {}},
        )
        status, body, _ = example.get("/", "fastapi-hello")
        assert (status, json.loads(body)) == (
            200,
            {"hello": "world", "request_id": "fastapi-hello"},
        )
        status, body, _ = example.get("/__lbheartbeat__", "fastapi-lb-2")
        assert (status, json.loads(body)) == (200, {"status": "ok"})
    records = check_logs(example)  # every line of stdout and stderr is mozlog JSON
    assert_request_ids(example, records, REQUEST_TYPES)

    summaries = {record["Fields"]["rid"]: record for record in by_type(records, "request.summary")}
    assert set(summaries) == example.sent_ids
    failed = summaries["fastapi-error"]
    assert (failed["Severity"], failed["Fields"]["errno"], failed["Fields"]["code"]) == (
        3,
        500,
        500,
    )
    assert summaries["fastapi-hb"]["Fields"]["code"] == 200
    # uvicorn's own lines: the traceback of the failed request (with its rid), startup.
    uvicorn = by_type(records, "uvicorn.error")
    tracebacks = [r for r in uvicorn if "test exception" in r["Fields"].get("traceback", "")]
    assert [r["Fields"]["rid"] for r in tracebacks] == ["fastapi-error"]
    assert any("Application startup complete" in r["Fields"].get("msg", "") for r in uvicorn)
    (view_error,) = by_type(records, "dockerflow.fastapi.views")
    assert view_error["Fields"]["rid"] == "fastapi-error"
