"""The Dockerflow middleware: the health endpoints and one ``request.summary`` per request.

Add it to ``MIDDLEWARE``, near the top so it also times the middleware below it::

    MIDDLEWARE = [
        "dockerflow.django.middleware.DockerflowMiddleware",
        "django.middleware.security.SecurityMiddleware",
        ...
    ]

It answers ``/__version__``, ``/__heartbeat__``, ``/__lbheartbeat__`` and
``/__error__`` (with or without a trailing slash) itself, before URL resolution,
so they need no urlconf entry. Every request, these included, gets a request id
and one ``request.summary`` log record with these fields:

=============== ==========================================================================
``errno``       ``0``, or ``500`` when the view raised (the record is then logged at
                ``ERROR``, once, with the exception's text as its message)
``code``        the HTTP status of the response (for an exception: the status Django
                answers it with, e.g. 404 for ``Http404``)
``agent``       the ``User-Agent`` header
``lang``        the ``Accept-Language`` header
``method``      the HTTP method
``path``        the request path
``uid``         the authenticated user's primary key, or ``""``
``rid``         the request's id
``t``           milliseconds spent below this middleware
``querystring`` the decoded query string, only with ``DOCKERFLOW_SUMMARY_LOG_QUERYSTRING``
=============== ==========================================================================

The request id is read from the ``DOCKERFLOW_REQUEST_ID_HEADER_NAME`` header
(``X-Request-ID``) when it is a safe value, and generated otherwise. It is set as
``request.request_id`` (and ``request._id``, as the reference library did) and in
:data:`dockerflow.request.request_id_context` when the request comes in, so
:class:`dockerflow.logging.RequestIdLogFilter` puts it on every log record, those
of the Dockerflow endpoints included.

The middleware works under WSGI and ASGI. Under ASGI it runs in the event loop:
the endpoints and the summary need no thread hop.
"""

from __future__ import annotations

import functools
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar
from urllib.parse import unquote

from asgiref.sync import sync_to_async
from django.conf import Settings, UserSettingsHolder, settings  # type: ignore[import-untyped]
from django.core.exceptions import (  # type: ignore[import-untyped]
    BadRequest,
    PermissionDenied,
    SuspiciousOperation,
)
from django.http import Http404  # type: ignore[import-untyped]
from django.http.multipartparser import MultiPartParserError  # type: ignore[import-untyped]
from django.utils.deprecation import MiddlewareMixin  # type: ignore[import-untyped]
from django.utils.functional import SimpleLazyObject, empty  # type: ignore[import-untyped]

from dockerflow.config import DEFAULT_REQUEST_ID_HEADER, ConfigurationError, parse_bool
from dockerflow.request import (
    elapsed_ms,
    exception_message,
    get_or_generate_request_id,
    get_summary_logger,
    log_summary,
    request_id_context,
    summary_fields,
)

from . import views

__all__ = ["DockerflowMiddleware", "extract_request_id"]

_View = Callable[[Any], Any]
_AsyncView = Callable[[Any], Awaitable[Any]]

#: The Dockerflow paths and their views, as the reference library listed them: the
#: default of :attr:`DockerflowMiddleware.viewpatterns`.
_DEFAULT_VIEWPATTERNS: tuple[tuple[re.Pattern[str], _View], ...] = (
    (re.compile(r"/__version__/?$"), views.version),
    (re.compile(r"/__heartbeat__/?$"), views.heartbeat),
    (re.compile(r"/__lbheartbeat__/?$"), views.lbheartbeat),
    (re.compile(r"/__error__/?$"), views.error),
)

#: The async twin of each sync view, for ASGI.
_ASYNC_TWINS: dict[_View, _AsyncView] = {
    views.version: views.version_async,
    views.heartbeat: views.heartbeat_async,
    views.lbheartbeat: views.lbheartbeat_async,
    views.error: views.error_async,
}

