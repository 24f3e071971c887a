"""End to end: the example app (examples/flask) served by a real gunicorn on a free
loopback port, exercised over HTTP, its mozlog JSON read from stdout."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from services import free_port, port_is_open

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "flask"


@dataclass
class Server:
    port: int
    stdout: Path
    process: subprocess.Popen[bytes]

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, Any]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", headers=headers or {}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            return error.code, error.read(), error.headers

    def log_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout.read_text().splitlines() if line.strip()]


@pytest.fixture
def example_server(tmp_path: Path) -> Iterator[Server]:
    port = free_port()
    stdout = tmp_path / "stdout.log"
    env = {
        **os.environ,
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'example.db'}",
        "DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE": "503",
    }
    with stdout.open("wb") as out, (tmp_path / "stderr.log").open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "app:app"],
            cwd=EXAMPLE,
            env=env,
            stdout=out,
            stderr=err,
        )
    server = Server(port, stdout, process)
    try:
        deadline = time.monotonic() + 30
        while not port_is_open(port):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not start: {(tmp_path / 'stderr.log').read_text()}")
            time.sleep(0.1)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_example_under_gunicorn(example_server: Server) -> None:
    status, body, headers = example_server.get("/__lbheartbeat__")
    assert status == 200

    status, body, headers = example_server.get("/__heartbeat__")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {
        "status": "ok",
        "checks": {"check_database_connected": "ok", "check_disk_space": "ok"},
        "details": {},
    }

    status, body, _ = example_server.get("/__version__")
    assert status == 200
    assert json.loads(body) == json.loads((EXAMPLE / "version.json").read_text())

    status, body, _ = example_server.get(
        "/", headers={"X-Request-ID": "e2e-1", "User-Agent": "e2e"}
    )
    assert (status, json.loads(body)) == (200, {"hello": "world", "request_id": "e2e-1"})

    status, body, _ = example_server.get("/__error__", headers={"X-Request-ID": "e2e-2"})
    assert status == 500
    assert b"Traceback" not in body

    # The workers flush each line; give the last one a moment to land.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = example_server.log_lines()
        summaries = [line for line in lines if line["Type"] == "request.summary"]
        if len(summaries) >= 5:
            break
        time.sleep(0.1)

    for line in lines:  # every stdout line is mozlog
        assert {
            "Timestamp",
            "Type",
            "Logger",
            "Hostname",
            "EnvVersion",
            "Severity",
            "Pid",
            "Fields",
        } <= set(line)
        assert line["EnvVersion"] == "2.0"
    by_path = {line["Fields"]["path"]: line for line in summaries}
    assert set(by_path) == {"/__lbheartbeat__", "/__heartbeat__", "/__version__", "/", "/__error__"}

    hello = by_path["/"]
    assert hello["Logger"] == "dockerflow-flask-example"
    assert hello["Severity"] == 6
    fields = hello["Fields"]
    assert (fields["errno"], fields["code"], fields["rid"], fields["agent"], fields["method"]) == (
        0,
        200,
        "e2e-1",
        "e2e",
        "GET",
    )
    assert isinstance(fields["t"], int)

    # The app's own log line in the view carries the request id too.
    said = [line for line in lines if line["Type"] == "example"]
    assert [line["Fields"]["rid"] for line in said] == ["e2e-1"]

    error = by_path["/__error__"]
    assert error["Severity"] == 3
    assert (error["Fields"]["errno"], error["Fields"]["code"], error["Fields"]["rid"]) == (
        500,
        500,
        "e2e-2",
    )
    assert "RuntimeError" in error["Fields"]["traceback"]
    assert len([line for line in summaries if line["Fields"]["path"] == "/__error__"]) == 1

    # gunicorn's own messages are mozlog too.
    assert any(line["Type"] == "gunicorn.error" for line in lines)
