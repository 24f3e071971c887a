"""The Dockerflow endpoints served by the middleware (WSGI and ASGI) and by the urlconf."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import AsyncClient, Client, override_settings
from django.test.utils import CaptureQueriesContext
from djtest_support import run_async

from dockerflow.logging import RequestIdLogFilter

ENDPOINT_PATHS = ["/__version__", "/__heartbeat__", "/__lbheartbeat__"]

VERSION = {
    "source": "https://github.com/mozilla-services/example",
    "version": "2026.11.0",
    "commit": "52ce614fbf99540a1bf6228e36be6cef63b4d73b",
    "build": "https://ci.example.com/builds/2223",
}


@pytest.fixture
def version_dir(tmp_path: Path) -> Path:
    (tmp_path / "version.json").write_text(json.dumps(VERSION))
    return tmp_path


def version_from_callback(root: Any) -> dict[str, Any]:
    return {"version": "from-callback", "root": str(root)}


def test_version_serves_version_json_from_base_dir(version_dir: Path) -> None:
    with override_settings(BASE_DIR=version_dir):
        response = Client().get("/__version__")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == VERSION


@pytest.mark.parametrize("path", ["/__version__", "/__version__/"])
def test_version_with_and_without_trailing_slash(version_dir: Path, path: str) -> None:
    with override_settings(BASE_DIR=version_dir):
        assert Client().get(path).json() == VERSION


def test_version_is_404_without_version_json(tmp_path: Path) -> None:
    with override_settings(BASE_DIR=tmp_path):
        response = Client().get("/__version__")
    assert response.status_code == 404
    assert response["Content-Type"] == "text/html; charset=utf-8"  # as with the reference
    assert response.content == b"version.json not found"


def test_malformed_version_json_is_a_clear_500_with_one_logged_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "version.json").write_text('{"version": ')
    with override_settings(BASE_DIR=tmp_path), caplog.at_level(logging.ERROR):
        response = Client().get("/__version__")
    assert response.status_code == 500
    assert response.json() == {"status": "error", "error": "version information is unavailable"}
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, errors
    assert "version.json" in errors[0].getMessage()
    assert "not valid JSON" in errors[0].getMessage()


def test_version_callback_dotted_path_gets_base_dir(tmp_path: Path) -> None:
    callback = f"{__name__}.version_from_callback"
    with override_settings(BASE_DIR=tmp_path, DOCKERFLOW_VERSION_CALLBACK=callback):
        response = Client().get("/__version__")
    assert response.status_code == 200
    assert response.json() == {"version": "from-callback", "root": str(tmp_path)}


def test_version_callback_that_cannot_be_imported_is_a_500_with_one_logged_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with (
        override_settings(DOCKERFLOW_VERSION_CALLBACK="no.such.module.callback"),
        caplog.at_level(logging.ERROR),
    ):
        response = Client().get("/__version__")
    assert response.status_code == 500
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "no.such.module.callback" in errors[0].getMessage() + str(errors[0].exc_info)


def test_version_without_base_dir_is_a_500_naming_base_dir(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from django.conf import settings

    with override_settings(), caplog.at_level(logging.ERROR):
        del settings.BASE_DIR
        response = Client().get("/__version__")
    assert response.status_code == 500
    assert "BASE_DIR" in caplog.text


@run_async
async def test_version_under_asgi(version_dir: Path) -> None:
    with override_settings(BASE_DIR=version_dir):
        response = await AsyncClient().get("/__version__/")
    assert response.status_code == 200
    assert response.json() == VERSION


@pytest.mark.parametrize("path", ["/__lbheartbeat__", "/__lbheartbeat__/"])
def test_lbheartbeat_is_200_without_any_query(path: str) -> None:
    with CaptureQueriesContext(connection) as queries:
        response = Client().get(path)
    assert response.status_code == 200
    assert response.content == b""
    assert len(queries) == 0


def test_lbheartbeat_answers_while_database_and_cache_are_down(tmp_path: Path) -> None:
    from djtest_support import use_database

    caches = {
        "default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    with (
        use_database(f"sqlite:///{tmp_path}/no/such/dir/db.sqlite3"),
        override_settings(CACHES=caches),
    ):
        assert Client().get("/__lbheartbeat__").status_code == 200
        assert Client().get("/__heartbeat__").status_code == 500


@run_async
async def test_lbheartbeat_under_asgi() -> None:
    response = await AsyncClient().get("/__lbheartbeat__")
    assert response.status_code == 200


ERROR_MESSAGE = "This is a test exception from the /__error__ endpoint."


def error_records(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str, str, Any]]:
    """``(logger, level, message, rid)`` of the records the request logged."""
    return [
        (r.name, r.levelname, r.getMessage(), getattr(r, "rid", None))
        for r in caplog.records
        if r.name in ("dockerflow.django", "request.summary", "django.request")
    ]


@pytest.mark.parametrize("path", ["/__error__", "/__error__/"])
def test_error_endpoint_raises_to_djangos_error_handling(
    path: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client(raise_request_exception=False)
    client.get("/", HTTP_X_REQUEST_ID="the-previous-request")
    caplog.clear()
    caplog.handler.addFilter(RequestIdLogFilter())
    try:
        with caplog.at_level(logging.INFO):
            response = client.get(path, HTTP_X_REQUEST_ID="rid-error")
    finally:
        caplog.handler.filters.clear()
    assert response.status_code == 500
    assert error_records(caplog) == [
        # The reference library's record, with this request's id (it had the previous one).
        ("dockerflow.django", "ERROR", "The __error__ endpoint was called", "rid-error"),
        # The summary the reference library did not log for this request.
        ("request.summary", "ERROR", ERROR_MESSAGE, "rid-error"),
        # Django's own handler reports it (where Sentry & co. hook in).
        ("django.request", "ERROR", f"Internal Server Error: {path}", "rid-error"),
    ]
    summary = caplog.records[1]
    assert (summary.errno, summary.code, summary.path) == (500, 500, path)  # type: ignore[attr-defined]
    django_record = caplog.records[2]
    assert django_record.exc_info is not None
    assert type(django_record.exc_info[1]) is Exception


def test_error_endpoint_raises_in_the_test_client() -> None:
    with pytest.raises(Exception, match="__error__") as raised:
        Client().get("/__error__")
    # The reference library's exception: error trackers group by type and message.
    assert type(raised.value) is Exception
    assert str(raised.value) == ERROR_MESSAGE


@run_async
async def test_error_endpoint_under_asgi(caplog: pytest.LogCaptureFixture) -> None:
    caplog.handler.addFilter(RequestIdLogFilter())
    try:
        with caplog.at_level(logging.INFO):
            response = await AsyncClient(raise_request_exception=False).get(
                "/__error__", headers={"X-Request-ID": "rid-async-error"}
            )
    finally:
        caplog.handler.filters.clear()
    assert response.status_code == 500
    assert error_records(caplog) == [
        ("dockerflow.django", "ERROR", "The __error__ endpoint was called", "rid-async-error"),
        ("request.summary", "ERROR", ERROR_MESSAGE, "rid-async-error"),
        ("django.request", "ERROR", "Internal Server Error: /__error__", "rid-async-error"),
    ]


@override_settings(DOCKERFLOW_ENABLE_ERROR_ENDPOINT=False)
def test_error_endpoint_can_be_turned_off(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="request.summary"):
        response = Client().get("/__error__")
    assert response.status_code == 404
    # It is an ordinary request now: it gets its summary.
    summaries = [r for r in caplog.records if r.name == "request.summary"]
    assert [s.path for s in summaries] == ["/__error__"]


@override_settings(DOCKERFLOW_ENABLE_ERROR_ENDPOINT="false")
def test_mounted_error_view_honours_the_setting_too() -> None:
    assert Client().get("/mounted/__error__").status_code == 404


@pytest.mark.parametrize("path", ENDPOINT_PATHS)
def test_endpoints_log_request_summary_with_their_own_request_id(
    path: str, caplog: pytest.LogCaptureFixture, version_dir: Path
) -> None:
    client = Client()
    with override_settings(BASE_DIR=version_dir), caplog.at_level(logging.DEBUG):
        client.get("/", HTTP_X_REQUEST_ID="the-previous-request")
        response = client.get(path, HTTP_X_REQUEST_ID="this-request", HTTP_USER_AGENT="probe")
    assert response.status_code == 200
    summary = [r for r in caplog.records if r.name == "request.summary"]
    assert [(r.path, r.rid) for r in summary] == [  # type: ignore[attr-defined]
        ("/", "the-previous-request"),
        (path, "this-request"),  # the reference library logged the previous id here
    ]
    record = summary[1]
    assert (record.levelno, record.errno, record.code, record.agent) == (  # type: ignore[attr-defined]
        logging.INFO,
        0,
        200,
        "probe",
    )


@override_settings(MIDDLEWARE=[])
def test_views_mounted_through_the_urlconf(version_dir: Path) -> None:
    from django.urls import reverse

    client = Client()
    with override_settings(BASE_DIR=version_dir):
        assert client.get("/mounted/__version__").json() == VERSION
        assert client.get(reverse("dockerflow:version")).json() == VERSION
    assert client.get("/mounted/__lbheartbeat__/").status_code == 200
    heartbeat = client.get(reverse("dockerflow:heartbeat"))
    assert heartbeat.status_code == 200
    assert heartbeat.json()["status"] in {"ok", "warning"}
    with pytest.raises(Exception, match="__error__"):
        client.get(reverse("dockerflow:error"))
    # Without the middleware, the root paths are not served.
    assert client.get("/__version__").status_code == 404


def test_middleware_answers_before_url_resolution() -> None:
    # An urlconf that matches everything would otherwise answer.
    with override_settings(ROOT_URLCONF="djtestproject.catchall_urls"):
        assert Client().get("/__lbheartbeat__").status_code == 200
        assert Client().get("/anything").content == b"catch-all"
