"""Check messages: what a health check returns to say how a backing service is doing.

A check is a callable that returns a list of messages (an empty list means all is
well). Each message carries a numeric ``level``; the worst level across all checks
decides whether ``/__heartbeat__`` passes::

    from dockerflow import checks

    def check_storage():
        if not storage.ping():
            return [checks.Error("storage is unreachable", id="acme.health.E001")]
        return []

The classes mirror Django's system-check messages, so Django's own messages and
ours can be mixed freely.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CRITICAL",
    "DEBUG",
    "ERROR",
    "INFO",
    "STATUSES",
    "WARNING",
    "CheckMessage",
    "Critical",
    "Debug",
    "Error",
    "Info",
    "Warning",
    "level_to_text",
]

DEBUG = 10
INFO = 20
WARNING = 30
ERROR = 40
CRITICAL = 50

#: The status text for each level; ``0`` is a check that reported nothing.
STATUSES: dict[int, str] = {
    0: "ok",
    DEBUG: "debug",
    INFO: "info",
    WARNING: "warning",
    ERROR: "error",
    CRITICAL: "critical",
}


def level_to_text(level: int) -> str:
    """Return the status text for ``level`` (``"ok"``, ``"warning"``, ...).

    Levels that are not one of the standard ones map to ``"unknown"``.
    """
    return STATUSES.get(level, "unknown")


class CheckMessage:
    """One finding of a health check.

    :param msg: A human-readable description of the problem.
    :param level: The numeric severity (``DEBUG`` ... ``CRITICAL``).
    :param hint: An optional hint on how to fix the problem.
    :param obj: An optional object the message is about.
    :param id: A stable identifier, e.g. ``"dockerflow.health.E001"``; it is the key
        of the message in the heartbeat's ``details`` and what ``silenced_checks``
        matches.
    """

    level: int = 0

    def __init__(
        self,
        msg: str,
        level: int | None = None,
        hint: str | None = None,
        obj: Any = None,
        id: str | None = None,
    ) -> None:
        if level is None:
            level = type(self).level
        if not isinstance(level, int):
            raise TypeError(f"The level of a check message must be an int, not {level!r}")
        self.msg = msg
        self.level = level
        self.hint = hint
        self.obj = obj
        self.id = id

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CheckMessage):
            return NotImplemented
        return (self.level, self.msg, self.hint, self.obj, self.id) == (
            other.level,
            other.msg,
            other.hint,
            other.obj,
            other.id,
        )

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def __str__(self) -> str:
        obj = "?" if self.obj is None else str(self.obj)
        ident = f"({self.id}) " if self.id else ""
        hint = f"\n\tHINT: {self.hint}" if self.hint else ""
        return f"{obj}: {ident}{self.msg}{hint}"

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__}: level={self.level!r}, msg={self.msg!r}, "
            f"hint={self.hint!r}, obj={self.obj!r}, id={self.id!r}>"
        )

    def is_serious(self, level: int = ERROR) -> bool:
        """Return whether this message is at ``level`` or worse."""
        return self.level >= level


class Debug(CheckMessage):
    """A message at ``DEBUG`` level."""

    level = DEBUG


class Info(CheckMessage):
    """A message at ``INFO`` level."""

    level = INFO


class Warning(CheckMessage):
    """A message at ``WARNING`` level: reported, but the heartbeat still passes."""

    level = WARNING


class Error(CheckMessage):
    """A message at ``ERROR`` level: the heartbeat fails."""

    level = ERROR


class Critical(CheckMessage):
    """A message at ``CRITICAL`` level: the heartbeat fails."""

    level = CRITICAL
