"""The views' ``logger`` patched by a test is the one ``/__error__`` logs on, as with
the reference library."""

from __future__ import annotations

import logging
from collections.abc import Callable
from unittest import mock

from fastapi import FastAPI
from fastapi.testclient import TestClient


def test_the_views_logger_patched_with_mock_logs_the_error_endpoint(
    make_app: Callable[..., FastAPI],
) -> None:
    client = TestClient(make_app(), raise_server_exceptions=False)
    with mock.patch("dockerflow.fastapi.views.logger") as logger:
        response = client.get("/__error__")
    assert response.status_code == 500
    logger.error.assert_called_once_with("The __error__ endpoint was called")
    from dockerflow.fastapi import views

    assert views.logger is logging.getLogger("dockerflow.fastapi.views")
