"""Writing a record of plain fields without building a :class:`logging.LogRecord`.

Every request logs one ``request.summary`` record, and most of what that costs is
the logging machinery, not the line: the record (its clock, thread, process and
task lookups), the logger's and handlers' dispatch, and the formatter taking the
record apart again. When the configuration could not tell the difference, the line
is written straight to the handlers' streams instead; :func:`write_fields` says
whether it could.

It could when the record factory is the standard one, the logger has no filter, and
every handler the record would reach is a :class:`logging.StreamHandler`, a
:class:`logging.FileHandler` whose file is open, or a
:class:`~dockerflow.logging.MozlogHandler` (exactly those classes, whose ``emit``
is format, write, flush) with a :class:`~dockerflow.logging.MozlogFormatter` (or
the deprecated ``JsonLogFormatter``) and no filter but
:class:`~dockerflow.logging.RequestIdLogFilter`. The line is the one the formatter
would have written for the record; handler levels, locks and propagation are
honoured as :meth:`logging.Logger.handle` honours them. Anything else, and any
record whose fields are not all plain values, goes through the logger as usual.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from ..request import RequestIdLogFilter, request_id_context
from .formatter import _PLAIN_TYPES, _RECORD_ATTRS, JsonLogFormatter, MozlogFormatter
from .handler import MozlogHandler

__all__ = ["write_fields"]

# FileHandler's emit is StreamHandler's once its file is open (``stream`` set).
_DIRECT_HANDLERS = (logging.StreamHandler, logging.FileHandler, MozlogHandler)
_DIRECT_FORMATTERS = (MozlogFormatter, JsonLogFormatter)

# The process id of a record (``os.getpid()``), kept, and renewed in a forked child.
_pid = os.getpid()


def _renew_pid() -> None:
    global _pid
    _pid = os.getpid()


if hasattr(os, "register_at_fork"):  # not on Windows
    os.register_at_fork(after_in_child=_renew_pid)


def write_fields(logger: logging.Logger, level: int, fields: dict[str, Any]) -> bool:
    """Write a record of ``logger`` at ``level`` whose ``extra`` values are ``fields``
    (and whose message is empty) straight to the handlers, when that is the same as
    logging it; return ``False``, having written nothing, when it is not.

    The caller has checked ``logger.isEnabledFor(level)``.
    """
    if (
        logger.disabled
        or logger.filters
        or logging.getLogRecordFactory() is not logging.LogRecord
        or not _RECORD_ATTRS.isdisjoint(fields)  # a record's own attribute, or logger_name
        or not _PLAIN_TYPES.issuperset(map(type, fields.values()))  # see plain_values()
    ):
        return False
    # The handlers the record would be emitted by, as Logger.callHandlers finds them,
    # when every one of them can be written to directly (and there is one at least:
    # otherwise logging's last resort decides).
    handlers: list[Any] = []
    found = False
    current: logging.Logger | None = logger
    while current is not None:
        for handler in current.handlers:
            found = True
            if level < handler.level:
                continue
            if (
                type(handler) not in _DIRECT_HANDLERS
                or type(handler.formatter) not in _DIRECT_FORMATTERS
                or getattr(handler, "stream", None) is None
            ):
                return False
            for check in handler.filters:
                # The request-id filter would set the ``rid`` the fields already hold.
                if (
                    type(check) is not RequestIdLogFilter
                    or fields.get("rid") != request_id_context.get()
                ):
                    return False
            handlers.append(handler)
        current = current.parent if current.propagate else None
    if not found:
        return False
    timestamp = time.time_ns()
    process = _pid if logging.logProcesses else None
    formatted_by: Any = None
    line: Any = None
    # A MozlogHandler sets record.logger_name as it emits: its name is the Logger of its
    # line and of the lines of every handler after it (as on the record path).
    handler_name: Any = None
    written_name: Any = None
    for handler in handlers:
        formatter = handler.formatter
        if type(handler) is MozlogHandler:
            handler_name = handler.logger_name
        name = formatter.logger_name if handler_name is None else handler_name
        # Usually one formatter and one name for every handler: one line.
        if formatter is not formatted_by or name is not written_name:
            formatted_by, written_name = formatter, name
            line = formatter._plain_line(logger.name, level, process, timestamp, fields, name)
        # handler.acquire() and release() of these exact classes, without their calls.
        lock = handler.lock
        if lock:
            lock.acquire()
        try:
            stream = handler.stream
            stream.write(line + handler.terminator)
            if hasattr(stream, "flush"):  # as StreamHandler.flush, whose lock is held
                stream.flush()
        except RecursionError:
            raise
        except Exception:
            handler.handleError(_record(logger, level, timestamp, fields))
        finally:
            if lock:
                lock.release()
    return True


def _record(logger: logging.Logger, level: int, timestamp: int, fields: dict[str, Any]) -> Any:
    # For a handler's error report only: the record that would have been written.
    record = logger.makeRecord(logger.name, level, __file__, 0, "", (), None)
    record.created = timestamp / 1e9
    record.__dict__.update(fields)
    return record