#: The default patterns as a path lookup: every path they match, without the regex.
#: ``$`` also matches before a final newline, so ``/__version__\n`` (``%0A`` decoded
#: by the server) is one of them.
_ENDPOINTS: dict[str, _View] = {}
for _name, _view in (
    ("__version__", views.version),
    ("__heartbeat__", views.heartbeat),
    ("__lbheartbeat__", views.lbheartbeat),
    ("__error__", views.error),
):
    for _path in (f"/{_name}", f"/{_name}/"):
        _ENDPOINTS[_path] = _ENDPOINTS[_path + "\n"] = _view

#: :attr:`DockerflowMiddleware.viewpatterns` as it is by default, to compare with.
_DEFAULT_PATTERN_LIST = list(_DEFAULT_VIEWPATTERNS)

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


#: The code of the function behind Django's own lazy user, once recognised.
_stock_setup_code: Any = None


def _is_stock_lazy_user(user: Any) -> bool:
    """Whether ``user`` is the lazy user of Django's own ``AuthenticationMiddleware``,
    not loaded yet."""
    global _stock_setup_code
    if type(user) is not SimpleLazyObject:
        return False
    # Read the proxy's own attributes directly: LazyObject's __getattribute__ is slow.
    state = _object_getattribute(user, "__dict__")
    if state.get("_wrapped") is not empty:
        return False
    setup = state.get("_setupfunc")
    code = getattr(setup, "__code__", None)
    if code is not None and code is _stock_setup_code:
        return True
    stock = getattr(setup, "__module__", None) == _AUTH_MIDDLEWARE_MODULE and getattr(
        setup, "__qualname__", ""
    ).startswith("AuthenticationMiddleware.")
    if stock and code is not None:
        _stock_setup_code = code
    return stock


#: Whether each session class reads its data as Django's ``SessionBase`` does.
_stock_session_classes: dict[type, bool] = {}


def _is_stock_session(session: Any) -> bool:
    cls = type(session)
    stock = _stock_session_classes.get(cls)
    if stock is None:
        from django.contrib.sessions.backends.base import (  # type: ignore[import-untyped]
            SessionBase,
        )

        stock = _stock_session_classes[cls] = (
            isinstance(session, SessionBase)
            and cls.__contains__ is SessionBase.__contains__
            and cls._session is SessionBase._session
            and cls.session_key is SessionBase.session_key
            and cls._get_session_key is SessionBase._get_session_key
        )
    return stock


def _surely_anonymous(request: Any, user: Any, *, may_load_session: bool) -> bool:
    """Whether ``user``, Django's own lazy user not loaded yet, is anonymous, decided
    without loading it: it can only be authenticated when the session holds a user
    id. Loading it costs far more (user model lookup, backend, an exception inside).

    A session of Django's own classes that nothing has read or written yet during
    the request and that has no key (no session cookie) is empty: that is decided
    without loading it (it is marked accessed, as reading it would).

    :param may_load_session: whether reading the session may hit its store (not
        from async code); without it, only a request without session cookie counts.
    """
    if not _is_stock_lazy_user(user):
        return False
    try:
        session = request.session
        if (
            _is_stock_session(session)
            and "_session_cache" not in session.__dict__
            and session.session_key is None
        ):
            # No stored session, and nothing read or written in it yet. Reading it
            # would mark it accessed (SessionMiddleware then adds ``Vary: Cookie``
            # when it answers after us): so does this, without the lookup.
            session.accessed = True
            return True
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


_HEADER_SETTING = "DOCKERFLOW_REQUEST_ID_HEADER_NAME"
_QUERYSTRING_SETTING = "DOCKERFLOW_SUMMARY_LOG_QUERYSTRING"


# The two settings read on every request are read as the reference library reads
# them: the header when the request comes in, the flag when its summary is built. So
# a change counts at once (``override_settings``, pytest-django's ``settings``
# fixture, ``mock.patch.object(settings, ...)``, an assignment), read past
# ``LazySettings`` (see _read_setting). What a value means is kept until the value
# changes.

