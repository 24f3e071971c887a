"""Differential scenarios for dockerflow-flask: the same Flask code under the reference
library and under ours (see ``compat_harness`` for how a scenario runs)."""

from __future__ import annotations

from typing import Any

from compat_harness import scenario


@scenario
def test_flask_endpoints(obs: Any) -> None:
    import json
    import os

    from flask import Flask

    from dockerflow.flask import Dockerflow

    os.mkdir("app")
    with open("version.json", "w") as fp:
        json.dump({"source": "s", "version": "v", "commit": "c", "build": "b"}, fp)
    app = Flask("compat", root_path=os.path.abspath("app"))
    Dockerflow(app)
    client = app.test_client()
    with obs.capture_logs("logs"):
        for path in ("/__version__", "/__heartbeat__", "/__lbheartbeat__"):
            answer = client.get(path, headers={"X-Request-ID": "compat-1"})
            obs.response(path, answer.status_code, answer.headers, answer.data)


@scenario
def test_flask_error_endpoint_and_view_errors(obs: Any) -> None:
    from flask import Flask

    from dockerflow.flask import Dockerflow

    app = Flask("compat")
    Dockerflow(app)

    @app.route("/fail")
    def fail() -> str:
        raise ValueError("exception message")

    client = app.test_client()
    with obs.capture_logs("error_endpoint_logs"):
        answer = client.get("/__error__")
    obs.response("error_endpoint", answer.status_code, answer.headers, answer.data, json_body=False)
    with obs.capture_logs("view_error_logs"):
        answer = client.get("/fail", headers={"X-Request-ID": "compat-2"})
    obs.record("view_error_status", answer.status_code)

    app.config["PROPAGATE_EXCEPTIONS"] = True
    with obs.capture_logs("propagated_logs"):
        obs.outcome("error_endpoint_propagated", client.get, "/__error__")


@scenario
def test_flask_request_id_in_pushed_contexts(obs: Any) -> None:
    import flask

    from dockerflow.flask import Dockerflow

    app = flask.Flask("compat")
    Dockerflow(app)

    @app.route("/rid")
    def rid() -> Any:
        return {"rid": getattr(flask.g, "request_id", "<unset>")}

    client = app.test_client()
    with obs.capture_logs("app_context_logs"), app.app_context():
        answer = client.get("/rid", headers={"X-Request-ID": "in-app-context"})
        obs.response("in_app_context", answer.status_code, answer.headers, answer.data)
    with obs.capture_logs("test_request_context_logs"), app.test_request_context():
        answer = client.get("/rid", headers={"X-Request-ID": "in-test-request-context"})
        obs.response("in_test_request_context", answer.status_code, answer.headers, answer.data)
    answer = client.get("/rid", headers={"X-Request-ID": "no-context"})
    obs.response("without_context", answer.status_code, answer.headers, answer.data)


@scenario
def test_flask_hooks_driven_by_hand(obs: Any) -> None:
    import flask

    from dockerflow.flask import Dockerflow

    app = flask.Flask("compat")
    Dockerflow(app)
    from dockerflow.logging import request_id_context

    with (
        obs.capture_logs("logs"),
        app.test_request_context("/by-hand", headers={"X-Request-ID": "by-hand"}),
    ):
        app.preprocess_request()
        obs.record("g.request_id", getattr(flask.g, "request_id", "<unset>"))
        obs.record("rid_during", request_id_context.get())
        response = app.process_response(flask.make_response("ok"))
        obs.record("status", response.status_code)
        obs.record("rid_after", request_id_context.get())


