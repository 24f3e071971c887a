"""request.summary records, request ids and the Flask-Login user id."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import flask
import pytest
from flask_login import LoginManager, UserMixin, login_user

from dockerflow.flask import Dockerflow
from dockerflow.logging import MozlogFormatter, RequestIdLogFilter
from dockerflow.request import request_id_context

from .conftest import MakeApp

SUMMARY_FIELDS = {"errno", "code", "agent", "lang", "method", "path", "uid", "rid", "t"}


def fields(record: logging.LogRecord) -> dict[str, Any]:
    return {
        key: getattr(record, key)
        for key in SUMMARY_FIELDS | {"querystring"}
        if hasattr(record, key)
    }


def test_summary_fields(make_app: MakeApp, summary_records: list[logging.LogRecord]) -> None:
    app, _ = make_app()
    response = app.test_client().post(
        "/?secret=1",
        headers={"User-Agent": "tester/1.0", "Accept-Language": "fr-CH", "X-Request-ID": "req-1"},
    )
    assert response.status_code == 405
    app.test_client().get("/", headers={"User-Agent": "tester/1.0", "X-Request-ID": "req-2"})
    assert len(summary_records) == 2
    first, second = summary_records
    assert first.levelno == logging.INFO
    assert first.getMessage() == ""
    summary = fields(first)
    t = summary.pop("t")
    assert isinstance(t, int) and t >= 0
    assert summary == {
        "errno": 0,
        "code": 405,
        "agent": "tester/1.0",
        "lang": "fr-CH",
        "method": "POST",
        "path": "/",
        "uid": "",
        "rid": "req-1",
    }
    assert (second.code, second.method, second.lang, second.rid) == (200, "GET", "", "req-2")  # type: ignore[attr-defined]


def test_summary_formats_as_mozlog(
    make_app: MakeApp, summary_records: list[logging.LogRecord]
) -> None:
    import json

    app, _ = make_app()
    app.test_client().get("/", headers={"X-Request-ID": "req-1"})
    line = json.loads(MozlogFormatter(logger_name="myapp").format(summary_records[0]))
    assert line["Type"] == "request.summary"
    assert line["Logger"] == "myapp"
    assert line["Severity"] == 6
    assert {"errno", "agent", "lang", "method", "path", "uid", "rid", "t", "code"} <= set(
        line["Fields"]
    )


def test_querystring_setting(make_app: MakeApp, summary_records: list[logging.LogRecord]) -> None:
    app, _ = make_app({"DOCKERFLOW_SUMMARY_LOG_QUERYSTRING": True})
    app.test_client().get("/?x=1&name=%C3%A9")
    app.config["DOCKERFLOW_SUMMARY_LOG_QUERYSTRING"] = "false"
    app.test_client().get("/?x=2")
    assert summary_records[0].querystring == "x=1&name=%C3%A9"  # type: ignore[attr-defined]
    assert not hasattr(summary_records[1], "querystring")


def test_exception_logged_once_at_error(
    make_app: MakeApp, summary_records: list[logging.LogRecord]
) -> None:
    app, _ = make_app()
    response = app.test_client().get("/boom", headers={"X-Request-ID": "req-9"})
    assert response.status_code == 500
    assert len(summary_records) == 1
    record = summary_records[0]
    assert record.levelno == logging.ERROR
    assert (record.errno, record.code, record.path, record.rid) == (500, 500, "/boom", "req-9")  # type: ignore[attr-defined]
    assert record.exc_info is not None and isinstance(record.exc_info[1], ValueError)


def test_exception_logged_once_when_propagated(
    make_app: MakeApp, summary_records: list[logging.LogRecord]
) -> None:
    app, _ = make_app()
    app.testing = True  # exceptions propagate to the caller
    with pytest.raises(ValueError):
        app.test_client().get("/boom")
    assert [(r.levelno, r.errno, r.code) for r in summary_records] == [(logging.ERROR, 500, 500)]  # type: ignore[attr-defined]


def test_handled_exception_is_not_an_error(
    make_app: MakeApp, summary_records: list[logging.LogRecord]
) -> None:
    app, _ = make_app()

    @app.errorhandler(ValueError)
    def handle(error: ValueError) -> tuple[str, int]:
        return "handled", 400

    assert app.test_client().get("/boom").status_code == 400
    assert [(r.levelno, r.errno, r.code) for r in summary_records] == [(logging.INFO, 0, 400)]  # type: ignore[attr-defined]


def test_final_status_seen_after_other_after_request(
    make_app: MakeApp, summary_records: list[logging.LogRecord]
) -> None:
    app, _ = make_app()

    @app.after_request
    def teapot(response: flask.Response) -> flask.Response:
        response.status_code = 418
        return response

    app.test_client().get("/")
    assert summary_records[0].code == 418  # type: ignore[attr-defined]


def test_no_summary_outside_requests(
    make_app: MakeApp, summary_records: list[logging.LogRecord]
) -> None:
    app, _ = make_app()
    with app.test_request_context("/"):
        pass
    assert summary_records == []


@pytest.mark.parametrize(
    "sent, kept",
    [
        ("abc-123", True),
        ("0b0ea1a1-2b4b-4a1e-9f0e-3c2f3c7f1a10", True),
        ("a" * 129, False),
        ("evil\x1b[31m", False),
        ("with space", False),
        ("", False),
        ('{"json": 1}', False),
    ],
)
def test_request_id_header(
    make_app: MakeApp, summary_records: list[logging.LogRecord], sent: str, kept: bool
) -> None:
    app, _ = make_app()
    seen = {}

    @app.route("/rid")
    def rid() -> str:
        seen["g"] = flask.g.request_id
        seen["context"] = request_id_context.get()
        return "ok"

    app.test_client().get("/rid", headers={"X-Request-ID": sent})
    rid_value = summary_records[0].rid  # type: ignore[attr-defined]
    assert seen == {"g": rid_value, "context": rid_value}
    if kept:
        assert rid_value == sent
    else:
        assert rid_value != sent
        assert uuid.UUID(rid_value).version == 4


def test_request_id_generated_when_missing(
    make_app: MakeApp, summary_records: list[logging.LogRecord]
) -> None:
    app, _ = make_app()
    app.test_client().get("/")
    app.test_client().get("/")
    first, second = (r.rid for r in summary_records)  # type: ignore[attr-defined]
    assert uuid.UUID(first).version == 4
    assert first != second


def test_request_id_header_name_setting(
    make_app: MakeApp, summary_records: list[logging.LogRecord]
) -> None:
    app, _ = make_app({"DOCKERFLOW_REQUEST_ID_HEADER_NAME": "X-Cloud-Trace-Context"})
    app.test_client().get("/", headers={"X-Cloud-Trace-Context": "trace-1", "X-Request-ID": "no"})
    assert summary_records[0].rid == "trace-1"  # type: ignore[attr-defined]


def test_g_request_id_kept_when_set_by_app(make_app: MakeApp) -> None:
    app, _ = make_app()
    seen = {}

    @app.before_request
    def set_own() -> None:
        flask.g.request_id = "app-own"

    @app.route("/rid")
    def rid() -> str:
        seen["g"] = flask.g.request_id
        seen["context"] = request_id_context.get()
        return "ok"

    app.test_client().get("/rid", headers={"X-Request-ID": "from-header"})
    assert seen == {"g": "app-own", "context": "from-header"}


def test_g_request_id_with_the_apps_own_globals_class(make_app: MakeApp) -> None:
    class Globals(flask.ctx._AppCtxGlobals):
        def greeting(self) -> str:
            return f"hello {self.request_id}"

    app = flask.Flask(__name__)
    app.app_ctx_globals_class = Globals
    Dockerflow(app)
    Dockerflow().init_app(flask.Flask("other"))
    seen = {}

    @app.route("/rid")
    def rid() -> str:
        seen["greeting"] = flask.g.greeting()
        return "ok"

    app.test_client().get("/rid", headers={"X-Request-ID": "req-g"})
    assert seen == {"greeting": "hello req-g"}
    assert issubclass(app.app_ctx_globals_class, Globals)
    assert flask.Flask("plain").app_ctx_globals_class is flask.ctx._AppCtxGlobals
    with app.app_context():  # outside a request: no request id to give
        assert "request_id" not in flask.g


def test_request_id_context_reset_after_request(make_app: MakeApp) -> None:
    app, _ = make_app()
    assert request_id_context.get() is None
    app.test_client().get("/", headers={"X-Request-ID": "req-1"})
    assert request_id_context.get() is None
    app.test_client().get("/boom")
    assert request_id_context.get() is None


def test_request_id_log_filter_in_views(make_app: MakeApp) -> None:
    app, _ = make_app()
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep()
    handler.addFilter(RequestIdLogFilter())
    view_logger = logging.getLogger("flask_test_app.views")
    view_logger.addHandler(handler)
    view_logger.setLevel(logging.INFO)

    @app.before_request
    def log_before() -> None:
        view_logger.info("before")

    @app.route("/log")
    def log_view() -> str:
        view_logger.info("in view")
        return "ok"

    try:
        app.test_client().get("/log", headers={"X-Request-ID": "req-7"})
        view_logger.info("outside")
    finally:
        view_logger.removeHandler(handler)
    assert [(r.getMessage(), r.rid) for r in records] == [  # type: ignore[attr-defined]
        ("before", "req-7"),
        ("in view", "req-7"),
        ("outside", None),
    ]


# -- Flask-Login -------------------------------------------------------------------------


class User(UserMixin):
    def __init__(self, user_id: str) -> None:
        self.id = user_id


def login_app(make_app: MakeApp, loader: Any) -> flask.Flask:
    app, _ = make_app({"SECRET_KEY": "test"})
    login_manager = LoginManager(app)
    login_manager.user_loader(loader)

    @app.route("/login/<user_id>")
    def login(user_id: str) -> str:
        login_user(User(user_id))
        return "logged in"

    return app


def test_flask_login_uid(make_app: MakeApp, summary_records: list[logging.LogRecord]) -> None:
    app = login_app(make_app, lambda user_id: User(user_id))
    client = app.test_client()
    client.get("/")
    client.get("/login/42")
    client.get("/")
    assert [r.uid for r in summary_records] == ["", "42", "42"]  # type: ignore[attr-defined]


def test_failing_user_loader_does_not_break_the_request(
    make_app: MakeApp, summary_records: list[logging.LogRecord], caplog: pytest.LogCaptureFixture
) -> None:
    def broken_loader(user_id: str) -> User:
        raise RuntimeError("user database is down")

    app = login_app(make_app, broken_loader)
    client = app.test_client()
    client.get("/login/42")
    response = client.get("/")
    assert response.status_code == 200
    assert response.data == b"hello"
    assert summary_records[-1].uid == ""  # type: ignore[attr-defined]
    assert summary_records[-1].code == 200  # type: ignore[attr-defined]
    assert any("Could not load the user" in r.getMessage() for r in caplog.records)


def test_user_id_and_summary_extra_methods(make_app: MakeApp) -> None:
    app = login_app(make_app, lambda user_id: User(user_id))
    dockerflow = app.extensions["dockerflow"]
    seen = {}

    @app.route("/me")
    def me() -> str:
        seen["uid"] = dockerflow.user_id()
        seen["extra"] = dockerflow.summary_extra()
        return "ok"

    client = app.test_client()
    client.get("/login/7")
    client.get("/me?q=1", headers={"X-Request-ID": "req-me"})
    assert seen["uid"] == "7"
    assert seen["extra"]["uid"] == "7"
    assert seen["extra"]["rid"] == "req-me"
    assert seen["extra"]["path"] == "/me"
    assert seen["extra"]["errno"] == 0


def test_a_raising_teardown_of_the_app_does_not_skip_the_summary(
    make_app: Any, caplog: Any
) -> None:
    app, _ = make_app()

    @app.teardown_request
    def broken_teardown(exc: BaseException | None) -> None:
        raise RuntimeError("teardown bug")

    caplog.set_level(logging.INFO, logger="request.summary")
    client = app.test_client()
    with pytest.raises(RuntimeError, match="teardown bug"):
        client.get("/", headers={"X-Request-ID": "leaky-1"})
    summaries = [r for r in caplog.records if r.name == "request.summary"]
    assert [r.rid for r in summaries] == ["leaky-1"]
    assert request_id_context.get() is None
