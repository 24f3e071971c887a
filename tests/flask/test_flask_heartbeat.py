"""The /__heartbeat__, /__lbheartbeat__, /__version__ and /__error__ endpoints, custom
checks, settings and signals."""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path
from typing import Any

import flask
import pytest

from dockerflow import checks as core_checks
from dockerflow import health
from dockerflow.flask import Dockerflow, HeartbeatFailure, checks
from dockerflow.flask.signals import heartbeat_failed, heartbeat_passed

from .conftest import MakeApp, RecordCollector


def test_public_api() -> None:
    import dockerflow.flask.app
    import dockerflow.flask.signals

    assert dockerflow.flask.app.Dockerflow is Dockerflow
    assert issubclass(HeartbeatFailure, Exception)
    for name in ("Debug", "Info", "Warning", "Error", "Critical", "CheckMessage"):
        assert getattr(checks, name) is getattr(core_checks, name)
    for name in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        assert getattr(checks, name) == getattr(core_checks, name)
    assert callable(checks.check_database_connected)
    assert callable(checks.check_migrations_applied)
    assert callable(checks.check_redis_connected)
    assert dockerflow.flask.signals.heartbeat_passed is heartbeat_passed


def test_blueprint_endpoints_and_extension(make_app: MakeApp) -> None:
    app, dockerflow = make_app()
    assert app.extensions["dockerflow"] is dockerflow
    assert "dockerflow" in app.blueprints
    rules = {rule.rule: rule.endpoint for rule in app.url_map.iter_rules()}
    assert rules["/__version__"] == "dockerflow.version"
    assert rules["/__heartbeat__"] == "dockerflow.heartbeat"
    assert rules["/__lbheartbeat__"] == "dockerflow.lbheartbeat"
    assert rules["/__error__"] == "dockerflow.error"
    with app.test_request_context():
        assert flask.url_for("dockerflow.heartbeat") == "/__heartbeat__"


def test_heartbeat_without_checks(make_app: MakeApp) -> None:
    app, _ = make_app()
    response = app.test_client().get("/__heartbeat__")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "checks": {}, "details": {}}


def test_lbheartbeat(make_app: MakeApp) -> None:
    calls = []
    app, dockerflow = make_app()

    @dockerflow.check
    def counting() -> list[Any]:
        calls.append(1)
        return []

    response = app.test_client().get("/__lbheartbeat__")
    assert response.status_code == 200
    assert response.data == b""
    assert calls == []


def test_custom_checks_all_levels_and_status(make_app: MakeApp) -> None:
    app, dockerflow = make_app()

    @dockerflow.check
    def check_fine() -> list[Any]:
        return []

    @dockerflow.check(name="storage")
    def storage_reachable() -> list[Any]:
        return [checks.Warning("slow storage", id="acme.health.W002")]

    response = app.test_client().get("/__heartbeat__")
    assert response.status_code == 200  # warnings pass
    assert response.json == {
        "status": "warning",
        "checks": {"check_fine": "ok", "storage": "warning"},
        "details": {
            "storage": {
                "status": "warning",
                "level": 30,
                "messages": {"acme.health.W002": "slow storage"},
            }
        },
    }
    assert storage_reachable() == [checks.Warning("slow storage", id="acme.health.W002")]

    @dockerflow.check
    def check_broken() -> list[Any]:
        return [checks.Error("broken", id="acme.health.E001"), checks.Info("fyi", id="acme.I1")]

    response = app.test_client().get("/__heartbeat__")
    assert response.status_code == 500
    assert response.json["status"] == "error"
    assert response.json["details"]["check_broken"] == {
        "status": "error",
        "level": 40,
        "messages": {"acme.health.E001": "broken", "acme.I1": "fyi"},
    }


def test_critical_fails(make_app: MakeApp) -> None:
    app, dockerflow = make_app()
    dockerflow.check(lambda: [checks.Critical("down", id="x.C1")], name="crit")
    response = app.test_client().get("/__heartbeat__")
    assert (response.status_code, response.json["status"]) == (500, "critical")


def test_silenced_checks(make_app: MakeApp) -> None:
    app, dockerflow = make_app(silenced_checks=["acme.health.E001"])

    @dockerflow.check
    def check_broken() -> list[Any]:
        return [checks.Error("broken", id="acme.health.E001"), checks.Warning("w", id="acme.W1")]

    response = app.test_client().get("/__heartbeat__")
    assert response.status_code == 200
    assert response.json["details"]["check_broken"]["messages"] == {"acme.W1": "w"}


