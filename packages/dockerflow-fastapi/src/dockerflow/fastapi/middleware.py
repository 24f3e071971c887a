"""The two ASGI middlewares of the FastAPI integration.

Add both to the app, the summary logger first, so that the request id is set
before the summary logger (and everything inside it) runs::

    from fastapi import FastAPI
    from dockerflow.fastapi import router
    from dockerflow.fastapi.middleware import MozlogRequestSummaryLogger, RequestIdMiddleware

    app = FastAPI()
    app.include_router(router)
    app.add_middleware(MozlogRequestSummaryLogger)
    app.add_middleware(RequestIdMiddleware)

Both are plain ASGI middlewares (never Starlette's ``BaseHTTPMiddleware``): the
request and response messages pass through untouched, so streaming responses,
background tasks and server-sent events behave as without them. Only ``http``
scopes are looked at; ``websocket`` and ``lifespan`` scopes go straight to the app.
When the app starts (its ``lifespan`` scope), the settings below and those of the
endpoints are looked at once: each one the endpoints could not use is logged as a
``WARNING`` on ``dockerflow.fastapi`` (see :func:`dockerflow.config.warn_about_settings`).

Settings are read from ``app.state`` for every request, so they may change at run
time:

``DOCKERFLOW_REQUEST_ID_HEADER_NAME``
    the header carrying the request id (default ``X-Request-ID``).
``DOCKERFLOW_SUMMARY_LOG_QUERYSTRING``
    add the (unquoted) query string to ``request.summary`` as ``querystring``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable
from typing import Any
from urllib.parse import unquote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..config import DEFAULT_REQUEST_ID_HEADER, parse_bool
from ..logging import MozlogHandler, get_or_generate_request_id, request_id_context
from ..request import (
    elapsed_ms,
    exception_message,
    generate_request_id,
    get_summary_logger,
    is_valid_request_id,
    log_summary,
    summary_fields,
)
from ._state import app_state_getter, warn_about_app_settings

__all__ = [
    "MozlogHandler",
    "MozlogRequestSummaryLogger",
    "RequestIdMiddleware",
    "get_or_generate_request_id",
    "request_id_context",
]

# The type names the reference's module exposes (from asgiref, which we do not need):
# the same ASGI types, as Starlette spells them.
ASGI3Application = ASGIApp
ASGIReceiveCallable = Receive
ASGISendCallable = Send
ASGISendEvent = Message

_DEFAULT_HEADER = DEFAULT_REQUEST_ID_HEADER.lower().encode("latin-1")
_set_request_id = request_id_context.set
_summary_logger = get_summary_logger
_get_request_id = request_id_context.get


def _setting(scope: Scope, name: str) -> Any:
    """The value of ``name`` on ``app.state`` of the app serving ``scope`` (or ``None``)."""
    app = scope.get("app")
    try:
        return app.state._state.get(name)  # type: ignore[union-attr]  # Starlette's State
    except AttributeError:
        return app_state_getter(app)(name, None)


def _header_key(name: Any) -> bytes:
    """The lowercase ASGI name of the configured request-id header. A value that cannot
    be a header name falls back to ``X-Request-ID``, so requests keep getting ids (the
    heartbeat answers a JSON 500 naming a setting that is not a string)."""
    if isinstance(name, str) and name.strip():
        try:
            return name.strip().lower().encode("latin-1")
        except UnicodeEncodeError:
            pass
    return _DEFAULT_HEADER


class RequestIdMiddleware:
    """Give every HTTP request an id, for the request's log records.

    The id is the value of the ``X-Request-ID`` header (or the header named by
    ``app.state.DOCKERFLOW_REQUEST_ID_HEADER_NAME``) when it is safe to log: at most
    128 characters of ASCII letters, digits and ``-_.:``. A missing or unsafe value
    (too long, control characters, spaces, non-ASCII) is replaced by a new UUID4 and
    never logged.

    The id is set in :data:`dockerflow.request.request_id_context` (also importable from
    :mod:`dockerflow.logging`) for the rest of the request, so
    :class:`~dockerflow.request.RequestIdLogFilter` puts it on every record logged while
    the request is handled (as ``rid``), the ``request.summary`` and the server's own
    traceback of an unhandled exception included.

    :param app: the ASGI app to wrap (Starlette passes it).
    """

    def __init__(self, app: ASGIApp) -> None:
        #: The wrapped ASGI app.
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                warn_about_app_settings(scope.get("app"))
            await self.app(scope, receive, send)
            return
        header = _setting(scope, "DOCKERFLOW_REQUEST_ID_HEADER_NAME")
        key = _DEFAULT_HEADER if header is None else _header_key(header)
        value: bytes | None = None
        # ASGI servers give header names in lowercase (Starlette's Headers rely on it).
        for name, raw in scope["headers"]:
            if name == key:
                value = raw  # the last one wins, as in a dict of the headers
        rid = None if value is None else value.decode("latin-1")
        # Not reset afterwards: ASGI servers run each request in a task of its own, and
        # the server's traceback of a failed request is logged after we return.
        _set_request_id(rid if is_valid_request_id(rid) else generate_request_id())
        await self.app(scope, receive, send)


def _log_querystring(flag: Any) -> bool:
    if flag is None or flag is False or flag is True:
        return flag is True
    try:
        return parse_bool("DOCKERFLOW_SUMMARY_LOG_QUERYSTRING", flag)
    except ValueError:  # the summary is never lost to a setting: true as Python sees it
        return bool(flag)


def _default_logger() -> logging.Logger:
    """The ``request.summary`` logger, with one :class:`MozlogHandler` writing to stdout
    when it has no handler of its own (however many middlewares are built)."""
    logger = get_summary_logger()
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
    if not logger.handlers:
        handler = MozlogHandler()
        handler.setLevel(logging.INFO)
        logger.addHandler(handler)
    return logger


class MozlogRequestSummaryLogger:
    """Log one ``request.summary`` record per HTTP request.

    The record's fields: ``errno`` (``0``, or ``500`` when the app raised), ``code``
    (the response's HTTP status; ``500`` when the app raised), ``agent``
    (``User-Agent``, ``""`` when missing), ``lang`` (``Accept-Language``, ``None``
    when missing), ``method``, ``path``, ``uid`` (``""``), ``rid`` (the request id set
    by :class:`RequestIdMiddleware`), ``t`` (milliseconds, from a monotonic clock) and,
    when ``app.state.DOCKERFLOW_SUMMARY_LOG_QUERYSTRING`` is true, ``querystring``.
    It is logged at ``INFO``, or at ``ERROR`` with the exception when the app raised
    (the exception is then raised on, to the server).

    :param app: the ASGI app to wrap (Starlette passes it).
    :param logger: the logger to log on. By default the ``request.summary`` logger:
        when it has no handler yet, it gets one :class:`~dockerflow.logging.MozlogHandler`
        writing mozlog JSON to stdout (and level ``INFO`` when it has none). A logger
        configured beforehand (``logging.config.dictConfig``) is left as it is, and
        building the middleware again (a second app, a rebuilt middleware stack) never
        adds a second handler.
    """

    def __init__(self, app: ASGIApp, logger: logging.Logger | None = None) -> None:
        #: The wrapped ASGI app.
        self.app = app
        #: The logger of the summary records.
        self.logger = _default_logger() if logger is None else logger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                warn_about_app_settings(scope.get("app"))
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status: int | None = None
        started: Message | None = None

        def send_and_note_status(message: Message) -> Awaitable[None]:
            # Not a coroutine of its own: it hands back the server's ``send(message)``
            # awaitable, for the caller to await (one coroutine less per message).
            nonlocal status, started
            if status is None and message["type"] == "http.response.start":
                status = message["status"]
                started = message
            return send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        except Exception as exc:
            if _own_hooks(self):
                self._log_failure(scope, 500, start, exc)
            else:
                self._log(scope, _info(started, start, exc))
            raise
        except BaseException:
            # Cancelled (the client went away, the server is stopping): the request still
            # gets its summary, with the status sent so far (None when there was none).
            self._log_success(scope, status, start, started)
            raise
        self._log_success(scope, status, start, started)

    def _log_success(
        self, scope: Scope, status: int | None, start: float, started: Message | None = None
    ) -> None:
        if not _own_hooks(self):
            self._log(scope, _info(started, start))
            return
        fields = self.summary_extra(scope, status, start)  # built even when the logger is off
        logger = self.logger
        if logger is _summary_logger():
            log_summary(fields)  # the fast path (log_summary checks the level itself)
        else:
            logger.info("", extra=fields)

    # The reference's two hooks, for a subclass that overrides them. Only then are they
    # called (checked for every request, so a patch counts too); otherwise the middleware
    # does their work without building ``info``.

    def _log(self, scope: Scope, info: dict[str, Any]) -> None:
        """Log the summary of the request ``scope``, from the fields :meth:`_format`
        builds: at ``INFO``, or at ``ERROR`` with the exception when the app raised
        (``info["exception"]``).

        :param info: what is known of the request, as the reference library passes it:
            ``request_headers`` (filled by :meth:`_format`), ``response`` (the
            ``http.response.start`` message, ``{}`` when none was sent; its ``status``
            is 500 when the app raised), ``start_time`` and ``end_time``
            (:func:`time.time` readings), and ``exception`` when the app raised.
        """
        fields = self._format(scope, info)
        exc = info.get("exception")
        if exc is None:
            log_summary(fields, logger=self.logger)
        else:
            fields["errno"] = 500
            self._log_error(fields, exc)

    def _format(self, scope: Scope, info: dict[str, Any]) -> dict[str, Any]:
        """The fields of the summary of the request ``scope`` (:meth:`summary_extra`),
        with the request's headers put in ``info["request_headers"]`` (lowercase names),
        as the reference library does: override it to add fields."""
        headers = info.setdefault("request_headers", {})
        for name, value in scope["headers"]:
            headers[name.decode("latin-1").lower()] = value.decode("latin-1")
        return self.summary_extra(
            scope,
            info.get("response", {}).get("status"),
            info["dockerflow_start"],
            info.get("exception"),
        )

    def summary_extra(
        self, scope: Scope, status: int | None, start: float, exc: BaseException | None = None
    ) -> dict[str, Any]:
        """Build the fields of the ``request.summary`` record of the request ``scope``.

        :param status: the HTTP status the app answered with (``None`` when it sent
            no response).
        :param start: the ``time.perf_counter()`` reading when the request arrived.
        :param exc: the exception the app raised, if any.

        Override it in a subclass to add fields.
        """
        agent = ""
        lang: str | None = None
        for name, value in scope["headers"]:  # lowercase names, per the ASGI spec
            if name == b"user-agent":
                agent = value.decode("latin-1")
            elif name == b"accept-language":
                lang = value.decode("latin-1")
        querystring = None
        if _log_querystring(_setting(scope, "DOCKERFLOW_SUMMARY_LOG_QUERYSTRING")):
            querystring = unquote(scope.get("query_string", b"").decode("latin-1"))
        return summary_fields(
            method=scope["method"],
            path=scope["path"],
            agent=agent,
            lang=lang,
            uid="",
            rid=_get_request_id(),
            t=elapsed_ms(start),
            errno=0 if exc is None else 500,
            code=500 if exc is not None else status,
            querystring=querystring,
        )

    def _log_failure(
        self, scope: Scope, status: int | None, start: float, exc: BaseException
    ) -> None:
        # A request that raised: ERROR, with the exception.
        self._log_error(self.summary_extra(scope, status, start, exc), exc)

    def _log_error(self, fields: dict[str, Any], exc: BaseException) -> None:
        logger = self.logger
        if logger is _summary_logger():
            log_summary(fields, exc)
        else:
            logger.error("%s", exception_message(exc), exc_info=exc, extra=fields)


def _info(
    started: Message | None, start: float, exc: BaseException | None = None
) -> dict[str, Any]:
    """The reference library's ``info`` of a request, for an overridden ``_log`` or
    ``_format``: the response's start message (its ``status`` set to 500 when the app
    raised, as the reference sets it), the wall-clock start and end, and ours: the
    monotonic start (``dockerflow_start``) and the exception."""
    end = time.time()
    response: Any = started if started is not None else {}
    info: dict[str, Any] = {
        "request_headers": {},
        "response": response,
        "start_time": end - (time.perf_counter() - start),
        "end_time": end,
        "dockerflow_start": start,
    }
    if exc is not None:
        response["status"] = 500
        info["exception"] = exc
    return info


_own_log = MozlogRequestSummaryLogger._log
_own_format = MozlogRequestSummaryLogger._format


def _own_hooks(middleware: MozlogRequestSummaryLogger) -> bool:
    """Whether the ``_log`` and ``_format`` that ``middleware`` would call are the ones
    defined here (the bound methods, so a patch on the instance counts too)."""
    return (
        getattr(middleware._log, "__func__", None) is _own_log
        and getattr(middleware._format, "__func__", None) is _own_format
    )
