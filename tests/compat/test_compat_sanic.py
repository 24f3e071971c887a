"""Differential scenarios for dockerflow-sanic: the same Sanic code under the reference
library and under ours, through Sanic's test client (see ``compat_harness``)."""

from __future__ import annotations

from typing import Any

from compat_harness import scenario


@scenario
def test_sanic_endpoints_and_summaries(obs: Any) -> None:
    import json

    from sanic import Sanic, response

    from dockerflow.sanic import Dockerflow

    with open("version.json", "w") as fp:
        json.dump({"source": "s", "version": "v", "commit": "c", "build": "b"}, fp)
    app = Sanic("compat")
    app.config.DOCKERFLOW_SUMMARY_LOG_QUERYSTRING = True
    Dockerflow(app)
    seen: dict[str, Any] = {}

    @app.route("/page")
    async def page(request: Any) -> Any:
        from dockerflow.logging import request_id_context

        seen["ctx.id"] = getattr(request.ctx, "id", "<unset>")
        seen["ctx.start_timestamp"] = type(getattr(request.ctx, "start_timestamp", None)).__name__
        seen["context"] = request_id_context.get()
        return response.text("page")

    with obs.capture_logs("logs", loggers=("request.summary", "dockerflow")):
        for path in ("/__version__", "/__heartbeat__", "/__lbheartbeat__", "/page?a=1&b=%20x"):
            _, answer = app.test_client.get(
                path,
                headers={
                    "X-Request-ID": "sanic-1",
                    "User-Agent": "compat",
                    "Accept-Language": "fr",
                },
            )
            obs.response(path, answer.status, answer.headers, answer.body)
    obs.record("seen_in_view", seen)


@scenario
def test_sanic_error_endpoint_and_view_errors(obs: Any) -> None:
    from sanic import Sanic

    from dockerflow.sanic import Dockerflow

    app = Sanic("compat")
    Dockerflow(app)

    @app.route("/fail")
    async def fail(request: Any) -> Any:
        raise ValueError("exception message")

    for key, path in (("error_endpoint", "/__error__"), ("view_error", "/fail")):
        with obs.capture_logs(f"{key}_logs", loggers=("request.summary", "dockerflow")) as records:
            _, answer = app.test_client.get(path, headers={"X-Request-ID": key})
        obs.record(f"{key}_status", answer.status)
        del records


@scenario
def test_sanic_checks_in_the_default_registry(obs: Any) -> None:
    import redis.asyncio
    from sanic import Sanic

    from dockerflow import checks
    from dockerflow.sanic import Dockerflow

    app = Sanic("compat")
    client = redis.asyncio.Redis(host="127.0.0.1", port=1)  # nothing listens there
    Dockerflow(app, redis=client)
    obs.record("registered", sorted(checks.get_checks()))
    checks.clear_checks()
    obs.record("after_clear", sorted(checks.get_checks()))
    _, answer = app.test_client.get("/__heartbeat__")
    obs.response("heartbeat_after_clear", answer.status, answer.headers, answer.body)


@scenario
def test_sanic_not_found_and_missing_version(obs: Any) -> None:
    from sanic import Sanic

    from dockerflow.sanic import Dockerflow

    app = Sanic("compat")
    Dockerflow(app)
    for path in ("/missing", "/__version__"):
        with obs.capture_logs(f"{path}_logs", loggers=("request.summary", "dockerflow")):
            _, answer = app.test_client.get(path)
        obs.response(path, answer.status, answer.headers, answer.body)


@scenario
def test_sanic_misbehaving_checks_version_and_request_ids(obs: Any) -> None:
    from sanic import Sanic, response

    from dockerflow import checks
    from dockerflow.sanic import Dockerflow

    with open("version.json", "w") as fp:
        fp.write("{not json")
    app = Sanic("compat")
    Dockerflow(app)

    @app.route("/rid")
    async def rid(request: Any) -> Any:
        return response.json({"rid": request.ctx.id})

    @checks.register
    def raising() -> list[Any]:
        raise ConnectionError("database down")

    _, answer = app.test_client.get("/__heartbeat__")
    obs.response("raising_check", answer.status, answer.headers, answer.body)
    _, answer = app.test_client.get("/__version__")
    obs.response("malformed_version", answer.status, answer.headers, answer.body)
    for key, value in (("kept", "abc-123_x.y:z"), ("spaces", "a b"), ("long", "x" * 200)):
        _, answer = app.test_client.get("/rid", headers={"X-Request-ID": value})
        obs.response(key, answer.status, answer.headers, answer.body)


@scenario
def test_sanic_documented_settings_and_request_id_filter(obs: Any) -> None:
    import logging

    from sanic import Sanic, response

    from dockerflow import checks
    from dockerflow.logging import RequestIdLogFilter
    from dockerflow.sanic import Dockerflow

    app = Sanic("compat")
    app.config.DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE = 503
    app.config.DOCKERFLOW_REQUEST_ID_HEADER_NAME = "X-Trace-Id"
    dockerflow = Dockerflow(app, version_path="/nonexistent")

    @dockerflow.version_callback
    async def version(root: str) -> dict[str, str]:
        return {"source": root, "version": "1", "commit": "c", "build": "b"}

    @checks.register(name="named_check")
    def failing() -> list[Any]:
        return [checks.Critical("down", id="compat.C001")]

    view_logger = logging.getLogger("compat.view")
    view_logger.addFilter(RequestIdLogFilter())

    @app.route("/log")
    async def log(request: Any) -> Any:
        view_logger.info("inside the view")
        return response.text("ok")

    with obs.capture_logs("logs", loggers=("compat.view", "request.summary")):
        _, answer = app.test_client.get("/log", headers={"X-Trace-Id": "trace-1"})
        obs.record("log_status", answer.status)
    _, answer = app.test_client.get("/__heartbeat__")
    obs.response("heartbeat", answer.status, answer.headers, answer.body)
    _, answer = app.test_client.get("/__version__")
    obs.response("version", answer.status, answer.headers, answer.body)


