"""Health checks: the message classes, the registry and the concurrent runner.

This is the documented ``from dockerflow import checks`` API::

    from dockerflow import checks

    @checks.register
    def check_storage():
        return [checks.Warning("storage is slow", id="acme.health.W001")]

    results = checks.run_checks(checks.get_checks().items())
    results.level, results.statuses, results.details
"""

from __future__ import annotations

from .messages import (
    CRITICAL,
    DEBUG,
    ERROR,
    INFO,
    STATUSES,
    WARNING,
    CheckMessage,
    Critical,
    Debug,
    Error,
    Info,
    Warning,
    level_to_text,
)
from .registry import (
    DEFAULT_CHECK_TIMEOUT,
    CheckDetail,
    CheckFn,
    CheckRegistry,
    ChecksResults,
    clear_checks,
    default_registry,
    get_checks,
    register,
    register_partial,
    run_checks,
    run_checks_async,
    to_check_thread,
)

__all__ = [
    "CRITICAL",
    "DEBUG",
    "DEFAULT_CHECK_TIMEOUT",
    "ERROR",
    "INFO",
    "STATUSES",
    "WARNING",
    "CheckDetail",
    "CheckFn",
    "CheckMessage",
    "CheckRegistry",
    "ChecksResults",
    "Critical",
    "Debug",
    "Error",
    "Info",
    "Warning",
    "clear_checks",
    "default_registry",
    "get_checks",
    "level_to_text",
    "register",
    "register_partial",
    "registered_checks",
    "run_checks",
    "run_checks_async",
    "to_check_thread",
]


def registered_checks(registry: CheckRegistry) -> dict[str, CheckFn]:
    """The checks of ``registry``, as a heartbeat runs them.

    For the process-wide :data:`default_registry`, they are read through this
    module's :func:`get_checks`, looked up when called: a test that patches it
    (``mock.patch("dockerflow.checks.get_checks", ...)``) decides what the heartbeat
    runs, as with the reference library.
    """
    if registry is default_registry:
        return get_checks()
    return registry.get_checks()
