"""What an application changes after ``Dockerflow(app)`` counts from the next request,
as with the reference library."""

from __future__ import annotations

import logging
from typing import Any
from unittest import mock

import pytest
from sanic import response
from sanic_testkit import summaries

from dockerflow import checks
from dockerflow.sanic import Dockerflow


def _with_page(app: Any) -> Any:
    @app.get("/page")
    async def page(request: Any) -> Any:
        return response.text("page")

    @app.get("/boom")
    async def boom(request: Any) -> Any:
        raise ValueError("boom")

    return app


def test_a_summary_logger_replaced_after_init_gets_the_summaries(
    make_app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = _with_page(make_app())
    dockerflow = Dockerflow(app)
    dockerflow.summary_logger = logging.getLogger("sanic_test.summary")
    app.test_client.get("/page", headers={"X-Request-ID": "replaced-ok"})
    app.test_client.get("/boom", headers={"X-Request-ID": "replaced-boom"})
    mine = [r for r in caplog.records if r.name == "sanic_test.summary"]
    assert [(r.levelname, r.rid, r.code) for r in mine] == [
        ("INFO", "replaced-ok", 200),
        ("ERROR", "replaced-boom", 500),
    ]
    assert mine[1].getMessage() == "boom"
    assert summaries(caplog) == []


def test_the_silenced_checks_list_is_the_callers(make_app: Any) -> None:
    silenced = ["other.W999"]
    app = make_app()
    dockerflow = Dockerflow(app, silenced_checks=silenced)
    assert dockerflow.silenced_checks is silenced

    @checks.register
    def noisy() -> list[checks.CheckMessage]:
        return [checks.Warning("noise", id="sanic_test.W001")]

    _, answer = app.test_client.get("/__heartbeat__")
    assert answer.json["status"] == "warning"
    silenced.append("sanic_test.W001")
    _, answer = app.test_client.get("/__heartbeat__")
    assert answer.json["status"] == "ok"


def test_get_checks_patched_with_mock_decides_the_heartbeat(make_app: Any) -> None:
    app = make_app()
    Dockerflow(app)

    def down() -> list[checks.CheckMessage]:
        return [checks.Error("down", id="sanic_test.E001")]

    with mock.patch("dockerflow.checks.get_checks", return_value={"down": down}):
        _, answer = app.test_client.get("/__heartbeat__")
    assert answer.status == 500
    assert answer.json["checks"] == {"down": "error"}
    _, answer = app.test_client.get("/__heartbeat__")
    assert answer.status == 200