#: The header setting's value, and the ``request.META`` key it means.
_header: tuple[Any, str] = (None, _meta_key(None))
#: The query-string flag's value, and whether it is on.
_querystring: tuple[Any, bool] = (False, False)


#: The ``LazySettings`` instance's own attributes: ``_wrapped`` is read there directly,
#: as ``LazyObject.__getattribute__`` costs a Python call for every attribute.
_lazy_settings_state: dict[str, Any] = _object_getattribute(settings, "__dict__")


def _read_setting(name: str, default: Any) -> Any:
    """``getattr(settings, name, default)``, without the exception ``LazySettings`` and
    ``UserSettingsHolder`` raise inside for a setting that is not defined (microseconds,
    on every request): the holders of ``override_settings`` and ``settings.configure()``
    are walked through their own attributes, down to the settings module or object,
    read at C level."""
    holder = _lazy_settings_state["_wrapped"]
    while type(holder) is UserSettingsHolder:
        own = holder.__dict__
        if name in own:
            return own[name]
        if name in own["_deleted"]:
            return default
        holder = own["default_settings"]
    if type(holder) is Settings:  # Django's own: every setting is one of its attributes
        return holder.__dict__.get(name, default)
    if holder is empty:  # not set up yet: LazySettings does it
        return getattr(settings, name, default)
    return getattr(holder, name, default)


def _header_meta_key() -> str:
    """The ``request.META`` key of the ``DOCKERFLOW_REQUEST_ID_HEADER_NAME`` header."""
    global _header
    value = _read_setting(_HEADER_SETTING, None)
    known = _header
    if known[0] is not value:
        # Not a string (a misconfiguration, W001): the default header.
        known = _header = (value, _meta_key(value if isinstance(value, str) else None))
    return known[1]


def _querystring_logged() -> bool:
    """Whether ``DOCKERFLOW_SUMMARY_LOG_QUERYSTRING`` is on."""
    global _querystring
    value = _read_setting(_QUERYSTRING_SETTING, False)
    known = _querystring
    if known[0] is not value:
        on = False
        try:
            on = parse_bool(_QUERYSTRING_SETTING, value)
        except ConfigurationError:
            # A typo in a logging flag must not turn every request into a 500.
            logging.getLogger("dockerflow.django").exception(
                "Ignoring DOCKERFLOW_SUMMARY_LOG_QUERYSTRING: the query string is not logged"
            )
        known = _querystring = (value, on)
    return known[1]


def _release_request_id() -> None:
    """A finished request releases its id: this is one of the response's closers, which
    Django calls when the response is closed, after its handler logged the response
    (``Not Found: ...``), so those records still carry the id, and the records logged
    after the request (in the same thread under WSGI, in a test after ``client.get()``)
    do not. (A closer costs less than a ``request_finished`` receiver, which every
    request would dispatch to.)"""
    request_id_context.set(None)


def _release_when_closed(response: Any) -> None:
    closers = getattr(response, "_resource_closers", None)
    if type(closers) is list:
        closers.append(_release_request_id)


def _release_when_request_closed(request: Any) -> None:
    """For a request whose response the middleware never sees (its endpoint raised,
    and Django answers outside it): Django's handler makes ``request.close`` one of
    that response's closers."""
    close = request.close

    def close_and_release() -> None:
        try:
            close()
        finally:
            request_id_context.set(None)

    request.close = close_and_release


def extract_request_id(request: Any) -> str:
    """Give ``request`` its request id, and make it the current one.

    The id is read from the ``DOCKERFLOW_REQUEST_ID_HEADER_NAME`` header
    (``X-Request-ID``) when it is a safe value, generated otherwise; it is set as
    ``request.request_id`` and ``request._id`` and in
    :data:`dockerflow.request.request_id_context`. It stays the current id until the
    response is closed, so the records Django logs once the middleware is done
    (``Not Found``, ``Internal Server Error``) carry it too.

    :returns: the request id.
    """
    rid = get_or_generate_request_id(request.META, _header_meta_key())
    request.request_id = request._id = rid
    request_id_context.set(rid)
    return rid