def test_failed_status_code_setting(make_app: MakeApp) -> None:
    app, dockerflow = make_app({"DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE": "503"})
    dockerflow.check(lambda: [checks.Error("e", id="x.E1")], name="bad")
    response = app.test_client().get("/__heartbeat__")
    assert response.status_code == 503
    assert response.json["status"] == "error"
    app.config["DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE"] = 500  # read at request time
    assert app.test_client().get("/__heartbeat__").status_code == 500


def test_include_details_switch(make_app: MakeApp) -> None:
    app, dockerflow = make_app({"DOCKERFLOW_HEARTBEAT_INCLUDE_DETAILS": "false"})
    dockerflow.check(lambda: [checks.Error("secret dsn", id="x.E1")], name="db")
    response = app.test_client().get("/__heartbeat__")
    assert response.status_code == 500
    assert response.json == {"status": "error"}
    assert b"secret" not in response.data


def test_heartbeat_failure_can_be_handled_by_the_app(make_app: MakeApp) -> None:
    app, dockerflow = make_app()
    dockerflow.check(lambda: [checks.Error("e", id="x.E1")], name="bad")

    @app.errorhandler(HeartbeatFailure)
    def handle(error: HeartbeatFailure) -> tuple[str, int]:
        return "custom", 503

    response = app.test_client().get("/__heartbeat__")
    assert (response.status_code, response.data) == (503, b"custom")


def test_signals_sent_with_app_and_level(make_app: MakeApp) -> None:
    app, dockerflow = make_app()
    other_app, _ = make_app()
    received: list[tuple[str, Any, int]] = []

    def on_passed(sender: Any, level: int, **extra: Any) -> None:
        received.append(("passed", sender, level))

    def on_failed(sender: Any, level: int, **extra: Any) -> None:
        received.append(("failed", sender, level))

    state = {"level": "warning"}

    @dockerflow.check
    def check_flaky() -> list[Any]:
        if state["level"] == "warning":
            return [checks.Warning("w", id="x.W1")]
        return [checks.Error("e", id="x.E1")]

    with (
        heartbeat_passed.connected_to(on_passed, sender=app),
        heartbeat_failed.connected_to(on_failed, sender=app),
    ):
        app.test_client().get("/__heartbeat__")
        state["level"] = "error"
        app.test_client().get("/__heartbeat__")
        other_app.test_client().get("/__heartbeat__")  # another sender: not received
    assert received == [("passed", app, 30), ("failed", app, 40)]


def test_deprecated_check_apis(make_app: MakeApp) -> None:
    app, dockerflow = make_app()

    def check_thing(obj: str) -> list[Any]:
        return [checks.Info(f"saw {obj}", id="x.I1")]

    with pytest.deprecated_call():
        dockerflow.init_check(check_thing, "it")
    with pytest.deprecated_call():
        registered = dockerflow.checks
    assert list(registered) == ["check_thing"]
    response = app.test_client().get("/__heartbeat__")
    assert response.json["details"]["check_thing"]["messages"] == {"x.I1": "saw it"}


def test_core_registry_and_extension_checks_are_one_registry(
    make_app: MakeApp, default_registry: Any
) -> None:
    app, dockerflow = make_app()

    @core_checks.register
    def check_global() -> list[Any]:
        return [checks.Info("global", id="x.I2")]

    @core_checks.register(name="shadowed")
    def global_shadowed() -> list[Any]:
        return [checks.Error("never runs", id="x.E9")]

    @dockerflow.check(name="shadowed")
    def own_shadowed() -> list[Any]:
        return []

    response = app.test_client().get("/__heartbeat__")
    assert response.status_code == 200
    assert response.json["checks"] == {"shadowed": "ok", "check_global": "info"}


def test_checks_live_in_the_default_registry_by_default(make_app: MakeApp) -> None:
    # As with the reference library: every extension registers on the process-wide
    # registry, so dockerflow.checks sees (and clears) them, and a second app runs them.
    app1, df1 = make_app()
    app2, _ = make_app()
    df1.check(lambda: [checks.Error("e", id="x.E1")], name="shared")
    assert sorted(core_checks.get_checks()) == ["shared"]
    assert app1.test_client().get("/__heartbeat__").status_code == 500
    assert app2.test_client().get("/__heartbeat__").status_code == 500
    core_checks.clear_checks()
    assert app1.test_client().get("/__heartbeat__").json == {
        "status": "ok",
        "checks": {},
        "details": {},
    }


