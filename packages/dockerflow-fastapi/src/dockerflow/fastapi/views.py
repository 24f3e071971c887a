"""The Dockerflow endpoints, as FastAPI path operations (see :data:`dockerflow.fastapi.router`).

``/__lbheartbeat__`` (:func:`lbheartbeat`)
    ``200 {"status": "ok"}`` while the process is up; touches no backing service.
``/__heartbeat__`` (:func:`heartbeat`)
    runs the checks registered with :func:`dockerflow.checks.register`; ``200`` while
    the worst level is below ``ERROR``, otherwise
    ``app.state.DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE`` (``500``).
``/__version__`` (:func:`version`)
    ``version.json`` from ``app.state.APP_DIR``, else the ``APP_DIR`` environment
    variable, else ``/app``; ``404`` with a JSON error when there is none.
``/__error__`` (:func:`error`)
    logs an ``ERROR`` and raises, to test error reporting (``404`` when
    ``app.state.DOCKERFLOW_ENABLE_ERROR_ENDPOINT`` is false).

The heartbeat reads its settings from ``app.state`` at every request:
``DOCKERFLOW_CHECK_TIMEOUT`` (seconds each check may run, 5),
``DOCKERFLOW_HEARTBEAT_CACHE_TTL`` (seconds results are reused, 0),
``DOCKERFLOW_HEARTBEAT_INCLUDE_DETAILS`` (``checks`` and ``details`` in the body, true)
and ``DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE``.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from .. import checks
from ..heartbeat import HeartbeatRunner, broken_heartbeat_response
from ..request import raise_error_endpoint
from ..version import get_version, load_version_async
from ._state import app_state_getter, read_app_settings

__all__ = ["checks", "error", "get_version", "heartbeat", "lbheartbeat", "runner", "version"]

#: Runs the heartbeat's checks: concurrent heartbeats of this process share one run,
#: and ``DOCKERFLOW_HEARTBEAT_CACHE_TTL`` reuses its results.
runner = HeartbeatRunner()

_LOGGER_NAME = __name__


def __getattr__(name: str) -> Any:
    # ``views.logger`` without creating it at import (``dictConfig`` would disable it).
    if name == "logger":
        return logging.getLogger(_LOGGER_NAME)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def lbheartbeat() -> dict[str, str]:
    """``/__lbheartbeat__``: the process is up."""
    return {"status": "ok"}


async def heartbeat(request: Request, response: Response) -> dict[str, Any]:
    """``/__heartbeat__``: run the registered checks and report their status.

    Sync checks run on core's bounded check threads, async checks on the loop; each is
    bounded by ``DOCKERFLOW_CHECK_TIMEOUT``, and a check that raises or hangs is reported
    as an error (``dockerflow.health.E100``/``E101``) instead of breaking the heartbeat.
    A setting that cannot be used answers a JSON ``500`` and logs why.
    """
    try:
        settings = read_app_settings(request.app)
        answer = await runner.respond_async(list(checks.get_checks().items()), settings)
    except Exception as exc:
        answer = broken_heartbeat_response(exc)
    response.status_code = answer.status_code
    return answer.payload


def _version_root(app: Any) -> str:
    root = app_state_getter(app)("APP_DIR", None)
    if root:
        return str(os.fspath(root))
    return os.getenv("APP_DIR") or "/app"


async def version(request: Request) -> Response:
    """``/__version__``: the contents of ``version.json``.

    The file is read on a worker thread, never on the event loop. ``404`` with
    ``{"status": "error", ...}`` when there is no file, ``500`` (and one logged error)
    when it is not a JSON object.
    """
    status, body = await load_version_async(get_version, _version_root(request.app))
    return JSONResponse(body, status_code=status)


def error(request: Request) -> None:
    """``/__error__``: log an ``ERROR``, then raise, to test error reporting."""
    if not read_app_settings(request.app).enable_error_endpoint:
        raise HTTPException(status_code=404)
    # A ``logger`` set on this module (a test's ``mock.patch``) is used, as the
    # reference library's module-level logger would be.
    patched: logging.Logger | None = globals().get("logger")
    raise_error_endpoint(patched if patched is not None else logging.getLogger(_LOGGER_NAME))
