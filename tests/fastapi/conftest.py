"""Fixtures for the FastAPI tests.

* ``make_app``: a FastAPI app set up as the reference documentation shows (the router,
  then ``MozlogRequestSummaryLogger`` and ``RequestIdMiddleware``), optionally with
  ``app.state`` settings.
* The ``request.summary`` logger is put back as it was after every test (the summary
  middleware gives it a handler when it has none), and the process-wide checks are
  cleared, so tests do not see each other's checks or handlers.
* ``caplog`` gets :class:`~dockerflow.logging.RequestIdLogFilter` on its handler.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI

from dockerflow.checks import default_registry
from dockerflow.fastapi import router
from dockerflow.fastapi.middleware import MozlogRequestSummaryLogger, RequestIdMiddleware
from dockerflow.fastapi.views import runner
from dockerflow.logging import RequestIdLogFilter


@pytest.fixture(autouse=True)
def _isolation() -> Iterator[None]:
    summary = logging.getLogger("request.summary")
    saved = (list(summary.handlers), summary.level, summary.propagate, summary.disabled)
    checks = dict(default_registry.get_checks())
    default_registry.clear()
    runner.clear_cache()
    yield
    default_registry.clear()
    default_registry.get_checks().update(checks)
    runner.clear_cache()
    summary.handlers[:] = saved[0]
    summary.setLevel(saved[1])
    summary.propagate, summary.disabled = saved[2], saved[3]


@pytest.fixture
def anyio_backend() -> str:
    """``async def`` tests (``@pytest.mark.anyio``) run on asyncio, as uvicorn does."""
    return "asyncio"


@pytest.fixture
def caplog(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.handler.addFilter(RequestIdLogFilter())
    caplog.set_level(logging.INFO)
    return caplog


@pytest.fixture
def make_app() -> Callable[..., FastAPI]:
    """``make_app(**state)``: a FastAPI app with the Dockerflow router and middlewares."""

    def factory(**state: Any) -> FastAPI:
        app = FastAPI()
        app.include_router(router)
        app.add_middleware(MozlogRequestSummaryLogger)
        app.add_middleware(RequestIdMiddleware)
        for name, value in state.items():
            setattr(app.state, name, value)
        return app

    return factory


@pytest.fixture
def summaries(caplog: pytest.LogCaptureFixture) -> Callable[[], list[logging.LogRecord]]:
    """``summaries()``: the ``request.summary`` records captured so far."""
    return lambda: [r for r in caplog.records if r.name == "request.summary"]
