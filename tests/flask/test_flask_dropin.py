"""The behaviours an application written against the reference library relies on (issue
10): request ids in pushed contexts and in hooks driven by hand, error summaries, the
``/__error__`` endpoint, the default check registry, heartbeat signals, Flask-Login users
without ``is_authenticated``, and the reference's module paths. Each also has a
differential scenario in ``tests/compat/test_compat_flask.py``."""

from __future__ import annotations

import contextvars
import logging
from typing import Any

import flask
import pytest

from dockerflow import checks
from dockerflow.flask import Dockerflow
from dockerflow.flask.signals import heartbeat_failed, heartbeat_passed
from dockerflow.request import request_id_context

from .conftest import MakeApp, RecordCollector


def _rid_view(app: flask.Flask) -> None:
    @app.route("/rid")
    def rid() -> Any:
        return {"rid": flask.g.request_id}


# -- item 2 and 8: g.request_id ------------------------------------------------------------


@pytest.mark.parametrize("context", ["app_context", "test_request_context"])
def test_request_id_in_an_already_pushed_context(make_app: MakeApp, context: str) -> None:
    app, _ = make_app()
    _rid_view(app)
    with getattr(app, context)():
        answer = app.test_client().get("/rid", headers={"X-Request-ID": "pushed-1"})
    assert answer.status_code == 200
    assert answer.json == {"rid": "pushed-1"}


def test_each_request_in_one_pushed_context_sees_its_own_id(
    make_app: MakeApp, summary_records: list[logging.LogRecord]
) -> None:
    app, _ = make_app()
    _rid_view(app)
    client = app.test_client()
    with app.app_context():
        seen = [
            client.get("/rid", headers={"X-Request-ID": rid}).json["rid"]
            for rid in ("first", "second", "third")
        ]
    assert seen == ["first", "second", "third"]
    assert [r.rid for r in summary_records] == ["first", "second", "third"]


def test_request_id_without_a_pushed_context(make_app: MakeApp) -> None:
    app, _ = make_app()
    _rid_view(app)
    assert app.test_client().get("/rid", headers={"X-Request-ID": "plain"}).json == {"rid": "plain"}


def test_hooks_driven_by_hand_set_the_id_and_log_one_summary(
    make_app: MakeApp, summary_records: list[logging.LogRecord]
) -> None:
    app, _ = make_app()
    with app.test_request_context("/by-hand", headers={"X-Request-ID": "by-hand"}):
        app.preprocess_request()
        assert flask.g.request_id == "by-hand"
        assert request_id_context.get() == "by-hand"
        response = app.process_response(flask.make_response("ok", 201))
        assert request_id_context.get() is None  # the request is over
    assert response.status_code == 201
    (summary,) = summary_records
    assert (summary.levelno, summary.path, summary.rid, summary.errno, summary.code) == (
        logging.INFO,
        "/by-hand",
        "by-hand",
        0,
        201,
    )


def test_a_real_request_logs_one_summary_despite_the_hooks(
    make_app: MakeApp, summary_records: list[logging.LogRecord]
) -> None:
    app, _ = make_app()
    assert app.test_client().get("/", headers={"X-Request-ID": "once"}).status_code == 200
    assert [(r.rid, r.code) for r in summary_records] == [("once", 200)]


# -- item 3 and 7: error summaries and /__error__ ------------------------------------------


def test_error_summary_message_is_the_exception_text(
    make_app: MakeApp, summary_records: list[logging.LogRecord]
) -> None:
    app, _ = make_app()
    assert app.test_client().get("/boom").status_code == 500
    (summary,) = summary_records
    assert summary.levelno == logging.ERROR
    assert summary.getMessage() == "boom"
    assert (summary.errno, summary.code) == (500, 500)


def test_error_summary_is_logged_before_flask_logs_the_exception(make_app: MakeApp) -> None:
    app, _ = make_app()
    collector = RecordCollector()
    root = logging.getLogger()
    root.addHandler(collector)
    try:
        app.test_client().get("/boom")
    finally:
        root.removeHandler(collector)
    names = [r.name for r in collector.records if r.levelno >= logging.ERROR]
    assert names == ["request.summary", app.logger.name]


def test_error_endpoint_logs_then_raises_what_the_reference_raises(
    make_app: MakeApp, dockerflow_logs: RecordCollector, summary_records: list[logging.LogRecord]
) -> None:
    app, _ = make_app({"PROPAGATE_EXCEPTIONS": True})
    with pytest.raises(Exception) as raised:
        app.test_client().get("/__error__")
    assert type(raised.value) is Exception
    assert str(raised.value) == "This is a test exception from the /__error__ endpoint."
    (logged,) = dockerflow_logs.named("dockerflow.flask")
    assert (logged.levelno, logged.getMessage()) == (
        logging.ERROR,
        "The __error__ endpoint was called",
    )
    (summary,) = summary_records
    assert summary.getMessage() == "This is a test exception from the /__error__ endpoint."


def test_error_endpoint_answers_500_when_not_propagating(make_app: MakeApp) -> None:
    app, _ = make_app()
    assert app.test_client().get("/__error__").status_code == 500


def test_lbheartbeat_answers_like_the_reference(make_app: MakeApp) -> None:
    app, _ = make_app()
    answer = app.test_client().get("/__lbheartbeat__")
    assert (answer.status_code, answer.data, answer.mimetype) == (200, b"", "text/html")


# -- item 5: the default registry ----------------------------------------------------------


