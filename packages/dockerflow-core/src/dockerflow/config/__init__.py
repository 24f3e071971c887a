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

Django also reads ``DOCKERFLOW_CHECKS`` and ``DOCKERFLOW_VERSION_CALLBACK``
(:data:`DJANGO_SETTING_NAMES`). A setting under any other name is ignored;
:func:`misspelled_settings` finds the names that look like one of these misspelt
(``DOCKERFLOW_CHECKTIMEOUT``, ``DOCKERFLOW_TIMEOUT``), which the integrations report
at start-up.
"""

from __future__ import annotations

import logging
import math
import types
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any

from ..checks.registry import DEFAULT_CHECK_TIMEOUT

__all__ = [
    "DEFAULT_REQUEST_ID_HEADER",
    "DJANGO_SETTING_NAMES",
    "SETTING_NAMES",
    "ConfigurationError",
    "DockerflowSettings",
    "failure_status_warning",
    "misspelled_settings",
    "parse_bool",
    "parse_seconds",
    "parse_status_code",
    "read_settings",
    "require_object",
    "settings_errors",
    "warn_about_settings",
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


def _header_name(get: Getter, check_timeout: float | None, include_details: bool) -> str:
    header = get("DOCKERFLOW_REQUEST_ID_HEADER_NAME", None) or DEFAULT_REQUEST_ID_HEADER
    if not isinstance(header, str) or not header.strip():
        raise ConfigurationError(
            f"DOCKERFLOW_REQUEST_ID_HEADER_NAME must be a header name, not {header!r}"
        )
    return header.strip()


def _check_timeout(get: Getter, check_timeout: float | None, include_details: bool) -> float:
    timeout = get("DOCKERFLOW_CHECK_TIMEOUT", None)
    if timeout is None:
        timeout = check_timeout or DEFAULT_CHECK_TIMEOUT
    return parse_seconds("DOCKERFLOW_CHECK_TIMEOUT", timeout)


def _failed_status_code(get: Getter, check_timeout: float | None, include_details: bool) -> int:
    name = "DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE"
    return parse_status_code(name, get(name, 500))


def _cache_ttl(get: Getter, check_timeout: float | None, include_details: bool) -> float:
    name = "DOCKERFLOW_HEARTBEAT_CACHE_TTL"
    return parse_seconds(name, get(name, 0), allow_zero=True)


def _include_details(get: Getter, check_timeout: float | None, include_details: bool) -> bool:
    name = "DOCKERFLOW_HEARTBEAT_INCLUDE_DETAILS"
    return parse_bool(name, get(name, include_details))


def _log_querystring(get: Getter, check_timeout: float | None, include_details: bool) -> bool:
    name = "DOCKERFLOW_SUMMARY_LOG_QUERYSTRING"
    return parse_bool(name, get(name, False))


def _error_endpoint(get: Getter, check_timeout: float | None, include_details: bool) -> bool:
    name = "DOCKERFLOW_ENABLE_ERROR_ENDPOINT"
    return parse_bool(name, get(name, True))


#: Each field of :class:`DockerflowSettings` and how it is read, in the order the
#: settings are validated.
_READERS: tuple[tuple[str, Callable[[Getter, float | None, bool], Any]], ...] = (
    ("request_id_header_name", _header_name),
    ("check_timeout", _check_timeout),
    ("heartbeat_failed_status_code", _failed_status_code),
    ("heartbeat_cache_ttl", _cache_ttl),
    ("heartbeat_include_details", _include_details),
    ("summary_log_querystring", _log_querystring),
    ("enable_error_endpoint", _error_endpoint),
)


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
    :raises ConfigurationError: naming the first setting with an unusable value
        (:func:`settings_errors` lists all of them).
    """
    return DockerflowSettings(
        **{field: read(get, check_timeout, include_details) for field, read in _READERS}
    )


def settings_errors(
    get: Getter,
    *,
    check_timeout: float | None = None,
    include_details: bool = True,
) -> list[ConfigurationError]:
    """Every ``DOCKERFLOW_*`` setting :func:`read_settings` would refuse, one error each,
    in the order it validates them; empty when the settings are usable.

    For reporting a configuration before it is used (Django's ``manage.py check``):
    :func:`read_settings` stops at the first unusable setting. The arguments are
    those of :func:`read_settings`.
    """
    errors: list[ConfigurationError] = []
    for _field, read in _READERS:
        try:
            read(get, check_timeout, include_details)
        except ConfigurationError as exc:
            errors.append(exc)
    return errors


_PREFIX = "DOCKERFLOW_"

