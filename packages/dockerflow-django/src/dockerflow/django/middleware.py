"""The Dockerflow middleware: the health endpoints and one ``request.summary`` per request.

Add it to ``MIDDLEWARE``, near the top so it also times the middleware below it::

    MIDDLEWARE = [
        "dockerflow.django.middleware.DockerflowMiddleware",
        "django.middleware.security.SecurityMiddleware",
        ...
    ]

It answers ``/__version__``, ``/__heartbeat__``, ``/__lbheartbeat__`` and
``/__error__`` (with or without a trailing slash) itself, before URL resolution,
so they need no urlconf entry. Every other request gets a request id and, once the
response is ready, one ``request.summary`` log record with these fields:

=============== ==========================================================================
``errno``       ``0``, or ``500`` when the view raised (the record is then logged at
                ``ERROR`` with the traceback, once)
``code``        the HTTP status of the response
``agent``       the ``User-Agent`` header
``lang``        the ``Accept-Language`` header
``method``      the HTTP method
``path``        the request path
``uid``         the authenticated user's primary key, or ``""``
``rid``         the request id
``t``           milliseconds spent below this middleware
``querystring`` the decoded query string, only with ``DOCKERFLOW_SUMMARY_LOG_QUERYSTRING``
=============== ==========================================================================

The request id is read from the ``DOCKERFLOW_REQUEST_ID_HEADER_NAME`` header
(``X-Request-ID``) when it is a safe value, and generated otherwise. It is set as
``request.request_id`` (and ``request._id``, as the reference library did) and in
:data:`dockerflow.request.request_id_context` while the request is handled, so
:class:`dockerflow.logging.RequestIdLogFilter` puts it on every log record.

The middleware works under WSGI and ASGI. Under ASGI it is a coroutine end to end:
the endpoints and the summary need no thread hop.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings  # type: ignore[import-untyped]
from django.core.signals import setting_changed  # type: ignore[import-untyped]
from django.utils.functional import SimpleLazyObject, empty  # type: ignore[import-untyped]

from dockerflow.config import DEFAULT_REQUEST_ID_HEADER, ConfigurationError, parse_bool
from dockerflow.request import (
    elapsed_ms,
    get_or_generate_request_id,
    log_summary,
    request_id_context,
    summary_fields,
)

from . import views

__all__ = ["DockerflowMiddleware"]

_View = Callable[[Any], Any]
_AsyncView = Callable[[Any], Awaitable[Any]]

_ENDPOINTS: dict[str, tuple[_View, _AsyncView]] = {}
for _name, _sync, _async in (
    ("__version__", views.version, views.version_async),
    ("__heartbeat__", views.heartbeat, views.heartbeat_async),
    ("__lbheartbeat__", views.lbheartbeat, views.lbheartbeat_async),
    ("__error__", views.error, views.error_async),
):
    _ENDPOINTS[f"/{_name}"] = _ENDPOINTS[f"/{_name}/"] = (_sync, _async)
_ERROR_PATHS = frozenset({"/__error__", "/__error__/"})

#: Where the exception a view raised is kept on the request, for the summary.
_EXCEPTION_ATTR = "_dockerflow_exception"

_AUTH_MIDDLEWARE_MODULE = "django.contrib.auth.middleware"
_object_getattribute = object.__getattribute__


@functools.lru_cache(maxsize=32)
def _meta_key(header_name: Any) -> str:
    """The ``request.META`` key of a header (``X-Request-ID`` -> ``HTTP_X_REQUEST_ID``)."""
    name = header_name.strip() if isinstance(header_name, str) else ""
    return "HTTP_" + (name or DEFAULT_REQUEST_ID_HEADER).upper().replace("-", "_")


def _uid(user: Any) -> Any:
    try:
        return user.pk if user.is_authenticated else ""
    except Exception:  # the summary must never break a response (e.g. session store down)
        return ""


def _is_stock_lazy_user(user: Any) -> bool:
    """Whether ``user`` is the lazy user of Django's own ``AuthenticationMiddleware``,
    not loaded yet."""
    if type(user) is not SimpleLazyObject:
        return False
    # Read the proxy's own attributes directly: LazyObject's __getattribute__ is slow.
    state = _object_getattribute(user, "__dict__")
    if state.get("_wrapped") is not empty:
        return False
    setup = state.get("_setupfunc")
    return getattr(setup, "__module__", None) == _AUTH_MIDDLEWARE_MODULE and getattr(
        setup, "__qualname__", ""
    ).startswith("AuthenticationMiddleware.")


def _surely_anonymous(request: Any, user: Any, *, may_load_session: bool) -> bool:
    """Whether ``user``, Django's own lazy user not loaded yet, is anonymous, decided
    without loading it: it can only be authenticated when the session holds a user
    id. Loading it costs far more (user model lookup, backend, an exception inside).

    :param may_load_session: whether reading the session may hit its store (not
        from async code); without it, only a request without session cookie counts.
    """
    if not _is_stock_lazy_user(user):
        return False
    try:
        session = request.session
        if not may_load_session and session.session_key is not None:
            return False
        return _session_key() not in session
    except Exception:
        return False


@functools.cache
def _session_key() -> str:
    """The session key holding the logged-in user's id (``_auth_user_id``)."""
    from django.contrib.auth import SESSION_KEY  # type: ignore[import-untyped]

    return str(SESSION_KEY)


