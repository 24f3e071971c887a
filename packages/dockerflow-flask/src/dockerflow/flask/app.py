"""The Dockerflow Flask extension.

:class:`Dockerflow` adds to a Flask application:

* the Dockerflow endpoints, on a blueprint named ``dockerflow``:
  ``/__version__`` (``dockerflow.version``), ``/__heartbeat__``
  (``dockerflow.heartbeat``), ``/__lbheartbeat__`` (``dockerflow.lbheartbeat``) and
  ``/__error__`` (``dockerflow.error``, raises on purpose to test error reporting;
  off when ``DOCKERFLOW_ENABLE_ERROR_ENDPOINT`` is false);
* one ``request.summary`` log record per request, and the request id: read from
  the ``X-Request-ID`` header (or ``DOCKERFLOW_REQUEST_ID_HEADER_NAME``) when it is
  safe, generated otherwise, available as ``flask.g.request_id`` and put on every
  log record by :class:`~dockerflow.logging.RequestIdLogFilter`;
* the heartbeat checks: the built-in checks for the objects passed in, registered on
  the process-wide registry of :mod:`dockerflow.checks` (or the extension's own,
  ``registry=``), and the signals of :mod:`dockerflow.flask.signals`.

The checks run through :class:`dockerflow.heartbeat.HeartbeatRunner`: concurrently,
each bounded by ``DOCKERFLOW_CHECK_TIMEOUT``, with exceptions and timeouts turned
into error results, concurrent heartbeats coalesced into one run, and results
cached for ``DOCKERFLOW_HEARTBEAT_CACHE_TTL`` seconds.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import importlib
import importlib.util
import inspect
import logging
import os
import time
import warnings
from collections.abc import Awaitable, Callable, Collection
from typing import Any, TypeVar, overload

import flask
from blinker import Signal
from flask.ctx import _AppCtxGlobals
from flask.globals import _cv_app, _cv_request
from flask.signals import got_request_exception
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import InternalServerError

from dockerflow.checks import CheckFn, CheckRegistry, default_registry, registered_checks
from dockerflow.config import (
    DEFAULT_REQUEST_ID_HEADER,
    parse_bool,
    read_settings,
    require_object,
    warn_about_settings,
)
from dockerflow.heartbeat import HeartbeatRunner, broken_heartbeat_response
from dockerflow.request import (
    elapsed_ms,
    generate_request_id,
    get_or_generate_request_id,
    get_summary_logger,
    is_valid_request_id,
    log_summary,
    raise_error_endpoint,
    request_id_context,
    summary_fields,
)
from dockerflow.version import VERSION_NOT_FOUND_TEXT, VersionCallback, get_version, load_version

from .checks import check_database_connected, check_migrations_applied, check_redis_connected
from .signals import heartbeat_failed, heartbeat_passed

__all__ = ["Dockerflow", "HeartbeatFailure", "extract_request_id", "get_or_generate_request_id"]


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:
        return False


#: Whether Flask-Login is installed (it is imported only when an app uses it).
has_flask_login = _installed("flask_login")


def _logger() -> logging.Logger:
    # Looked up when used: a logging config applied after the import must not disable it.
    return logging.getLogger("dockerflow.flask")


F = TypeVar("F", bound=Callable[..., Any])

#: Whether the failure to load a request's user was logged already (once per process).
_user_warning_logged = False

#: The ``request.environ`` key holding the per-request state of the extension.
_STATE_KEY = "dockerflow.flask.state"
_QUERYSTRING_SETTING = "DOCKERFLOW_SUMMARY_LOG_QUERYSTRING"


@functools.lru_cache(maxsize=32)
def _environ_key(header: str) -> str:
    """The WSGI environ key of the request header ``header`` (``X-Request-ID`` ->
    ``HTTP_X_REQUEST_ID``)."""
    key = header.strip().upper().replace("-", "_")
    return key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"


class _RequestMiddleware:
    """Wraps ``app.wsgi_app``: the request's id, timing, status and ``request.summary``.

    The request id is set before Flask sees the request, so every record logged while
    it is handled (routing and ``before_request`` functions included) carries it, and
    reset once the summary is logged. The status is read as the response starts; an
    exception Flask turned into a 500 response is noted by the extension's
    ``got_request_exception`` receiver, one that escaped Flask (a raising
    ``teardown_request`` function, or any exception with ``PROPAGATE_EXCEPTIONS``) is
    caught here. Doing this around the application rather than in Flask's request
    hooks costs less for every request.
    """

    def __init__(self, wsgi_app: Callable[..., Any], extension: Dockerflow, app: flask.Flask):
        self.wsgi_app = wsgi_app
        self.extension = extension
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        header = self.app.config.get("DOCKERFLOW_REQUEST_ID_HEADER_NAME")
        rid = environ.get(_environ_key(header or DEFAULT_REQUEST_ID_HEADER))
        if rid is None or not is_valid_request_id(rid):
            rid = generate_request_id()
        state = environ[_STATE_KEY] = _RequestState(time.perf_counter(), rid)
        token = request_id_context.set(rid)
        # An application context of this app already pushed (``with app.app_context()``,
        # ``test_request_context``, pytest-flask) is the one the request will use: its
        # ``g`` exists already, so it gets this request's id here.
        pushed = _cv_app.get(None)
        if pushed is not None and pushed.app is self.app:
            pushed.g.request_id = pushed.g._request_id = rid
        app = self.app
        if not getattr(app.app_ctx_globals_class, "_dockerflow_request_id", False):
            # The application set its own class of flask.g after init_app: extended too.
            app.app_ctx_globals_class = _globals_with_request_id(app.app_ctx_globals_class)

        def start_response_noting_status(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            # Called by the response, in the request context: after the view and the
            # after_request functions, so a user who just logged in is known.
            try:
                state.code = int(status[:3])  # WSGI: the three digits come first
            except ValueError:
                state.code = None
            extension = self.extension
            if not _hooks_are_ours(extension):
                state.fields = extension._fields_now(self.app, state)
            elif getattr(self.app, "login_manager", None) is not None:
                state.uid = extension._user_id()
            return start_response(status, headers, exc_info)

        try:
            return self.wsgi_app(environ, start_response_noting_status)
        except BaseException as escaped:
            state.exc = escaped
            raise
        finally:
            try:
                error = state.exc
                summary_logger = self.extension.summary_logger
                if not state.logged and summary_logger.isEnabledFor(
                    logging.INFO if error is None else logging.ERROR
                ):
                    fields = state.fields
                    if fields is None:
                        fields = self.extension._summary(self.app, environ, state)
                    elif error is not None:  # escaped after the response started
                        fields["errno"] = 500
                    log_summary(fields, error, logger=summary_logger)
            except Exception:  # never let logging break the response
                _logger().exception("Could not log the request.summary record")
            finally:
                request_id_context.reset(token)


def _wsgi_text(value: str) -> str:
    # WSGI environ strings carry the request's bytes as latin-1; URLs are UTF-8.
    return value if value.isascii() else value.encode("latin-1").decode("utf-8", "replace")


class _RequestIdGlobals:
    """Mixed into the application's ``app_ctx_globals_class``: ``flask.g`` starts with
    ``request_id`` when its context is pushed for a request.

    Flask creates ``g`` when it pushes the application context, after the middleware
    set the request id; the application may replace ``g.request_id`` at any time.
    Setting it here rather than in a ``before_request`` function spares every request
    a hook call.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rid = request_id_context.get()
        if rid is not None:
            # ``_request_id`` and ``_start_timestamp``: the reference library's names.
            self.request_id = self._request_id = rid
            self._start_timestamp = time.time()