def test_own_registry_keeps_two_apps_apart(make_app: MakeApp) -> None:
    registry = core_checks.CheckRegistry()
    app1, df1 = make_app(registry=registry)
    app2, _ = make_app(registry=core_checks.CheckRegistry())
    df1.check(lambda: [checks.Error("e", id="x.E1")], name="only_app1")
    core_checks.register(lambda: [], name="process_wide")
    assert sorted(registry.get_checks()) == ["only_app1"]
    assert app1.test_client().get("/__heartbeat__").json["checks"] == {"only_app1": "error"}
    # Neither the other app's checks nor the process-wide ones run there.
    assert app2.test_client().get("/__heartbeat__").json == {
        "status": "ok",
        "checks": {},
        "details": {},
    }


def test_raising_and_hung_checks_answer_within_timeout(
    make_app: MakeApp, dockerflow_logs: RecordCollector
) -> None:
    release = threading.Event()
    app, dockerflow = make_app(check_timeout=0.5)

    @dockerflow.check
    def check_raises() -> list[Any]:
        raise ConnectionError("password=hunter2")

    @dockerflow.check
    def check_hangs() -> list[Any]:
        release.wait(30)
        return []

    @dockerflow.check
    def check_ok() -> list[Any]:
        return []

    try:
        started = time.monotonic()
        response = app.test_client().get("/__heartbeat__")
        elapsed = time.monotonic() - started
        assert elapsed < 5
        assert response.status_code == 500
        body = response.json
        assert body["checks"] == {"check_raises": "error", "check_hangs": "error", "check_ok": "ok"}
        assert list(body["details"]["check_raises"]["messages"]) == [health.ERROR_CHECK_EXCEPTION]
        assert list(body["details"]["check_hangs"]["messages"]) == [health.ERROR_CHECK_TIMEOUT]
        assert b"hunter2" not in response.data
        assert any(r.exc_info and "hunter2" in repr(r.exc_info[1]) for r in dockerflow_logs.records)
        # Still hung: one fresh run beside it, bounded by the timeout too.
        started = time.monotonic()
        again = app.test_client().get("/__heartbeat__")
        assert time.monotonic() - started < 5
        assert list(again.json["details"]["check_hangs"]["messages"]) == [
            health.ERROR_CHECK_TIMEOUT
        ]
    finally:
        release.set()


def test_check_timeout_config_key_wins(make_app: MakeApp) -> None:
    release = threading.Event()
    app, dockerflow = make_app({"DOCKERFLOW_CHECK_TIMEOUT": "0.3"}, check_timeout=60)

    @dockerflow.check
    def check_hangs() -> list[Any]:
        release.wait(30)
        return []

    try:
        started = time.monotonic()
        response = app.test_client().get("/__heartbeat__")
        assert time.monotonic() - started < 5
        assert list(response.json["details"]["check_hangs"]["messages"]) == [
            health.ERROR_CHECK_TIMEOUT
        ]
    finally:
        release.set()


def test_per_check_timeout(make_app: MakeApp) -> None:
    release = threading.Event()
    app, dockerflow = make_app(check_timeout=60)

    @dockerflow.check(timeout=0.3)
    def check_hangs() -> list[Any]:
        release.wait(30)
        return []

    try:
        started = time.monotonic()
        response = app.test_client().get("/__heartbeat__")
        assert time.monotonic() - started < 5
        assert response.json["checks"] == {"check_hangs": "error"}
    finally:
        release.set()


def test_checks_run_in_app_context_and_async_checks(make_app: MakeApp) -> None:
    app, dockerflow = make_app()
    app.config["MARKER"] = "seen"

    @dockerflow.check
    def check_context() -> list[Any]:
        return [checks.Info(flask.current_app.config["MARKER"], id="x.I1")]

    @dockerflow.check
    async def check_async() -> list[Any]:
        return [checks.Info(flask.current_app.config["MARKER"], id="x.I2")]

    body = app.test_client().get("/__heartbeat__").json
    assert body["details"]["check_context"]["messages"] == {"x.I1": "seen"}
    assert body["details"]["check_async"]["messages"] == {"x.I2": "seen"}