#: The settings every integration reads (:func:`read_settings`): each field of
#: :class:`DockerflowSettings` is its setting's name, without the prefix.
SETTING_NAMES: frozenset[str] = frozenset(_PREFIX + field.upper() for field, _read in _READERS)
#: The settings only dockerflow-django reads.
DJANGO_SETTING_NAMES: frozenset[str] = frozenset(
    {"DOCKERFLOW_CHECKS", "DOCKERFLOW_VERSION_CALLBACK"}
)
#: At most this many letters wrong (left out, added, replaced, or two swapped round).
_MAX_TYPOS = 2
#: A name of fewer words must keep at least this share of a setting's own letters.
_MIN_SHARE = 0.5
#: Words that turn a setting's meaning round: a name holding one is never a typo.
_NEGATIONS = frozenset({"NO", "NOT", "NON", "DISABLE", "DISABLED", "EXCLUDE", "SKIP", "HIDE"})


def _squash(name: str) -> str:
    return name.upper().replace("_", "").replace("-", "")


def _words(name: str) -> list[str]:
    return [word for word in name.upper().replace("-", "_").split("_") if word]


def _typos(given: str, meant: str) -> int:
    """How many letters of ``given`` are wrong for ``meant`` (a letter left out, added
    or replaced, two letters swapped round: the optimal string alignment distance),
    counted up to ``_MAX_TYPOS + 1``: only the cells near the diagonal are computed."""
    limit = _MAX_TYPOS + 1
    if abs(len(given) - len(meant)) >= limit:
        return limit
    width = len(meant)
    before: list[int] = []
    previous = list(range(width + 1))
    for i, letter in enumerate(given, 1):
        current = [limit] * (width + 1)
        current[0] = i
        for j in range(max(1, i - limit), min(width, i + limit) + 1):
            other = meant[j - 1]
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (letter != other))
            if i > 1 and j > 1 and letter == meant[j - 2] and given[i - 2] == other:
                cost = min(cost, before[j - 2] + 1)
            current[j] = min(cost, limit)
        if min(current) >= limit:
            return limit
        before, previous = previous, current
    return previous[width]


def _shared_words(known: Collection[str]) -> set[str]:
    # Words in more than one setting (HEARTBEAT): they do not tell the settings apart.
    seen: set[str] = set()
    shared: set[str] = set()
    for setting in known:
        for word in set(_words(setting[len(_PREFIX) :])):
            (shared if word in seen else seen).add(word)
    return shared


def _meant(name: str, known: Collection[str], shared: set[str]) -> str | None:
    """The setting among ``known`` that ``name`` most likely means, if any."""
    words = set(_words(name))
    if words & _NEGATIONS:
        return None
    # A few letters wrong, wherever they are (case and separators do not count). A
    # name with a word added (DOCKERFLOW_CHECK_TIMEOUT_MS) is an app's own.
    squashed = _squash(name)
    typos = sorted(
        (_typos(squashed, _squash(setting)), setting)
        for setting in known
        if not words > set(_words(setting))
    )
    if typos and typos[0][0] <= _MAX_TYPOS:
        return typos[0][1]
    if not name.upper().startswith(_PREFIX):
        return None
    # Words left out or swapped round (DOCKERFLOW_TIMEOUT, DOCKERFLOW_CACHE_TTL): every
    # word is one of a single setting's, and the words no other setting has hold at
    # least half of that setting's own letters.
    given = set(_words(name[len(_PREFIX) :]))
    letters = sum(len(word) for word in given - shared)
    found = []
    for setting in known:
        theirs = set(_words(setting[len(_PREFIX) :]))
        own = sum(len(word) for word in theirs - shared)
        if letters and given <= theirs and letters >= _MIN_SHARE * own:
            found.append(setting)
    return found[0] if len(found) == 1 else None