def _init_flask_globals(self: Any) -> None:
    # The __init__ of Flask's own ``flask.g`` class once extended (see
    # _globals_with_request_id): _RequestIdGlobals.__init__ without the super() call
    # (Flask's class has none but object's), and with the attribute written as
    # Flask's ``__setattr__`` writes it.
    rid = request_id_context.get()
    if rid is not None:
        attributes = self.__dict__
        attributes["request_id"] = attributes["_request_id"] = rid
        attributes["_start_timestamp"] = time.time()


def _globals_with_request_id(base: type[Any]) -> type[Any]:
    if getattr(base, "_dockerflow_request_id", False):  # init_app called again on the app
        return base
    namespace: dict[str, Any] = {"__module__": base.__module__, "_dockerflow_request_id": True}
    if base is _AppCtxGlobals:  # the common case, a little cheaper per request
        namespace["__init__"] = _init_flask_globals
        return type(base.__name__, (base,), namespace)
    return type(base.__name__, (_RequestIdGlobals, base), namespace)


def extract_request_id(request: flask.Request) -> str:
    """Read the id of ``request`` (the ``DOCKERFLOW_REQUEST_ID_HEADER_NAME`` header,
    ``X-Request-ID`` by default, when it is a safe id; a new UUID4 otherwise), make it
    the current request id (:data:`~dockerflow.request.request_id_context`, the ``rid``
    of log records) and ``flask.g.request_id`` unless that is set already.

    The extension does this for every request; call it yourself only to drive a request
    by hand. Needs an application context.

    :returns: the request id.
    """
    header = flask.current_app.config.get("DOCKERFLOW_REQUEST_ID_HEADER_NAME")
    rid = get_or_generate_request_id(request.headers, header_name=header or None)  # type: ignore[arg-type]
    request_id_context.set(rid)
    if not hasattr(flask.g, "request_id"):
        flask.g.request_id = flask.g._request_id = rid
        flask.g._start_timestamp = time.time()
    return rid


