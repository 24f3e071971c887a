"""Differential scenarios for FastAPI: the reference's ``dockerflow.fastapi`` and
``dockerflow-fastapi``, set up as the reference documentation shows, answer and log alike
(the differences are listed in :mod:`intended`)."""

from __future__ import annotations

from typing import Any

from compat_harness import scenario


@scenario
def test_fastapi_endpoints(obs: Any) -> None:
    import json
    import os

    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from dockerflow import checks
    from dockerflow.fastapi import router
    from dockerflow.fastapi.middleware import MozlogRequestSummaryLogger, RequestIdMiddleware

    def make_app(**state: Any) -> FastAPI:
        app = FastAPI()
        app.include_router(router)
        app.add_middleware(MozlogRequestSummaryLogger)
        app.add_middleware(RequestIdMiddleware)
        for name, value in state.items():
            setattr(app.state, name, value)
        return app

    os.mkdir("app")
    with open("app/version.json", "w") as fp:
        json.dump({"source": "https://x", "version": "1.0", "commit": "abc", "build": "b"}, fp)
    client = TestClient(make_app(APP_DIR="app"), raise_server_exceptions=False)
    for method in ("GET", "HEAD"):
        for path in ("/__lbheartbeat__", "/__heartbeat__", "/__version__", "/__error__"):
            answer = client.request(method, path)
            obs.response(f"{method} {path}", answer.status_code, answer.headers, answer.content)

    @checks.register
    def plain() -> list[Any]:
        return []

    @checks.register
    async def coroutine() -> list[Any]:
        return [checks.Warning("slow", id="compat.W001")]

    def with_argument(text: str) -> list[Any]:
        return [checks.Info(text, id="compat.I001")]

    checks.register_partial(with_argument, "partial")
    answer = client.get("/__heartbeat__")
    obs.response("heartbeat warning", answer.status_code, answer.headers, answer.content)

    @checks.register
    def broken() -> list[Any]:
        return [checks.Error("down", id="compat.E001")]

    answer = client.get("/__heartbeat__")
    obs.response("heartbeat error", answer.status_code, answer.headers, answer.content)
    failing = TestClient(make_app(DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE=503))
    answer = failing.get("/__heartbeat__")
    obs.response("heartbeat 503", answer.status_code, answer.headers, answer.content)
    answer = failing.head("/__heartbeat__")
    obs.response("heartbeat 503 HEAD", answer.status_code, answer.headers, answer.content)


@scenario
def test_fastapi_version_missing(obs: Any) -> None:
    import os

    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from dockerflow.fastapi import router

    app = FastAPI()
    app.include_router(router)
    os.mkdir("empty")
    app.state.APP_DIR = "empty"
    answer = TestClient(app).get("/__version__")
    obs.response("version", answer.status_code, answer.headers, answer.content)


@scenario
def test_fastapi_summary_records(obs: Any) -> None:
    import logging

    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from dockerflow.fastapi import router
    from dockerflow.fastapi.middleware import MozlogRequestSummaryLogger, RequestIdMiddleware
    from dockerflow.logging import request_id_context

    app = FastAPI()
    app.include_router(router)
    app.add_middleware(MozlogRequestSummaryLogger)
    app.add_middleware(RequestIdMiddleware)

    @app.get("/hello")
    def hello() -> dict[str, Any]:
        logging.getLogger("compat.view").info("in the view")
        return {"rid": request_id_context.get()}

    client = TestClient(app)
    with obs.capture_logs("logs"):
        answer = client.get(
            "/hello?q=caf%C3%A9&x=1",
            headers={"User-Agent": "compat/1", "Accept-Language": "fr", "X-Request-ID": "r-1"},
        )
        obs.response("hello", answer.status_code, answer.headers, answer.content)
        client.get("/missing", headers={"X-Request-ID": "r-2"})
        client.head("/__lbheartbeat__", headers={"X-Request-ID": "r-3"})
        app.state.DOCKERFLOW_SUMMARY_LOG_QUERYSTRING = True
        client.get("/hello?q=caf%C3%A9&x=1", headers={"X-Request-ID": "r-4"})
        app.state.DOCKERFLOW_REQUEST_ID_HEADER_NAME = "X-Trace-Id"
        answer = client.get("/hello", headers={"X-Trace-Id": "trace-5"})
        obs.response("custom header", answer.status_code, answer.headers, answer.content)


@scenario
def test_fastapi_summary_of_an_exception(obs: Any) -> None:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from dockerflow.fastapi import router
    from dockerflow.fastapi.middleware import MozlogRequestSummaryLogger, RequestIdMiddleware

    app = FastAPI()
    app.include_router(router)
    app.add_middleware(MozlogRequestSummaryLogger)
    app.add_middleware(RequestIdMiddleware)
    client = TestClient(app, raise_server_exceptions=False)
    with obs.capture_logs("logs"):
        answer = client.get("/__error__", headers={"X-Request-ID": "failing"})
    obs.response("error", answer.status_code, answer.headers, answer.content)


@scenario
def test_fastapi_summary_handlers(obs: Any) -> None:
    import logging

    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from dockerflow.fastapi.middleware import MozlogRequestSummaryLogger, RequestIdMiddleware

    for _ in range(2):
        app = FastAPI()
        app.add_middleware(MozlogRequestSummaryLogger)
        app.add_middleware(RequestIdMiddleware)
        TestClient(app).get("/nothing")
    handlers = logging.getLogger("request.summary").handlers
    obs.record("handlers", [type(h).__name__ for h in handlers])