@scenario
def test_sanic_summary_logger_replaced_after_init(obs: Any) -> None:
    import logging

    from sanic import Sanic, response

    from dockerflow.sanic import Dockerflow

    app = Sanic("compat")
    dockerflow = Dockerflow(app)
    dockerflow.summary_logger = logging.getLogger("compat.summary")

    @app.route("/page")
    async def page(request: Any) -> Any:
        return response.text("page")

    with obs.capture_logs("logs", loggers=("compat.summary", "request.summary")):
        _, answer = app.test_client.get("/page", headers={"X-Request-ID": "r1"})
    obs.record("status", answer.status)


@scenario
def test_sanic_summary_extra_overridden_in_a_subclass(obs: Any) -> None:
    from sanic import Sanic, response

    from dockerflow.sanic import Dockerflow

    class MyDockerflow(Dockerflow):
        def summary_extra(self, request: Any) -> dict[str, Any]:
            out = super().summary_extra(request)
            out["tenant"] = "acme"
            return out

    app = Sanic("compat")
    MyDockerflow(app)

    @app.route("/page")
    async def page(request: Any) -> Any:
        return response.text("page")

    @app.route("/fail")
    async def fail(request: Any) -> Any:
        raise ValueError("boom")

    with obs.capture_logs("logs", loggers=("request.summary",)) as records:
        app.test_client.get("/page", headers={"X-Request-ID": "r1"})
        app.test_client.get("/fail", headers={"X-Request-ID": "r2"})
        obs.record("tenant", [getattr(r, "tenant", "<unset>") for r in records])
        obs.record("errno", [getattr(r, "errno", "<unset>") for r in records])


@scenario
def test_sanic_silenced_checks_list_mutated_after_init(obs: Any) -> None:
    from sanic import Sanic

    from dockerflow import checks
    from dockerflow.sanic import Dockerflow

    silenced = ["other.W999"]
    app = Sanic("compat")
    dockerflow = Dockerflow(app, silenced_checks=silenced)

    @checks.register
    def noisy() -> list[Any]:
        return [checks.Warning("noise", id="compat.W001")]

    silenced.append("compat.W001")
    obs.record("same_list", dockerflow.silenced_checks is silenced)
    _, answer = app.test_client.get("/__heartbeat__")
    obs.response("silenced_after", answer.status, answer.headers, answer.body)


@scenario
def test_sanic_get_checks_patched_with_mock(obs: Any) -> None:
    from unittest import mock

    from sanic import Sanic

    from dockerflow import checks
    from dockerflow.sanic import Dockerflow

    app = Sanic("compat")
    Dockerflow(app)

    def fake() -> list[Any]:
        return [checks.Error("fake down", id="compat.E001")]

    with mock.patch("dockerflow.checks.get_checks", return_value={"fake": fake}):
        _, answer = app.test_client.get("/__heartbeat__")
    obs.response("patched_get_checks", answer.status, answer.headers, answer.body)


@scenario
def test_sanic_config_changed_after_init(obs: Any) -> None:
    from sanic import Sanic, response

    from dockerflow import checks
    from dockerflow.sanic import Dockerflow

    app = Sanic("compat")
    Dockerflow(app)

    @app.route("/rid")
    async def rid(request: Any) -> Any:
        return response.json({"rid": request.ctx.id})

    _, answer = app.test_client.get("/rid")
    app.config.DOCKERFLOW_REQUEST_ID_HEADER_NAME = "X-Trace-Id"
    app.config.DOCKERFLOW_SUMMARY_LOG_QUERYSTRING = True
    app.config.DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE = 503
    with obs.capture_logs("logs", loggers=("request.summary",)):
        _, answer = app.test_client.get("/rid?x=1", headers={"X-Trace-Id": "trace-1"})
    obs.response("rid", answer.status, answer.headers, answer.body)

    @checks.register
    def broken() -> list[Any]:
        return [checks.Error("down", id="compat.E001")]

    _, answer = app.test_client.get("/__heartbeat__")
    obs.response("heartbeat", answer.status, answer.headers, answer.body)


@scenario
def test_sanic_run_checks_async_patched_with_mock(obs: Any) -> None:
    """A test replacing ``dockerflow.checks.run_checks_async`` decides the heartbeat's
    answer."""
    from unittest import mock

    import compat_checks
    from sanic import Sanic

    from dockerflow.sanic import Dockerflow

    app = Sanic("compat")
    Dockerflow(app)
    seen: list[Any] = []
    fake_run = compat_checks.fake_run_checks_async(seen)

    with mock.patch("dockerflow.checks.run_checks_async", fake_run):
        _, answer = app.test_client.get("/__heartbeat__")
    obs.response("patched", answer.status, answer.headers, answer.body)
    obs.record("calls", len(seen))
