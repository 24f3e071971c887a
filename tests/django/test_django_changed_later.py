"""What a project changes at run time counts from the next request, as with the
reference library: the two settings read per request, and the views' ``logger``."""

from __future__ import annotations

import logging
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.test import Client, override_settings

MIDDLEWARE = ["dockerflow.django.middleware.DockerflowMiddleware"]


@pytest.fixture
def summaries(caplog: pytest.LogCaptureFixture) -> Any:
    caplog.set_level(logging.INFO, logger="request.summary")
    return lambda: [r for r in caplog.records if r.name == "request.summary"]


@override_settings(MIDDLEWARE=MIDDLEWARE)
def test_settings_patched_or_assigned_count_at_once(summaries: Any) -> None:
    client = Client()
    client.get("/__lbheartbeat__?a=1", HTTP_X_TRACE_ID="trace-1")
    with mock.patch.object(
        settings, "DOCKERFLOW_REQUEST_ID_HEADER_NAME", "X-Trace-ID", create=True
    ):
        client.get("/__lbheartbeat__?a=2", HTTP_X_TRACE_ID="trace-2")
    settings.DOCKERFLOW_SUMMARY_LOG_QUERYSTRING = True
    try:
        client.get("/__lbheartbeat__?a=3", HTTP_X_TRACE_ID="trace-3")
    finally:
        del settings.DOCKERFLOW_SUMMARY_LOG_QUERYSTRING
    client.get("/__lbheartbeat__?a=4")
    first, patched, assigned, restored = summaries()
    assert first.rid != "trace-1" and not hasattr(first, "querystring")
    assert patched.rid == "trace-2" and not hasattr(patched, "querystring")
    assert assigned.rid != "trace-3" and assigned.querystring == "a=3"
    assert not hasattr(restored, "querystring")


@override_settings(MIDDLEWARE=MIDDLEWARE, DOCKERFLOW_REQUEST_ID_HEADER_NAME=["X-Trace-ID"])
def test_a_header_setting_that_is_not_a_string_reads_the_default_header(summaries: Any) -> None:
    response = Client().get("/__lbheartbeat__", HTTP_X_REQUEST_ID="default-header")
    assert response.status_code == 200
    assert [r.rid for r in summaries()] == ["default-header"]


@override_settings(MIDDLEWARE=MIDDLEWARE)
def test_the_views_logger_patched_with_mock_logs_the_error_endpoint() -> None:
    with mock.patch("dockerflow.django.views.logger") as logger:
        response = Client(raise_request_exception=False).get("/__error__")
    assert response.status_code == 500
    logger.error.assert_called_once_with("The __error__ endpoint was called")
    from dockerflow.django import views

    assert views.logger is logging.getLogger("dockerflow.django")


def test_read_setting_is_getattr_of_settings_through_every_kind_of_holder() -> None:
    from dockerflow.django.middleware import _read_setting

    name = "DOCKERFLOW_REQUEST_ID_HEADER_NAME"
    assert _read_setting(name, "dflt") == getattr(settings, name, "dflt")
    with override_settings(DOCKERFLOW_REQUEST_ID_HEADER_NAME="X-Outer"):
        assert _read_setting(name, "dflt") == "X-Outer"
        with override_settings(DEBUG=True):  # a second holder, the value one level down
            assert _read_setting(name, "dflt") == "X-Outer"
            del settings.DOCKERFLOW_REQUEST_ID_HEADER_NAME  # deleted in the inner holder
            assert _read_setting(name, "dflt") == "dflt" == getattr(settings, name, "dflt")
        assert _read_setting(name, "dflt") == "X-Outer"
    assert _read_setting(name, "dflt") == getattr(settings, name, "dflt")
    assert _read_setting("DEBUG", None) is settings.DEBUG