def misspelled_settings(
    names: Iterable[Any], known: Collection[str] = SETTING_NAMES
) -> list[tuple[str, str]]:
    """The names among ``names`` that look like a Dockerflow setting misspelt, each with
    the setting it most likely means, in the order given.

    A name that is not one of ``known`` counts as misspelt when either

    * it is one of them with at most two letters wrong (left out, added, replaced, or
      two swapped round), not counting case, underscores and hyphens:
      ``DOCKERFLOW_CHECKTIMEOUT``, ``DOCKERFLOW_HEARTBEAT_FAIL_STATUS_CODE``,
      ``dockerflow_check_timeout``, ``DOKCERFLOW_CHECK_TIMEOUT``; or
    * it starts with ``DOCKERFLOW_``, every word after that is a word of one and the
      same setting, in any order, and those of its words no other setting has hold at
      least half of that setting's such letters (``HEARTBEAT``, in three settings,
      does not count): ``DOCKERFLOW_TIMEOUT``, ``DOCKERFLOW_CACHE_TTL``,
      ``DOCKERFLOW_FAILED_HEARTBEAT_STATUS_CODE``; not ``DOCKERFLOW_HEARTBEAT_TTL``.

    It never counts when it holds a setting's every word and one more
    (``DOCKERFLOW_CHECK_TIMEOUT_MS``, ``DOCKERFLOW_REDIS_CHECK_TIMEOUT``), or a word
    that turns a meaning round (``NO``, ``NOT``, ``NON``, ``DISABLE``, ``DISABLED``,
    ``EXCLUDE``, ``SKIP``, ``HIDE``: ``DOCKERFLOW_HEARTBEAT_EXCLUDE_DETAILS``). Any
    other name, an application's own ``DOCKERFLOW_*`` setting among them
    (``DOCKERFLOW_SENTRY_DSN``), is left alone, as are values that are not strings.

    :param names: the names an application's settings define, e.g. ``app.config``'s
        keys or ``dir(django.conf.settings)``.
    :param known: the settings to compare them with: by default
        :data:`SETTING_NAMES`, the ones every integration reads.
    :returns: ``(name, meant)`` pairs; empty when nothing looks misspelt.
    """
    shared = _shared_words(known)
    found: list[tuple[str, str]] = []
    for name in names:
        if not isinstance(name, str) or name in known:
            continue
        meant = _meant(name, known, shared)
        if meant is not None:
            found.append((name, meant))
    return found


def _name_problems(names: Iterable[Any]) -> list[str]:
    # What warn_about_settings says of the names of an integration other than Django's.
    names = list(names)
    problems = [
        f"{name} is read by dockerflow-django only, so it is ignored here"
        for name in names
        if name in DJANGO_SETTING_NAMES
    ]
    for name, meant in misspelled_settings(names, SETTING_NAMES | DJANGO_SETTING_NAMES):
        if meant in DJANGO_SETTING_NAMES:
            problems.append(
                f"{name} is not a Dockerflow setting, so Dockerflow ignores it; it looks "
                f"like {meant}, which dockerflow-django alone reads"
            )
        else:
            problems.append(
                f"{name} is not a Dockerflow setting, so Dockerflow ignores it: "
                f"did you mean {meant}?"
            )
    return problems


def failure_status_warning(get: Getter) -> str | None:
    """The warning for a ``DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE`` below 400: a
    failing heartbeat would answer with a status that probes read as healthy.

    :returns: the warning's text, or ``None`` when the status is 400 or more, or not
        usable at all (:func:`settings_errors` reports that).
    """
    try:
        code = _failed_status_code(get, None, True)
    except ConfigurationError:
        return None
    if code >= 400:
        return None
    return (
        f"DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE is {code}: a failing heartbeat answers "
        f"{code}, which load balancers and orchestrators read as healthy"
    )


def warn_about_settings(
    get: Getter,
    logger: logging.Logger,
    *,
    check_timeout: float | None = None,
    include_details: bool = True,
    names: Iterable[Any] = (),
) -> list[str]:
    """Log a ``WARNING`` on ``logger`` for every ``DOCKERFLOW_*`` setting the endpoints
    could not use (:func:`settings_errors`), for a failure status probes read as
    healthy (:func:`failure_status_warning`), and for every name in ``names`` that
    looks like a setting misspelt (:func:`misspelled_settings`) or is a setting only
    dockerflow-django reads (:data:`DJANGO_SETTING_NAMES`).

    The Flask and Sanic integrations call it when they are set up, and the FastAPI one
    when the app starts, so a typo shows in the logs at start-up, not only at the first
    heartbeat (or never, for a misspelt name). ``check_timeout`` and
    ``include_details`` are those of :func:`read_settings`.

    :param names: the names the application's settings define (``app.config``'s
        keys); none by default.

    :returns: the texts logged (empty when there was nothing to say).
    """
    problems = [
        f"{exc}: every /__heartbeat__ answers 500 until it is fixed"
        for exc in settings_errors(
            get, check_timeout=check_timeout, include_details=include_details
        )
    ]
    status = failure_status_warning(get)
    if status is not None:
        problems.append(status)
    problems.extend(_name_problems(names))
    for problem in problems:
        logger.warning("%s", problem)
    return problems
