"""The Dockerflow views: ``/__version__``, ``/__heartbeat__``, ``/__lbheartbeat__``, ``/__error__``.

:class:`~dockerflow.django.middleware.DockerflowMiddleware` serves them before URL
resolution (the async twins, ending in ``_async``, under ASGI); the sync views can
also be routed with :mod:`dockerflow.django.urls`.

Every setting is read when a request comes in, so ``override_settings`` and
settings changed at run time apply to the next request.

``/__heartbeat__``
    Runs every check registered with Django's system check framework (the ones
    named in ``DOCKERFLOW_CHECKS``, Django's own, and yours), plus the deployment
    checks unless ``DEBUG`` is on. The checks run concurrently in the core's
    thread pool, each bounded by ``DOCKERFLOW_CHECK_TIMEOUT`` seconds; a check
    that raises or hangs becomes an error result (``dockerflow.health.E100`` /
    ``E101``). IDs in ``SILENCED_SYSTEM_CHECKS`` are dropped. The answer is 200
    while the worst level is below ``ERROR`` (warnings pass), otherwise
    ``DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE`` (500)::

        {"status": "warning",
         "checks": {"check_database_connected": "ok", "check_migrations_applied": "warning"},
         "details": {"check_migrations_applied": {"status": "warning", "level": 30,
             "messages": {"dockerflow.health.W001": "Unapplied migration shop.0002_price"}}}}

    ``checks`` and ``details`` are included when ``DEBUG`` is on, or as
    ``DOCKERFLOW_HEARTBEAT_INCLUDE_DETAILS`` says. Database connections a check
    opens in a worker thread are closed when it finishes. Concurrent heartbeats in
    one process share one run, and ``DOCKERFLOW_HEARTBEAT_CACHE_TTL`` seconds of
    caching can be turned on. :data:`~dockerflow.django.signals.heartbeat_passed`
    or :data:`~dockerflow.django.signals.heartbeat_failed` is sent with ``level``.

``/__version__``
    The JSON of ``version.json`` in ``BASE_DIR``, or what the callable named by
    ``DOCKERFLOW_VERSION_CALLBACK`` returns (it is given ``BASE_DIR``); a plain-text
    404 (``version.json not found``) when there is none, 500 with one logged error
    when it is malformed.

``/__lbheartbeat__``
    An empty 200, without touching the database or the cache.

``/__error__``
    Raises an exception on purpose, to test error reporting (Sentry, logs). Turn
    it off with ``DOCKERFLOW_ENABLE_ERROR_ENDPOINT = False`` (it then answers 404).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings  # type: ignore[import-untyped]
from django.core.checks.registry import (  # type: ignore[import-untyped]
    registry as django_check_registry,
)
from django.core.exceptions import ImproperlyConfigured  # type: ignore[import-untyped]
from django.db import connections  # type: ignore[import-untyped]
from django.http import Http404, HttpResponse, HttpResponseNotFound, JsonResponse  # type: ignore[import-untyped]
from django.utils.module_loading import import_string  # type: ignore[import-untyped]

from dockerflow import checks as _checks
from dockerflow.checks import CheckFn
from dockerflow.checks.registry import run_checks as _own_run_checks
from dockerflow.config import DockerflowSettings, parse_bool, read_settings
from dockerflow.heartbeat import HeartbeatResponse, HeartbeatRunner, broken_heartbeat_response
from dockerflow.request import raise_error_endpoint
from dockerflow.version import (
    VERSION_NOT_FOUND_TEXT,
    get_version,
    load_version,
    load_version_async,
)

from .signals import heartbeat_failed, heartbeat_passed

__all__ = [
    "DEFAULT_VERSION_CALLBACK",
    "SETTINGS_TAG",
    "dockerflow_settings",
    "error",
    "error_async",
    "error_endpoint_enabled",
    "heartbeat",
    "heartbeat_async",
    "heartbeat_checks",
    "lbheartbeat",
    "lbheartbeat_async",
    "runner",
    "version",
    "version_async",
]


def _logger() -> logging.Logger:
    # Looked up when used: a logging config applied after the import must not disable it.
    # A ``logger`` set on this module (a test's ``mock.patch``) is used instead, as the
    # reference library's module-level logger would be.
    patched: logging.Logger | None = globals().get("logger")
    return patched if patched is not None else logging.getLogger("dockerflow.django")


#: The names the reference library's module had as values read at import time; here
#: they are read when asked for, from the settings of that moment.
_LAZY_NAMES = ("HEARTBEAT_FAILED_STATUS_CODE", "logger", "version_callback")


def __getattr__(name: str) -> Any:
    """``HEARTBEAT_FAILED_STATUS_CODE`` (the validated setting), ``version_callback``
    (``DOCKERFLOW_VERSION_CALLBACK``, or its default) and ``logger`` (the
    ``dockerflow.django`` logger, not created at import time), as of now."""
    if name == "HEARTBEAT_FAILED_STATUS_CODE":
        return dockerflow_settings().heartbeat_failed_status_code
    if name == "version_callback":
        return getattr(settings, "DOCKERFLOW_VERSION_CALLBACK", None) or DEFAULT_VERSION_CALLBACK
    if name == "logger":
        return _logger()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY_NAMES})


#: What ``DOCKERFLOW_VERSION_CALLBACK`` is when the setting is absent.
DEFAULT_VERSION_CALLBACK = "dockerflow.version.get_version"

#: The process's heartbeat runner: coalesces concurrent heartbeats, caches results.
runner = HeartbeatRunner()


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def dockerflow_settings() -> DockerflowSettings:
    """Read and validate the ``DOCKERFLOW_*`` settings (details default to ``DEBUG``)."""
    return read_settings(_setting, include_details=bool(settings.DEBUG))


# --- heartbeat ---------------------------------------------------------------------------

_adapted: dict[Any, CheckFn] = {}


def _adapt(check: Callable[..., Any]) -> CheckFn:
    """A Django system check as a core check: called without arguments in a worker
    thread, closing the database connections it opened there when it is done."""

    def run_django_check() -> Any:
        try:
            return check(app_configs=None)
        finally:
            connections.close_all()

    functools.update_wrapper(run_django_check, check)
    return run_django_check


def _adapted_check(check: Callable[..., Any]) -> CheckFn:
    # One adapter per check, kept: the core recognizes a check still hung from an
    # earlier heartbeat by its identity, and reports it at once instead of piling up.
    try:
        return _adapted[check]
    except KeyError:
        adapted = _adapted[check] = _adapt(check)
        return adapted
    except TypeError:  # unhashable callable
        return _adapt(check)


#: The tag of the system checks that look at Dockerflow's own settings
#: (:mod:`dockerflow.django.system_checks`): ``manage.py check`` runs them, the
#: heartbeat does not (it answers 500 on an unusable setting before any check runs).
SETTINGS_TAG = "dockerflow_settings"


def heartbeat_checks(*, include_deployment_checks: bool | None = None) -> list[tuple[str, CheckFn]]:
    """The Django system checks the heartbeat runs, as ``(name, check)`` pairs: every
    registered check but those tagged :data:`SETTINGS_TAG`.

    Checks are named after their function (``check_database_connected``); when two
    share a name, the later one in module order is qualified with its module. The
    pairs are sorted by name, so the heartbeat's JSON has a stable order.

    :param include_deployment_checks: default: ``not settings.DEBUG``.
    """
    if include_deployment_checks is None:
        include_deployment_checks = not settings.DEBUG
    found = []
    for check in django_check_registry.get_checks(
        include_deployment_checks=include_deployment_checks
    ):
        if SETTINGS_TAG in getattr(check, "tags", ()):
            continue
        name = getattr(check, "__name__", None) or type(check).__name__
        found.append((name, str(getattr(check, "__module__", "") or ""), check))
    found.sort(key=lambda item: (item[0], item[1]))
    pairs: list[tuple[str, CheckFn]] = []
    taken: set[str] = set()
    for name, module, check in found:
        if name in taken:
            name = f"{module}.{name}" if module else f"{name}#{len(pairs)}"
        taken.add(name)
        pairs.append((name, _adapted_check(check)))
    return pairs


def _silenced() -> list[str]:
    return list(getattr(settings, "SILENCED_SYSTEM_CHECKS", None) or ())


def _json(payload: dict[str, Any], status: int) -> Any:
    response = JsonResponse(payload, status=status)
    # What went wrong is logged already (a malformed version.json, a broken heartbeat):
    # keep Django from adding an "Internal Server Error" record without its cause.
    response._has_been_logged = True
    return response


def _heartbeat_response(answer: HeartbeatResponse) -> Any:
    # A failing heartbeat is left to Django's handler to log ("Internal Server Error:
    # /__heartbeat__" on django.request), as with the reference library.
    return JsonResponse(answer.payload, status=answer.status_code)


def _broken_heartbeat(exc: BaseException) -> Any:
    answer = broken_heartbeat_response(exc)
    return _json(answer.payload, answer.status_code)


def heartbeat(request: Any) -> Any:
    """Run the checks and answer with their JSON (see the module documentation)."""
    try:
        answer = runner.respond(heartbeat_checks(), dockerflow_settings(), _silenced())
    except Exception as exc:
        return _broken_heartbeat(exc)
    signal = heartbeat_passed if answer.passed else heartbeat_failed
    signal.send_robust(sender=heartbeat, level=answer.level)
    return _heartbeat_response(answer)


async def heartbeat_async(request: Any) -> Any:
    """:func:`heartbeat` for ASGI: awaits the checks without blocking the event loop."""
    if _checks.run_checks is not _own_run_checks:
        # A test's mock.patch("dockerflow.checks.run_checks"): the reference's view is
        # sync under ASGI too, so the replacement decides this answer (in a thread).
        from asgiref.sync import sync_to_async

        return await sync_to_async(heartbeat)(request)
    try:
        answer = await runner.respond_async(heartbeat_checks(), dockerflow_settings(), _silenced())
    except Exception as exc:
        return _broken_heartbeat(exc)
    signal = heartbeat_passed if answer.passed else heartbeat_failed
    if hasattr(signal, "asend_robust"):  # Django 5.0+
        await signal.asend_robust(sender=heartbeat, level=answer.level)
    else:
        signal.send_robust(sender=heartbeat, level=answer.level)
    return _heartbeat_response(answer)


# --- version -----------------------------------------------------------------------------


def _version_source() -> tuple[Callable[[Any], Any], Any, ImproperlyConfigured | None]:
    """The version callback, the root it is given, and what is wrong with them.

    A callback that cannot be imported or is not callable (or a setting that is
    neither a callable nor a dotted path), or a missing ``BASE_DIR`` for the default
    callback, becomes a callback that raises a clear error, so the view logs it once
    and answers 500.
    """
    target = getattr(settings, "DOCKERFLOW_VERSION_CALLBACK", None) or DEFAULT_VERSION_CALLBACK
    root = getattr(settings, "BASE_DIR", None)
    name = "DOCKERFLOW_VERSION_CALLBACK"
    callback: Any = target
    problem: ImproperlyConfigured | None = None
    if not callable(target):
        if not isinstance(target, str):
            problem = ImproperlyConfigured(
                f"{name} must be a callable or the dotted path of one, not {target!r}"
            )
        else:
            try:
                callback = import_string(target)
            except ImportError as exc:
                problem = ImproperlyConfigured(f"{name} {target!r} cannot be imported: {exc}")
            else:
                if not callable(callback):
                    problem = ImproperlyConfigured(
                        f"{name} {target!r} is {callback!r:.80}, which is not callable"
                    )
    if problem is None:
        if callback is not get_version or root is not None:
            return callback, root, None
        problem = ImproperlyConfigured("The BASE_DIR setting is needed to find version.json")

    def misconfigured(root: Any) -> Any:
        raise problem

    return misconfigured, root, problem


def _version_response(status: int, body: dict[str, Any]) -> Any:
    if status == 404:
        # As with the reference library: a plain-text 404, which Django logs
        # ("Not Found: /__version__") as it logs any 404.
        return HttpResponseNotFound(VERSION_NOT_FOUND_TEXT)
    return _json(body, status)


def version(request: Any) -> Any:
    """Answer with the contents of ``version.json`` (see the module documentation)."""
    callback, root, _problem = _version_source()
    return _version_response(*load_version(callback, root))


async def version_async(request: Any) -> Any:
    """:func:`version` for ASGI: reads the file without blocking the event loop."""
    callback, root, _problem = _version_source()
    return _version_response(*await load_version_async(callback, root))


# --- lbheartbeat and error ---------------------------------------------------------------


def lbheartbeat(request: Any) -> Any:
    """Answer 200 at once: the process is up. Touches no backing service.

    Load balancers want a 200 here, not a 204.
    """
    return HttpResponse()


async def lbheartbeat_async(request: Any) -> Any:
    """:func:`lbheartbeat` for ASGI."""
    return HttpResponse()


def error_endpoint_enabled() -> bool:
    """Whether ``/__error__`` is served (``DOCKERFLOW_ENABLE_ERROR_ENDPOINT``, default on)."""
    return parse_bool(
        "DOCKERFLOW_ENABLE_ERROR_ENDPOINT",
        getattr(settings, "DOCKERFLOW_ENABLE_ERROR_ENDPOINT", True),
    )


def error(request: Any) -> Any:
    """Raise an exception, to check that errors reach your error reporting: as the
    reference library does, log ``The __error__ endpoint was called`` at ERROR on the
    ``dockerflow.django`` logger, then raise :exc:`Exception` with its message.

    :raises Exception: ``This is a test exception from the /__error__ endpoint.``
    :raises django.http.Http404: when ``DOCKERFLOW_ENABLE_ERROR_ENDPOINT`` is off.
    """
    if not error_endpoint_enabled():
        raise Http404("The __error__ endpoint is disabled")
    raise_error_endpoint(_logger())


async def error_async(request: Any) -> Any:
    """:func:`error` for ASGI."""
    return error(request)
