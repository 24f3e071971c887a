"""What an application changes after ``Dockerflow(app)`` counts from the next request,
as with the reference library: the extension's public hooks and attributes are read
when used, not once at init."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any
from unittest import mock

import flask
import pytest
from flask.ctx import _AppCtxGlobals

from dockerflow import checks
from dockerflow.flask import Dockerflow

from .conftest import MakeApp, RecordCollector


def test_a_summary_logger_replaced_after_init_gets_the_summaries(make_app: MakeApp) -> None:
    app, dockerflow = make_app()
    logger = logging.getLogger("flask_test.summary")
    collector = RecordCollector()
    logger.addHandler(collector)
    logger.setLevel(logging.INFO)
    try:
        dockerflow.summary_logger = logger
        client = app.test_client()
        client.get("/", headers={"X-Request-ID": "replaced-ok"})
        client.get("/boom", headers={"X-Request-ID": "replaced-boom"})
    finally:
        logger.removeHandler(collector)
    assert [(r.levelname, r.rid, r.code) for r in collector.records] == [
        ("INFO", "replaced-ok", 200),
        ("ERROR", "replaced-boom", 500),
    ]
    assert collector.records[1].getMessage() == "boom"


def test_summary_extra_overridden_in_a_subclass_builds_the_summary(
    summary_records: list[logging.LogRecord],
) -> None:
    class Tenanted(Dockerflow):
        def summary_extra(self) -> dict[str, Any]:
            fields = super().summary_extra()
            fields["tenant"] = flask.request.headers.get("X-Tenant", "")
            return fields

        def user_id(self) -> Any:
            return "user-42"

    app = flask.Flask("flask_test_app")

    @app.route("/")
    def index() -> str:
        return "hello"

    @app.route("/boom")
    def boom() -> str:
        raise ValueError("boom")

    Tenanted(app)
    client = app.test_client()
    client.get("/", headers={"X-Tenant": "acme", "X-Request-ID": "tenant-ok"})
    client.get("/boom", headers={"X-Tenant": "acme", "X-Request-ID": "tenant-boom"})
    fields = [(r.tenant, r.uid, r.rid, r.code, r.errno) for r in summary_records]
    assert fields == [
        ("acme", "user-42", "tenant-ok", 200, 0),
        ("acme", "user-42", "tenant-boom", 500, 500),
    ]


def test_user_id_patched_with_mock_is_the_uid(
    make_app: MakeApp, summary_records: list[logging.LogRecord]
) -> None:
    app, _ = make_app()
    with mock.patch.object(Dockerflow, "user_id", return_value="user-7"):
        app.test_client().get("/")
    app.test_client().get("/")
    assert [r.uid for r in summary_records] == ["user-7", ""]


def test_a_failing_summary_extra_override_never_breaks_the_response(
    summary_records: list[logging.LogRecord],
    dockerflow_logs: RecordCollector,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Broken(Dockerflow):
        def summary_extra(self) -> dict[str, Any]:
            raise RuntimeError("no tenant")

    monkeypatch.setattr("dockerflow.flask.app._summary_extra_failure_logged", False)
    app = flask.Flask("flask_test_app")
    app.add_url_rule("/", "index", lambda: "hello")
    Broken(app)
    client = app.test_client()
    for rid in ("broken-1", "broken-2"):
        response = client.get("/", headers={"X-Request-ID": rid})
        assert (response.status_code, response.data) == (200, b"hello")
    # Nothing lost: both summaries, with the default fields; the failure logged once.
    assert [(r.rid, r.code, r.errno) for r in summary_records] == [
        ("broken-1", 200, 0),
        ("broken-2", 200, 0),
    ]
    [failure] = [r for r in dockerflow_logs.records if r.levelno == logging.ERROR]
    assert "summary_extra() failed" in failure.getMessage()
    assert failure.exc_info is not None and "no tenant" in str(failure.exc_info[1])


def test_the_silenced_checks_list_is_the_callers(make_app: MakeApp) -> None:
    silenced = ["other.W999"]
    app, dockerflow = make_app(silenced_checks=silenced)
    assert dockerflow.silenced_checks is silenced

    @checks.register
    def noisy() -> list[checks.CheckMessage]:
        return [checks.Warning("noise", id="flask_test.W001")]

    client = app.test_client()
    assert client.get("/__heartbeat__").get_json()["status"] == "warning"
    silenced.append("flask_test.W001")
    assert client.get("/__heartbeat__").get_json()["status"] == "ok"


def test_get_checks_patched_with_mock_decides_the_heartbeat(make_app: MakeApp) -> None:
    app, _ = make_app()

    def down() -> list[checks.CheckMessage]:
        return [checks.Error("down", id="flask_test.E001")]

    with mock.patch("dockerflow.checks.get_checks", return_value={"down": down}):
        response = app.test_client().get("/__heartbeat__")
    assert response.status_code == 500
    assert response.get_json()["checks"] == {"down": "error"}
    assert app.test_client().get("/__heartbeat__").status_code == 200


def test_an_own_registry_is_not_replaced_by_a_patched_get_checks(make_app: MakeApp) -> None:
    app, dockerflow = make_app(registry=checks.CheckRegistry())
    dockerflow.check(lambda: [], name="own")
    with mock.patch("dockerflow.checks.get_checks", return_value={}):
        response = app.test_client().get("/__heartbeat__")
    assert response.get_json()["checks"] == {"own": "ok"}


def test_a_globals_class_set_after_init_still_gets_the_request_id(make_app: MakeApp) -> None:
    class Globals(_AppCtxGlobals):
        pass

    app, _ = make_app()
    app.app_ctx_globals_class = Globals

    @app.route("/rid")
    def rid() -> Any:
        return {"rid": flask.g.request_id, "mine": isinstance(flask.g, Globals)}

    response = app.test_client().get("/rid", headers={"X-Request-ID": "globals-later"})
    assert response.get_json() == {"rid": "globals-later", "mine": True}


def test_g_has_the_reference_librarys_private_names(make_app: MakeApp) -> None:
    app, _ = make_app()

    @app.route("/g")
    def g() -> Any:
        return {"rid": flask.g._request_id, "start": type(flask.g._start_timestamp).__name__}

    response = app.test_client().get("/g", headers={"X-Request-ID": "private-names"})
    assert response.get_json() == {"rid": "private-names", "start": "float"}


def _version_dir(root: Path, source: str) -> Path:
    (root / "app").mkdir(parents=True)
    (root / "version.json").write_text(
        json.dumps({"source": source, "version": "1", "commit": "c", "build": "b"})
    )
    return root / "app"


def test_init_app_sets_version_path_and_each_app_keeps_its_own(tmp_path: Path) -> None:
    one = flask.Flask("one", root_path=str(_version_dir(tmp_path / "one", "one")))
    two = flask.Flask("two", root_path=str(_version_dir(tmp_path / "two", "two")))
    dockerflow = Dockerflow()
    dockerflow.init_app(one)
    dockerflow.init_app(two)
    assert dockerflow.version_path == str(tmp_path / "one")
    assert one.test_client().get("/__version__").get_json()["source"] == "one"
    assert two.test_client().get("/__version__").get_json()["source"] == "two"
    # As with the reference: the default is decided by init_app, a moved root is not
    # followed; a version_path the application sets is.
    one.root_path = str(tmp_path / "two" / "app")
    assert one.test_client().get("/__version__").get_json()["source"] == "one"
    dockerflow.version_path = str(tmp_path / "two")
    assert one.test_client().get("/__version__").get_json()["source"] == "two"


@pytest.mark.parametrize("given", [None, "explicit"])
def test_a_version_path_given_at_init_is_kept(tmp_path: Path, given: str | None) -> None:
    root = _version_dir(tmp_path / "given", "given")
    app = flask.Flask("given", root_path=str(root))
    path = str(tmp_path / "given") if given else None
    dockerflow = Dockerflow(app, version_path=path)
    assert dockerflow.version_path == str(tmp_path / "given")
    assert app.test_client().get("/__version__").get_json()["source"] == "given"
