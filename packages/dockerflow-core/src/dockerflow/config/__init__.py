"""The ``DOCKERFLOW_*`` settings, read the same way by every integration.

Each framework keeps settings where its users expect them (Flask's and Sanic's
``app.config``, Django's ``settings``); the integration hands a ``get(name,
default)`` callable to :func:`read_settings`, which validates every value and
raises :class:`ConfigurationError` with the setting's name when one is wrong.
Values may be native (``5``, ``True``) or strings from the environment (``"5"``,
``"true"``).

=========================================== ======================= ==========================
Setting                                     Default                 Meaning
=========================================== ======================= ==========================
``DOCKERFLOW_CHECK_TIMEOUT``                ``5`` (seconds)          bound on each check
``DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE`` ``500``                 HTTP status of a failure
``DOCKERFLOW_HEARTBEAT_CACHE_TTL``          ``0`` (off)             seconds results are reused
``DOCKERFLOW_HEARTBEAT_INCLUDE_DETAILS``    per framework           ``checks``/``details`` shown
``DOCKERFLOW_SUMMARY_LOG_QUERYSTRING``      ``False``               log the query string
``DOCKERFLOW_REQUEST_ID_HEADER_NAME``       ``"X-Request-ID"``      header carrying request ids
``DOCKERFLOW_ENABLE_ERROR_ENDPOINT``        ``True``                serve ``/__error__``
=========================================== ======================= ==========================
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from ..checks.registry import DEFAULT_CHECK_TIMEOUT

__all__ = [
    "DEFAULT_REQUEST_ID_HEADER",
    "ConfigurationError",
    "DockerflowSettings",
    "parse_bool",
    "parse_seconds",
    "parse_status_code",
    "read_settings",
    "require_object",
]

#: The header a request id is read from unless configured otherwise.
DEFAULT_REQUEST_ID_HEADER = "X-Request-ID"

_TRUE = frozenset({"1", "true", "yes", "on", "y", "t"})
_FALSE = frozenset({"0", "false", "no", "off", "n", "f", ""})

#: ``get(name, default)``: how an integration reads one setting.
Getter = Callable[[str, Any], Any]


class ConfigurationError(ValueError):
    """A ``DOCKERFLOW_*`` setting has a value that cannot be used."""


def _has_attribute(value: Any, name: str) -> bool:
    """Whether ``value`` has ``name`` (or may have it), without evaluating a property:
    Flask-SQLAlchemy's ``engine`` raises outside an application context."""
    cls = type(value)
    if hasattr(cls, name) or hasattr(cls, "__getattr__"):  # a proxy may have anything
        return True
    return name in getattr(value, "__dict__", {})


def require_object(argument: str, value: Any, expected: str, attributes: Collection[str]) -> None:
    """Reject, when an integration is set up, an argument that can never work.

    An integration given a client or an extension registers a check that uses it on
    every heartbeat. A value that cannot be one (the ``redis`` module instead of a
    client, a class instead of an instance, a URL string) would only show as a failed
    heartbeat (``dockerflow.health.E100``) on every probe, long after deployment; this
    raises at once instead.

    :param argument: the argument's name, as the user wrote it (``"redis"``).
    :param value: what was passed (``None`` is never checked: the caller skips it).
    :param expected: what the argument must be, in words (``"a redis-py client"``).
    :param attributes: the attributes the check uses; one of them must exist on the
        object (or could: an object whose class has ``__getattr__``, a proxy or a
        mock, is accepted).
    :raises TypeError: naming ``argument``, ``expected`` and what was given, for a
        module, a class, or an object without any of ``attributes``.
    """
    if isinstance(value, types.ModuleType):
        given = f"the module {value.__name__!r}"
    elif isinstance(value, type):
        given = f"the class {value.__module__}.{value.__qualname__} (an instance is needed)"
    elif not any(_has_attribute(value, name) for name in attributes):
        wanted = " or ".join(f".{name}" for name in attributes)
        given = f"{value!r:.80}, a {type(value).__qualname__} without {wanted}"
    else:
        return
    raise TypeError(f"{argument}= expects {expected}, not {given}")


