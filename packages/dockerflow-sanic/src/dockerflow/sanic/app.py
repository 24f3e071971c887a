"""The Dockerflow extension for Sanic.

One :class:`Dockerflow` object adds to a Sanic app:

* the Dockerflow endpoints ``/__version__``, ``/__heartbeat__``,
  ``/__lbheartbeat__`` and ``/__error__``, named ``dockerflow.version``,
  ``dockerflow.heartbeat``, ``dockerflow.lbheartbeat`` and ``dockerflow.error`` for
  :meth:`sanic.Sanic.url_for`;
* a request middleware that gives every request an id (``request.ctx.id``, and
  :data:`dockerflow.request.request_id_context` for log records), and one
  ``request.summary`` log record per request;
* the heartbeat signals of :mod:`dockerflow.sanic.signals`.

Settings are read from ``app.config`` when a request needs them, so they can change
at run time (``DOCKERFLOW_CHECK_TIMEOUT``, ``DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE``,
``DOCKERFLOW_HEARTBEAT_CACHE_TTL``, ``DOCKERFLOW_HEARTBEAT_INCLUDE_DETAILS``,
``DOCKERFLOW_SUMMARY_LOG_QUERYSTRING``, ``DOCKERFLOW_REQUEST_ID_HEADER_NAME``,
``DOCKERFLOW_ENABLE_ERROR_ENDPOINT``; see :mod:`dockerflow.config`). Sanic loads
``SANIC_``-prefixed environment variables into ``app.config``, so
``SANIC_DOCKERFLOW_CHECK_TIMEOUT=2`` works out of the box.
"""

from __future__ import annotations

import functools
import inspect
import logging
import time
import warnings
from collections.abc import Callable, Collection
from typing import Any, TypeVar, overload
from urllib.parse import unquote

from sanic import Sanic, response
from sanic.exceptions import NotFound, SanicException
from sanic.request import Request
from sanic.response import BaseHTTPResponse, HTTPResponse

from ..checks import CheckFn, CheckMessage, CheckRegistry, default_registry, registered_checks
from ..config import (
    DockerflowSettings,
    parse_bool,
    parse_seconds,
    read_settings,
    require_object,
    warn_about_settings,
)
from ..heartbeat import HeartbeatRunner, broken_heartbeat_response
from ..request import (
    elapsed_ms,
    get_or_generate_request_id,
    get_summary_logger,
    log_summary,
    raise_error_endpoint,
    request_id_context,
    summary_fields,
)
from ..version import VERSION_NOT_FOUND_TEXT, get_version, load_version_async
from .checks import check_redis_connected
from .signals import HEARTBEAT_FAILED, HEARTBEAT_PASSED

__all__ = ["Dockerflow", "extract_request_id"]

F = TypeVar("F", bound=Callable[..., Any])

#: Our request middleware runs before the app's own (the highest priority wins), so
#: the request id is set before any other middleware logs.
_REQUEST_MIDDLEWARE_PRIORITY = 1_000_000
#: Sanic runs response middleware from the lowest priority up, and stops at the first
#: one that returns a new response: ours runs first, so it is never skipped.
_RESPONSE_MIDDLEWARE_PRIORITY = -1_000_000


def _noop(**context: Any) -> None:
    """Declares a signal event so it can be dispatched and awaited with no listener."""


def _is_server_error(exc: BaseException) -> bool:
    """Whether ``exc`` counts as a failed request (``errno`` 500).

    Sanic's HTTP exceptions below 500 (``NotFound``, ``BadRequest``, ...) are
    answers, not failures.
    """
    if isinstance(exc, SanicException):
        return int(getattr(exc, "status_code", 500) or 500) >= 500
    return True


def _logging_calls(check: CheckFn, name: str) -> CheckFn:
    """``check``, logging ``Called Dockerflow check <name>`` at DEBUG when called (as
    the reference's registered checks do); sync or ``async`` as ``check`` is, with its
    attributes (the registered timeout) kept."""
    logger = logging.getLogger("dockerflow.checks.registry")
    if inspect.iscoroutinefunction(check):

        @functools.wraps(check)
        async def called_async() -> Any:
            logger.debug("Called Dockerflow check %s", name)
            return await check()

        return called_async

    @functools.wraps(check)
    def called() -> Any:
        logger.debug("Called Dockerflow check %s", name)
        return check()

    return called