def _request_uid(request: Any) -> Any:
    """The authenticated user's primary key, or ``""``."""
    user = getattr(request, "user", None)
    if user is None or _surely_anonymous(request, user, may_load_session=True):
        return ""
    return _uid(user)


class _RequestSettings:
    """The two settings read on every request, kept until a setting changes.

    Reading a setting that is not defined costs microseconds (an exception inside
    ``LazySettings``); they are read on the first request and again after
    ``override_settings`` (Django's ``setting_changed`` signal) changes a
    ``DOCKERFLOW_*`` setting.
    """

    __slots__ = ("meta_key", "querystring")

    def __init__(self) -> None:
        #: The ``request.META`` key of the request-id header.
        self.meta_key = _meta_key(getattr(settings, "DOCKERFLOW_REQUEST_ID_HEADER_NAME", None))
        flag = getattr(settings, "DOCKERFLOW_SUMMARY_LOG_QUERYSTRING", False)
        #: Whether ``request.summary`` carries the query string.
        self.querystring = False
        try:
            self.querystring = parse_bool("DOCKERFLOW_SUMMARY_LOG_QUERYSTRING", flag)
        except ConfigurationError:
            # A typo in a logging flag must not turn every request into a 500.
            logging.getLogger("dockerflow.django").exception(
                "Ignoring DOCKERFLOW_SUMMARY_LOG_QUERYSTRING: the query string is not logged"
            )


_current: _RequestSettings | None = None


def _request_settings() -> _RequestSettings:
    global _current
    current = _current
    if current is None:
        current = _current = _RequestSettings()
    return current


def _forget_settings(*, setting: str, **kwargs: Any) -> None:
    global _current
    if setting.startswith("DOCKERFLOW_"):
        _current = None


setting_changed.connect(_forget_settings, dispatch_uid="dockerflow.django.middleware")


class DockerflowMiddleware:
    """Serve the Dockerflow endpoints and log ``request.summary`` (see the module
    documentation)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        if get_response is None:
            raise ValueError("get_response must be provided.")
        self.get_response = get_response
        #: Whether Django built this middleware into an async (ASGI) chain.
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    # -- WSGI ---------------------------------------------------------------------------

    def __call__(self, request: Any) -> Any:
        if self.is_async:
            return self.__acall__(request)
        endpoint = _ENDPOINTS.get(request.path_info)
        if endpoint is not None and self._serves(request):
            return endpoint[0](request)
        start = time.perf_counter()
        rid = self._request_id(request)
        token = request_id_context.set(rid)
        try:
            try:
                response = self.get_response(request)
            except BaseException as exc:
                self._log(request, None, rid, start, exc, _request_uid(request))
                raise
            self._log(request, response, rid, start, None, _request_uid(request))
        finally:
            request_id_context.reset(token)
        return response

    # -- ASGI ---------------------------------------------------------------------------

    async def __acall__(self, request: Any) -> Any:
        endpoint = _ENDPOINTS.get(request.path_info)
        if endpoint is not None and self._serves(request):
            return await endpoint[1](request)
        start = time.perf_counter()
        rid = self._request_id(request)
        token = request_id_context.set(rid)
        try:
            try:
                response = await self.get_response(request)
            except BaseException as exc:
                self._log(request, None, rid, start, exc, await self._auid(request))
                raise
            self._log(request, response, rid, start, None, await self._auid(request))
        finally:
            request_id_context.reset(token)
        return response

    @staticmethod
    async def _auid(request: Any) -> Any:
        """The user id without blocking the event loop: a user that
        ``AuthenticationMiddleware`` has not loaded yet is loaded the async way."""
        user = getattr(request, "user", None)
        if user is None or _surely_anonymous(request, user, may_load_session=False):
            return ""
        if not isinstance(user, SimpleLazyObject) or user._wrapped is not empty:
            return _uid(user)
        if hasattr(request, "auser"):  # Django 5.0+
            try:
                return _uid(await request.auser())
            except Exception:
                return ""
        return await sync_to_async(_uid)(user)

    # -- Django's exception hook --------------------------------------------------------

    def process_exception(self, request: Any, exception: Exception) -> None:
        """Remember that the view raised, for the summary; Django still handles it."""
        setattr(request, _EXCEPTION_ATTR, exception)

    # -- internals ----------------------------------------------------------------------

    @staticmethod
    def _serves(request: Any) -> bool:
        return request.path_info not in _ERROR_PATHS or views.error_endpoint_enabled()

    @staticmethod
    def _request_id(request: Any) -> str:
        rid = get_or_generate_request_id(request.META, _request_settings().meta_key)
        request.request_id = request._id = rid
        return rid

    @staticmethod
    def _log(
        request: Any,
        response: Any,
        rid: str,
        start: float,
        exc: BaseException | None,
        uid: Any,
    ) -> None:
        if exc is None:
            exc = request.__dict__.pop(_EXCEPTION_ATTR, None)
        meta = request.META
        querystring = None
        if _request_settings().querystring:
            querystring = unquote(meta.get("QUERY_STRING", ""))
        fields = summary_fields(
            method=request.method,
            path=request.path,
            agent=meta.get("HTTP_USER_AGENT", ""),
            lang=meta.get("HTTP_ACCEPT_LANGUAGE", ""),
            uid=uid,
            rid=rid,
            t=elapsed_ms(start),
            errno=0 if exc is None else 500,
            code=None if response is None else response.status_code,
            querystring=querystring,
        )
        log_summary(fields, exc)