def parse_bool(name: str, value: Any) -> bool:
    """Read a boolean setting: a bool, ``0``/``1``, or a string such as ``"true"``/``"off"``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise ConfigurationError(f"{name} must be a boolean (true/false, 1/0, on/off), not {value!r}")


def parse_seconds(name: str, value: Any, *, allow_zero: bool = False) -> float:
    """Read a duration in seconds: a positive number (or zero, when ``allow_zero``)."""
    try:
        if isinstance(value, bool):
            raise TypeError
        seconds = float(value)
    except (TypeError, ValueError):
        raise ConfigurationError(f"{name} must be a number of seconds, not {value!r}") from None
    if (
        math.isnan(seconds)
        or math.isinf(seconds)
        or seconds < 0
        or (seconds == 0 and not allow_zero)
    ):
        bound = "zero or more" if allow_zero else "more than zero"
        raise ConfigurationError(f"{name} must be {bound} seconds, not {value!r}")
    return seconds


def parse_status_code(name: str, value: Any) -> int:
    """Read an HTTP status code (an int or a numeric string from 100 to 599)."""
    try:
        if isinstance(value, bool):
            raise TypeError
        code = int(str(value).strip()) if not isinstance(value, int) else value
    except (TypeError, ValueError):
        raise ConfigurationError(f"{name} must be an HTTP status code, not {value!r}") from None
    if not 100 <= code <= 599:
        raise ConfigurationError(f"{name} must be an HTTP status code (100-599), not {value!r}")
    return code


@dataclass(frozen=True)
class DockerflowSettings:
    """The validated ``DOCKERFLOW_*`` settings of one application."""

    check_timeout: float = DEFAULT_CHECK_TIMEOUT
    heartbeat_failed_status_code: int = 500
    heartbeat_cache_ttl: float = 0.0
    heartbeat_include_details: bool = True
    summary_log_querystring: bool = False
    request_id_header_name: str = DEFAULT_REQUEST_ID_HEADER
    enable_error_endpoint: bool = True


def read_settings(
    get: Getter,
    *,
    check_timeout: float | None = None,
    include_details: bool = True,
) -> DockerflowSettings:
    """Read and validate every ``DOCKERFLOW_*`` setting through ``get(name, default)``.

    :param get: e.g. ``app.config.get`` (Flask, Sanic) or
        ``lambda name, default: getattr(settings, name, default)`` (Django).
    :param check_timeout: the integration's default timeout (e.g. given to its
        constructor), used when ``DOCKERFLOW_CHECK_TIMEOUT`` is not set.
    :param include_details: the integration's default for
        ``DOCKERFLOW_HEARTBEAT_INCLUDE_DETAILS``.
    :raises ConfigurationError: naming the first setting with an unusable value.
    """
    timeout = get("DOCKERFLOW_CHECK_TIMEOUT", None)
    header = get("DOCKERFLOW_REQUEST_ID_HEADER_NAME", None) or DEFAULT_REQUEST_ID_HEADER
    if not isinstance(header, str) or not header.strip():
        raise ConfigurationError(
            f"DOCKERFLOW_REQUEST_ID_HEADER_NAME must be a header name, not {header!r}"
        )
    return DockerflowSettings(
        check_timeout=parse_seconds(
            "DOCKERFLOW_CHECK_TIMEOUT",
            timeout if timeout is not None else (check_timeout or DEFAULT_CHECK_TIMEOUT),
        ),
        heartbeat_failed_status_code=parse_status_code(
            "DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE",
            get("DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE", 500),
        ),
        heartbeat_cache_ttl=parse_seconds(
            "DOCKERFLOW_HEARTBEAT_CACHE_TTL",
            get("DOCKERFLOW_HEARTBEAT_CACHE_TTL", 0),
            allow_zero=True,
        ),
        heartbeat_include_details=parse_bool(
            "DOCKERFLOW_HEARTBEAT_INCLUDE_DETAILS",
            get("DOCKERFLOW_HEARTBEAT_INCLUDE_DETAILS", include_details),
        ),
        summary_log_querystring=parse_bool(
            "DOCKERFLOW_SUMMARY_LOG_QUERYSTRING", get("DOCKERFLOW_SUMMARY_LOG_QUERYSTRING", False)
        ),
        request_id_header_name=header.strip(),
        enable_error_endpoint=parse_bool(
            "DOCKERFLOW_ENABLE_ERROR_ENDPOINT", get("DOCKERFLOW_ENABLE_ERROR_ENDPOINT", True)
        ),
    )