def test_cache_ttl(make_app: MakeApp) -> None:
    calls: list[int] = []
    app, dockerflow = make_app({"DOCKERFLOW_HEARTBEAT_CACHE_TTL": 60})

    @dockerflow.check
    def check_counting() -> list[Any]:
        calls.append(1)
        return []

    client = app.test_client()
    for _ in range(3):
        assert client.get("/__heartbeat__").status_code == 200
    assert len(calls) == 1
    app.config["DOCKERFLOW_HEARTBEAT_CACHE_TTL"] = 0
    client.get("/__heartbeat__")
    client.get("/__heartbeat__")
    assert len(calls) == 3


def test_concurrent_heartbeats_are_coalesced(make_app: MakeApp) -> None:
    calls: list[int] = []
    gate = threading.Event()
    app, dockerflow = make_app()

    @dockerflow.check
    def check_slow() -> list[Any]:
        calls.append(1)
        gate.wait(10)
        return []

    statuses: list[int] = []

    def probe() -> None:
        statuses.append(app.test_client().get("/__heartbeat__").status_code)

    threads = [threading.Thread(target=probe) for _ in range(8)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while not calls and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)  # let the other probes arrive while the first run is in flight
    gate.set()
    for thread in threads:
        thread.join(10)
    assert statuses == [200] * 8
    assert 1 <= len(calls) < 8


# -- /__version__ -----------------------------------------------------------------------

VERSION = {
    "source": "https://github.com/acme/app",
    "version": "1.0",
    "commit": "abc",
    "build": "b1",
}


def test_version_default_path_is_parent_of_root(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "version.json").write_text(json.dumps(VERSION))
    app = flask.Flask("x", root_path=str(tmp_path / "app"))
    Dockerflow(app)
    response = app.test_client().get("/__version__")
    assert (response.status_code, response.json) == (200, VERSION)
    assert response.mimetype == "application/json"


