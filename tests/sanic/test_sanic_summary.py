"""``request.summary`` records and request ids."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any

import pytest
from sanic import response
from sanic.exceptions import BadRequest, ServiceUnavailable
from sanic_testkit import summaries

from dockerflow.logging import MozlogFormatter
from dockerflow.request import request_id_context
from dockerflow.sanic import Dockerflow

app_logger = logging.getLogger("dockerflow.tests.sanic.app")


def _is_uuid4(value: Any) -> bool:
    try:
        return uuid.UUID(value).version == 4
    except (TypeError, ValueError):
        return False


@pytest.fixture
def app(make_app: Any) -> Any:
    app = make_app()
    Dockerflow(app)

    @app.get("/hello")
    async def hello(request: Any) -> Any:
        app_logger.info("in the handler")
        return response.json({"ctx_id": request.ctx.id, "contextvar": request_id_context.get()})

    @app.get("/tasks")
    async def tasks(request: Any) -> Any:
        async def child(label: str) -> str | None:
            await asyncio.sleep(0)
            app_logger.info("from %s", label)
            return request_id_context.get()

        def blocking() -> str | None:
            app_logger.info("from a thread")
            return request_id_context.get()

        created = await asyncio.create_task(child("a task"))
        gathered = await asyncio.gather(child("gather 1"), child("gather 2"))
        threaded = await asyncio.to_thread(blocking)
        return response.json([created, *gathered, threaded])

    @app.get("/boom")
    async def boom(request: Any) -> Any:
        raise RuntimeError("kaboom")

    @app.get("/bad")
    async def bad(request: Any) -> Any:
        raise BadRequest("no")

    @app.get("/unavailable")
    async def unavailable(request: Any) -> Any:
        raise ServiceUnavailable("later")

    @app.post("/created")
    async def created(request: Any) -> Any:
        return response.text("", status=201)

    return app


def test_summary_fields(app: Any, caplog: pytest.LogCaptureFixture) -> None:
    _, resp = app.test_client.get(
        "/hello?q=1",
        headers={"User-Agent": "probe/1.0", "Accept-Language": "fr-CA", "X-Request-ID": "r-1"},
    )
    assert resp.status == 200
    (record,) = summaries(caplog)
    assert record.levelno == logging.INFO
    fields = MozlogFormatter().convert_record(record)["Fields"]
    assert fields == {
        "errno": 0,
        "code": 200,
        "agent": "probe/1.0",
        "lang": "fr-CA",
        "method": "GET",
        "path": "/hello",
        "uid": "",
        "rid": "r-1",
        "t": fields["t"],
    }
    assert isinstance(fields["t"], int)
    assert fields["t"] >= 0


def test_summary_code_and_method(app: Any, caplog: pytest.LogCaptureFixture) -> None:
    app.test_client.post("/created")
    app.test_client.get("/no/such/page")
    app.test_client.get("/bad")
    records = summaries(caplog)
    assert [(r.method, r.path, r.code, r.errno) for r in records] == [
        ("POST", "/created", 201, 0),
        ("GET", "/no/such/page", 404, 0),
        ("GET", "/bad", 400, 0),
    ]
    assert all(_is_uuid4(r.rid) for r in records)
    assert all(r.levelno == logging.INFO for r in records)


@pytest.mark.parametrize("path", ["/boom", "/unavailable"])
def test_exception_logged_once_with_errno_500(
    app: Any, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    _, resp = app.test_client.get(path, headers={"X-Request-ID": "failing-1"})
    assert resp.status >= 500
    (record,) = summaries(caplog)
    assert record.levelno == logging.ERROR
    assert (record.errno, record.code, record.rid) == (500, resp.status, "failing-1")
    assert record.exc_info is not None
    line = json.loads(MozlogFormatter().format(record))
    assert line["Severity"] == 3
    assert "traceback" in line["Fields"]


def test_querystring_setting(app: Any, caplog: pytest.LogCaptureFixture) -> None:
    app.test_client.get("/hello?x=1&name=caf%C3%A9")
    assert not hasattr(summaries(caplog)[-1], "querystring")
    for value in (True, "true"):
        app.config.DOCKERFLOW_SUMMARY_LOG_QUERYSTRING = value
        app.test_client.get("/hello?x=1&name=caf%C3%A9")
        assert summaries(caplog)[-1].querystring == "x=1&name=café"


def test_valid_request_id_is_kept(app: Any, caplog: pytest.LogCaptureFixture) -> None:
    rid = str(uuid.uuid4())
    _, resp = app.test_client.get("/hello", headers={"X-Request-ID": rid})
    assert resp.json == {"ctx_id": rid, "contextvar": rid}
    handler_record = next(r for r in caplog.records if r.name == app_logger.name)
    assert handler_record.rid == rid
    assert summaries(caplog)[-1].rid == rid


@pytest.mark.parametrize(
    "hostile",
    ["x" * 129, "evil id with spaces", "line\\nbreak", "ünïcode", "<script>", ""],
)
def test_hostile_request_id_is_replaced(
    app: Any, caplog: pytest.LogCaptureFixture, hostile: str
) -> None:
    # sent as UTF-8 bytes: HTTP clients refuse non-ASCII text headers
    _, resp = app.test_client.get("/hello", headers={"X-Request-ID": hostile.encode()})
    rid = resp.json["ctx_id"]
    assert rid != hostile
    assert _is_uuid4(rid)
    assert summaries(caplog)[-1].rid == rid
    assert all(hostile not in r.getMessage() for r in caplog.records if hostile)


def test_missing_request_id_is_generated_per_request(
    app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    _, first = app.test_client.get("/hello")
    _, second = app.test_client.get("/hello")
    assert _is_uuid4(first.json["ctx_id"])
    assert first.json["ctx_id"] != second.json["ctx_id"]


def test_request_id_header_is_configurable(app: Any, caplog: pytest.LogCaptureFixture) -> None:
    app.config.DOCKERFLOW_REQUEST_ID_HEADER_NAME = "X-Amzn-Trace-Id"
    _, resp = app.test_client.get(
        "/hello", headers={"X-Amzn-Trace-Id": "Root-1-abc", "X-Request-ID": "ignored"}
    )
    assert resp.json["ctx_id"] == "Root-1-abc"
    assert summaries(caplog)[-1].rid == "Root-1-abc"


def test_request_id_survives_tasks_and_threads(app: Any, caplog: pytest.LogCaptureFixture) -> None:
    _, resp = app.test_client.get("/tasks", headers={"X-Request-ID": "task-rid"})
    assert resp.json == ["task-rid"] * 4
    records = [r for r in caplog.records if r.name == app_logger.name]
    assert sorted(r.getMessage() for r in records) == [
        "from a task",
        "from a thread",
        "from gather 1",
        "from gather 2",
    ]
    assert {r.rid for r in records} == {"task-rid"}


def test_request_ids_over_the_asgi_client(app: Any, caplog: pytest.LogCaptureFixture) -> None:
    async def go() -> list[Any]:
        _, one = await app.asgi_client.get("/hello", headers={"X-Request-ID": "asgi-1"})
        _, two = await app.asgi_client.get("/tasks", headers={"X-Request-ID": "asgi-2"})
        return [one.json["ctx_id"], two.json]

    assert asyncio.run(go()) == ["asgi-1", ["asgi-2"] * 4]
    assert [r.rid for r in summaries(caplog)] == ["asgi-1", "asgi-2"]


def test_concurrent_requests_keep_their_own_ids(
    make_app: Any, live_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app()
    Dockerflow(app)
    gate = asyncio.Event()
    arrived: list[str] = []

    @app.get("/wait")
    async def wait(request: Any) -> Any:
        arrived.append(request.ctx.id)
        if len(arrived) == 4:
            gate.set()
        await asyncio.wait_for(gate.wait(), 10)
        app_logger.info("after the wait")
        return response.text(request_id_context.get() or "")

    server = live_server(app)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        answers = list(
            pool.map(lambda i: server.get("/wait", {"X-Request-ID": f"c-{i}"}).body, range(4))
        )
    assert answers == [b"c-0", b"c-1", b"c-2", b"c-3"]
    waited = [r for r in caplog.records if r.getMessage() == "after the wait"]
    assert sorted(r.rid for r in waited) == ["c-0", "c-1", "c-2", "c-3"]


def test_summary_logger_off_costs_nothing_but_errors_still_log(
    app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    logging.getLogger("request.summary").setLevel(logging.ERROR)
    try:
        app.test_client.get("/hello")
        app.test_client.get("/boom")
    finally:
        logging.getLogger("request.summary").setLevel(logging.NOTSET)
    assert [(r.path, r.errno) for r in summaries(caplog)] == [("/boom", 500)]


def test_summary_with_the_apps_own_middleware(
    make_app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app()
    Dockerflow(app)

    @app.on_request
    async def deny_admin(request: Any) -> Any:
        app_logger.info("checking access")
        if request.path == "/admin":
            return response.text("no", status=403)
        return None

    @app.on_response
    async def replace(request: Any, resp: Any) -> Any:
        return response.text("replaced", status=resp.status)

    @app.get("/open")
    async def open_view(request: Any) -> Any:
        return response.text("open")

    app.test_client.get("/admin", headers={"X-Request-ID": "mw-1"})
    _, resp = app.test_client.get("/open")
    assert resp.text == "replaced"
    assert [(r.path, r.code) for r in summaries(caplog)] == [("/admin", 403), ("/open", 200)]
    # our request middleware runs first: the app's middleware logs with the request id
    checking = [r for r in caplog.records if r.getMessage() == "checking access"]
    assert checking[0].rid == "mw-1"


def test_error_summary_message_is_the_exception_text(
    app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app.test_client.get("/boom")
    (record,) = summaries(caplog)
    assert (record.levelno, record.getMessage()) == (logging.ERROR, "kaboom")


def test_error_endpoint_logs_then_raises_what_the_reference_raises(
    app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    raised: list[BaseException] = []

    @app.signal("http.lifecycle.exception")
    async def keep(request: Any = None, exception: Any = None, **_: Any) -> None:
        raised.append(exception)

    _, resp = app.test_client.get("/__error__", headers={"X-Request-ID": "err-1"})
    assert resp.status == 500
    assert [type(e) for e in raised] == [Exception]
    assert str(raised[0]) == "This is a test exception from the /__error__ endpoint."
    (called,) = [r for r in caplog.records if r.name == "dockerflow.sanic"]
    assert (called.levelno, called.getMessage()) == (
        logging.ERROR,
        "The __error__ endpoint was called",
    )
    (summary,) = summaries(caplog)
    assert summary.getMessage() == "This is a test exception from the /__error__ endpoint."
    assert (summary.errno, summary.rid) == (500, "err-1")


def test_reference_request_ctx_attributes(make_app: Any) -> None:
    import time

    app = make_app()
    Dockerflow(app)
    seen: dict[str, Any] = {}

    @app.get("/ctx")
    async def ctx(request: Any) -> Any:
        seen.update(id=request.ctx.id, start=request.ctx.start_timestamp, now=time.time())
        return response.text("ok")

    app.test_client.get("/ctx", headers={"X-Request-ID": "ctx-1"})
    assert seen["id"] == "ctx-1"
    assert isinstance(seen["start"], float) and seen["start"] <= seen["now"]


def test_summary_rid_comes_from_the_request_id_context_variable(
    make_app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app()
    Dockerflow(app)

    @app.on_request
    async def replace_the_id(request: Any) -> None:
        request_id_context.set(f"app-{request.ctx.id}")

    @app.get("/x")
    async def x(request: Any) -> Any:
        return response.text("ok")

    app.test_client.get("/x", headers={"X-Request-ID": "given"})
    (record,) = summaries(caplog)
    assert record.rid == "app-given"


def test_extract_request_id_is_importable_where_the_reference_has_it(make_app: Any) -> None:
    from dockerflow.sanic.app import extract_request_id

    app = make_app()
    seen: dict[str, Any] = {}

    @app.get("/by-hand")
    async def by_hand(request: Any) -> Any:
        seen["returned"] = extract_request_id(request)
        seen["ctx"] = request.ctx.id
        seen["context"] = request_id_context.get()
        return response.text("ok")

    app.test_client.get("/by-hand", headers={"X-Request-ID": "hand-1"})
    assert seen == {"returned": "hand-1", "ctx": "hand-1", "context": "hand-1"}