def _log_summary_now(
    extension: Dockerflow, app: flask.Flask, state: _RequestState, code: int | None
) -> None:
    """Log the ``request.summary`` of the current request from inside its request
    context (an error, or a request driven through Flask's hooks by hand)."""
    state.logged = True
    if code is not None:
        state.code = code
    try:
        fields = extension._fields_now(app, state)
        log_summary(fields, state.exc, logger=extension.summary_logger)
    except Exception:  # never let logging break the response
        _logger().exception("Could not log the request.summary record")


def _note_exception(sender: flask.Flask, exception: BaseException, **extra: Any) -> None:
    # got_request_exception: the view raised and Flask answers with a 500 response (or
    # re-raises, with PROPAGATE_EXCEPTIONS). The ERROR summary is logged now, before
    # Flask logs the exception, as with the reference library.
    state = flask.request.environ.get(_STATE_KEY)
    extension = sender.extensions.get("dockerflow")
    if state is not None and not state.logged:
        state.exc = exception
        if extension is not None:
            _log_summary_now(extension, sender, state, 500)


class HeartbeatFailure(InternalServerError):
    """Raised by the heartbeat view when a check fails; carries the JSON response.

    The extension registers an error handler that answers with that response (its
    status is ``DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE``, 500 by default). An
    application may register its own handler for this exception to change the
    answer.
    """


class _RequestState:
    """What the extension remembers about the request being handled."""

    __slots__ = ("by_hand", "code", "exc", "fields", "logged", "rid", "start", "token", "uid")

    def __init__(self, start: float, rid: str, by_hand: bool = False) -> None:
        self.start = start
        self.rid = rid
        self.code: int | None = None
        self.exc: BaseException | None = None
        self.uid: Any = None
        #: The fields built by an overridden ``summary_extra()`` (or ``user_id()``),
        #: inside the request context.
        self.fields: dict[str, Any] | None = None
        #: The summary is logged already (an error, or the hooks driven by hand).
        self.logged = False
        #: The request did not come through the middleware (``preprocess_request`` in a
        #: ``test_request_context``): the request hooks do the middleware's work.
        self.by_hand = by_hand
        #: Resets the request id of a request driven by hand.
        self.token: contextvars.Token[str | None] | None = None