@scenario
def test_flask_checks_in_the_default_registry(obs: Any) -> None:
    import warnings

    import redis
    from flask import Flask
    from flask_migrate import Migrate
    from flask_sqlalchemy import SQLAlchemy

    from dockerflow import checks
    from dockerflow.flask import Dockerflow

    app = Flask("compat")
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    db = SQLAlchemy(app)
    migrate = Migrate(app, db)
    client = redis.Redis(host="127.0.0.1", port=1)  # nothing listens there
    dockerflow = Dockerflow(app, db=db, redis=client, migrate=migrate)
    obs.record("registered", sorted(checks.get_checks()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        obs.record("extension_checks", sorted(dockerflow.checks))
    checks.clear_checks()
    obs.record("after_clear", sorted(checks.get_checks()))
    answer = app.test_client().get("/__heartbeat__")
    obs.response("heartbeat_after_clear", answer.status_code, answer.headers, answer.data)


@scenario
def test_flask_heartbeat_signals(obs: Any) -> None:
    from flask import Flask

    from dockerflow import checks
    from dockerflow.flask import Dockerflow
    from dockerflow.flask.signals import heartbeat_failed, heartbeat_passed

    app = Flask("compat")
    dockerflow = Dockerflow(app)
    seen: list[str] = []

    def receiver(label: str) -> Any:
        def receive(sender: Any, level: Any = None, **extra: Any) -> None:
            seen.append(f"{label}:{level}")

        return receive

    receivers = {
        "extension": receiver("extension"),
        "app": receiver("app"),
        "any": receiver("any"),
        "failed_app": receiver("failed_app"),
    }
    heartbeat_passed.connect(receivers["extension"], sender=dockerflow)
    heartbeat_passed.connect_via(app)(receivers["app"])
    heartbeat_passed.connect(receivers["any"])
    heartbeat_failed.connect_via(app)(receivers["failed_app"])
    client = app.test_client()
    client.get("/__heartbeat__")
    obs.record("after_pass", sorted(seen))
    seen.clear()

    @checks.register
    def broken() -> list[Any]:
        return [checks.Error("down", id="compat.E001")]

    client.get("/__heartbeat__")
    obs.record("after_fail", sorted(seen))


@scenario
def test_flask_login_user_without_is_authenticated(obs: Any) -> None:
    from flask import Flask
    from flask_login import LoginManager, login_user

    from dockerflow.flask import Dockerflow

    app = Flask("compat")
    app.secret_key = "compat"
    manager = LoginManager(app)

    class Plain:
        def get_id(self) -> str:
            return "plain"

    @manager.user_loader
    def load(user_id: str) -> Any:
        return Plain()

    Dockerflow(app)

    @app.route("/login")
    def login() -> str:
        login_user(Plain(), force=True)
        return "ok"

    client = app.test_client()
    with obs.capture_logs("logs"):
        statuses = [client.get("/login").status_code for _ in range(3)]
    obs.record("statuses", statuses)


@scenario
def test_flask_summary_fields(obs: Any) -> None:
    from flask import Flask

    from dockerflow.flask import Dockerflow

    app = Flask("compat")
    app.config["DOCKERFLOW_SUMMARY_LOG_QUERYSTRING"] = True
    Dockerflow(app)

    @app.route("/page")
    def page() -> str:
        return "page"

    client = app.test_client()
    with obs.capture_logs("logs"):
        client.get(
            "/page?a=1&b=%20x",
            headers={"User-Agent": "compat-agent", "Accept-Language": "fr", "X-Request-ID": "r1"},
        )
        client.get("/missing")
        client.post("/page")


@scenario
def test_flask_each_request_in_one_app_context_has_its_own_id(obs: Any) -> None:
    import flask

    from dockerflow.flask import Dockerflow

    app = flask.Flask("compat")
    Dockerflow(app)

    @app.route("/rid")
    def rid() -> Any:
        return {"rid": getattr(flask.g, "request_id", "<unset>")}

    client = app.test_client()
    with obs.capture_logs("logs"), app.app_context():
        for request_id in ("first", "second"):
            answer = client.get("/rid", headers={"X-Request-ID": request_id})
            obs.response(request_id, answer.status_code, answer.headers, answer.data)


@scenario
def test_flask_init_rejects_what_cannot_work(obs: Any) -> None:
    import redis
    from flask import Flask

    from dockerflow.flask import Dockerflow

    def init(**arguments: Any) -> str:
        Dockerflow(Flask("compat"), **arguments)
        return "accepted"

    # The redis module where a client belongs, a database URL where Flask-SQLAlchemy
    # belongs: every heartbeat would fail (E100); ours refuses at setup.
    obs.outcome("cannot_work_redis_module", init, redis=redis)
    obs.outcome("cannot_work_db_url", init, db="sqlite://")
    obs.outcome("works_redis_client", init, redis=redis.Redis.from_url("redis://127.0.0.1:1/0"))


@scenario
def test_flask_not_found_and_missing_version(obs: Any) -> None:
    import os

    from flask import Flask

    from dockerflow.flask import Dockerflow

    os.mkdir("app")
    app = Flask("compat", root_path=os.path.abspath("app"))
    Dockerflow(app)
    client = app.test_client()
    for path in ("/missing", "/__version__"):
        with obs.capture_logs(f"{path}_logs"):
            answer = client.get(path)
        obs.response(path, answer.status_code, answer.headers, answer.data)


@scenario
def test_flask_misbehaving_checks_and_version(obs: Any) -> None:
    import os

    from flask import Flask

    from dockerflow import checks
    from dockerflow.flask import Dockerflow

    os.mkdir("app")
    with open("version.json", "w") as fp:
        fp.write("{not json")
    app = Flask("compat", root_path=os.path.abspath("app"))
    Dockerflow(app, silenced_checks=["compat.W001"])

    @checks.register
    def silenced() -> list[Any]:
        return [checks.Warning("ignore me", id="compat.W001")]

    client = app.test_client()
    with obs.capture_logs("silenced_logs", loggers=("dockerflow",)):
        answer = client.get("/__heartbeat__")
    obs.response("silenced", answer.status_code, answer.headers, answer.data)

    @checks.register
    def raising() -> list[Any]:
        raise ConnectionError("database down")

    answer = client.get("/__heartbeat__")
    obs.response("raising_check", answer.status_code, answer.headers, answer.data)
    answer = client.get("/__version__")
    obs.response("malformed_version", answer.status_code, answer.headers, answer.data)


@scenario
def test_flask_hostile_request_ids(obs: Any) -> None:
    import flask

    from dockerflow.flask import Dockerflow

    app = flask.Flask("compat")
    Dockerflow(app)

    @app.route("/rid")
    def rid() -> Any:
        return {"rid": flask.g.request_id}

    client = app.test_client()
    for key, value in (("kept", "abc-123_x.y:z"), ("spaces", "a b"), ("long", "x" * 200)):
        answer = client.get("/rid", headers={"X-Request-ID": value})
        obs.response(key, answer.status_code, answer.headers, answer.data)


@scenario
def test_flask_documented_settings_and_request_id_filter(obs: Any) -> None:
    import logging
    import warnings

    import flask

    from dockerflow import checks
    from dockerflow.flask import Dockerflow
    from dockerflow.logging import RequestIdLogFilter

    app = flask.Flask("compat")
    app.config["DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE"] = 503
    app.config["DOCKERFLOW_REQUEST_ID_HEADER_NAME"] = "X-Trace-Id"
    dockerflow = Dockerflow(app, version_path="/nonexistent")

    @dockerflow.version_callback
    def version(root: str) -> dict[str, str]:
        return {"source": root, "version": "1", "commit": "c", "build": "b"}

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)

        @dockerflow.check(name="named_check")
        def failing() -> list[Any]:
            return [checks.Critical("down", id="compat.C001")]

    view_logger = logging.getLogger("compat.view")

    @app.route("/log")
    def log() -> str:
        view_logger.info("inside the view")
        return "ok"

    from dockerflow.logging import request_id_context

    view_logger.addFilter(RequestIdLogFilter())  # as a handler's filter would: at log time
    client = app.test_client()
    with obs.capture_logs("logs", loggers=("compat.view", "request.summary")):
        answer = client.get("/log", headers={"X-Trace-Id": "trace-1"})
        obs.record("log_status", answer.status_code)
    obs.record("rid_after_request", request_id_context.get())
    answer = client.get("/__heartbeat__")
    obs.response("heartbeat", answer.status_code, answer.headers, answer.data)
    answer = client.get("/__version__")
    obs.response("version", answer.status_code, answer.headers, answer.data)


@scenario
def test_flask_summary_logger_replaced_after_init(obs: Any) -> None:
    import logging

    from flask import Flask

    from dockerflow.flask import Dockerflow

    app = Flask("compat")
    dockerflow = Dockerflow(app)
    dockerflow.summary_logger = logging.getLogger("compat.summary")

    @app.route("/page")
    def page() -> str:
        return "page"

    with obs.capture_logs("logs", loggers=("compat.summary", "request.summary")):
        app.test_client().get("/page", headers={"X-Request-ID": "r1"})


@scenario
def test_flask_summary_extra_overridden_in_a_subclass(obs: Any) -> None:
    from flask import Flask

    from dockerflow.flask import Dockerflow

    class MyDockerflow(Dockerflow):
        def summary_extra(self) -> dict[str, Any]:
            out = super().summary_extra()
            out["tenant"] = "acme"
            return out

        def user_id(self) -> Any:
            return "user-42"

    app = Flask("compat")
    MyDockerflow(app)

    @app.route("/page")
    def page() -> str:
        return "page"

    with obs.capture_logs("logs", loggers=("request.summary",)) as records:
        app.test_client().get("/page", headers={"X-Request-ID": "r1"})
        obs.record("tenant", [getattr(r, "tenant", "<unset>") for r in records])
        obs.record("uid", [getattr(r, "uid", "<unset>") for r in records])


@scenario
def test_flask_user_id_patched_with_mock(obs: Any) -> None:
    from unittest import mock

    from flask import Flask

    from dockerflow.flask import Dockerflow

    app = Flask("compat")
    Dockerflow(app)

    @app.route("/page")
    def page() -> str:
        return "page"

    with (
        mock.patch.object(Dockerflow, "user_id", return_value="user-7"),
        obs.capture_logs("logs", loggers=("request.summary",)) as records,
    ):
        app.test_client().get("/page", headers={"X-Request-ID": "r1"})
        obs.record("uid", [getattr(r, "uid", "<unset>") for r in records])


@scenario
def test_flask_silenced_checks_list_mutated_after_init(obs: Any) -> None:
    from flask import Flask

    from dockerflow import checks
    from dockerflow.flask import Dockerflow

    silenced: list[str] = ["other.W999"]
    app = Flask("compat")
    dockerflow = Dockerflow(app, silenced_checks=silenced)

    @checks.register
    def noisy() -> list[Any]:
        return [checks.Warning("noise", id="compat.W001")]

    client = app.test_client()
    answer = client.get("/__heartbeat__")
    obs.response("before", answer.status_code, answer.headers, answer.data)
    silenced.append("compat.W001")
    obs.record("same_list", dockerflow.silenced_checks is silenced)
    answer = client.get("/__heartbeat__")
    obs.response("after", answer.status_code, answer.headers, answer.data)


@scenario
def test_flask_get_checks_patched_with_mock(obs: Any) -> None:
    from unittest import mock

    from flask import Flask

    from dockerflow import checks
    from dockerflow.flask import Dockerflow

    app = Flask("compat")
    Dockerflow(app)

    def fake() -> list[Any]:
        return [checks.Error("fake down", id="compat.E001")]

    with mock.patch("dockerflow.checks.get_checks", return_value={"fake": fake}):
        answer = app.test_client().get("/__heartbeat__")
    obs.response("patched", answer.status_code, answer.headers, answer.data)


@scenario
def test_flask_config_changed_after_init(obs: Any) -> None:
    import flask

    from dockerflow import checks
    from dockerflow.flask import Dockerflow

    app = flask.Flask("compat")
    Dockerflow(app)

    @app.route("/rid")
    def rid() -> Any:
        return {"rid": flask.g.request_id}

    client = app.test_client()
    app.config["DOCKERFLOW_REQUEST_ID_HEADER_NAME"] = "X-Trace-Id"
    app.config["DOCKERFLOW_SUMMARY_LOG_QUERYSTRING"] = True
    app.config["DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE"] = 503
    with obs.capture_logs("logs", loggers=("request.summary",)):
        answer = client.get("/rid?x=1", headers={"X-Trace-Id": "trace-1"})
    obs.response("rid", answer.status_code, answer.headers, answer.data)

    @checks.register
    def broken() -> list[Any]:
        return [checks.Error("down", id="compat.E001")]

    answer = client.get("/__heartbeat__")
    obs.response("heartbeat", answer.status_code, answer.headers, answer.data)
    app.config["DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE"] = 500
    answer = client.get("/__heartbeat__")
    obs.response("heartbeat_back", answer.status_code, answer.headers, answer.data)


@scenario
def test_flask_extension_logger_replaced_after_init(obs: Any) -> None:
    import logging

    from flask import Flask

    from dockerflow.flask import Dockerflow

    app = Flask("compat")
    dockerflow = Dockerflow(app)
    dockerflow.logger = logging.getLogger("compat.ext")
    with obs.capture_logs("error_logs", loggers=("compat.ext", "dockerflow")):
        answer = app.test_client().get("/__error__")
    obs.record("error_status", answer.status_code)


@scenario
def test_flask_version_path_after_init_app(obs: Any) -> None:
    import json
    import os

    from flask import Flask

    from dockerflow.flask import Dockerflow

    for name in ("one", "two"):
        os.makedirs(f"{name}/app")
        with open(f"{name}/version.json", "w") as fp:
            json.dump({"source": name, "version": "v", "commit": "c", "build": "b"}, fp)
    first = Flask("first", root_path=os.path.abspath("one/app"))
    dockerflow = Dockerflow()
    dockerflow.init_app(first)
    path = dockerflow.version_path
    obs.record("version_path", None if path is None else os.path.relpath(path))
    answer = first.test_client().get("/__version__")
    obs.response("first", answer.status_code, answer.headers, answer.data)
    # The app's root moves after init_app.
    first.root_path = os.path.abspath("two/app")
    answer = first.test_client().get("/__version__")
    obs.response("first_after_root_moved", answer.status_code, answer.headers, answer.data)


@scenario
def test_flask_app_ctx_globals_class_set_after_init(obs: Any) -> None:
    import flask
    from flask.ctx import _AppCtxGlobals

    from dockerflow.flask import Dockerflow

    class MyGlobals(_AppCtxGlobals):
        pass

    app = flask.Flask("compat")
    Dockerflow(app)
    app.app_ctx_globals_class = MyGlobals

    @app.route("/rid")
    def rid() -> Any:
        return {"rid": getattr(flask.g, "request_id", "<unset>"), "g": type(flask.g).__name__}

    answer = app.test_client().get("/rid", headers={"X-Request-ID": "rid-1"})
    obs.response("rid", answer.status_code, answer.headers, answer.data)


@scenario
def test_flask_g_private_names(obs: Any) -> None:
    import flask

    from dockerflow.flask import Dockerflow

    app = flask.Flask("compat")
    Dockerflow(app)

    @app.route("/g")
    def g() -> Any:
        return {
            "_request_id": getattr(flask.g, "_request_id", "<unset>"),
            "_start_timestamp": type(getattr(flask.g, "_start_timestamp", None)).__name__,
        }

    answer = app.test_client().get("/g", headers={"X-Request-ID": "rid-1"})
    obs.response("g", answer.status_code, answer.headers, answer.data)


@scenario
def test_flask_summary_extra_that_raises(obs: Any) -> None:
    from flask import Flask

    from dockerflow.flask import Dockerflow

    class Broken(Dockerflow):
        def summary_extra(self) -> dict[str, Any]:
            raise RuntimeError("no tenant")

    app = Flask("compat")
    Broken(app)

    @app.route("/page")
    def page() -> str:
        return "page"

    def request() -> Any:
        answer = app.test_client().get("/page", headers={"X-Request-ID": "r1"})
        return [answer.status_code, answer.get_data(as_text=True)]

    with obs.capture_logs("logs", loggers=("request.summary",)) as records:
        obs.outcome("request", request)
        obs.record("summaries", [[r.levelname, r.rid] for r in records])


@scenario
def test_flask_run_checks_patched_with_mock(obs: Any) -> None:
    """A test replacing ``dockerflow.checks.run_checks`` decides the heartbeat's answer."""
    from unittest import mock

    import compat_checks
    from flask import Flask

    from dockerflow.flask import Dockerflow

    app = Flask("compat")
    Dockerflow(app)
    seen: list[Any] = []
    fake_run = compat_checks.fake_run_checks(seen)

    with mock.patch("dockerflow.checks.run_checks", fake_run):
        answer = app.test_client().get("/__heartbeat__")
    obs.response("patched", answer.status_code, answer.headers, answer.data)
    obs.record("calls", len(seen))
    answer = app.test_client().get("/__heartbeat__")
    obs.response("unpatched", answer.status_code, answer.headers, answer.data)