_CLIENT_ERRORS = (SuspiciousOperation, BadRequest, MultiPartParserError)


def _status_of(exception: BaseException) -> int:
    """The status Django answers a view's unhandled ``exception`` with."""
    if isinstance(exception, Http404):
        return 404
    if isinstance(exception, PermissionDenied):
        return 403
    if isinstance(exception, _CLIENT_ERRORS):
        return 400
    return 500


class DockerflowMiddleware(MiddlewareMixin):  # type: ignore[misc]
    """Serve the Dockerflow endpoints and log ``request.summary`` (see the module
    documentation).

    A :class:`~django.utils.deprecation.MiddlewareMixin`, as with the reference
    library, and the work happens in its hooks, which a subclass may extend:

    * :meth:`process_request` gives the request its id and start time, and answers
      the Dockerflow paths (:attr:`viewpatterns`);
    * :meth:`process_response` logs the ``INFO`` summary, unless
      :meth:`process_exception` logged the ``ERROR`` one;
    * ``_build_extra_meta(request)`` builds the summary's fields: override it to change
      them, e.g. to never touch ``request.user``::

          class Middleware(DockerflowMiddleware):
              def _build_extra_meta(self, request):
                  fields = super()._build_extra_meta(request)  # or build them yourself
                  fields["tenant"] = request.tenant.slug
                  return fields

    Under ASGI the middleware runs in the event loop, without a thread hop, as long
    as a subclass (or a patch) replaces none of ``process_request``,
    ``process_response`` and ``_build_extra_meta``; otherwise it calls them in a
    thread, as ``MiddlewareMixin`` does (so they may use the database).
    """

    #: ``(compiled pattern, view)`` pairs: a request whose ``path_info`` matches a
    #: pattern is answered by its view, before URL resolution. The default answers
    #: ``/__version__``, ``/__heartbeat__``, ``/__lbheartbeat__`` and ``/__error__``,
    #: with or without a trailing slash.
    viewpatterns: ClassVar[list[tuple[re.Pattern[str], _View]]] = list(_DEFAULT_VIEWPATTERNS)

    #: The logger of the summaries (``request.summary``).
    summary_logger: logging.Logger

    def __init__(self, get_response: Callable[[Any], Any] | None = None, *args: Any, **kwargs: Any):
        super().__init__(get_response, *args, **kwargs)
        self.summary_logger = get_summary_logger()

    # -- the hooks ----------------------------------------------------------------------

    def process_request(self, request: Any) -> Any:
        """Give the request its id (:func:`extract_request_id`) and start time; answer
        it when its path is a Dockerflow one.

        :returns: the endpoint's response, or ``None`` to let Django go on.
        """
        self._start(request)
        view = self._endpoint(request)
        if view is None:
            return None
        try:
            return view(request)
        except Exception as exc:  # /__error__: its summary, then Django's handling
            self.process_exception(request, exc)
            _release_when_request_closed(request)
            raise

    def process_response(self, request: Any, response: Any) -> Any:
        """Log the ``INFO`` summary, with the response's status as ``code`` (unless
        :meth:`process_exception` logged the summary already)."""
        _release_when_closed(response)
        if getattr(request, "_has_exception", False):
            return response
        # Built even when the logger is off, as with the reference: reading the user
        # id may load the user (a query) and mark the session accessed (Vary: Cookie).
        fields = self._build_extra_meta(request)
        fields["code"] = response.status_code
        self._log(fields)
        return response

    def process_exception(self, request: Any, exception: Exception) -> None:
        """Log the ``ERROR`` summary of a view that raised: ``errno`` 500, the
        exception's text as the message, its traceback; Django then handles the
        exception."""
        fields = self._build_extra_meta(request)
        fields["errno"] = 500
        fields["code"] = _status_of(exception)
        self.summary_logger.error(exception_message(exception), extra=fields, exc_info=exception)
        request._has_exception = True

    def _build_extra_meta(self, request: Any) -> dict[str, Any]:
        """The fields of the request's summary: ``errno``, ``agent``, ``lang``,
        ``method``, ``path``, ``uid``, ``rid``, ``t`` (and ``querystring`` when
        ``DOCKERFLOW_SUMMARY_LOG_QUERYSTRING`` is on). The hooks add ``code``.

        ``uid`` is the only field that may touch ``request.user`` (and so the
        session and the user model); a subclass may override this method to leave
        it out.
        """
        return self._fields(request, _request_uid(request))

    # -- the calls ----------------------------------------------------------------------

    async def __acall__(self, request: Any) -> Any:
        if not _hooks_are_ours(self):
            return await super().__acall__(request)
        self._start(request)
        view = self._endpoint(request)
        if view is None:
            response = await self.get_response(request)
        else:
            answer = _ASYNC_TWINS.get(view) or sync_to_async(view)
            try:
                response = await answer(request)
            except Exception as exc:
                await sync_to_async(self.process_exception, thread_sensitive=True)(request, exc)
                _release_when_request_closed(request)
                raise
        # The hooks are ours here: their work, without the thread hop.
        _release_when_closed(response)
        if not getattr(request, "_has_exception", False):
            fields = self._fields(request, await _auid(request))
            fields["code"] = response.status_code
            self._log(fields)
        return response

    # -- internals ----------------------------------------------------------------------

    @staticmethod
    def _start(request: Any) -> None:
        extract_request_id(request)
        request._start_timestamp = time.time()  # as with the reference library
        request._dockerflow_start = time.perf_counter()

    def _endpoint(self, request: Any) -> _View | None:
        """The view answering this request's path, if it is a Dockerflow one."""
        path = request.path_info
        patterns = self.viewpatterns
        # Read on every request, as a change to them (in place too) counts at once. The
        # default ones are the same four pairs: compared by identity, then looked up.
        if patterns == _DEFAULT_PATTERN_LIST:
            view = _ENDPOINTS.get(path)
        else:
            view = next((v for p, v in patterns if p.match(path)), None)
        if view is views.error and not views.error_endpoint_enabled():
            return None
        return view

    @staticmethod
    def _fields(request: Any, uid: Any) -> dict[str, Any]:
        meta = request.META
        querystring = None
        if _querystring_logged():
            querystring = unquote(meta.get("QUERY_STRING", ""))
        start = getattr(request, "_dockerflow_start", None)
        fields = summary_fields(
            method=request.method,
            path=request.path,
            agent=meta.get("HTTP_USER_AGENT", ""),
            lang=meta.get("HTTP_ACCEPT_LANGUAGE", ""),
            uid=uid,
            rid=getattr(request, "request_id", None) or request_id_context.get(),
            t=0 if start is None else elapsed_ms(start),
            errno=0,
            code=None,
            querystring=querystring,
        )
        if start is None:  # another middleware replaced the request: no start time
            del fields["t"]
        return fields

    def _log(self, fields: dict[str, Any]) -> None:
        """Log an ``INFO`` summary on :attr:`summary_logger`."""
        log_summary(fields, logger=self.summary_logger)


#: The hooks as defined here: when a subclass (or a patch) replaces none of them,
#: ``__acall__`` does their work in the event loop without calling them.
_own_process_request = DockerflowMiddleware.process_request
_own_process_response = DockerflowMiddleware.process_response
_own_build_extra_meta = DockerflowMiddleware._build_extra_meta


def _hooks_are_ours(middleware: DockerflowMiddleware) -> bool:
    """Whether the three hooks ``middleware`` would call are the ones defined here.
    Checked on every request, not once, and on the bound methods, so a hook patched
    later, onto the class or onto the instance (``mock.patch.object``), is called, as
    ``MiddlewareMixin.__acall__`` would call it."""
    return (
        getattr(middleware.process_request, "__func__", None) is _own_process_request
        and getattr(middleware.process_response, "__func__", None) is _own_process_response
        and getattr(middleware._build_extra_meta, "__func__", None) is _own_build_extra_meta
    )


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