def _wrap_hooks(app: flask.Flask, extension: Dockerflow) -> None:
    """Make ``app.preprocess_request()`` and ``app.process_response()`` do the
    middleware's work for a request that did not come through it.

    Flask's testing documentation drives a request through its hooks by hand, inside
    ``app.test_request_context()``: the id is set (``g.request_id``) and the
    ``request.summary`` logged as for a request served. A request that came through the
    middleware already has its state, and costs these wrappers one lookup each:
    cheaper than a ``before_request`` and an ``after_request`` function, which Flask
    would call (and check for coroutines) on every request.
    """
    if getattr(app.preprocess_request, "_dockerflow", False):
        return  # init_app called again on the same app
    preprocess = app.preprocess_request
    process = app.process_response

    def preprocess_request() -> Any:
        ctx = _cv_request.get(None)
        if ctx is not None and _STATE_KEY not in ctx.request.environ:
            extension._start_by_hand(ctx.request)
        return preprocess()

    def process_response(response: flask.Response) -> flask.Response:
        response = process(response)
        ctx = _cv_request.get(None)
        if ctx is not None:
            state = ctx.request.environ.get(_STATE_KEY)
            if state is not None and state.by_hand and not state.logged:
                extension._finish_by_hand(app, state, response.status_code)
        return response

    preprocess_request._dockerflow = True  # type: ignore[attr-defined]
    app.preprocess_request = preprocess_request  # type: ignore[method-assign]
    app.process_response = process_response  # type: ignore[method-assign]


def _send(signal: Signal, extension: Dockerflow, app: flask.Flask, level: int) -> None:
    """Send a heartbeat signal so that each receiver runs exactly once, whether it was
    connected to the extension (the reference's sender), to the application (as its
    documentation shows, ``connect_via(app)``) or to any sender. A receiver connected
    to the application gets the application as ``sender``, the others the extension."""
    signal.send(extension, level=level)
    if not signal.receivers:
        return
    called = {id(receiver) for receiver in signal.receivers_for(extension)}
    for receiver in signal.receivers_for(app):
        if id(receiver) not in called:
            called.add(id(receiver))
            receiver(app, level=level)


