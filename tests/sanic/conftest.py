"""Fixtures for the Sanic tests.

* ``make_app``: a new Sanic app with a unique name (Sanic keeps a registry of app
  names), without Sanic's logging setup so pytest's ``caplog`` keeps working.
* ``caplog`` gets :class:`~dockerflow.logging.RequestIdLogFilter` on its handler, so
  every captured record has ``rid``.
* ``live_server``: runs an app on a real Sanic server on a free loopback port in a
  background thread (one event loop for the server's whole life, as in production),
  to be exercised over HTTP, concurrently, from the test.
"""

from __future__ import annotations

import itertools
import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sanic import Sanic

from dockerflow.checks import default_registry
from dockerflow.logging import RequestIdLogFilter

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from sanic_testkit import LiveServer  # noqa: E402

_names = itertools.count()


@pytest.fixture
def make_app() -> Iterator[Callable[..., Sanic]]:
    """Return a factory of Sanic apps with unique names; unregisters them afterwards."""
    made: list[Sanic] = []

    def factory(**kwargs: Any) -> Sanic:
        kwargs.setdefault("configure_logging", False)
        app = Sanic(f"dockerflow_test_{next(_names)}", **kwargs)
        made.append(app)
        return app

    yield factory
    for app in made:
        Sanic._app_registry.pop(app.name, None)


@pytest.fixture(autouse=True)
def _clean_default_registry() -> Iterator[None]:
    """Every test starts with an empty process-wide registry (the extensions register
    their checks there, as the reference library does) and leaves it as it found it."""
    before = dict(default_registry.get_checks())
    default_registry.clear()
    yield
    default_registry.clear()
    default_registry.get_checks().update(before)


@pytest.fixture
def caplog(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    caplog.handler.addFilter(RequestIdLogFilter())
    return caplog


@pytest.fixture
def live_server() -> Iterator[Callable[[Sanic], LiveServer]]:
    """Return ``start(app) -> LiveServer``; every server started is stopped afterwards."""
    servers: list[LiveServer] = []

    def start(app: Sanic) -> LiveServer:
        server = LiveServer(app).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