def test_version_path_and_404(tmp_path: Path, make_app: MakeApp) -> None:
    app, _ = make_app(version_path=str(tmp_path))
    client = app.test_client()
    missing = client.get("/__version__")
    assert (missing.status_code, missing.data) == (404, b"version.json not found")
    (tmp_path / "version.json").write_text(json.dumps(VERSION))
    assert client.get("/__version__").json == VERSION


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", "\xff"])
def test_version_malformed(
    tmp_path: Path, make_app: MakeApp, content: str, dockerflow_logs: RecordCollector
) -> None:
    (tmp_path / "version.json").write_bytes(content.encode("latin-1"))
    app, _ = make_app(version_path=str(tmp_path))
    response = app.test_client().get("/__version__")
    assert response.status_code == 500
    assert response.json["status"] == "error"
    assert "Traceback" not in response.get_data(as_text=True)
    assert str(tmp_path) not in response.get_data(as_text=True)
    errors = [r for r in dockerflow_logs.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "version.json" in errors[0].getMessage()


def test_version_callback(make_app: MakeApp, tmp_path: Path) -> None:
    app, dockerflow = make_app(version_path=str(tmp_path))
    seen = []

    @dockerflow.version_callback
    def my_version(root: str) -> dict[str, str]:
        seen.append(root)
        return {"version": "from-callback"}

    assert callable(my_version)
    response = app.test_client().get("/__version__")
    assert response.json == {"version": "from-callback"}
    assert seen == [str(tmp_path)]

    dockerflow.version_callback(lambda root: None)
    assert app.test_client().get("/__version__").status_code == 404


def test_version_callback_raising(make_app: MakeApp, dockerflow_logs: RecordCollector) -> None:
    app, dockerflow = make_app()

    @dockerflow.version_callback
    def broken(root: str) -> dict[str, str]:
        raise OSError("disk on fire")

    response = app.test_client().get("/__version__")
    assert response.status_code == 500
    assert "disk on fire" not in response.get_data(as_text=True)
    assert len([r for r in dockerflow_logs.records if r.levelno >= logging.ERROR]) == 1


# -- /__error__ -------------------------------------------------------------------------


def test_error_endpoint(make_app: MakeApp, summary_records: list[logging.LogRecord]) -> None:
    app, _ = make_app()
    response = app.test_client().get("/__error__")
    assert response.status_code == 500
    assert [(r.levelno, r.errno) for r in summary_records] == [(logging.ERROR, 500)]  # type: ignore[attr-defined]


@pytest.mark.parametrize("value", [False, "false", "0"])
def test_error_endpoint_switched_off(make_app: MakeApp, value: Any) -> None:
    app, _ = make_app({"DOCKERFLOW_ENABLE_ERROR_ENDPOINT": value})
    assert app.test_client().get("/__error__").status_code == 404


def test_error_endpoint_switched_off_after_init(make_app: MakeApp) -> None:
    app, _ = make_app()
    app.config["DOCKERFLOW_ENABLE_ERROR_ENDPOINT"] = False
    assert app.test_client().get("/__error__").status_code == 404


# -- application factory ------------------------------------------------------------------


def test_app_factory(tmp_path: Path) -> None:
    dockerflow = Dockerflow(version_path=str(tmp_path))
    (tmp_path / "version.json").write_text(json.dumps(VERSION))

    @dockerflow.check
    def check_factory() -> list[Any]:
        return [checks.Info(flask.current_app.name, id="x.I1")]

    def create_app(name: str) -> flask.Flask:
        app = flask.Flask(name)
        app.config["DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE"] = 503
        dockerflow.init_app(app)
        return app

    first, second = create_app("first"), create_app("second")
    for app in (first, second):
        assert app.extensions["dockerflow"] is dockerflow
        client = app.test_client()
        assert client.get("/__version__").json == VERSION
        assert client.get("/__lbheartbeat__").status_code == 200
        body = client.get("/__heartbeat__").json
        assert body["details"]["check_factory"]["messages"] == {"x.I1": app.name}


def test_bad_setting_is_the_heartbeats_own_json(make_app: MakeApp, caplog: Any) -> None:
    app, _ = make_app({"DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE": "abc"})
    response = app.test_client().get("/__heartbeat__")
    assert response.status_code == 500
    assert response.is_json
    assert response.get_json()["status"] == "error"
    logged = [r for r in caplog.records if r.exc_info and r.name == "dockerflow.heartbeat"]
    assert len(logged) == 1
    assert "DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE" in str(logged[0].exc_info[1])


def test_unusable_settings_are_logged_when_the_extension_is_set_up(
    make_app: MakeApp, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="dockerflow.flask"):
        app, _ = make_app(
            {"DOCKERFLOW_CHECK_TIMEOUT": "soon", "DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE": 200}
        )
    warnings = [(r.name, r.levelname, r.getMessage()) for r in caplog.records]
    assert warnings == [
        (
            "dockerflow.flask",
            "WARNING",
            "DOCKERFLOW_CHECK_TIMEOUT must be a number of seconds, not 'soon': "
            "every /__heartbeat__ answers 500 until it is fixed",
        ),
        (
            "dockerflow.flask",
            "WARNING",
            "DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE is 200: a failing heartbeat answers 200, "
            "which load balancers and orchestrators read as healthy",
        ),
    ]
    assert app.test_client().get("/__heartbeat__").status_code == 500  # what it foretold


def test_usable_settings_log_nothing_at_set_up(
    make_app: MakeApp, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        make_app({"DOCKERFLOW_CHECK_TIMEOUT": "2", "DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE": 503})
    assert [r for r in caplog.records if r.name.startswith("dockerflow")] == []


def test_a_misspelt_setting_is_logged_when_the_extension_is_set_up(
    make_app: MakeApp, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="dockerflow"):
        app, _ = make_app(
            {
                "DOCKERFLOW_ENABLE_ERROR_ENDPOINTS": False,
                "DOCKERFLOW_CHECKS": ["myapp.checks.storage"],  # Django's own setting
                "DOCKERFLOW_SENTRY_DSN": "",  # the app's own: left alone
            }
        )
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
        (
            "dockerflow.flask",
            "WARNING",
            "DOCKERFLOW_CHECKS is read by dockerflow-django only, so it is ignored here",
        ),
        (
            "dockerflow.flask",
            "WARNING",
            "DOCKERFLOW_ENABLE_ERROR_ENDPOINTS is not a Dockerflow setting, so Dockerflow "
            "ignores it: did you mean DOCKERFLOW_ENABLE_ERROR_ENDPOINT?",
        ),
    ]
    # Ignored, as it says: the endpoint is still served (and raises).
    assert app.test_client().get("/__error__").status_code == 500
