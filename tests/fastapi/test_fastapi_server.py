"""End to end: ``fastapi_server_app:app`` under a real uvicorn on loopback, two workers,
probed over HTTP; every line the server writes to stdout must be mozlog JSON."""

from __future__ import annotations

import http.client
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
from urllib.parse import quote

import pytest
from services import RedisServer, free_port, port_is_open, stop_server_group

from dockerflow import health

HERE = Path(__file__).resolve().parent


class Answer:
    def __init__(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.status, self.body, self.headers = status, body, headers

    def json(self) -> Any:
        return json.loads(self.body)


class UvicornProcess:
    """A uvicorn server started by a test, stopped by its pid."""

    def __init__(self, port: int, process: subprocess.Popen[bytes], out: Path, err: Path) -> None:
        self.port, self.process, self.out, self.err = port, process, out, err

    def request(
        self, path: str, method: str = "GET", headers: dict[str, str] | None = None
    ) -> Answer:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, headers=headers or {})
            resp = conn.getresponse()
            return Answer(resp.status, resp.read(), dict(resp.getheaders()))
        finally:
            conn.close()

    def records(self) -> list[dict[str, Any]]:
        """Every stdout line, each parsed as one mozlog JSON object (fails on any other)."""
        found = []
        for line in self.out.read_text(errors="replace").splitlines():
            try:
                parsed = json.loads(line)
            except ValueError:
                raise AssertionError(f"not a mozlog JSON line: {line!r}") from None
            assert isinstance(parsed, dict), line
            assert {"Timestamp", "Type", "Logger", "Severity", "Pid", "Fields"} <= set(parsed), line
            found.append(parsed)
        return found

    def stop(self) -> None:
        stop_server_group(self.process)


@pytest.fixture
def uvicorn_server() -> Iterator[Callable[..., UvicornProcess]]:
    """``start(workers=2, **env)``: ``uvicorn fastapi_server_app:app`` on a free port."""
    started: list[UvicornProcess] = []
    logs = Path(tempfile.mkdtemp(prefix="dockerflow-fastapi-e2e-"))

    def start(workers: int = 2, **env: str) -> UvicornProcess:
        port = free_port()
        out, err = logs / f"{port}.out", logs / f"{port}.err"
        environ = {
            **os.environ,
            **env,
            "PYTHONPATH": os.pathsep.join([str(HERE), str(HERE.parent)]),
        }
        command = [sys.executable, "-m", "uvicorn", "fastapi_server_app:app"]
        command += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
        command += ["--log-config", str(HERE / "fastapi_server_logging.json")]
        with out.open("wb") as stdout, err.open("wb") as stderr:
            process = subprocess.Popen(
                command,
                cwd=HERE,
                env=environ,
                stdout=stdout,
                stderr=stderr,
                start_new_session=True,  # its workers and helpers are stopped with it
            )
        server = UvicornProcess(port, process, out, err)
        started.append(server)
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise AssertionError(f"uvicorn exited:\n{out.read_text()}\n{err.read_text()}")
            if port_is_open(port):
                try:
                    if server.request("/__lbheartbeat__").status == 200:
                        break
                except OSError:
                    pass
            if time.monotonic() > deadline:
                raise AssertionError(f"uvicorn did not start:\n{err.read_text()}")
            time.sleep(0.1)
        return server

    yield start
    for server in started:
        server.stop()


def hold_worker(server: UvicornProcess, release: Path, pool: ThreadPoolExecutor) -> Any:
    """Occupy one worker's event loop until ``release`` exists; returns the pending
    request once the worker has taken it (its pid is in ``release.pid``)."""
    marker = release.with_name(release.name + ".pid")
    held = pool.submit(server.request, f"/block?until={quote(str(release))}")
    deadline = time.monotonic() + 20
    while not marker.exists() or not marker.read_text():
        assert time.monotonic() < deadline, "no worker took /block"
        assert not held.done(), held.result()
        time.sleep(0.02)
    return held


def each_worker(server: UvicornProcess, probe: Callable[[], Any], scratch: Path) -> dict[int, Any]:
    """Run ``probe`` once on each of the two workers, whichever the kernel picks.

    A ``/block`` request holds one worker (A), so everything goes to the other (B): the
    probe runs on B. A second ``/block`` then can only land on B; releasing A makes A the
    only free worker, and the probe runs there. No retries, no timing guesses.
    """
    first, second = scratch / "first", scratch / "second"
    seen: dict[int, Any] = {}
    with ThreadPoolExecutor(2) as pool:
        try:
            held_a = hold_worker(server, first, pool)
            a = int((scratch / "first.pid").read_text())
            b = server.request("/pid").json()["pid"]
            assert b != a
            seen[b] = probe()
            assert server.request("/pid").json()["pid"] == b
            held_b = hold_worker(server, second, pool)
            assert int((scratch / "second.pid").read_text()) == b
            first.touch()
            assert held_a.result().json()["pid"] == a
            assert server.request("/pid").json()["pid"] == a
            seen[a] = probe()
            assert server.request("/pid").json()["pid"] == a
            second.touch()
            assert held_b.result().json()["pid"] == b
        finally:
            first.touch()
            second.touch()
    return seen