def extract_request_id(request: Request) -> str:
    """Read the id of ``request`` (the ``DOCKERFLOW_REQUEST_ID_HEADER_NAME`` header,
    ``X-Request-ID`` by default, when it is a safe id; a new UUID4 otherwise), make it
    the current request id (:data:`~dockerflow.request.request_id_context`, the ``rid``
    of log records) and ``request.ctx.id``.

    The extension does this for every request; call it yourself only to drive a request
    by hand.

    :returns: the request id.
    """
    header = request.app.config.get("DOCKERFLOW_REQUEST_ID_HEADER_NAME")
    rid = get_or_generate_request_id(request.headers, header or None)
    request.ctx.id = rid
    request_id_context.set(rid)
    return rid


class Dockerflow:
    """The Dockerflow Sanic extension.

    Set it up with the app::

        from sanic import Sanic
        from dockerflow.sanic import Dockerflow

        app = Sanic("myproject")
        dockerflow = Dockerflow(app)

    or, with an application factory, create it in a module of its own and bind it
    when the app is made::

        # myproject/deployment.py
        dockerflow = Dockerflow()

        # myproject/app.py
        def create_app():
            app = Sanic("myproject")
            dockerflow.init_app(app)
            return app

    :param app: the Sanic app to set up now (``None`` to call :meth:`init_app` later).
    :param redis: a Redis client (``redis.asyncio.Redis`` or ``redis.Redis``) or a
        ``sanic_redis.SanicRedis`` instance: adds the ``check_redis_connected`` check.
    :param silenced_checks: check message IDs (e.g. ``"dockerflow.health.W001"``)
        to leave out of the heartbeat.
    :param version_path: the directory holding ``version.json`` (default: the
        working directory). Passed to the version callback.
    :param check_timeout: seconds each check may run when
        ``DOCKERFLOW_CHECK_TIMEOUT`` is not set in ``app.config`` (default 5).

    :param registry: the :class:`~dockerflow.checks.CheckRegistry` of this extension's
        checks (the built-in Redis check and ``@dockerflow.check``); by default the
        process-wide one, which ``dockerflow.checks.get_checks()`` and
        ``clear_checks()`` see, as with the reference library. Pass a registry of its
        own to keep an app's checks apart from another app's in the same process: its
        heartbeat then runs the checks of that registry only.

    Each extension has its heartbeat runner (:attr:`runner`). After :meth:`init_app` the
    extension is ``app.ctx.dockerflow``.
    """

    def __init__(
        self,
        app: Sanic[Any, Any] | None = None,
        redis: Any = None,
        silenced_checks: Collection[str] | None = None,
        version_path: str = ".",
        *args: Any,
        check_timeout: float | None = None,
        registry: CheckRegistry | None = None,
        **kwargs: Any,
    ) -> None:
        #: The logger of the extension's own messages.
        self.logger = logging.getLogger("dockerflow.sanic")
        #: The ``request.summary`` logger (configure its handlers; see the README).
        self.summary_logger = get_summary_logger()
        #: Check message IDs left out of the heartbeat.
        # The caller's own list, as with the reference: an ID appended to it later
        # silences that check from the next heartbeat on.
        self.silenced_checks: list[str] = silenced_checks or []  # type: ignore[assignment]
        #: Where ``version.json`` is looked for.
        self.version_path = version_path
        #: The checks of the heartbeat: the process-wide registry of
        #: :mod:`dockerflow.checks` (as with the reference library), unless one was passed.
        self.registry: CheckRegistry = default_registry if registry is None else registry
        #: Runs the heartbeat checks: coalescing and caching per extension.
        self.runner = HeartbeatRunner()
        #: The default check timeout, when the app's config sets none.
        self.check_timeout: float | None = (
            None if check_timeout is None else parse_seconds("check_timeout", check_timeout)
        )
        self.redis = redis
        #: The app this extension was last initialized with.
        self.app: Sanic[Any, Any] | None = None
        self._version_callback: Callable[[Any], Any] = get_version
        self._logged: dict[str, tuple[CheckFn, CheckFn]] = {}
        if redis is not None:
            # The module instead of a client, a class, a URL: a TypeError now, not E100 later.
            require_object(
                "redis",
                redis,
                "a Redis client (redis.asyncio.Redis, redis.Redis) or a sanic_redis.SanicRedis",
                ("ping", "conn", "ctx_name", "config_name"),
            )
            self.registry.register(self._check_redis, name="check_redis_connected")
        if app is not None:
            self.init_app(app)

    # -- setup ------------------------------------------------------------------------

    def init_app(self, app: Sanic[Any, Any]) -> None:
        """Add the Dockerflow views, middleware and signals to ``app``.

        Call it before the app starts serving. A ``DOCKERFLOW_*`` setting already in
        ``app.config`` that the endpoints could not use (or a failure status below
        400) is logged as a ``WARNING`` on the ``dockerflow.sanic`` logger; the
        settings are read again at every request.
        """
        self.app = app
        for uri, name, handler in (
            ("/__version__", "version", self._version_view),
            ("/__heartbeat__", "heartbeat", self._heartbeat_view),
            ("/__lbheartbeat__", "lbheartbeat", self._lbheartbeat_view),
            ("/__error__", "error", self._error_view),
        ):
            app.add_route(handler, uri, methods=["GET", "HEAD"], name=f"dockerflow.{name}")
        app.on_request(self._request_middleware, priority=_REQUEST_MIDDLEWARE_PRIORITY)
        app.add_signal(self._on_exception, "http.lifecycle.exception")
        app.register_middleware(
            self._response_middleware, "response", priority=_RESPONSE_MIDDLEWARE_PRIORITY
        )
        app.add_signal(_noop, HEARTBEAT_PASSED)
        app.add_signal(_noop, HEARTBEAT_FAILED)
        app.ctx.dockerflow = self
        warn_about_settings(
            app.config.get, self.logger, check_timeout=self.check_timeout, names=app.config
        )

    # -- checks -----------------------------------------------------------------------

    @overload
    def check(self, func: F, name: str | None = None) -> F: ...

    @overload
    def check(self, func: None = None, name: str | None = None) -> Callable[[F], F]: ...

    def check(self, func: F | None = None, name: str | None = None) -> F | Callable[[F], F]:
        """Register a check (sync or ``async``) with this extension.

        Use it as ``@dockerflow.check`` or ``@dockerflow.check(name="storage")``. A
        check takes no arguments and returns a list of
        :class:`~dockerflow.checks.CheckMessage` (empty when all is well).
        """
        if func is None:
            return lambda f: self.registry.register(f, name=name)
        return self.registry.register(func, name=name)

    @property
    def checks(self) -> dict[str, CheckFn]:
        """This extension's checks, name to callable (the registry's own mapping)."""
        return self.registry.get_checks()

    def init_check(self, check: Callable[..., Any], obj: Any) -> CheckFn:
        """Register ``check(obj)`` as a check named after ``check``.

        .. deprecated:: 2026.11.0
            Use ``dockerflow.registry.register_partial(check, obj)``.
        """
        warnings.warn(
            "Dockerflow.init_check() is deprecated; use dockerflow.registry.register_partial()",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.registry.register_partial(check, obj)

    def check_pairs(self) -> list[tuple[str, CheckFn]]:
        """The ``(name, check)`` pairs the heartbeat runs: those of :attr:`registry`,
        each logging the reference's ``Called Dockerflow check <name>`` DEBUG record when
        it is called.

        The wrappers are cached, so the core runner recognizes a check that is still
        hung from an earlier heartbeat and does not start it again.
        """
        pairs = []
        for name, check in registered_checks(self.registry).items():
            cached = self._logged.get(name)
            if cached is None or cached[0] is not check:
                cached = self._logged[name] = (check, _logging_calls(check, name))
            pairs.append((name, cached[1]))
        return pairs

    async def _check_redis(self) -> list[CheckMessage]:
        return await check_redis_connected(self._redis_client())

    def _redis_client(self) -> Any:
        redis = self.redis
        if hasattr(redis, "ping") or getattr(redis, "conn", None) is not None:
            return redis
        # sanic-redis 0.6+ keeps the client on app.ctx, under ctx_name or the
        # lowercased config name ("redis" by default), once the server started.
        if self.app is None:
            return None
        attr = (
            getattr(redis, "ctx_name", None) or str(getattr(redis, "config_name", "REDIS")).lower()
        )
        return getattr(self.app.ctx, attr, None)

    # -- version ----------------------------------------------------------------------

    def version_callback(self, func: F) -> F:
        """Use ``func`` instead of :func:`dockerflow.version.get_version` to load the
        version information; usable as a decorator.

        ``func(version_path)`` returns the version dict, or ``None`` when there is
        none (``/__version__`` then answers 404). It may be ``async``; a sync
        callback runs in a worker thread, so it may read files::

            @dockerflow.version_callback
            async def my_version(root):
                async with aiofiles.open(os.path.join(root, "acme_version.json")) as f:
                    return json.loads(await f.read())
        """
        self._version_callback = func
        return func

    # -- request.summary --------------------------------------------------------------

    def _request_middleware(self, request: Request) -> None:
        ctx = request.ctx
        ctx.dockerflow_start = time.perf_counter()  # for ``t``: monotonic
        ctx.start_timestamp = time.time()  # the reference's name, for applications
        header = request.app.config.get("DOCKERFLOW_REQUEST_ID_HEADER_NAME")
        rid = get_or_generate_request_id(request.headers, header or None)
        ctx.id = rid
        # Reset in the response middleware: requests of one keep-alive connection run
        # in the same task, and the next must not start with this id.
        ctx.dockerflow_token = request_id_context.set(rid)

    def _on_exception(
        self, request: Request | None = None, exception: Any = None, **_: Any
    ) -> None:
        if request is not None and exception is not None and _is_server_error(exception):
            request.ctx.dockerflow_exc = exception

    def _response_middleware(self, request: Request, response: BaseHTTPResponse) -> None:
        ctx = request.ctx
        exc = getattr(ctx, "dockerflow_exc", None)
        if getattr(ctx, "dockerflow_logged", False):
            return
        ctx.dockerflow_logged = True
        try:
            # Built even when the logger is off, as with the reference (an override of
            # summary_extra is called for every request).
            ctx.dockerflow_status = response.status
            log_summary(self.summary_extra(request), exc, logger=self.summary_logger)
        finally:
            token = getattr(ctx, "dockerflow_token", None)
            if token is not None:
                ctx.dockerflow_token = None
                try:
                    request_id_context.reset(token)
                except ValueError:  # set in another context (a task of its own)
                    request_id_context.set(None)

    def summary_extra(self, request: Request) -> dict[str, Any]:
        """Build the fields of the ``request.summary`` record of ``request``.

        ``errno`` (0, or 500 when the handler raised), ``code`` (the response's
        status), ``agent``, ``lang``, ``method``, ``path``, ``uid``, ``rid``, ``t`` (ms)
        and, with ``DOCKERFLOW_SUMMARY_LOG_QUERYSTRING``, ``querystring``. Override it
        in a subclass to add fields.
        """
        ctx = request.ctx
        headers = request.headers
        flag = request.app.config.get("DOCKERFLOW_SUMMARY_LOG_QUERYSTRING", False)
        querystring = None
        if flag is True or (
            flag is not False and parse_bool("DOCKERFLOW_SUMMARY_LOG_QUERYSTRING", flag)
        ):
            querystring = unquote(request.query_string)
        start = getattr(ctx, "dockerflow_start", None)
        return summary_fields(
            method=request.method,
            path=request.path,
            agent=headers.get("User-Agent", ""),
            lang=headers.get("Accept-Language", ""),
            uid="",
            # The current request id, as the reference logs it (a middleware of the
            # application may have replaced it); the request's own when there is none.
            rid=request_id_context.get() or getattr(ctx, "id", None),
            t=0 if start is None else elapsed_ms(start),
            errno=0 if getattr(ctx, "dockerflow_exc", None) is None else 500,
            code=getattr(ctx, "dockerflow_status", None),
            querystring=querystring,
        )

    # -- views ------------------------------------------------------------------------

    def settings(self, app: Sanic[Any, Any]) -> DockerflowSettings:
        """The validated ``DOCKERFLOW_*`` settings of ``app``, read from its config now."""
        return read_settings(app.config.get, check_timeout=self.check_timeout)

    async def _version_view(self, request: Request) -> HTTPResponse:
        status, body = await load_version_async(self._version_callback, self.version_path)
        if status == 404:
            return response.raw(VERSION_NOT_FOUND_TEXT.encode(), status=404)  # the reference's
        return response.json(body, status=status)

    async def _heartbeat_view(self, request: Request) -> HTTPResponse:
        app = request.app
        try:
            answer = await self.runner.respond_async(
                self.check_pairs(), self.settings(app), self.silenced_checks
            )
        except Exception as exc:  # e.g. a bad DOCKERFLOW_* setting: still our own JSON
            answer = broken_heartbeat_response(exc)
        event = HEARTBEAT_PASSED if answer.passed else HEARTBEAT_FAILED
        try:
            await app.dispatch(
                event, context={"level": answer.level}, inline=True, fail_not_found=False
            )
        except Exception:
            self.logger.exception("A handler of the %s signal raised", event)
        return response.json(answer.payload, status=answer.status_code)

    async def _lbheartbeat_view(self, request: Request) -> HTTPResponse:
        # 200, not 204: some load balancers accept nothing else. Touches no service.
        return response.raw(b"", status=200)

    async def _error_view(self, request: Request) -> HTTPResponse:
        if not self.settings(request.app).enable_error_endpoint:
            raise NotFound(f"Requested URL {request.path} not found")
        raise_error_endpoint(self.logger)