def test_built_in_checks_are_in_the_default_registry(make_app: MakeApp) -> None:
    class Fake:
        # What the checks use (anything without it is refused at setup: item 9 of issue 13).
        directory = "migrations"
        engine = None

        def ping(self) -> bool:
            return True

        def get_config(self, directory: str) -> None:
            return None

    make_app(db=Fake(), redis=Fake(), migrate=Fake())
    assert sorted(checks.get_checks()) == [
        "check_database_connected",
        "check_migrations_applied",
        "check_redis_connected",
    ]
    checks.clear_checks()
    assert checks.get_checks() == {}


def test_built_in_checks_go_to_an_own_registry_when_given(make_app: MakeApp) -> None:
    class Fake:
        def ping(self) -> bool:
            return True

    registry = checks.CheckRegistry()
    _, dockerflow = make_app(redis=Fake(), registry=registry)
    assert dockerflow.registry is registry
    assert sorted(registry.get_checks()) == ["check_redis_connected"]
    assert checks.get_checks() == {}


# -- item 10: heartbeat signals ------------------------------------------------------------


@pytest.mark.parametrize("passing", [True, False])
def test_each_signal_receiver_runs_once(make_app: MakeApp, passing: bool) -> None:
    app, dockerflow = make_app()
    if not passing:
        dockerflow.check(lambda: [checks.Error("e", id="x.E1")], name="failing")
    signal = heartbeat_passed if passing else heartbeat_failed
    calls: list[tuple[str, Any]] = []

    def on_extension(sender: Any, level: int, **extra: Any) -> None:
        calls.append(("extension", sender))

    def on_app(sender: Any, level: int, **extra: Any) -> None:
        calls.append(("app", sender))

    def on_any(sender: Any, level: int, **extra: Any) -> None:
        calls.append(("any", sender))

    def on_both(sender: Any, level: int, **extra: Any) -> None:
        calls.append(("both", sender))

    with (
        signal.connected_to(on_extension, sender=dockerflow),
        signal.connected_to(on_app, sender=app),
        signal.connected_to(on_any),
        signal.connected_to(on_both, sender=dockerflow),
        signal.connected_to(on_both, sender=app),
    ):
        app.test_client().get("/__heartbeat__")
    assert sorted(calls, key=lambda c: c[0]) == [
        ("any", dockerflow),
        ("app", app),
        ("both", dockerflow),
        ("extension", dockerflow),
    ]


def test_connect_via_app_as_documented(make_app: MakeApp) -> None:
    app, _ = make_app()
    levels: list[int] = []

    @heartbeat_passed.connect_via(app)
    def passed(sender: Any, level: int, **extra: Any) -> None:
        levels.append(level)

    try:
        app.test_client().get("/__heartbeat__")
        app.test_client().get("/__heartbeat__")
    finally:
        heartbeat_passed.disconnect(passed, sender=app)
    assert levels == [0, 0]


# -- item 11: Flask-Login -------------------------------------------------------------------


def test_user_without_is_authenticated_logs_nothing(
    make_app: MakeApp, dockerflow_logs: RecordCollector, summary_records: list[logging.LogRecord]
) -> None:
    from flask_login import LoginManager, login_user

    app, _ = make_app()
    app.secret_key = "test"
    manager = LoginManager(app)

    class Plain:
        def get_id(self) -> str:
            return "plain"

    manager.user_loader(lambda user_id: Plain())

    @app.route("/login")
    def login() -> str:
        login_user(Plain(), force=True)
        return "ok"

    client = app.test_client()
    assert [client.get("/login").status_code for _ in range(5)] == [200] * 5
    assert dockerflow_logs.records == []
    assert [r.uid for r in summary_records] == [""] * 5


def test_a_failing_user_loader_warns_once_per_process(
    make_app: MakeApp,
    dockerflow_logs: RecordCollector,
    summary_records: list[logging.LogRecord],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flask_login import LoginManager, login_user

    import dockerflow.flask.app as flask_app

    monkeypatch.setattr(flask_app, "_user_warning_logged", False)
    app, _ = make_app()
    app.secret_key = "test"
    manager = LoginManager(app)

    class Broken:
        is_authenticated = True
        is_active = True

        def get_id(self) -> str:
            raise LookupError("user store down")

    class Fine(Broken):
        def get_id(self) -> str:
            return "fine"

    manager.user_loader(lambda user_id: Broken())

    @app.route("/login")
    def login() -> str:
        login_user(Fine(), force=True)
        return "ok"

    client = app.test_client()
    assert client.get("/login").status_code == 200
    statuses = [client.get("/").status_code for _ in range(4)]
    assert statuses == [200] * 4
    warnings = [r for r in dockerflow_logs.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].exc_info is not None and "user store down" in str(warnings[0].exc_info[1])
    assert [r.uid for r in summary_records] == ["fine"] + [""] * 4


# -- item 6: the reference's module paths --------------------------------------------------


def test_reference_module_paths_import() -> None:
    from dockerflow.flask.app import extract_request_id, get_or_generate_request_id, has_flask_login
    from dockerflow.flask.checks import check_redis_connected
    from dockerflow.flask.checks.messages import Error, level_to_text

    assert Error("x", id="a.E1").level == checks.ERROR
    assert level_to_text(checks.WARNING) == "warning"
    assert callable(check_redis_connected) and callable(get_or_generate_request_id)
    assert has_flask_login is True
    app = flask.Flask("paths")
    Dockerflow(app)

    def drive() -> None:
        with app.test_request_context(headers={"X-Request-ID": "given"}):
            assert extract_request_id(flask.request) == "given"
            assert flask.g.request_id == "given"
            assert request_id_context.get() == "given"

    contextvars.copy_context().run(drive)  # it sets the context variable, as documented
