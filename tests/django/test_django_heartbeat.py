"""/__heartbeat__: Django's system checks through the core runner (SQLite default database)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.core import checks
from django.test import AsyncClient, Client, override_settings
from djtest_support import run_async

from dockerflow import health
from dockerflow.django import views
from dockerflow.django.signals import heartbeat_failed, heartbeat_passed
from dockerflow.logging import RequestIdLogFilter

Register = Callable[..., Any]


def check_fails(app_configs: Any, **kwargs: Any) -> list[Any]:
    return [checks.Error("the flux capacitor is off", id="tests.E001")]


def check_warns(app_configs: Any, **kwargs: Any) -> list[Any]:
    return [checks.Warning("the flux capacitor is warm", id="tests.W001")]


def check_raises(app_configs: Any, **kwargs: Any) -> list[Any]:
    raise RuntimeError("postgres://user:secret@db/prod is broken")


@pytest.fixture
def hung_check() -> Iterator[Callable[..., Any]]:
    release = threading.Event()

    def check_hangs(app_configs: Any, **kwargs: Any) -> list[Any]:
        release.wait(30)
        return []

    yield check_hangs
    release.set()


def heartbeat(**extra: Any) -> Any:
    return Client().get("/__heartbeat__", **extra)


def test_default_checks_pass_on_the_migrated_database() -> None:
    with override_settings(DEBUG=True):
        response = heartbeat()
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["check_database_connected"] == "ok"
    assert body["checks"]["check_migrations_applied"] == "ok"
    assert body["details"] == {}
    assert list(body["checks"]) == sorted(body["checks"])  # stable order


def test_no_details_unless_debug() -> None:
    body = heartbeat().json()
    assert set(body) == {"status"}
    # Deployment checks (DEBUG off) warn about this test project's security settings.
    assert body["status"] == "warning"


@pytest.mark.parametrize(
    ("debug", "include", "expected"),
    [(False, True, True), (True, False, False), (False, "yes", True)],
)
def test_include_details_setting_overrides_debug(debug: bool, include: Any, expected: bool) -> None:
    with override_settings(DEBUG=debug, DOCKERFLOW_HEARTBEAT_INCLUDE_DETAILS=include):
        body = heartbeat().json()
    assert ("checks" in body and "details" in body) is expected


def test_deployment_checks_run_unless_debug(register_check: Register) -> None:
    register_check(check_warns, deploy=True)
    with override_settings(DOCKERFLOW_HEARTBEAT_INCLUDE_DETAILS=True):
        assert heartbeat().json()["checks"]["check_warns"] == "warning"
        with override_settings(DEBUG=True):
            assert "check_warns" not in heartbeat().json()["checks"]


@override_settings(DEBUG=True)
def test_failing_check_is_a_500_with_its_details(register_check: Register) -> None:
    register_check(check_fails)
    response = heartbeat()
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["check_fails"] == "error"
    assert body["details"]["check_fails"] == {
        "status": "error",
        "level": 40,
        "messages": {"tests.E001": "the flux capacitor is off"},
    }


@override_settings(DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE=503)
def test_failed_status_code_setting(register_check: Register) -> None:
    register_check(check_fails)
    response = heartbeat()
    assert response.status_code == 503
    assert response.json() == {"status": "error"}


@override_settings(DEBUG=True)
def test_warnings_pass(register_check: Register) -> None:
    register_check(check_warns)
    response = heartbeat()
    assert response.status_code == 200
    assert response.json()["status"] == "warning"


@override_settings(DEBUG=True, SILENCED_SYSTEM_CHECKS=["tests.E001"])
def test_silenced_system_checks_are_dropped(register_check: Register) -> None:
    register_check(check_fails)
    response = heartbeat()
    assert response.status_code == 200
    assert response.json()["checks"]["check_fails"] == "ok"


def test_signals_carry_the_level(register_check: Register) -> None:
    received: list[tuple[str, Any, int]] = []

    def on_pass(sender: Any, level: int, **kwargs: Any) -> None:
        received.append(("passed", sender, level))

    def on_fail(sender: Any, level: int, **kwargs: Any) -> None:
        received.append(("failed", sender, level))

    heartbeat_passed.connect(on_pass)
    heartbeat_failed.connect(on_fail)
    try:
        with override_settings(DEBUG=True):
            heartbeat()
        register_check(check_warns)
        with override_settings(DEBUG=True):
            heartbeat()
        register_check(check_fails)
        heartbeat()
    finally:
        heartbeat_passed.disconnect(on_pass)
        heartbeat_failed.disconnect(on_fail)
    assert received == [
        ("passed", views.heartbeat, 0),
        ("passed", views.heartbeat, 30),
        ("failed", views.heartbeat, 40),
    ]


@override_settings(DEBUG=True)
def test_a_raising_signal_receiver_does_not_change_the_answer() -> None:
    def broken(sender: Any, **kwargs: Any) -> None:
        raise RuntimeError("statsd is down")

    heartbeat_passed.connect(broken)
    try:
        response = heartbeat()
    finally:
        heartbeat_passed.disconnect(broken)
    assert response.status_code == 200


@override_settings(DEBUG=True)
def test_raising_check_is_an_error_result_without_its_secret(register_check: Register) -> None:
    register_check(check_raises)
    response = heartbeat()
    assert response.status_code == 500
    detail = response.json()["details"]["check_raises"]
    assert list(detail["messages"]) == [health.ERROR_CHECK_EXCEPTION]
    assert "secret" not in response.content.decode()


@override_settings(DEBUG=True, DOCKERFLOW_CHECK_TIMEOUT=0.5)
def test_hung_check_is_answered_within_the_timeout(
    register_check: Register, hung_check: Callable[..., Any]
) -> None:
    register_check(hung_check)
    start = time.monotonic()
    response = heartbeat()
    elapsed = time.monotonic() - start
    assert elapsed < 5
    assert response.status_code == 500
    body = response.json()
    assert body["checks"]["check_hangs"] == "error"
    assert list(body["details"]["check_hangs"]["messages"]) == [health.ERROR_CHECK_TIMEOUT]
    assert body["checks"]["check_database_connected"] == "ok"
    # Still hung: the next heartbeat says so at once instead of starting it again.
    start = time.monotonic()
    again = heartbeat().json()
    assert time.monotonic() - start < 5
    assert list(again["details"]["check_hangs"]["messages"]) == [health.ERROR_CHECK_TIMEOUT]


@run_async
async def test_hung_check_under_asgi(
    register_check: Register, hung_check: Callable[..., Any]
) -> None:
    register_check(hung_check)
    register_check(check_raises)
    with override_settings(DEBUG=True, DOCKERFLOW_CHECK_TIMEOUT="0.5"):
        start = time.monotonic()
        response = await AsyncClient().get("/__heartbeat__/")
        assert time.monotonic() - start < 5
    assert response.status_code == 500
    details = response.json()["details"]
    assert list(details["check_hangs"]["messages"]) == [health.ERROR_CHECK_TIMEOUT]
    assert list(details["check_raises"]["messages"]) == [health.ERROR_CHECK_EXCEPTION]


@run_async
async def test_heartbeat_under_asgi_sends_signals(register_check: Register) -> None:
    levels: list[int] = []

    def on_fail(sender: Any, level: int, **kwargs: Any) -> None:
        levels.append(level)

    register_check(check_fails)
    heartbeat_failed.connect(on_fail)
    try:
        with override_settings(DEBUG=True):
            response = await AsyncClient().get("/__heartbeat__")
    finally:
        heartbeat_failed.disconnect(on_fail)
    assert response.status_code == 500
    assert response.json()["checks"]["check_fails"] == "error"
    assert levels == [40]


@pytest.mark.parametrize(
    ("name", "value"),
    [("DOCKERFLOW_CHECK_TIMEOUT", "soon"), ("DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE", 999)],
)
def test_invalid_setting_is_the_heartbeats_own_json_500(
    name: str, value: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with override_settings(**{name: value}):
        response = heartbeat()
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json()["status"] == "error"
    assert name in caplog.text


def test_cache_ttl_reuses_results(register_check: Register) -> None:
    calls: list[int] = []

    def check_counted(app_configs: Any, **kwargs: Any) -> list[Any]:
        calls.append(1)
        return []

    register_check(check_counted)
    with override_settings(DOCKERFLOW_HEARTBEAT_CACHE_TTL=60):
        for _ in range(3):
            assert heartbeat().status_code == 200
    assert len(calls) == 1
    heartbeat()  # no TTL: runs again
    assert len(calls) == 2


def test_concurrent_heartbeats_share_one_run(register_check: Register) -> None:
    calls: list[int] = []

    def check_slow(app_configs: Any, **kwargs: Any) -> list[Any]:
        calls.append(1)
        time.sleep(0.5)
        return []

    register_check(check_slow)
    with ThreadPoolExecutor(6) as pool:
        codes = list(pool.map(lambda _: heartbeat().status_code, range(6)))
    assert codes == [200] * 6
    assert len(calls) < 6


def test_checks_sharing_a_name_are_both_reported(register_check: Register) -> None:
    def make(module: str, msg: str) -> Any:
        def check_same(app_configs: Any, **kwargs: Any) -> list[Any]:
            return [checks.Warning(msg, id=f"{module}.W001")]

        check_same.__module__ = module
        return check_same

    register_check(make("alpha", "from alpha"))
    register_check(make("beta", "from beta"))
    names = [name for name, _ in views.heartbeat_checks()]
    assert len(names) == len(set(names))
    assert "check_same" in names and "beta.check_same" in names


def test_records_a_check_logs_carry_the_heartbeats_request_id(
    register_check: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """The checks run on worker threads, in a copy of the request's context: what they
    log is tied to the heartbeat request, as when the reference ran them in the request."""

    def check_that_logs(app_configs: Any, **kwargs: Any) -> list[Any]:
        logging.getLogger("djtestproject.check").info("checking from %s", threading.get_ident())
        return []

    register_check(check_that_logs)
    caplog.handler.addFilter(RequestIdLogFilter())
    try:
        with caplog.at_level(logging.INFO, logger="djtestproject.check"):
            Client().get("/__heartbeat__", HTTP_X_REQUEST_ID="rid-heartbeat-check")
    finally:
        caplog.handler.filters.clear()
    [record] = [r for r in caplog.records if r.name == "djtestproject.check"]
    assert record.thread != threading.get_ident()  # it did run on a check thread
    assert record.rid == "rid-heartbeat-check"  # type: ignore[attr-defined]
