"""The Dockerflow endpoints of the Sanic extension: version, lbheartbeat, error, wiring."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from pathlib import Path
from typing import Any

import pytest
from sanic import response

from dockerflow.sanic import Dockerflow, checks
from dockerflow.sanic.app import Dockerflow as AppDockerflow

VERSION = {
    "source": "https://github.com/mozilla-services/example",
    "version": "2026.11.0",
    "commit": "52ce614fbf99540a1bf6228e36be6cef63b4d73b",
    "build": "https://ci.example.com/builds/2223",
}


def test_public_api() -> None:
    assert Dockerflow is AppDockerflow
    assert checks.Error("x").level == checks.ERROR
    assert {"Debug", "Info", "Warning", "Error", "Critical", "check_redis_connected"} <= set(
        checks.__all__
    )


def test_routes_are_named_for_url_for(make_app: Any) -> None:
    app = make_app()
    Dockerflow(app)
    assert app.url_for("dockerflow.version") == "/__version__"
    assert app.url_for("dockerflow.heartbeat") == "/__heartbeat__"
    assert app.url_for("dockerflow.lbheartbeat") == "/__lbheartbeat__"
    assert app.url_for("dockerflow.error") == "/__error__"
    assert app.url_for(f"{app.name}.dockerflow.heartbeat") == "/__heartbeat__"


def test_factory_pattern_and_app_ctx(make_app: Any) -> None:
    dockerflow = Dockerflow()
    app = make_app()
    assert app.router.find_route_by_view_name("dockerflow.version") is None
    dockerflow.init_app(app)
    assert app.ctx.dockerflow is dockerflow
    assert dockerflow.app is app
    _, resp = app.test_client.get("/__lbheartbeat__")
    assert resp.status == 200


def test_lbheartbeat_touches_no_check(make_app: Any) -> None:
    app = make_app()
    dockerflow = Dockerflow(app)
    calls: list[str] = []

    @dockerflow.check
    def check_db() -> list[checks.CheckMessage]:
        calls.append("ran")
        return [checks.Error("down", id="acme.E1")]

    _, resp = app.test_client.get("/__lbheartbeat__")
    assert resp.status == 200
    assert resp.body == b""
    _, resp = app.test_client.head("/__lbheartbeat__")
    assert resp.status == 200
    assert calls == []


def test_version_served_from_version_path(make_app: Any, tmp_path: Path) -> None:
    (tmp_path / "version.json").write_text(json.dumps(VERSION))
    app = make_app()
    Dockerflow(app, version_path=str(tmp_path))
    _, resp = app.test_client.get("/__version__")
    assert resp.status == 200
    assert resp.json == VERSION
    assert resp.headers["content-type"] == "application/json"


def test_version_missing_is_404(make_app: Any, tmp_path: Path) -> None:
    app = make_app()
    Dockerflow(app, version_path=str(tmp_path))
    _, resp = app.test_client.get("/__version__")
    assert resp.status == 404
    assert resp.body == b"version.json not found"  # the reference's answer


def test_version_default_path_is_working_directory(
    make_app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "version.json").write_text(json.dumps(VERSION))
    monkeypatch.chdir(tmp_path)
    app = make_app()
    Dockerflow(app)
    _, resp = app.test_client.get("/__version__")
    assert resp.json == VERSION


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", "\udcff"])
def test_malformed_version_is_500_with_one_logged_error(
    make_app: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture, content: str
) -> None:
    (tmp_path / "version.json").write_bytes(content.encode("utf-8", "surrogateescape"))
    app = make_app()
    Dockerflow(app, version_path=str(tmp_path))
    _, resp = app.test_client.get("/__version__")
    assert resp.status == 500
    assert resp.json == {"status": "error", "error": "version information is unavailable"}
    errors = [r for r in caplog.records if r.name == "dockerflow.version"]
    assert len(errors) == 1
    assert errors[0].levelno == logging.ERROR
    assert "version.json" in errors[0].getMessage()
    # the summary records the 500 response, but the view did not raise
    summary = [r for r in caplog.records if r.name == "request.summary"][-1]
    assert (summary.errno, summary.code) == (0, 500)


def test_sync_version_callback(make_app: Any, tmp_path: Path) -> None:
    app = make_app()
    dockerflow = Dockerflow(app, version_path=str(tmp_path))
    seen: list[Any] = []

    @dockerflow.version_callback
    def my_version(root: str) -> dict[str, Any]:
        seen.append((root, threading.current_thread() is threading.main_thread()))
        return {"version": "sync"}

    assert callable(my_version)  # the decorator returns the function
    _, resp = app.test_client.get("/__version__")
    assert resp.status == 200
    assert resp.json == {"version": "sync"}
    # a sync callback may read files: it runs in a worker thread, not on the loop's
    assert seen == [(str(tmp_path), False)]


def test_async_version_callback(make_app: Any, tmp_path: Path) -> None:
    app = make_app()
    dockerflow = Dockerflow(app, version_path=str(tmp_path))

    @dockerflow.version_callback
    async def my_version(root: str) -> dict[str, Any] | None:
        await asyncio.sleep(0)
        return None if root == "nowhere" else {"version": "async", "root": root}

    _, resp = app.test_client.get("/__version__")
    assert resp.json == {"version": "async", "root": str(tmp_path)}
    dockerflow.version_path = "nowhere"
    _, resp = app.test_client.get("/__version__")
    assert resp.status == 404


def test_version_callback_that_raises(make_app: Any, caplog: pytest.LogCaptureFixture) -> None:
    app = make_app()
    dockerflow = Dockerflow(app)

    @dockerflow.version_callback
    async def my_version(root: str) -> dict[str, Any]:
        raise OSError("disk on fire")

    _, resp = app.test_client.get("/__version__")
    assert resp.status == 500
    assert "disk on fire" not in resp.text
    assert len([r for r in caplog.records if r.name == "dockerflow.version"]) == 1


def test_error_endpoint_raises(make_app: Any, caplog: pytest.LogCaptureFixture) -> None:
    app = make_app()
    Dockerflow(app)
    _, resp = app.test_client.get("/__error__")
    assert resp.status == 500
    assert any(
        r.name == "dockerflow.sanic" and "__error__" in r.getMessage() for r in caplog.records
    )
    summary = [r for r in caplog.records if r.name == "request.summary"]
    assert len(summary) == 1
    assert summary[0].errno == 500
    assert summary[0].levelno == logging.ERROR


@pytest.mark.parametrize("value", [False, "false", "0"])
def test_error_endpoint_can_be_switched_off(make_app: Any, value: Any) -> None:
    app = make_app()
    Dockerflow(app)
    app.config.DOCKERFLOW_ENABLE_ERROR_ENDPOINT = value
    _, resp = app.test_client.get("/__error__")
    assert resp.status == 404
    # read at request time: switching it back on works without a restart
    app.config.DOCKERFLOW_ENABLE_ERROR_ENDPOINT = True
    _, resp = app.test_client.get("/__error__")
    assert resp.status == 500


def test_app_routes_and_own_error_handler_untouched(make_app: Any) -> None:
    app = make_app()
    Dockerflow(app)

    @app.get("/hello")
    async def hello(request: Any) -> Any:
        return response.text("hello")

    @app.exception(ValueError)
    async def on_value_error(request: Any, exc: Exception) -> Any:
        return response.text("handled", status=418)

    @app.get("/bad")
    async def bad(request: Any) -> Any:
        raise ValueError("nope")

    _, resp = app.test_client.get("/hello")
    assert resp.text == "hello"
    _, resp = app.test_client.get("/bad")
    assert (resp.status, resp.text) == (418, "handled")


def test_checks_live_in_the_default_registry_by_default(make_app: Any) -> None:
    # As with the reference library: dockerflow.checks sees (and clears) the extension's
    # checks, and every app's heartbeat runs them.
    import redis

    from dockerflow import checks as core_checks

    app_a, app_b = make_app(), make_app()
    df_a = Dockerflow(app_a, redis=redis.asyncio.Redis(host="127.0.0.1", port=1))
    Dockerflow(app_b)

    @df_a.check
    def shared() -> list[checks.CheckMessage]:
        return [checks.Error("down", id="a.E1")]

    assert sorted(core_checks.get_checks()) == ["check_redis_connected", "shared"]
    _, resp = app_b.test_client.get("/__heartbeat__")
    assert resp.status == 500 and resp.json["checks"]["shared"] == "error"
    core_checks.clear_checks()
    _, resp = app_a.test_client.get("/__heartbeat__")
    assert (resp.status, resp.json["checks"]) == (200, {})


def test_two_apps_with_registries_of_their_own_keep_their_checks_apart(make_app: Any) -> None:
    from dockerflow import checks as core_checks

    app_a, app_b = make_app(), make_app()
    df_a = Dockerflow(app_a, registry=core_checks.CheckRegistry())
    df_b = Dockerflow(app_b, registry=core_checks.CheckRegistry())
    core_checks.register(lambda: [checks.Error("global", id="g.E1")], name="process_wide")

    @df_a.check
    def only_in_a() -> list[checks.CheckMessage]:
        return [checks.Error("a is down", id="a.E1")]

    _, resp = app_a.test_client.get("/__heartbeat__")
    assert resp.status == 500
    _, resp = app_b.test_client.get("/__heartbeat__")
    assert resp.status == 200
    assert resp.json["checks"] == {}
    assert df_a.runner is not df_b.runner


def test_asgi_client(make_app: Any, tmp_path: Path) -> None:
    (tmp_path / "version.json").write_text(json.dumps(VERSION))
    app = make_app()
    Dockerflow(app, version_path=str(tmp_path))

    async def go() -> list[Any]:
        out = []
        for path in ("/__version__", "/__heartbeat__", "/__lbheartbeat__"):
            _, resp = await app.asgi_client.get(path)
            out.append((resp.status, resp.json if path != "/__lbheartbeat__" else None))
        return out

    assert asyncio.run(go()) == [
        (200, VERSION),
        (200, {"status": "ok", "checks": {}, "details": {}}),
        (200, None),
    ]
