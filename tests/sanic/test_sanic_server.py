"""End to end: the example-style app under the real Sanic server, in a subprocess, over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sanic_testkit import Answer, http_get
from services import RedisServer, free_port, port_is_open, stop_server_group

from dockerflow import health

HERE = Path(__file__).resolve().parent


class SanicProcess:
    def __init__(self, port: int, process: subprocess.Popen[bytes], log_path: Path) -> None:
        self.port = port
        self.process = process
        self.log_path = log_path
        self.url = f"http://127.0.0.1:{port}"

    def get(self, path: str, headers: dict[str, str] | None = None, timeout: float = 30) -> Answer:
        return http_get(self.url + path, headers, timeout)

    def log_lines(self) -> list[dict[str, Any]]:
        """The mozlog records: every line that carries one must be exactly one JSON object
        (Sanic's own plain-text lines are left out)."""
        out = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            if '"Timestamp":' not in line:
                continue
            parsed = json.loads(line)  # fails on a record split or decorated by a tool
            assert isinstance(parsed, dict) and "Fields" in parsed, line
            out.append(parsed)
        return out

    def stop(self) -> None:
        stop_server_group(self.process)


@pytest.fixture
def sanic_server() -> Iterator[Callable[..., SanicProcess]]:
    """Return ``start(workers, **env) -> SanicProcess``: ``sanic sanic_server_app:app``."""
    started: list[SanicProcess] = []
    logs = Path(tempfile.mkdtemp(prefix="dockerflow-sanic-e2e-"))

    def start(workers: int = 2, **env: str) -> SanicProcess:
        port = free_port()
        log_path = logs / f"server-{port}.log"
        environ = {
            **os.environ,
            **env,
            "PYTHONPATH": os.pathsep.join([str(HERE), str(HERE.parent)]),
        }
        command = [sys.executable, "-m", "sanic", "sanic_server_app:app"]
        command += ["--host", "127.0.0.1", "--port", str(port), "--no-motd"]
        command += ["--single-process"] if workers == 1 else ["--workers", str(workers)]
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command,
                cwd=HERE,
                env=environ,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its workers and helpers are stopped with it
            )
        server = SanicProcess(port, process, log_path)
        started.append(server)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"sanic exited:\n{log_path.read_text(errors='replace')[-3000:]}")
            # every worker must be serving, not just the first one up
            ready = log_path.read_text(errors="replace").count('"msg":"worker serving"')
            if ready >= workers and port_is_open(port):
                assert server.get("/__lbheartbeat__", timeout=5).status == 200
                return server
            time.sleep(0.1)
        pytest.fail(f"sanic did not start:\n{log_path.read_text(errors='replace')[-3000:]}")

    yield start
    for server in started:
        server.stop()


def test_endpoints_over_http_with_two_workers(sanic_server: Any, tmp_path: Path) -> None:
    version = {"source": "s", "version": "v", "commit": "c", "build": "b"}
    (tmp_path / "version.json").write_text(json.dumps(version))
    server = sanic_server(workers=2, DOCKERFLOW_TEST_VERSION_PATH=str(tmp_path))

    assert server.get("/__version__").json() == version
    heartbeat = server.get("/__heartbeat__")
    assert (heartbeat.status, heartbeat.json()) == (
        200,
        {"status": "ok", "checks": {"always_fine": "ok"}, "details": {}},
    )
    assert server.get("/__lbheartbeat__").status == 200
    assert server.get("/__error__").status == 500

    # Concurrent requests that each hold a worker's loop for a moment: the kernel
    # hands the waiting connections to the other worker.
    pids: set[int] = set()
    with ThreadPoolExecutor(8) as pool:
        for _ in range(10):
            answers = pool.map(lambda _: server.get("/pid?block=0.05").json()["pid"], range(8))
            pids.update(answers)
            if len(pids) == 2:
                break
    assert len(pids) == 2
    assert server.process.pid not in pids

    answer = server.get("/pid", {"X-Request-ID": "e2e-rid-1"}).json()
    assert answer["rid"] == "e2e-rid-1"
    time.sleep(0.5)  # let the workers flush their log lines
    lines = server.log_lines()
    summaries = [line for line in lines if line["Type"] == "request.summary"]
    assert {line["Pid"] for line in summaries if line["Fields"]["path"] == "/pid"} == pids
    mine = [line for line in lines if line["Fields"].get("rid") == "e2e-rid-1"]
    assert [line["Type"] for line in mine] == ["e2e", "request.summary"]
    assert mine[0]["Fields"]["msg"] == "pid requested"
    assert mine[1]["Fields"]["code"] == 200
    errors = [line for line in summaries if line["Fields"]["path"] == "/__error__"]
    assert len(errors) == 1
    assert errors[0]["Fields"]["errno"] == 500
    assert errors[0]["Severity"] == 3


