"""The four Dockerflow endpoints of ``dockerflow.fastapi.router``, through the TestClient
and through the ASGI interface (httpx's ASGITransport, on one event loop)."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from dockerflow import checks, health
from dockerflow.fastapi import router, views

AppFactory = Callable[..., FastAPI]


def client(app: FastAPI) -> TestClient:
    return TestClient(app, raise_server_exceptions=False)


# -- /__lbheartbeat__ -----------------------------------------------------------------


def test_lbheartbeat_get_and_head(make_app: AppFactory) -> None:
    c = client(make_app())
    answer = c.get("/__lbheartbeat__")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}
    head = c.head("/__lbheartbeat__")
    assert head.status_code == 200
    assert head.content == b""


def test_lbheartbeat_runs_no_check(make_app: AppFactory) -> None:
    calls: list[int] = []

    @checks.register
    def counted() -> list[checks.CheckMessage]:
        calls.append(1)
        return []

    assert client(make_app()).get("/__lbheartbeat__").status_code == 200
    assert calls == []


# -- /__heartbeat__ -------------------------------------------------------------------


def test_heartbeat_without_checks(make_app: AppFactory) -> None:
    answer = client(make_app()).get("/__heartbeat__")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "checks": {}, "details": {}}


def test_heartbeat_sync_async_and_partial_checks(make_app: AppFactory) -> None:
    @checks.register
    def plain() -> list[checks.CheckMessage]:
        return []

    @checks.register
    async def coroutine() -> list[checks.CheckMessage]:
        await asyncio.sleep(0)
        return [checks.Warning("slow", id="acme.health.W001")]

    def with_argument(level: str) -> list[checks.CheckMessage]:
        return [checks.Info(f"level {level}", id="acme.health.I001")]

    checks.register_partial(with_argument, "low", name="partial")

    c = client(make_app())
    answer = c.get("/__heartbeat__")
    assert answer.status_code == 200  # warnings pass
    assert answer.json() == {
        "status": "warning",
        "checks": {"plain": "ok", "coroutine": "warning", "partial": "info"},
        "details": {
            "coroutine": {
                "status": "warning",
                "level": 30,
                "messages": {"acme.health.W001": "slow"},
            },
            "partial": {
                "status": "info",
                "level": 20,
                "messages": {"acme.health.I001": "level low"},
            },
        },
    }
    head = c.head("/__heartbeat__")
    assert (head.status_code, head.content) == (200, b"")


@pytest.mark.parametrize("failed", [None, 503, "503"])
def test_heartbeat_failure_status(make_app: AppFactory, failed: Any) -> None:
    @checks.register
    async def broken() -> list[checks.CheckMessage]:
        return [checks.Error("down", id="acme.health.E001")]

    state = {} if failed is None else {"DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE": failed}
    c = client(make_app(**state))
    answer = c.get("/__heartbeat__")
    assert answer.status_code == (500 if failed is None else 503)
    body = answer.json()
    assert body["status"] == "error"
    assert body["details"]["broken"]["messages"] == {"acme.health.E001": "down"}
    assert c.head("/__heartbeat__").status_code == answer.status_code


def test_heartbeat_check_that_raises_is_an_error_result(make_app: AppFactory) -> None:
    @checks.register
    def explodes() -> list[checks.CheckMessage]:
        raise RuntimeError("boom")

    answer = client(make_app()).get("/__heartbeat__")
    assert answer.status_code == 500
    assert list(answer.json()["details"]["explodes"]["messages"]) == [health.ERROR_CHECK_EXCEPTION]


def test_heartbeat_hung_checks_are_bounded_by_the_timeout(make_app: AppFactory) -> None:
    release = threading.Event()

    @checks.register
    def hung_sync() -> list[checks.CheckMessage]:
        release.wait(30)
        return []

    @checks.register
    async def hung_async() -> list[checks.CheckMessage]:
        await asyncio.sleep(30)
        return []

    @checks.register
    def fine() -> list[checks.CheckMessage]:
        return []

    try:
        answer = client(make_app(DOCKERFLOW_CHECK_TIMEOUT="0.5")).get("/__heartbeat__")
        assert answer.status_code == 500
        body = answer.json()
        assert body["checks"] == {"hung_sync": "error", "hung_async": "error", "fine": "ok"}
        for name in ("hung_sync", "hung_async"):
            assert list(body["details"][name]["messages"]) == [health.ERROR_CHECK_TIMEOUT]
    finally:
        release.set()


def test_heartbeat_include_details_off(make_app: AppFactory) -> None:
    @checks.register
    def broken() -> list[checks.CheckMessage]:
        return [checks.Error("down", id="acme.health.E001")]

    answer = client(make_app(DOCKERFLOW_HEARTBEAT_INCLUDE_DETAILS="false")).get("/__heartbeat__")
    assert (answer.status_code, answer.json()) == (500, {"status": "error"})


def test_heartbeat_cache_ttl_reuses_results(make_app: AppFactory) -> None:
    calls: list[int] = []

    @checks.register
    def counted() -> list[checks.CheckMessage]:
        calls.append(1)
        return []

    c = client(make_app(DOCKERFLOW_HEARTBEAT_CACHE_TTL=60))
    for _ in range(3):
        assert c.get("/__heartbeat__").status_code == 200
    assert calls == [1]
    uncached = client(make_app())
    uncached.get("/__heartbeat__")
    uncached.get("/__heartbeat__")
    assert calls == [1, 1, 1]


def test_heartbeat_with_an_unusable_setting_answers_json_500(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    answer = client(make_app(DOCKERFLOW_CHECK_TIMEOUT="soon")).get("/__heartbeat__")
    assert answer.status_code == 500
    assert answer.json()["status"] == "error"
    assert any("DOCKERFLOW_CHECK_TIMEOUT" in r.getMessage() or r.exc_info for r in caplog.records)


@pytest.mark.anyio
async def test_sync_checks_run_off_the_event_loop_and_never_block_it(make_app: AppFactory) -> None:
    loop_thread = threading.get_ident()
    ran_on: list[int] = []
    started = threading.Event()

    @checks.register
    def slow_sync() -> list[checks.CheckMessage]:
        ran_on.append(threading.get_ident())
        started.set()
        time.sleep(1.0)
        return []

    transport = httpx.ASGITransport(app=make_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        heartbeat = asyncio.ensure_future(http.get("/__heartbeat__"))
        while not started.is_set():
            await asyncio.sleep(0.01)
        # The loop is free while the sync check sleeps on its thread.
        lb = await http.get("/__lbheartbeat__")
        assert lb.status_code == 200
        assert not heartbeat.done()
        assert (await heartbeat).status_code == 200
    assert ran_on and ran_on[0] != loop_thread


@pytest.mark.anyio
async def test_concurrent_heartbeats_share_one_run(make_app: AppFactory) -> None:
    runs: list[int] = []

    @checks.register
    async def slow() -> list[checks.CheckMessage]:
        runs.append(1)
        await asyncio.sleep(0.5)
        return []

    transport = httpx.ASGITransport(app=make_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        answers = await asyncio.gather(*(http.get("/__heartbeat__") for _ in range(10)))
    assert [a.status_code for a in answers] == [200] * 10
    assert runs == [1]


# -- /__version__ ---------------------------------------------------------------------

VERSION = {
    "source": "https://github.com/mozilla-services/dockerflow",
    "version": "2026.11.0",
    "commit": "52ce614fbf99540a1bf6228e36be6cef63b4d73b",
    "build": "https://ci.example.com/builds/1",
}


def test_version_from_app_state(make_app: AppFactory, tmp_path: Path) -> None:
    (tmp_path / "version.json").write_text(json.dumps(VERSION))
    answer = client(make_app(APP_DIR=str(tmp_path))).get("/__version__")
    assert (answer.status_code, answer.json()) == (200, VERSION)


def test_version_from_the_environment(
    make_app: AppFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "version.json").write_text(json.dumps(VERSION))
    monkeypatch.setenv("APP_DIR", str(tmp_path))
    assert client(make_app()).get("/__version__").json() == VERSION
    # app.state wins over the environment.
    other = tmp_path / "other"
    other.mkdir()
    (other / "version.json").write_text(json.dumps({**VERSION, "version": "2"}))
    assert client(make_app(APP_DIR=str(other))).get("/__version__").json()["version"] == "2"


def test_version_defaults_to_slash_app(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("APP_DIR", raising=False)
    seen: list[Any] = []
    real = views.get_version

    def spy(root: Any) -> Any:
        seen.append((root, threading.current_thread() is threading.main_thread()))
        return real(root)

    monkeypatch.setattr(views, "get_version", spy)
    answer = client(make_app()).get("/__version__")
    assert seen[0][0] == "/app"
    if not Path("/app/version.json").exists():
        assert answer.status_code == 404


def test_missing_version_is_a_json_404(make_app: AppFactory, tmp_path: Path) -> None:
    answer = client(make_app(APP_DIR=str(tmp_path))).get("/__version__")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == {"status": "error", "error": "version information not found"}


def test_malformed_version_is_a_json_500(
    make_app: AppFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "version.json").write_text("{not json")
    answer = client(make_app(APP_DIR=str(tmp_path))).get("/__version__")
    assert answer.status_code == 500
    assert answer.json() == {"status": "error", "error": "version information is unavailable"}
    assert [r.levelno for r in caplog.records if r.name == "dockerflow.version"] == [logging.ERROR]


@pytest.mark.anyio
async def test_version_is_read_off_the_event_loop(
    make_app: AppFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "version.json").write_text(json.dumps(VERSION))
    loop_thread = threading.get_ident()
    read_on: list[int] = []
    real = views.get_version

    def spy(root: Any) -> Any:
        read_on.append(threading.get_ident())
        return real(root)

    monkeypatch.setattr(views, "get_version", spy)
    transport = httpx.ASGITransport(app=make_app(APP_DIR=str(tmp_path)))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        assert (await http.get("/__version__")).json() == VERSION
    assert read_on and read_on[0] != loop_thread


# -- /__error__ -----------------------------------------------------------------------


def test_error_endpoint_logs_and_raises(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    answer = client(make_app()).get("/__error__")
    assert answer.status_code == 500
    logged = [r for r in caplog.records if r.name == "dockerflow.fastapi.views"]
    assert [(r.levelno, r.getMessage()) for r in logged] == [
        (logging.ERROR, "The __error__ endpoint was called")
    ]
    with pytest.raises(Exception, match="test exception from the /__error__ endpoint"):
        TestClient(make_app()).get("/__error__")


def test_error_endpoint_can_be_switched_off(make_app: AppFactory) -> None:
    answer = client(make_app(DOCKERFLOW_ENABLE_ERROR_ENDPOINT=False)).get("/__error__")
    assert (answer.status_code, answer.json()) == (404, {"detail": "Not Found"})


# -- the router -----------------------------------------------------------------------


def test_router_routes_and_openapi(make_app: AppFactory) -> None:
    methods: dict[str, set[str]] = {}
    for route in router.routes:
        methods.setdefault(route.path, set()).update(route.methods)  # type: ignore[attr-defined]
    assert methods == {
        "/__lbheartbeat__": {"GET", "HEAD"},
        "/__heartbeat__": {"GET", "HEAD"},
        "/__version__": {"GET"},
        "/__error__": {"GET"},
    }
    app = make_app()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no "Duplicate Operation ID" warning
        schema = app.openapi()
    operations = [op for path in methods for op in schema["paths"][path].values()]
    assert len(operations) == 6
    assert len({op["operationId"] for op in operations}) == 6
    assert all(op["tags"] == ["Dockerflow"] for op in operations)
