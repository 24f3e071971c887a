"""``RequestIdMiddleware`` and ``MozlogRequestSummaryLogger``: request ids, the
``request.summary`` record, and what the middlewares must leave alone."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from fastapi import BackgroundTasks, FastAPI, WebSocket
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient

from dockerflow.fastapi.middleware import MozlogRequestSummaryLogger, RequestIdMiddleware
from dockerflow.logging import MozlogHandler, request_id_context

AppFactory = Callable[..., FastAPI]
Summaries = Callable[[], list[logging.LogRecord]]

UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def with_view(app: FastAPI) -> FastAPI:
    @app.get("/hello")
    def hello() -> dict[str, Any]:
        logging.getLogger("acme.views").info("hello from the view")
        return {"rid": request_id_context.get()}

    @app.get("/boom")
    async def boom() -> None:
        raise ValueError("view failed")

    return app


# -- request ids ----------------------------------------------------------------------


def test_request_id_from_the_header(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture, summaries: Summaries
) -> None:
    c = TestClient(with_view(make_app()))
    assert c.get("/hello", headers={"X-Request-ID": "tracked-value.1:2"}).json() == {
        "rid": "tracked-value.1:2"
    }
    view_record = next(r for r in caplog.records if r.name == "acme.views")
    assert view_record.rid == "tracked-value.1:2"  # type: ignore[attr-defined]
    assert summaries()[-1].rid == "tracked-value.1:2"  # type: ignore[attr-defined]


def test_request_id_generated_when_missing(make_app: AppFactory) -> None:
    c = TestClient(with_view(make_app()))
    first, second = c.get("/hello").json()["rid"], c.get("/hello").json()["rid"]
    assert UUID4.fullmatch(first) and UUID4.fullmatch(second)
    assert first != second


def test_request_id_header_name_from_app_state(make_app: AppFactory) -> None:
    c = TestClient(with_view(make_app(DOCKERFLOW_REQUEST_ID_HEADER_NAME="X-Trace-Id")))
    assert c.get("/hello", headers={"X-Trace-Id": "abc123"}).json()["rid"] == "abc123"
    assert c.get("/hello", headers={"X-Request-ID": "abc123"}).json()["rid"] != "abc123"


HOSTILE = [
    "x" * 129,
    "abc def",
    "abc\tdef",
    "id;rm -rf /",
    '{"json": 1}',
    "é-accent",
    "",
    "\u2028",
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_request_ids_are_replaced_and_never_logged(
    make_app: AppFactory, summaries: Summaries, hostile: str
) -> None:
    c = TestClient(with_view(make_app()))
    raw = hostile.encode("utf-8")
    rid = c.get("/hello", headers=[(b"X-Request-ID", raw)]).json()["rid"]
    assert UUID4.fullmatch(rid)
    record = summaries()[-1]
    assert record.rid == rid  # type: ignore[attr-defined]
    assert hostile not in json.dumps(record.__dict__, default=str) or hostile == ""


def test_request_id_of_max_length_is_kept(make_app: AppFactory) -> None:
    c = TestClient(with_view(make_app()))
    assert c.get("/hello", headers={"X-Request-ID": "a" * 128}).json()["rid"] == "a" * 128


# -- request.summary ------------------------------------------------------------------


def test_summary_fields(make_app: AppFactory, summaries: Summaries) -> None:
    c = TestClient(with_view(make_app()))
    c.get(
        "/hello?x=1",
        headers={"User-Agent": "curl/8", "Accept-Language": "fr", "X-Request-ID": "r1"},
    )
    (record,) = summaries()
    assert record.levelno == logging.INFO
    fields = {
        k: getattr(record, k)
        for k in ("errno", "code", "agent", "lang", "method", "path", "uid", "rid")
    }
    assert fields == {
        "errno": 0,
        "code": 200,
        "agent": "curl/8",
        "lang": "fr",
        "method": "GET",
        "path": "/hello",
        "uid": "",
        "rid": "r1",
    }
    assert isinstance(record.t, int) and record.t >= 0  # type: ignore[attr-defined]
    assert not hasattr(record, "querystring")


def test_summary_without_optional_headers(make_app: AppFactory, summaries: Summaries) -> None:
    TestClient(with_view(make_app()), headers={"User-Agent": ""}).get("/hello")
    record = summaries()[-1]
    assert record.lang is None  # type: ignore[attr-defined]  # as the reference
    assert record.code == 200  # type: ignore[attr-defined]


@pytest.mark.parametrize("flag", [True, "true", "1"])
def test_summary_querystring(make_app: AppFactory, summaries: Summaries, flag: Any) -> None:
    c = TestClient(with_view(make_app(DOCKERFLOW_SUMMARY_LOG_QUERYSTRING=flag)))
    c.get("/hello?q=caf%C3%A9%20au%20lait&x=1")
    assert summaries()[-1].querystring == "q=café au lait&x=1"  # type: ignore[attr-defined]


@pytest.mark.parametrize("flag", [False, "false", "0"])
def test_summary_querystring_off(make_app: AppFactory, summaries: Summaries, flag: Any) -> None:
    TestClient(with_view(make_app(DOCKERFLOW_SUMMARY_LOG_QUERYSTRING=flag))).get("/hello?q=1")
    assert not hasattr(summaries()[-1], "querystring")


def test_summary_of_a_404_and_a_head(make_app: AppFactory, summaries: Summaries) -> None:
    c = TestClient(make_app())
    c.get("/missing")
    c.head("/__lbheartbeat__")
    assert [(r.method, r.path, r.code, r.errno) for r in summaries()] == [  # type: ignore[attr-defined]
        ("GET", "/missing", 404, 0),
        ("HEAD", "/__lbheartbeat__", 200, 0),
    ]


def test_summary_of_a_failing_view(make_app: AppFactory, summaries: Summaries) -> None:
    c = TestClient(with_view(make_app()), raise_server_exceptions=False)
    assert c.get("/boom", headers={"X-Request-ID": "failing"}).status_code == 500
    (record,) = summaries()
    assert (record.levelno, record.errno, record.code, record.rid) == (  # type: ignore[attr-defined]
        logging.ERROR,
        500,
        500,
        "failing",
    )
    assert record.exc_info is not None and isinstance(record.exc_info[1], ValueError)
    # The exception goes on to the server (and to TestClient by default).
    with pytest.raises(ValueError, match="view failed"):
        TestClient(with_view(make_app())).get("/boom")


def test_summary_on_a_logger_of_ones_own(make_app: AppFactory) -> None:
    stream = io.StringIO()
    mine = logging.getLogger("acme.summary")
    mine.handlers[:] = [MozlogHandler(stream, name="acme")]
    mine.setLevel(logging.INFO)
    mine.propagate = False
    try:
        app = FastAPI()
        app.add_middleware(MozlogRequestSummaryLogger, logger=mine)
        app.add_middleware(RequestIdMiddleware)
        TestClient(app).get("/nothing", headers={"X-Request-ID": "own"})
        (line,) = stream.getvalue().splitlines()
        record = json.loads(line)
        assert record["Type"] == "acme.summary"
        assert record["Fields"]["rid"] == "own"
        assert record["Fields"]["code"] == 404
    finally:
        mine.handlers.clear()


def test_failure_on_a_logger_of_ones_own_has_the_exceptions_text(
    make_app: AppFactory,
) -> None:
    # As on the request.summary logger: str(exception) is the message, not its class.
    stream = io.StringIO()
    mine = logging.getLogger("acme.summary")
    mine.handlers[:] = [MozlogHandler(stream, name="acme")]
    mine.setLevel(logging.INFO)
    mine.propagate = False
    try:
        app = FastAPI()

        @app.get("/boom")
        def boom() -> None:
            raise ValueError("view failed")

        app.add_middleware(MozlogRequestSummaryLogger, logger=mine)
        app.add_middleware(RequestIdMiddleware)
        with pytest.raises(ValueError, match="view failed"):
            TestClient(app).get("/boom", headers={"X-Request-ID": "own"})
        (line,) = stream.getvalue().splitlines()
        record = json.loads(line)
        assert record["Severity"] == 3
        assert record["Fields"]["msg"] == "view failed"
        assert record["Fields"]["errno"] == 500
        assert "ValueError('view failed')" in record["Fields"]["traceback"]
    finally:
        mine.handlers.clear()


# -- handlers: never twice ------------------------------------------------------------


def test_default_handler_is_added_once(
    make_app: AppFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    summary = logging.getLogger("request.summary")
    summary.handlers.clear()
    summary.propagate = False
    apps = [make_app(), make_app()]
    for app in apps:
        for _ in range(2):
            c = TestClient(app)
            c.get("/__lbheartbeat__", headers={"X-Request-ID": "once"})
    apps[0].middleware_stack = apps[0].build_middleware_stack()  # built again
    TestClient(apps[0]).get("/__lbheartbeat__", headers={"X-Request-ID": "once"})
    assert len(summary.handlers) == 1
    assert isinstance(summary.handlers[0], MozlogHandler)
    lines = [line for line in capsys.readouterr().out.splitlines() if '"once"' in line]
    assert len(lines) == 5
    assert all(json.loads(line)["Type"] == "request.summary" for line in lines)


def test_a_configured_logger_is_left_alone(make_app: AppFactory) -> None:
    summary = logging.getLogger("request.summary")
    stream = io.StringIO()
    configured = logging.StreamHandler(stream)
    summary.handlers[:] = [configured]
    summary.setLevel(logging.WARNING)
    TestClient(make_app()).get("/__lbheartbeat__")
    assert summary.handlers == [configured]
    assert summary.level == logging.WARNING
    assert stream.getvalue() == ""  # INFO summaries are below the chosen level


# -- what the middlewares leave alone -------------------------------------------------


def test_streaming_response_and_background_task(make_app: AppFactory, summaries: Summaries) -> None:
    app = make_app()
    done: list[str] = []

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(5):
            await asyncio.sleep(0)
            yield f"chunk {i}\n".encode()

    @app.get("/stream")
    async def stream(background: BackgroundTasks) -> StreamingResponse:
        background.add_task(done.append, "background ran")
        return StreamingResponse(chunks(), media_type="text/plain")

    answer = TestClient(app).get("/stream")
    assert answer.text == "".join(f"chunk {i}\n" for i in range(5))
    assert done == ["background ran"]
    assert [(r.path, r.code) for r in summaries()] == [("/stream", 200)]  # type: ignore[attr-defined]


def test_websocket_and_lifespan_pass_untouched(make_app: AppFactory, summaries: Summaries) -> None:
    events: list[str] = []
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        events.append("startup")
        yield
        events.append("shutdown")

    app = make_app()
    app.router.lifespan_context = lifespan

    @app.websocket("/ws")
    async def echo(ws: WebSocket) -> None:
        await ws.accept()
        text = await ws.receive_text()
        await ws.send_text(f"echo {text}")
        await ws.close()

    with TestClient(app) as c:
        with c.websocket_connect("/ws") as ws:
            ws.send_text("hi")
            assert ws.receive_text() == "echo hi"
        c.get("/__lbheartbeat__")
    assert events == ["startup", "shutdown"]
    assert [r.path for r in summaries()] == ["/__lbheartbeat__"]  # type: ignore[attr-defined]


def test_middlewares_around_a_bare_asgi_app(summaries: Summaries) -> None:
    async def bare(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    app = RequestIdMiddleware(MozlogRequestSummaryLogger(bare))
    answer = TestClient(app).get("/bare", headers={"X-Request-ID": "bare-1"})
    assert answer.status_code == 204
    record = summaries()[-1]
    assert (record.path, record.code, record.rid) == ("/bare", 204, "bare-1")  # type: ignore[attr-defined]


@pytest.mark.anyio
async def test_a_cancelled_request_still_gets_its_summary(summaries: Summaries) -> None:
    async def cancelled(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise asyncio.CancelledError  # the client went away mid-response

    async def ignore(message: Any) -> None:
        pass

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    app = RequestIdMiddleware(MozlogRequestSummaryLogger(cancelled))
    scope = {"type": "http", "method": "GET", "path": "/gone", "headers": [], "query_string": b""}
    with pytest.raises(asyncio.CancelledError):
        await app(scope, receive, ignore)
    record = summaries()[-1]
    assert (record.path, record.code, record.errno, record.levelno) == (  # type: ignore[attr-defined]
        "/gone",
        200,
        0,
        logging.INFO,
    )


@pytest.mark.parametrize("setting", ["", "   ", "X-Idé-ñ\u2603", 42])
def test_an_unusable_header_setting_falls_back_to_x_request_id(
    make_app: AppFactory, setting: Any
) -> None:
    c = TestClient(with_view(make_app(DOCKERFLOW_REQUEST_ID_HEADER_NAME=setting)))
    assert c.get("/hello", headers={"X-Request-ID": "fallback-1"}).json()["rid"] == "fallback-1"
    if setting == 42:  # the heartbeat names the setting that cannot be used
        answer = c.get("/__heartbeat__")
        assert answer.status_code == 500
        assert answer.json()["status"] == "error"


def test_unusable_settings_are_logged_once_when_the_app_starts(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(DOCKERFLOW_CHECK_TIMEOUT="soon")
    with caplog.at_level(logging.DEBUG, logger="dockerflow"):
        TestClient(app).get("/__lbheartbeat__")  # no lifespan: nothing looked at
        assert [r for r in caplog.records if r.name == "dockerflow.fastapi"] == []
        for _ in range(2):  # started twice, and two middlewares: one warning
            with TestClient(app) as client:
                answer = client.get("/__heartbeat__")
                assert answer.status_code == 500  # what the warning foretells
    warnings = [
        (r.levelname, r.getMessage()) for r in caplog.records if r.name == "dockerflow.fastapi"
    ]
    assert warnings == [
        (
            "WARNING",
            "DOCKERFLOW_CHECK_TIMEOUT must be a number of seconds, not 'soon': "
            "every /__heartbeat__ answers 500 until it is fixed",
        )
    ]


def test_usable_settings_log_nothing_when_the_app_starts(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(DOCKERFLOW_CHECK_TIMEOUT="2", DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE=503)
    with caplog.at_level(logging.DEBUG, logger="dockerflow"), TestClient(app) as client:
        assert client.get("/__heartbeat__").status_code == 200
    assert [r for r in caplog.records if r.name.startswith("dockerflow")] == []


def test_a_misspelt_setting_is_logged_when_the_app_starts(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    # The lower-case name is a plausible slip on app.state, whose names are attributes.
    app = make_app(dockerflow_request_id_header_name="X-Trace-ID")
    with caplog.at_level(logging.DEBUG, logger="dockerflow"), TestClient(app) as client:
        answer = client.get("/__lbheartbeat__", headers={"X-Trace-ID": "trace-1"})
    assert [
        (r.levelname, r.getMessage()) for r in caplog.records if r.name == "dockerflow.fastapi"
    ] == [
        (
            "WARNING",
            "dockerflow_request_id_header_name is not a Dockerflow setting, so Dockerflow ignores it: "
            "did you mean DOCKERFLOW_REQUEST_ID_HEADER_NAME?",
        )
    ]
    summary = next(r for r in caplog.records if r.name == "request.summary")
    assert answer.status_code == 200
    assert summary.rid != "trace-1"  # type: ignore[attr-defined]  # ignored, as it says
