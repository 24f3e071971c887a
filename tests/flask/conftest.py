"""Fixtures for the Flask integration tests.

``make_app`` builds a fresh Flask application (and ``Dockerflow`` extension) per call;
``summary_records`` captures the ``request.summary`` records; ``default_registry`` (used by
every test) gives a test the process-wide check registry, empty, and restores it afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import flask
import pytest

from dockerflow import checks
from dockerflow.flask import Dockerflow

HERE = Path(__file__).resolve().parent


class RecordCollector(logging.Handler):
    """Keeps the records of the loggers it is attached to."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def named(self, name: str) -> list[logging.LogRecord]:
        return [r for r in self.records if r.name == name]


def _attach(name: str) -> Iterator[RecordCollector]:
    logger = logging.getLogger(name)
    collector = RecordCollector()
    old_level = logger.level
    logger.addHandler(collector)
    logger.setLevel(logging.DEBUG)
    try:
        yield collector
    finally:
        logger.removeHandler(collector)
        logger.setLevel(old_level)


@pytest.fixture
def summary_records() -> Iterator[list[logging.LogRecord]]:
    """The ``request.summary`` records logged during the test."""
    for collector in _attach("request.summary"):
        yield collector.records


@pytest.fixture
def dockerflow_logs() -> Iterator[RecordCollector]:
    """The records of the ``dockerflow`` loggers (checks, version, flask)."""
    yield from _attach("dockerflow")


@pytest.fixture(autouse=True)
def default_registry() -> Iterator[checks.CheckRegistry]:
    """The process-wide check registry, empty at the start of every test and restored
    after it: the extension registers its checks there (as the reference library does),
    so one test's checks must not run in the next one's heartbeat."""
    before = dict(checks.get_checks())
    checks.clear_checks()
    yield checks.default_registry
    checks.clear_checks()
    checks.get_checks().update(before)


MakeApp = Callable[..., tuple[flask.Flask, Dockerflow]]


@pytest.fixture
def make_app() -> MakeApp:
    """``make_app(config=None, **dockerflow_kwargs) -> (app, dockerflow)``.

    The app has a ``/`` view answering ``"hello"`` and a ``/boom`` view that raises
    ``ValueError``; it is not in testing mode, so exceptions become 500 responses.
    """

    def factory(
        config: dict[str, Any] | None = None, **kwargs: Any
    ) -> tuple[flask.Flask, Dockerflow]:
        app = flask.Flask("flask_test_app", root_path=str(HERE))
        app.config.update(config or {})

        @app.route("/")
        def index() -> str:
            return "hello"

        @app.route("/boom")
        def boom() -> str:
            raise ValueError("boom")

        dockerflow = Dockerflow(app, **kwargs)
        return app, dockerflow

    return factory
