"""The documented LOGGING settings produce mozlog request.summary lines."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils.log import configure_logging
from docblocks import python_block

# The Django section of the reference documentation, as written.
DOCUMENTED_LOGGING = {
    "version": 1,
    "formatters": {
        "json": {"()": "dockerflow.logging.JsonLogFormatter", "logger_name": "myproject"}
    },
    "handlers": {
        "console": {"level": "DEBUG", "class": "logging.StreamHandler", "formatter": "json"},
    },
    "loggers": {
        "request.summary": {"handlers": ["console"], "level": "DEBUG"},
    },
}

MOZLOG_HANDLER_LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "dockerflow.logging.RequestIdLogFilter"}},
    "handlers": {
        "console": {
            "class": "dockerflow.logging.MozlogHandler",
            "name": "myproject",
            "filters": ["request_id"],
        },
    },
    "loggers": {
        "request.summary": {"handlers": ["console"], "level": "DEBUG"},
        "djtestproject": {"handlers": ["console"], "level": "INFO"},
    },
}


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put every logger back as it was: a LOGGING dict reconfigures the process."""
    manager = logging.Logger.manager
    saved: dict[str, tuple[Any, ...]] = {}
    for name, logger in [("", logging.getLogger()), *manager.loggerDict.items()]:
        if isinstance(logger, logging.Logger):
            saved[name] = (logger.level, list(logger.handlers), logger.propagate, logger.disabled)
    yield
    for name, (level, handlers, propagate, disabled) in saved.items():
        logger = logging.getLogger(name or None)
        logger.setLevel(level)
        logger.handlers[:] = handlers
        logger.propagate = propagate
        logger.disabled = disabled
    for name, logger in list(manager.loggerDict.items()):
        if isinstance(logger, logging.Logger) and name not in saved:
            logger.handlers.clear()
            logger.disabled = False


def mozlog_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_documented_logging_with_json_log_formatter(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.warns(DeprecationWarning, match="MozlogFormatter"):
        configure_logging("logging.config.dictConfig", DOCUMENTED_LOGGING)
    Client().get("/?x=1", HTTP_USER_AGENT="probe", HTTP_X_REQUEST_ID="rid-1")
    [line] = [
        entry
        for entry in mozlog_lines(capsys.readouterr().err)
        if entry["Type"] == "request.summary"
    ]
    assert line["Logger"] == "myproject"
    assert line["EnvVersion"] == "2.0"
    assert line["Severity"] == 6
    assert isinstance(line["Timestamp"], int)
    fields = line["Fields"]
    assert fields["errno"] == 0 and fields["code"] == 200
    assert fields["agent"] == "probe" and fields["rid"] == "rid-1"
    assert fields["path"] == "/" and fields["method"] == "GET" and fields["uid"] == ""
    assert isinstance(fields["t"], int)


def test_logging_with_mozlog_handler(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("logging.config.dictConfig", MOZLOG_HANDLER_LOGGING)
    Client().get("/log/", HTTP_X_REQUEST_ID="rid-2")
    Client(raise_request_exception=False).get("/boom/", HTTP_X_REQUEST_ID="rid-3")
    lines = mozlog_lines(capsys.readouterr().out)
    view = [entry for entry in lines if entry["Type"] == "djtestproject"]
    assert [(v["Fields"]["msg"], v["Fields"]["rid"]) for v in view] == [
        ("inside the view", "rid-2")
    ]
    summaries = [entry for entry in lines if entry["Type"] == "request.summary"]
    assert [(s["Fields"]["rid"], s["Fields"]["errno"], s["Severity"]) for s in summaries] == [
        ("rid-2", 0, 6),
        ("rid-3", 500, 3),
    ]
    assert all(s["Logger"] == "myproject" for s in summaries)
    assert "ValueError" in summaries[1]["Fields"]["traceback"]


def readme_logging() -> dict[str, Any]:
    """The ``LOGGING`` dict the package README tells users to copy, as written there."""
    namespace: dict[str, Any] = {}
    exec(python_block("packages/dockerflow-django/README.md", "LOGGING = {"), namespace)
    return namespace["LOGGING"]


def test_readme_logging_writes_only_mozlog_even_with_debug_on(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # startproject's settings have DEBUG = True, where Django's own default handlers
    # print "Internal Server Error" with its traceback, and "Not Found", to stderr.
    configure_logging("logging.config.dictConfig", readme_logging())
    with override_settings(DEBUG=True):
        client = Client(raise_request_exception=False)
        assert client.get("/boom/", HTTP_X_REQUEST_ID="rid-4").status_code == 500
        assert client.get("/no-such-page/", HTTP_X_REQUEST_ID="rid-5").status_code == 404
        logging.getLogger("django.server").info('"GET / HTTP/1.1" 200 2')  # runserver's
    out, err = capsys.readouterr()
    assert err == ""
    records = [json.loads(line) for line in out.splitlines()]  # every line is mozlog JSON
    by_type = {(r["Type"], r["Fields"].get("rid")): r for r in records}
    error = by_type["django.request", "rid-4"]
    assert error["Severity"] == 3 and "ValueError" in error["Fields"]["traceback"]
    assert by_type["django.request", "rid-5"]["Fields"]["msg"] == "Not Found: /no-such-page/"
    assert [r["Fields"]["msg"] for r in records if r["Type"] == "django.server"] == [
        '"GET / HTTP/1.1" 200 2'
    ]
    assert {"rid-4", "rid-5"} <= {
        r["Fields"]["rid"] for r in records if r["Type"] == "request.summary"
    }
