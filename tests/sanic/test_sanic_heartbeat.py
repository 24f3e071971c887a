"""``/__heartbeat__``: checks, settings, signals, hang protection, coalescing and caching."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from dockerflow import checks as core_checks
from dockerflow import health
from dockerflow.sanic import Dockerflow, checks
from dockerflow.sanic.signals import HEARTBEAT_FAILED, HEARTBEAT_PASSED


def _error(msg: str = "down", id: str = "acme.health.E001") -> list[checks.CheckMessage]:
    return [checks.Error(msg, id=id)]


def test_no_checks_is_ok(make_app: Any) -> None:
    app = make_app()
    Dockerflow(app)
    _, resp = app.test_client.get("/__heartbeat__")
    assert resp.status == 200
    assert resp.json == {"status": "ok", "checks": {}, "details": {}}


def test_check_decorator_forms(make_app: Any) -> None:
    app = make_app()
    dockerflow = Dockerflow(app)

    @dockerflow.check
    async def storage_reachable() -> list[checks.CheckMessage]:
        await asyncio.sleep(0)
        return [checks.Warning("slow storage", id="acme.health.0002")]

    @dockerflow.check(name="database")
    def check_db() -> list[checks.CheckMessage]:
        return []

    @dockerflow.check()
    def plain() -> None:
        return None

    assert storage_reachable.__name__ == "storage_reachable"  # decorators return the function
    assert list(dockerflow.checks) == ["storage_reachable", "database", "plain"]
    _, resp = app.test_client.get("/__heartbeat__")
    assert resp.status == 200  # warnings pass
    assert resp.json == {
        "status": "warning",
        "checks": {"storage_reachable": "warning", "database": "ok", "plain": "ok"},
        "details": {
            "storage_reachable": {
                "status": "warning",
                "level": 30,
                "messages": {"acme.health.0002": "slow storage"},
            }
        },
    }


def test_checks_property_is_the_registry_mapping(make_app: Any) -> None:
    app = make_app()
    dockerflow = Dockerflow(app)
    dockerflow.checks["added_by_hand"] = lambda: _error("by hand")
    _, resp = app.test_client.get("/__heartbeat__")
    assert resp.status == 500
    assert resp.json["checks"] == {"added_by_hand": "error"}
    del dockerflow.checks["added_by_hand"]
    _, resp = app.test_client.get("/__heartbeat__")
    assert resp.status == 200


def test_init_check_is_deprecated_and_works(make_app: Any) -> None:
    app = make_app()
    dockerflow = Dockerflow(app)

    def check_thing(thing: str) -> list[checks.CheckMessage]:
        return _error(f"{thing} is down", id="acme.E2")

    with pytest.warns(DeprecationWarning, match="init_check"):
        dockerflow.init_check(check_thing, "printer")
    _, resp = app.test_client.get("/__heartbeat__")
    assert resp.status == 500
    assert resp.json["details"]["check_thing"]["messages"] == {"acme.E2": "printer is down"}


def test_process_wide_checks_register_runs_too(make_app: Any) -> None:
    app = make_app()
    dockerflow = Dockerflow(app)

    @core_checks.register
    def global_check() -> list[checks.CheckMessage]:
        return _error("global", id="acme.G1")

    @core_checks.register(name="shadowed")
    def global_shadowed() -> list[checks.CheckMessage]:
        return _error("global wins?", id="acme.G2")

    @dockerflow.check(name="shadowed")
    def own_shadowed() -> list[checks.CheckMessage]:
        return []

    _, resp = app.test_client.get("/__heartbeat__")
    assert resp.status == 500
    assert resp.json["checks"] == {"shadowed": "ok", "global_check": "error"}


def test_silenced_checks(make_app: Any) -> None:
    app = make_app()
    dockerflow = Dockerflow(app, silenced_checks=["acme.health.E001"])

    @dockerflow.check
    def noisy() -> list[checks.CheckMessage]:
        return [*_error(), checks.Warning("meh", id="acme.health.W001")]

    _, resp = app.test_client.get("/__heartbeat__")
    assert resp.status == 200
    assert resp.json["details"]["noisy"]["messages"] == {"acme.health.W001": "meh"}


@pytest.mark.parametrize("code", [503, "503"])
def test_failed_status_code_setting(make_app: Any, code: Any) -> None:
    app = make_app()
    dockerflow = Dockerflow(app)
    dockerflow.check(lambda: [checks.Critical("gone", id="acme.C1")], name="critical")
    _, resp = app.test_client.get("/__heartbeat__")
    assert (resp.status, resp.json["status"]) == (500, "critical")
    app.config.DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE = code
    _, resp = app.test_client.get("/__heartbeat__")
    assert resp.status == 503


def test_include_details_setting(make_app: Any) -> None:
    app = make_app()
    dockerflow = Dockerflow(app)
    dockerflow.check(lambda: _error("secret host db-7"), name="db")
    app.config.DOCKERFLOW_HEARTBEAT_INCLUDE_DETAILS = "false"
    _, resp = app.test_client.get("/__heartbeat__")
    assert resp.status == 500
    assert resp.json == {"status": "error"}


def test_bad_setting_names_itself(make_app: Any, caplog: pytest.LogCaptureFixture) -> None:
    app = make_app()
    Dockerflow(app)
    app.config.DOCKERFLOW_CHECK_TIMEOUT = "soon"
    _, resp = app.test_client.get("/__heartbeat__")
    assert resp.status == 500
    assert resp.json["status"] == "error"  # the heartbeat's own JSON, not an error page
    assert any(
        "DOCKERFLOW_CHECK_TIMEOUT" in str(r.exc_info[1]) for r in caplog.records if r.exc_info
    )


def test_check_that_raises_is_contained(make_app: Any) -> None:
    app = make_app()
    dockerflow = Dockerflow(app)

    @dockerflow.check
    async def explodes() -> list[checks.CheckMessage]:
        raise RuntimeError("password=hunter2")

    @dockerflow.check
    def fine() -> list[checks.CheckMessage]:
        return []

    _, resp = app.test_client.get("/__heartbeat__")
    assert resp.status == 500
    assert resp.json["checks"] == {"explodes": "error", "fine": "ok"}
    assert list(resp.json["details"]["explodes"]["messages"]) == [health.ERROR_CHECK_EXCEPTION]
    assert "hunter2" not in resp.text


def test_signals_carry_the_level(make_app: Any) -> None:
    app = make_app()
    dockerflow = Dockerflow(app)
    received: list[tuple[str, int]] = []
    state = {"level": "ok"}

    @app.signal(HEARTBEAT_PASSED)
    async def passed(level: int) -> None:
        received.append(("passed", level))

    @app.signal(HEARTBEAT_FAILED)
    def failed(level: int, **context: Any) -> None:
        received.append(("failed", level))

    @dockerflow.check
    def switchable() -> list[checks.CheckMessage]:
        if state["level"] == "warning":
            return [checks.Warning("hmm", id="acme.W1")]
        if state["level"] == "error":
            return _error()
        return []

    for level in ("ok", "warning", "error"):
        state["level"] = level
        app.test_client.get("/__heartbeat__")
    assert received == [("passed", 0), ("passed", 30), ("failed", 40)]


def test_signal_handler_that_raises_does_not_break_the_heartbeat(
    make_app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app()
    Dockerflow(app)

    @app.signal(HEARTBEAT_PASSED)
    async def broken(level: int) -> None:
        raise RuntimeError("listener bug")

    _, resp = app.test_client.get("/__heartbeat__")
    assert resp.status == 200
    assert any(
        r.name == "dockerflow.sanic" and HEARTBEAT_PASSED in r.getMessage() for r in caplog.records
    )


def test_signal_event_can_be_awaited(make_app: Any, live_server: Any) -> None:
    app = make_app()
    dockerflow = Dockerflow(app)
    dockerflow.check(lambda: _error(), name="down")
    server = live_server(app)
    assert server.loop is not None
    waiter = asyncio.run_coroutine_threadsafe(app.event(HEARTBEAT_FAILED, timeout=20), server.loop)
    time.sleep(0.2)  # let the waiter register on the server's loop
    assert server.get("/__heartbeat__").status == 500
    waiter.result(timeout=20)  # raises if the event never came


def test_check_timeout_from_constructor_and_config(make_app: Any, live_server: Any) -> None:
    app = make_app()
    dockerflow = Dockerflow(app, check_timeout=0.3)
    release = asyncio.Event()

    @dockerflow.check
    async def hangs() -> list[checks.CheckMessage]:
        await release.wait()
        return []

    server = live_server(app)
    started = time.monotonic()
    answer = server.get("/__heartbeat__")
    assert time.monotonic() - started < 5
    assert answer.status == 500
    details = answer.json()["details"]["hangs"]["messages"]
    assert list(details) == [health.ERROR_CHECK_TIMEOUT]
    assert "0.3 seconds" in details[health.ERROR_CHECK_TIMEOUT]
    app.config.DOCKERFLOW_CHECK_TIMEOUT = "0.2"  # the app's config wins over the constructor
    answer = server.get("/__heartbeat__")
    messages = answer.json()["details"]["hangs"]["messages"]
    # the first run's task was cancelled at its timeout, so this run starts afresh
    assert "0.2 seconds" in messages[health.ERROR_CHECK_TIMEOUT]


def test_hung_checks_do_not_block_the_loop(make_app: Any, live_server: Any) -> None:
    """A hung async check and a hung sync check: the heartbeat answers within the
    timeout, and the server keeps answering other requests while it waits."""
    app = make_app()
    app.config.DOCKERFLOW_CHECK_TIMEOUT = 1.5
    dockerflow = Dockerflow(app)
    unblock = threading.Event()
    entered = threading.Event()

    @dockerflow.check
    async def hung_async() -> list[checks.CheckMessage]:
        await asyncio.Event().wait()
        return []

    @dockerflow.check
    def hung_sync() -> list[checks.CheckMessage]:
        entered.set()
        unblock.wait(60)  # a blocking call: would freeze the server if run on its loop
        return []

    server = live_server(app)
    try:
        with ThreadPoolExecutor(1) as pool:
            started = time.monotonic()
            heartbeat = pool.submit(server.get, "/__heartbeat__")
            assert entered.wait(10)
            served_meanwhile = 0
            while not heartbeat.done() and served_meanwhile < 5:
                assert server.get("/__lbheartbeat__", timeout=10).status == 200
                assert server.get("/__version__", timeout=10).status == 404
                if not heartbeat.done():
                    served_meanwhile += 1
            answer = heartbeat.result(timeout=30)
            elapsed = time.monotonic() - started
    finally:
        unblock.set()
    assert served_meanwhile >= 1
    assert elapsed < 10
    assert answer.status == 500
    body = answer.json()
    assert body["checks"] == {"hung_async": "error", "hung_sync": "error"}
    for name in ("hung_async", "hung_sync"):
        assert list(body["details"][name]["messages"]) == [health.ERROR_CHECK_TIMEOUT]


def test_concurrent_heartbeats_are_coalesced(make_app: Any, live_server: Any) -> None:
    app = make_app()
    dockerflow = Dockerflow(app)
    runs: list[float] = []

    @dockerflow.check
    async def slow_counting() -> list[checks.CheckMessage]:
        runs.append(time.monotonic())
        await asyncio.sleep(0.5)
        return []

    server = live_server(app)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: server.get("/__heartbeat__"), range(8)))
    assert [a.status for a in answers] == [200] * 8
    # 8 heartbeats at once, far fewer check runs (usually exactly one)
    assert 1 <= len(runs) < 8


def test_cache_ttl(make_app: Any, live_server: Any) -> None:
    app = make_app()
    dockerflow = Dockerflow(app)
    runs: list[int] = []

    @dockerflow.check
    def counting() -> list[checks.CheckMessage]:
        runs.append(1)
        return []

    server = live_server(app)
    for _ in range(3):
        server.get("/__heartbeat__")
    assert len(runs) == 3  # no cache by default
    app.config.DOCKERFLOW_HEARTBEAT_CACHE_TTL = 60
    for _ in range(3):
        assert server.get("/__heartbeat__").status == 200
    assert len(runs) == 4  # one run, then served from the cache
    dockerflow.runner.clear_cache()
    server.get("/__heartbeat__")
    assert len(runs) == 5


def test_unusable_settings_are_logged_when_the_extension_is_set_up(
    make_app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app()
    app.config.DOCKERFLOW_HEARTBEAT_INCLUDE_DETAILS = "yse"
    with caplog.at_level(logging.DEBUG, logger="dockerflow"):
        Dockerflow(app)
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
        (
            "dockerflow.sanic",
            "WARNING",
            "DOCKERFLOW_HEARTBEAT_INCLUDE_DETAILS must be a boolean (true/false, 1/0, on/off), "
            "not 'yse': every /__heartbeat__ answers 500 until it is fixed",
        )
    ]
    _, resp = app.test_client.get("/__heartbeat__")
    assert resp.status == 500
    caplog.clear()
    app.config.DOCKERFLOW_HEARTBEAT_INCLUDE_DETAILS = True
    with caplog.at_level(logging.DEBUG, logger="dockerflow"):
        Dockerflow(make_app())
    assert caplog.records == []


def test_a_misspelt_setting_is_logged_when_the_extension_is_set_up(
    make_app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app()
    app.config.DOCKERFLOW_HEARTBEAT_FAIL_STATUS_CODE = 503
    with caplog.at_level(logging.DEBUG, logger="dockerflow"):
        dockerflow = Dockerflow(app)
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
        (
            "dockerflow.sanic",
            "WARNING",
            "DOCKERFLOW_HEARTBEAT_FAIL_STATUS_CODE is not a Dockerflow setting, so Dockerflow ignores it: "
            "did you mean DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE?",
        )
    ]

    @dockerflow.check
    def failing() -> list[checks.CheckMessage]:
        return _error()

    _, resp = app.test_client.get("/__heartbeat__")
    assert resp.status == 500  # ignored, as it says: not 503