def test_settings_from_environment(sanic_server: Any) -> None:
    server = sanic_server(
        workers=1,
        SANIC_DOCKERFLOW_ENABLE_ERROR_ENDPOINT="false",
        SANIC_DOCKERFLOW_HEARTBEAT_INCLUDE_DETAILS="false",
        SANIC_DOCKERFLOW_REQUEST_ID_HEADER_NAME="X-Trace",
    )
    assert server.get("/__error__").status == 404
    assert server.get("/__heartbeat__").json() == {"status": "ok"}
    # One worker: the `sanic` command line patches logging.StreamHandler (tracerite);
    # an error record must still be one line of JSON with its traceback.
    assert server.get("/boom").status == 500
    time.sleep(0.5)
    errors = [line for line in server.log_lines() if line["Fields"].get("errno") == 500]
    assert len(errors) == 1
    assert "traceback" in errors[0]["Fields"]
    assert server.get("/pid", {"X-Trace": "trace-9"}).json()["rid"] == "trace-9"


def test_hung_checks_do_not_block_the_server(sanic_server: Any) -> None:
    server = sanic_server(workers=1, DOCKERFLOW_TEST_HANG="1", SANIC_DOCKERFLOW_CHECK_TIMEOUT="2")
    with ThreadPoolExecutor(1) as pool:
        started = time.monotonic()
        heartbeat = pool.submit(server.get, "/__heartbeat__")
        time.sleep(0.3)
        served_while_waiting = 0
        while not heartbeat.done() and served_while_waiting < 5:
            assert server.get("/__lbheartbeat__", timeout=10).status == 200
            assert server.get("/slow", timeout=10).status == 200
            if not heartbeat.done():
                served_while_waiting += 1
        answer = heartbeat.result(30)
        elapsed = time.monotonic() - started
    assert served_while_waiting >= 1
    assert elapsed < 15  # bounded by the 2s timeout, not the 60s hang
    assert answer.status == 500
    body = answer.json()
    assert body["checks"] == {"always_fine": "ok", "hung_async": "error", "hung_sync": "error"}
    assert list(body["details"]["hung_sync"]["messages"]) == [health.ERROR_CHECK_TIMEOUT]
    # the sync check is still stuck in its thread: the next heartbeat gives it one fresh
    # run beside it (hung too), and the one after that starts nothing more
    again = server.get("/__heartbeat__", timeout=30)
    assert list(again.json()["details"]["hung_sync"]["messages"]) == [health.ERROR_CHECK_TIMEOUT]
    third = server.get("/__heartbeat__", timeout=30)
    assert (
        "still running"
        in third.json()["details"]["hung_sync"]["messages"][health.ERROR_CHECK_TIMEOUT]
    )


def test_sanic_redis_under_the_real_server(sanic_server: Any, redis_service: RedisServer) -> None:
    server = sanic_server(workers=2, DOCKERFLOW_TEST_REDIS_URL=redis_service.url)
    answer = server.get("/__heartbeat__")
    assert answer.status == 200
    assert answer.json()["checks"]["check_redis_connected"] == "ok"
    redis_service.stop()
    for _ in range(4):  # whichever worker answers
        answer = server.get("/__heartbeat__")
        assert answer.status == 500
        assert list(answer.json()["details"]["check_redis_connected"]["messages"]) == [
            health.ERROR_CANNOT_CONNECT_REDIS
        ]
    redis_service.start()
    for _ in range(4):
        assert server.get("/__heartbeat__").status == 200