async def _await(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def _bind_to_app(app: flask.Flask, check: CheckFn, name: str) -> CheckFn:
    """Return ``check`` wrapped to run inside an application context of ``app``.

    The checks run in worker threads, where there is no application context, yet
    Flask extensions (``db.engine``, Flask-Migrate's config) need one. An ``async``
    check is awaited inside the context. The wrapper keeps the check's name and its
    registered timeout (``functools.wraps`` copies the attributes), and logs the
    reference's ``Called Dockerflow check <name>`` DEBUG record when it is called.
    """

    @functools.wraps(check)
    def run_in_app_context() -> Any:
        logging.getLogger("dockerflow.checks.registry").debug("Called Dockerflow check %s", name)
        with app.app_context():
            result = check()
            if inspect.isawaitable(result):
                result = asyncio.run(_await(result))
            return result

    return run_in_app_context


#: What each object argument of :class:`Dockerflow` must be, and the attributes its
#: check uses (one of them must exist).
_ARGUMENTS = {
    "db": ("a Flask-SQLAlchemy instance (flask_sqlalchemy.SQLAlchemy)", ("engine", "get_engine")),
    "redis": ("a redis-py client or a Flask-Redis instance", ("ping",)),
    "migrate": ("a Flask-Migrate instance (flask_migrate.Migrate)", ("get_config",)),
}


def _check_arguments(registry: Any, **objects: Any) -> None:
    """Reject at setup what can never work (the ``redis`` module instead of a client):
    a :class:`TypeError` naming the argument, instead of a failing heartbeat later."""
    for argument, value in objects.items():
        if value is not None:
            require_object(argument, value, *_ARGUMENTS[argument])
    if registry is not None and not isinstance(registry, CheckRegistry):
        raise TypeError(
            f"registry= expects a dockerflow.checks.CheckRegistry, not {type(registry).__qualname__}"
        )


class Dockerflow:
    """The Dockerflow Flask extension. Set it up like this::

        from flask import Flask
        from dockerflow.flask import Dockerflow

        app = Flask(__name__)
        dockerflow = Dockerflow(app)

    or, with the application factory pattern, create it in a module of its own::

        # myproject/deployment.py
        dockerflow = Dockerflow()

    and initialize it when the application is created::

        # myproject/app.py
        def create_app(config_filename):
            app = Flask(__name__)
            app.config.from_pyfile(config_filename)

            from myproject.deployment import dockerflow
            dockerflow.init_app(app)
            return app

    :param app: the Flask application to initialize now (or call :meth:`init_app`
        later).
    :param db: a Flask-SQLAlchemy instance: registers
        :func:`~dockerflow.flask.checks.check_database_connected`.
    :param redis: a redis-py client or a Flask-Redis instance: registers
        :func:`~dockerflow.flask.checks.check_redis_connected`.
    :param migrate: a Flask-Migrate instance: registers
        :func:`~dockerflow.flask.checks.check_migrations_applied`.
    :param silenced_checks: check message IDs to ignore, e.g.
        ``["dockerflow.health.W001"]``.
    :param version_path: the directory holding ``version.json``; defaults to the
        parent directory of the application's root path.
    :param check_timeout: seconds each check may run when the
        ``DOCKERFLOW_CHECK_TIMEOUT`` config key is not set (default 5).

    Any further positional or keyword arguments are accepted and ignored, as they
    always were.

    :param registry: the :class:`~dockerflow.checks.CheckRegistry` of this extension's
        checks (the built-in ones and ``@dockerflow.check``); by default the
        process-wide one, which ``dockerflow.checks.get_checks()`` and
        ``clear_checks()`` see, as with the reference library. Pass a registry of its
        own to keep an application's checks apart from another one's in the same
        process (``Dockerflow(app, registry=CheckRegistry())``): its heartbeat then runs
        the checks of that registry only.

    Each extension has its :class:`~dockerflow.heartbeat.HeartbeatRunner`.
    """

    def __init__(
        self,
        app: flask.Flask | None = None,
        db: Any = None,
        redis: Any = None,
        migrate: Any = None,
        silenced_checks: Collection[str] | None = None,
        version_path: str | os.PathLike[str] | None = None,
        *args: Any,
        check_timeout: float | None = None,
        registry: CheckRegistry | None = None,
        **kwargs: Any,
    ) -> None:
        #: Check message IDs left out of the heartbeat.
        # The caller's own list, as with the reference: an ID appended to it later
        # silences that check from the next heartbeat on.
        self.silenced_checks: list[str] = silenced_checks or []  # type: ignore[assignment]
        #: The directory of ``version.json``. ``init_app`` sets it to the parent of the
        #: application's root when none was given, as the reference library does.
        self.version_path = version_path
        # What init_app set version_path to, and each application's own default: one
        # extension may serve several applications.
        self._default_version_path: str | None = None
        self._version_roots: dict[flask.Flask, str] = {}
        #: The default check timeout, in seconds (``DOCKERFLOW_CHECK_TIMEOUT`` wins).
        self.check_timeout = check_timeout
        #: The extension's internal logger.
        self.logger = _logger()
        #: The logger of the ``request.summary`` records.
        self.summary_logger = get_summary_logger()
        self._version_callback: VersionCallback = get_version
        #: The checks of the heartbeat: the process-wide registry of
        #: :mod:`dockerflow.checks`, unless one was passed.
        self.registry: CheckRegistry = default_registry if registry is None else registry
        self._runner = HeartbeatRunner()
        self._bound: dict[tuple[flask.Flask, str], tuple[CheckFn, CheckFn]] = {}

        _check_arguments(db=db, redis=redis, migrate=migrate, registry=registry)
        if db is not None:
            self.registry.register_partial(check_database_connected, db)
        if redis is not None:
            self.registry.register_partial(check_redis_connected, redis)
        if migrate is not None:
            self.registry.register_partial(check_migrations_applied, migrate)
        if app is not None:
            self.init_app(app)

    # -- setup ----------------------------------------------------------------------

    def init_app(self, app: flask.Flask) -> None:
        """Initialize the extension with ``app``: register the views on a blueprint
        named ``dockerflow``, the request hooks and the error handler, and store the
        extension as ``app.extensions["dockerflow"]``.

        One extension may be initialized with several applications.

        A ``DOCKERFLOW_*`` setting already in ``app.config`` that the endpoints could
        not use (or a failure status below 400) is logged as a ``WARNING`` on the
        ``dockerflow.flask`` logger; the settings are read again at every request.
        """
        blueprint = flask.Blueprint("dockerflow", __name__)
        blueprint.add_url_rule("/__version__", "version", self._version_view)
        blueprint.add_url_rule("/__heartbeat__", "heartbeat", self._heartbeat_view)
        blueprint.add_url_rule("/__lbheartbeat__", "lbheartbeat", self._lbheartbeat_view)
        blueprint.add_url_rule("/__error__", "error", self._error_view)
        blueprint.app_errorhandler(HeartbeatFailure)(self._heartbeat_exception_handler)
        app.register_blueprint(blueprint)
        root = os.path.dirname(app.root_path)
        self._version_roots[app] = root
        if self.version_path is None:
            self.version_path = self._default_version_path = root

        # The request id, timing, status, user and summary come from a WSGI middleware,
        # and flask.g.request_id from the class of flask.g (see _RequestIdGlobals):
        # both cost less per request than Flask's request hooks.
        app.app_ctx_globals_class = _globals_with_request_id(app.app_ctx_globals_class)
        got_request_exception.connect(_note_exception, app, weak=False)
        app.wsgi_app = _RequestMiddleware(app.wsgi_app, self, app)  # type: ignore[method-assign]
        _wrap_hooks(app, self)

        app.extensions["dockerflow"] = self
        warn_about_settings(
            app.config.get, self.logger, check_timeout=self.check_timeout, names=app.config
        )

    # -- request.summary -------------------------------------------------------------

    def _start_by_hand(self, request: flask.Request) -> None:
        # A request driven through Flask's hooks by hand (``app.preprocess_request()``
        # inside ``app.test_request_context()``) gets its id and timing here.
        start = time.perf_counter()
        token = request_id_context.set(None)
        rid = extract_request_id(request)
        state = request.environ[_STATE_KEY] = _RequestState(start, rid, by_hand=True)
        state.token = token

    def _finish_by_hand(self, app: flask.Flask, state: _RequestState, code: int) -> None:
        _log_summary_now(self, app, state, code)
        if state.token is not None:
            # The request is over: later records of the caller (a test) must not carry
            # its id.
            try:
                request_id_context.reset(state.token)
            except ValueError:  # set in another context
                request_id_context.set(None)
            state.token = None

    def _summary(
        self, app: flask.Flask, environ: dict[str, Any], state: _RequestState
    ) -> dict[str, Any]:
        querystring = None
        flag = app.config.get(_QUERYSTRING_SETTING)
        if flag is not None and flag is not False and parse_bool(_QUERYSTRING_SETTING, flag):
            querystring = _wsgi_text(environ.get("QUERY_STRING", ""))
        exc, code = state.exc, state.code
        if exc is not None and code is None:
            code = 500  # the exception propagated: the server answers 500
        return summary_fields(
            errno=0 if exc is None else 500,
            code=code,
            agent=environ.get("HTTP_USER_AGENT", ""),
            lang=environ.get("HTTP_ACCEPT_LANGUAGE", ""),
            method=environ.get("REQUEST_METHOD", "GET").upper(),
            path="/" + _wsgi_text(environ.get("PATH_INFO", "")).lstrip("/"),
            uid=state.uid,
            rid=state.rid,
            t=elapsed_ms(state.start),
            querystring=querystring,
        )

    def summary_extra(self) -> dict[str, Any]:
        """Build the fields of the ``request.summary`` record for the current request.

        Usable inside a request (e.g. in a view, to log a record shaped like the
        summary): ``errno``, ``code`` (``None`` until the response exists),
        ``agent``, ``lang``, ``method``, ``path``, ``uid``, ``rid``, ``t`` and, when
        ``DOCKERFLOW_SUMMARY_LOG_QUERYSTRING`` is set, ``querystring``.
        """
        environ = flask.request.environ
        app = flask.current_app._get_current_object()  # type: ignore[attr-defined]
        current: _RequestState | None = environ.get(_STATE_KEY)
        state = _RequestState(
            current.start if current is not None else time.perf_counter(),
            current.rid if current is not None else request_id_context.get() or "",
        )
        state.uid = self.user_id()
        return self._summary(app, environ, state)

    def _fields_now(self, app: flask.Flask, state: _RequestState) -> dict[str, Any]:
        """The summary's fields, from inside the request context: built by
        :meth:`summary_extra` when it or :meth:`user_id` is not the extension's own
        (a subclass's override, a test's ``mock.patch``), as with the reference
        library; ``code`` and ``errno`` are the request's."""
        if not _hooks_are_ours(self):
            global _summary_extra_failure_logged
            try:
                fields = self.summary_extra()
            except Exception:  # the summary is still logged, with the fields of our own
                # Logged once per process: a broken override must not flood the logs.
                if not _summary_extra_failure_logged:
                    _summary_extra_failure_logged = True
                    _logger().exception(
                        "summary_extra() failed: request.summary is logged with its "
                        "default fields (logged once)"
                    )
            else:
                fields["code"] = 500 if state.exc is not None and state.code is None else state.code
                if state.exc is not None:
                    fields["errno"] = 500
                return fields
        if getattr(app, "login_manager", None) is not None:
            state.uid = self._user_id()
        return self._summary(app, flask.request.environ, state)

    def user_id(self) -> Any:
        """Return the id of the current request's Flask-Login user, or ``None``.

        ``None`` when Flask-Login is not installed or not set up on the
        application, when the user is anonymous, or when loading the user fails (the
        failure is logged as a warning; it never breaks the request).
        """
        app = flask.current_app._get_current_object()  # type: ignore[attr-defined]
        if getattr(app, "login_manager", None) is None:
            return None
        return self._user_id()

    def _user_id(self) -> Any:
        try:
            flask_login = importlib.import_module("flask_login")
        except ImportError:
            return None
        global _user_warning_logged
        try:
            user = flask_login.current_user._get_current_object()
            authenticated = getattr(user, "is_authenticated", False)
            if callable(authenticated):  # very old Flask-Login: a method
                authenticated = authenticated()
            if not authenticated:
                return None  # anonymous, or a user class without is_authenticated
            return user.get_id()
        except Exception:
            # Logged once per process: a broken user loader must not flood the logs.
            if not _user_warning_logged:
                _user_warning_logged = True
                _logger().warning(
                    "Could not load the user of the request for request.summary "
                    "(logged once; uid stays empty)",
                    exc_info=True,
                )
            return None

    # -- views -------------------------------------------------------------------------

    def _version_view(self) -> ResponseReturnValue:
        """Serve ``version.json``: 200, 404 (``version.json not found``, as the reference
        answers) when there is none, 500 (JSON) when it is broken."""
        root = self.version_path
        if root is None or root is self._default_version_path:
            # Not chosen by the application: the default of this application, decided
            # by init_app as with the reference (a root_path moved later is not followed).
            app = flask.current_app._get_current_object()  # type: ignore[attr-defined]
            root = self._version_roots.get(app) or os.path.dirname(app.root_path)
        status, body = load_version(self._version_callback, root)
        if status == 404:
            return VERSION_NOT_FOUND_TEXT, 404  # the reference's answer
        return flask.jsonify(body), status

    def _heartbeat_view(self) -> ResponseReturnValue:
        """Run the checks; 200 below ERROR, else the failure status (via HeartbeatFailure)."""
        app: flask.Flask = flask.current_app._get_current_object()  # type: ignore[attr-defined]
        try:
            settings = read_settings(app.config.get, check_timeout=self.check_timeout)
            answer = self._runner.respond(self._checks_for(app), settings, self.silenced_checks)
        except Exception as exc:  # e.g. a bad DOCKERFLOW_* setting: still our own JSON
            answer = broken_heartbeat_response(exc)
        response = flask.make_response(flask.jsonify(answer.payload), answer.status_code)
        if answer.passed:
            _send(heartbeat_passed, self, app, answer.level)
            return response
        _send(heartbeat_failed, self, app, answer.level)
        raise HeartbeatFailure(response=response)

    def _heartbeat_exception_handler(self, error: HeartbeatFailure) -> flask.Response:
        return error.get_response()  # type: ignore[return-value]

    def _lbheartbeat_view(self) -> ResponseReturnValue:
        """Answer 200 while the process is up; touches no backing service."""
        return "", 200

    def _error_view(self) -> ResponseReturnValue:
        """Raise on purpose, so error reporting (logs, Sentry, ...) can be tested.

        Answers 404 when ``DOCKERFLOW_ENABLE_ERROR_ENDPOINT`` is false.
        """
        enabled = flask.current_app.config.get("DOCKERFLOW_ENABLE_ERROR_ENDPOINT", True)
        if not parse_bool("DOCKERFLOW_ENABLE_ERROR_ENDPOINT", enabled):
            flask.abort(404)
        raise_error_endpoint(self.logger)

    # -- checks --------------------------------------------------------------------------

    def _checks_for(self, app: flask.Flask) -> list[tuple[str, CheckFn]]:
        """The checks of a heartbeat of ``app``: those of :attr:`registry` (the
        process-wide one unless the extension got its own), each bound to ``app``.

        The bound wrappers are cached, so the core runner recognizes a check that is
        still hung from an earlier heartbeat and does not start it again.
        """
        bound = []
        for name, check in registered_checks(self.registry).items():
            cached = self._bound.get((app, name))
            if cached is None or cached[0] is not check:
                cached = (check, _bind_to_app(app, check, name))
                self._bound[(app, name)] = cached
            bound.append((name, cached[1]))
        return bound

    @overload
    def check(self, func: F, name: str | None = None, *, timeout: float | None = None) -> F: ...

    @overload
    def check(
        self, func: None = None, name: str | None = None, *, timeout: float | None = None
    ) -> Callable[[F], F]: ...

    def check(
        self, func: F | None = None, name: str | None = None, *, timeout: float | None = None
    ) -> F | Callable[[F], F]:
        """Register a check on this extension; a decorator::

            @dockerflow.check
            def storage_reachable():
                ...

            @dockerflow.check(name="storage", timeout=2)
            def storage_reachable():
                ...

        :param name: the name in the heartbeat's ``checks`` (default: the function's
            name).
        :param timeout: seconds this check may run, instead of
            ``DOCKERFLOW_CHECK_TIMEOUT``.
        :returns: the function itself.
        """
        return self.registry.register(func, name, timeout=timeout)

    @property
    def checks(self) -> dict[str, CheckFn]:
        """The checks registered on this extension, name to function.

        .. deprecated:: 2026.11.0
            Kept for backwards compatibility; use :meth:`check` to register checks.
        """
        warnings.warn(
            "Dockerflow.checks is deprecated; register checks with @dockerflow.check",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.registry.get_checks()

    def init_check(self, check: Callable[..., Any], obj: Any) -> CheckFn:
        """Register ``check(obj)`` as a check, e.g. ``init_check(check_redis_connected, client)``.

        .. deprecated:: 2026.11.0
            Kept for backwards compatibility; use :meth:`check` with a function.
        """
        warnings.warn(
            "Dockerflow.init_check() is deprecated; register checks with @dockerflow.check",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.registry.register_partial(check, obj)

    def version_callback(self, func: F) -> F:
        """Decorate a function that loads the version information, replacing
        :func:`dockerflow.version.get_version`::

            @dockerflow.version_callback
            def my_version(root):
                with open(os.path.join(root, "acme_version.json")) as fp:
                    return json.load(fp)

        The function gets the ``version_path`` (default: the parent directory of the
        application's root path) and returns a dict, or ``None`` when there is no
        version information (``/__version__`` then answers 404). If it raises, the
        endpoint answers 500 and the error is logged once.

        :returns: ``func`` itself.
        """
        self._version_callback = func
        return func


#: Whether an overridden ``summary_extra()`` that raised was logged (once per process).
_summary_extra_failure_logged = False

#: The request hooks of :class:`Dockerflow` as defined here (see :func:`_hooks_are_ours`).
_OWN_SUMMARY_EXTRA = Dockerflow.summary_extra
_OWN_USER_ID = Dockerflow.user_id


def _hooks_are_ours(extension: Dockerflow) -> bool:
    """Whether ``summary_extra()`` and ``user_id()`` of ``extension`` are the ones
    defined here. Checked on every request, on the bound methods, so an override or a
    patch made at any time (``mock.patch.object``) builds the summary."""
    return (
        getattr(extension.summary_extra, "__func__", None) is _OWN_SUMMARY_EXTRA
        and getattr(extension.user_id, "__func__", None) is _OWN_USER_ID
    )