def test_four_endpoints_on_both_workers(
    uvicorn_server: Callable[..., UvicornProcess], tmp_path: Path
) -> None:
    version = {"source": "https://x", "version": "1.2.3", "commit": "abc", "build": "b"}
    (tmp_path / "version.json").write_text(json.dumps(version))
    server = uvicorn_server(FASTAPI_TEST_APP_DIR=str(tmp_path))

    def probe() -> dict[str, Any]:
        heartbeat = server.request("/__heartbeat__", headers={"X-Request-ID": "e2e-hb"})
        return {
            "heartbeat": (heartbeat.status, heartbeat.json()),
            "head": server.request("/__heartbeat__", method="HEAD").status,
            "lb": (lambda a: (a.status, a.json()))(server.request("/__lbheartbeat__")),
            "lb_head": (lambda a: (a.status, a.body))(
                server.request("/__lbheartbeat__", method="HEAD")
            ),
            "version": (lambda a: (a.status, a.json()))(server.request("/__version__")),
            "error": server.request("/__error__", headers={"X-Request-ID": "e2e-error"}).status,
        }

    scratch = tmp_path / "workers"
    scratch.mkdir()
    answers = each_worker(server, probe, scratch)
    assert len(answers) == 2
    for pid, answer in answers.items():
        assert answer == {
            "heartbeat": (
                200,
                {"status": "ok", "checks": {"sync_ok": "ok", "async_ok": "ok"}, "details": {}},
            ),
            "head": 200,
            "lb": (200, {"status": "ok"}),
            "lb_head": (200, b""),
            "version": (200, version),
            "error": 500,
        }, pid
    server.stop()
    records = server.records()  # every stdout line is mozlog JSON, uvicorn's included
    assert any(r["Type"].startswith("uvicorn") for r in records)
    summaries = [r for r in records if r["Type"] == "request.summary"]
    for pid in answers:
        mine = [r for r in summaries if r["Pid"] == pid]
        assert {r["Fields"]["path"] for r in mine} >= {
            "/__heartbeat__",
            "/__lbheartbeat__",
            "/__version__",
            "/__error__",
        }
        hb = next(r for r in mine if r["Fields"]["rid"] == "e2e-hb")
        assert (hb["Fields"]["code"], hb["Fields"]["errno"], hb["Severity"]) == (200, 0, 6)
        failed = next(r for r in mine if r["Fields"]["rid"] == "e2e-error")
        assert (failed["Fields"]["code"], failed["Fields"]["errno"], failed["Severity"]) == (
            500,
            500,
            3,
        )
        # The view's own error line and uvicorn's traceback carry the request id.
        tied = [r for r in records if r["Pid"] == pid and r["Fields"].get("rid") == "e2e-error"]
        assert {r["Type"] for r in tied} >= {"dockerflow.fastapi.views", "request.summary"}
        assert any(r["Type"].startswith("uvicorn") for r in tied)


def test_hung_check_answers_within_the_timeout(
    uvicorn_server: Callable[..., UvicornProcess],
) -> None:
    server = uvicorn_server(workers=1, FASTAPI_TEST_HANG="1", FASTAPI_TEST_CHECK_TIMEOUT="1")
    for _ in range(3):
        begin = time.monotonic()
        answer = server.request("/__heartbeat__")
        elapsed = time.monotonic() - begin
        assert answer.status == 500
        body = answer.json()
        assert list(body["details"]["hangs"]["messages"]) == [health.ERROR_CHECK_TIMEOUT]
        assert body["checks"]["sync_ok"] == "ok"
        assert elapsed < 10  # bounded (1 s timeout), not hung: a generous bound for a busy CI
        # The loop stays free while the check hangs on its thread.
        assert server.request("/__lbheartbeat__").status == 200


def test_redis_down_and_back(
    uvicorn_server: Callable[..., UvicornProcess], redis_service: RedisServer
) -> None:
    server = uvicorn_server(workers=1, FASTAPI_TEST_REDIS_URL=redis_service.url)
    assert server.request("/__heartbeat__").json()["checks"]["check_redis_connected"] == "ok"
    redis_service.stop()
    try:
        answer = server.request("/__heartbeat__")
        assert answer.status == 500
        assert list(answer.json()["details"]["check_redis_connected"]["messages"]) == [
            health.ERROR_CANNOT_CONNECT_REDIS
        ]
    finally:
        redis_service.start()
    assert server.request("/__heartbeat__").status == 200


def test_streaming_response_is_not_buffered(
    uvicorn_server: Callable[..., UvicornProcess],
) -> None:
    server = uvicorn_server(workers=1)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request("GET", "/stream", headers={"X-Request-ID": "streamed"})
        resp = conn.getresponse()
        assert resp.status == 200
        # The first chunk arrives while the second is still waiting for /release.
        assert resp.readline() == b"first\n"
        assert server.request("/release").status == 200
        assert resp.readline() == b"second\n"
        resp.read()
    finally:
        conn.close()
    server.stop()
    streamed = [r for r in server.records() if r["Fields"].get("rid") == "streamed"]
    assert [(r["Type"], r["Fields"]["code"]) for r in streamed] == [("request.summary", 200)]
