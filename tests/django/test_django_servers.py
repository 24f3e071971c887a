"""End to end: djtestproject under real gunicorn (WSGI) and uvicorn (ASGI) servers."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from djtest_support import Server, manage, project_env


def get(
    url: str, headers: dict[str, str] | None = None, timeout: float = 30
) -> tuple[int, Any, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def summaries(server: Server) -> list[dict[str, Any]]:
    lines = []
    for line in server.output().splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            if entry.get("Type") == "request.summary":
                lines.append(entry)
    return lines


def wait_for(predicate: Callable[[], bool], timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def exercise(server: Server) -> None:
    status, _, body = get(server.url + "/__version__")
    assert status == 200 and json.loads(body)["version"] == "djtestproject-1.0"
    status, _, body = get(server.url + "/__heartbeat__/")
    assert status == 200 and json.loads(body)["status"] in {"ok", "warning"}
    status, _, body = get(server.url + "/__lbheartbeat__")
    assert (status, body) == (200, b"")
    status, _, _ = get(server.url + "/__error__", {"X-Request-ID": "e2e-error"})
    assert status == 500
    status, _, body = get(server.url + "/whoami/", {"X-Request-ID": "e2e-rid", "User-Agent": "e2e"})
    assert status == 200 and json.loads(body)["request_id"] == "e2e-rid"
    status, _, _ = get(server.url + "/boom/")
    assert status == 500

    assert wait_for(lambda: len(summaries(server)) >= 6), server.output()
    logged = summaries(server)
    paths = ["/__version__", "/__heartbeat__/", "/__lbheartbeat__", "/__error__", "/whoami/"]
    assert [s["Fields"]["path"] for s in logged] == [*paths, "/boom/"]
    error = logged[3]
    assert (error["Fields"]["errno"], error["Fields"]["rid"], error["Severity"]) == (
        500,
        "e2e-error",
        3,
    )
    ok, boom = logged[4:]
    assert ok["Fields"]["rid"] == "e2e-rid" and ok["Fields"]["agent"] == "e2e"
    assert (ok["Fields"]["errno"], ok["Fields"]["code"], ok["Severity"]) == (0, 200, 6)
    assert (boom["Fields"]["errno"], boom["Fields"]["code"], boom["Severity"]) == (500, 500, 3)
    assert ok["Logger"] == "djtestproject"


def test_gunicorn_wsgi(run_server: Callable[..., Server], tmp_path: Any) -> None:
    env = project_env(DJTEST_DATABASE_URL=f"sqlite:///{tmp_path}/e2e.sqlite3", DJTEST_MOZLOG="1")
    manage(env, "migrate", "--verbosity", "0")
    exercise(run_server("gunicorn", env))


def test_uvicorn_asgi(run_server: Callable[..., Server], tmp_path: Any) -> None:
    env = project_env(DJTEST_DATABASE_URL=f"sqlite:///{tmp_path}/e2e.sqlite3", DJTEST_MOZLOG="1")
    manage(env, "migrate", "--verbosity", "0")
    server = run_server("uvicorn", env)
    exercise(server)
    status, _, body = get(server.url + "/async/", {"X-Request-ID": "async-rid"})
    assert (status, body) == (200, b"async hello")
    assert wait_for(lambda: any(s["Fields"]["rid"] == "async-rid" for s in summaries(server)))


def test_uvicorn_heartbeat_reports_a_missing_database(
    run_server: Callable[..., Server], tmp_path: Any
) -> None:
    env = project_env(
        DJTEST_DATABASE_URL=f"sqlite:///{tmp_path}/missing/dir/db.sqlite3", DJTEST_DEBUG="1"
    )
    server = run_server("uvicorn", env)
    status, headers, body = get(server.url + "/__heartbeat__")
    assert status == 500
    assert headers["Content-Type"] == "application/json"
    payload = json.loads(body)
    assert payload["checks"]["check_database_connected"] == "error"
    assert list(payload["details"]["check_database_connected"]["messages"]) == [
        "dockerflow.health.E001"
    ]


def test_gunicorn_workers_answer_200_after_postgres_restart(
    run_server: Callable[..., Server], pg_url: str, postgres_service: Any
) -> None:
    """Two sync workers with persistent connections (CONN_MAX_AGE): after PostgreSQL
    restarts, every worker's first heartbeat is a 200, not an outage."""
    env = project_env(DJTEST_DATABASE_URL=pg_url, DJTEST_CONN_MAX_AGE="600")
    manage(env, "migrate", "--verbosity", "0")
    server = run_server("gunicorn", env, workers=2)

    def on_each_worker(path: str) -> dict[str, int]:
        """Request ``path`` once on each of the two workers, whichever gets what.

        A sleeping request occupies one worker, so ``path`` goes to the other; a second
        sleeping request then occupies that one (the only one free), so the next
        ``path`` waits for the first worker to wake. Left to the kernel's choice of
        worker, a run of requests can keep landing on the same one.
        """
        answered: dict[str, int] = {}
        sleepers = []
        for _ in range(2):
            sleeper = threading.Thread(target=get, args=(server.url + "/sleep/?s=2",))
            sleeper.start()
            sleepers.append(sleeper)
            time.sleep(0.5)
            status, headers, _ = get(server.url + path)
            answered[headers["X-Worker-Pid"]] = status
        for sleeper in sleepers:
            sleeper.join()
        return answered

    # Warm up both workers: a request connection kept open and a heartbeat each.
    assert list(on_each_worker("/items/").values()) == [200, 200]
    warmed = on_each_worker("/__heartbeat__")
    assert list(warmed.values()) == [200, 200], warmed

    postgres_service.stop()
    postgres_service.start()

    # Each worker's first heartbeat after the restart.
    answered = on_each_worker("/__heartbeat__")
    assert set(answered) == set(warmed), answered
    assert list(answered.values()) == [200, 200], answered