@scenario
def test_fastapi_hostile_request_ids(obs: Any) -> None:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from dockerflow.fastapi.middleware import RequestIdMiddleware
    from dockerflow.logging import request_id_context

    app = FastAPI()
    app.add_middleware(RequestIdMiddleware)

    @app.get("/rid")
    def rid() -> dict[str, Any]:
        return {"rid": request_id_context.get()}

    client = TestClient(app)
    for index, value in enumerate(["ok-id", "a" * 128, "a" * 129, "with space", "semi;colon"]):
        answer = client.get("/rid", headers={"X-Request-ID": value})
        obs.response(f"rid{index}", answer.status_code, answer.headers, answer.content)


@scenario
def test_fastapi_views_logger_patched_with_mock(obs: Any) -> None:
    from unittest import mock

    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from dockerflow.fastapi import router

    app = FastAPI()
    app.include_router(router)
    client = TestClient(app, raise_server_exceptions=False)
    with mock.patch("dockerflow.fastapi.views.logger") as logger:
        answer = client.get("/__error__")
    obs.record("status", answer.status_code)
    obs.record("patched_logger_calls", [str(c) for c in logger.mock_calls])


@scenario
def test_fastapi_state_and_checks_changed_after_startup(obs: Any) -> None:
    import json
    import os
    from unittest import mock

    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from dockerflow import checks
    from dockerflow.fastapi import router
    from dockerflow.fastapi.middleware import MozlogRequestSummaryLogger, RequestIdMiddleware
    from dockerflow.logging import request_id_context

    app = FastAPI()
    app.include_router(router)
    app.add_middleware(MozlogRequestSummaryLogger)
    app.add_middleware(RequestIdMiddleware)

    @app.get("/rid")
    def rid() -> dict[str, Any]:
        return {"rid": request_id_context.get()}

    os.mkdir("v1")
    with open("v1/version.json", "w") as fp:
        json.dump({"source": "s", "version": "1", "commit": "c", "build": "b"}, fp)

    def fake() -> list[Any]:
        return [checks.Error("fake down", id="compat.E001")]

    with TestClient(app) as client:  # lifespan: the app has started
        client.get("/rid")
        app.state.DOCKERFLOW_SUMMARY_LOG_QUERYSTRING = True
        app.state.DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE = 503
        app.state.APP_DIR = "v1"
        with obs.capture_logs("logs", loggers=("request.summary",)):
            answer = client.get("/rid?x=1", headers={"X-Request-ID": "r-1"})
        obs.response("rid", answer.status_code, answer.headers, answer.content)
        with mock.patch("dockerflow.checks.get_checks", return_value={"fake": fake}):
            answer = client.get("/__heartbeat__")
        obs.response("heartbeat", answer.status_code, answer.headers, answer.content)
        answer = client.get("/__version__")
        obs.response("version", answer.status_code, answer.headers, answer.content)


@scenario
def test_fastapi_summary_logger_subclass_overriding_format_and_log(obs: Any) -> None:
    """A subclass of ``MozlogRequestSummaryLogger`` overriding ``_format(scope, info)``
    (to add a field from the request's headers) or ``_log(scope, info)``, as the
    reference's own code invites: both are called for every request."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from dockerflow.fastapi import router
    from dockerflow.fastapi.middleware import MozlogRequestSummaryLogger, RequestIdMiddleware

    seen: list[Any] = []

    class WithTenant(MozlogRequestSummaryLogger):
        def _format(self, scope: Any, info: Any) -> dict[str, Any]:
            fields = super()._format(scope, info)
            fields["tenant"] = info["request_headers"].get("x-tenant", "none")
            return fields

    class Watching(MozlogRequestSummaryLogger):
        def _log(self, scope: Any, info: Any) -> None:
            seen.append(
                (
                    scope["path"],
                    sorted(k for k in info if k in ("request_headers", "response")),
                    info["response"].get("status"),
                    info["request_headers"].get("x-tenant"),
                    isinstance(info.get("start_time"), float),
                    info["end_time"] >= info["start_time"],
                )
            )
            super()._log(scope, info)

    for key, middleware in (("format", WithTenant), ("log", Watching)):
        app = FastAPI()
        app.include_router(router)
        app.add_middleware(middleware)
        app.add_middleware(RequestIdMiddleware)

        @app.get("/boom")
        def boom() -> None:
            raise ValueError("boom")

        client = TestClient(app, raise_server_exceptions=False)
        with obs.capture_logs(f"{key}_logs"):
            answer = client.get(
                "/__lbheartbeat__", headers={"X-Tenant": "acme", "X-Request-ID": "t-1"}
            )
            obs.response(f"{key}_lbheartbeat", answer.status_code, answer.headers, answer.content)
            answer = client.get("/boom", headers={"X-Request-ID": "t-2"})
            obs.response(f"{key}_boom", answer.status_code, answer.headers, b"")
    obs.record("seen_by_log", seen)


@scenario
def test_fastapi_run_checks_async_patched_with_mock(obs: Any) -> None:
    """A test replacing ``dockerflow.checks.run_checks_async`` decides the heartbeat's
    answer."""
    from unittest import mock

    import compat_checks
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from dockerflow.fastapi import router

    app = FastAPI()
    app.include_router(router)
    seen: list[Any] = []
    fake_run = compat_checks.fake_run_checks_async(seen)

    with mock.patch("dockerflow.checks.run_checks_async", fake_run):
        answer = TestClient(app).get("/__heartbeat__")
    obs.response("patched", answer.status_code, answer.headers, answer.content)
    obs.record("calls", len(seen))
