"""The mozlog JSON formatter."""

from __future__ import annotations

import datetime
import json
import logging
import math
import os
import socket
import traceback
import warnings
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from enum import Enum
from itertools import islice
from types import TracebackType
from typing import Any
from uuid import UUID

_orjson: Any
try:  # The optional fast backend: ``pip install dockerflow-core[orjson]``.
    import orjson as _orjson
except ImportError:  # pragma: no cover - exercised by the stdlib-only CI corner
    _orjson = None

__all__ = ["JsonLogFormatter", "MozlogFormatter", "SafeJSONEncoder", "safer_format_traceback"]

# Attributes every LogRecord has: they are the record's plumbing, not data.
# ``LogRecord.__init__`` sets them in this order, before ``extra`` values, filters and
# record factories add theirs, so they lead ``record.__dict__``.
_INIT_ATTRS = tuple(vars(logging.LogRecord("", 0, "", 0, "", (), None)))
_INIT_COUNT = len(_INIT_ATTRS)
_INIT_LAST = _INIT_ATTRS[-1]
# ``logger_name`` is not one of them, but a record may carry it (``extra={"logger_name":
# ...}``) to override the formatter's ``Logger`` field, as it could with the reference.
_RECORD_ATTRS = frozenset(_INIT_ATTRS) | {"message", "asctime", "taskName", "logger_name"}

# How many (logger, level, process, ...) envelopes a formatter keeps serialized.
_ENVELOPES_KEPT = 1024

_MAX_DEPTH = 64


def _safe_repr(value: object) -> str:
    try:
        return repr(value)
    except Exception:
        return f"<unrepresentable {type(value).__name__}>"


class SafeJSONEncoder(json.JSONEncoder):
    """A JSON encoder that never gives up on a value it does not know.

    Dates and times become ISO 8601 strings; ``Decimal``, ``UUID`` and paths
    become strings; bytes are decoded as UTF-8 (invalid bytes escaped); sets become
    lists; enums their value; anything else its ``repr()``.
    """

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.date | datetime.time):
            return o.isoformat()
        if isinstance(o, Decimal | UUID):
            return str(o)
        if isinstance(o, bytes | bytearray | memoryview):
            return bytes(o).decode("utf-8", "backslashreplace")
        if isinstance(o, set | frozenset):
            return list(o)
        if isinstance(o, Enum):
            return o.value
        if isinstance(o, os.PathLike):
            return os.fspath(o)
        return _safe_repr(o)


def _json_key(key: object) -> str:
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, bool | int | float):
        return str(key)
    return _safe_repr(key)


def _sanitize(value: Any, depth: int, seen: set[int], encoder: SafeJSONEncoder) -> Any:
    """A JSON-safe copy of ``value``: cycles, NaN/infinity, odd keys and depth tamed."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if depth > _MAX_DEPTH:
        return "<too deep>"
    ident = id(value)
    if ident in seen:
        return "<circular>"
    if isinstance(value, Mapping):
        seen.add(ident)
        try:
            return {_json_key(k): _sanitize(v, depth + 1, seen, encoder) for k, v in value.items()}
        finally:
            seen.discard(ident)
    if isinstance(value, list | tuple):
        seen.add(ident)
        try:
            return [_sanitize(v, depth + 1, seen, encoder) for v in value]
        finally:
            seen.discard(ident)
    try:
        converted = encoder.default(value)
    except Exception:
        return _safe_repr(value)
    if converted is value:
        return _safe_repr(value)
    seen.add(ident)
    try:
        return _sanitize(converted, depth + 1, seen, encoder)
    finally:
        seen.discard(ident)


def _timestamp(record: logging.LogRecord) -> int:
    try:
        return int(record.created * 1_000_000_000)
    except Exception:  # a record whose ``created`` was tampered with
        return 0


def safer_format_traceback(
    exc_typ: type[BaseException] | None, exc_val: BaseException | None, exc_tb: TracebackType | None
) -> str:
    """Format a traceback with the exception itself passed through ``repr()``.

    An exception message can carry anything a client sent (a crafted ``ValueError``
    text with newlines, say); with ``repr()`` its special characters are escaped,
    so it cannot forge log lines.
    """
    parts = ["Uncaught exception:\n"]
    parts.extend(traceback.format_tb(exc_tb))
    parts.append(f"{_safe_repr(exc_typ)}\n")
    parts.append(f"{_safe_repr(exc_val)}\n")
    return "".join(parts)


# Python levels to syslog severities, and to the names Google Cloud Logging reads.
_SYSLOG = ((logging.CRITICAL, 2), (logging.ERROR, 3), (logging.WARNING, 4), (logging.INFO, 6))
_GCP = (
    (logging.CRITICAL, "critical"),
    (logging.ERROR, "error"),
    (logging.WARNING, "warning"),
    (logging.INFO, "info"),
)


def _syslog_severity(levelno: int) -> int:
    for threshold, severity in _SYSLOG:
        if levelno >= threshold:
            return severity
    return 7


def _cloud_severity(levelno: int) -> str:
    for threshold, name in _GCP:
        if levelno >= threshold:
            return name
    return "debug"


# Values orjson and the stdlib encoder write byte for byte alike (ASCII output aside).
_PLAIN_TYPES = frozenset({str, int, bool, type(None)})


def plain_values(values: Iterable[Any]) -> bool:
    """Whether every one of ``values`` is a string, an integer, a boolean or ``None``
    (exactly those types: orjson and the stdlib write them alike)."""
    return _PLAIN_TYPES.issuperset(map(type, values))


# Python level -> (syslog severity, the level name Google Cloud Logging reads).
_SEVERITIES = {level: (_syslog_severity(level), _cloud_severity(level)) for level in range(60)}


def _severities(levelno: int) -> tuple[int, str]:
    found = _SEVERITIES.get(levelno)
    return found if found is not None else (_syslog_severity(levelno), _cloud_severity(levelno))


class MozlogFormatter(logging.Formatter):
    """Format records as one line of mozlog JSON each.

    Every record becomes an object with ``Timestamp`` (integer nanoseconds),
    ``Type`` (the logger's name), ``Logger`` (``logger_name``), ``Hostname``,
    ``EnvVersion`` (``"2.0"``), ``Severity`` (the syslog level), ``Pid``,
    ``severity`` (a lowercase level name Google Cloud Logging understands) and
    ``Fields``: the record's ``extra`` values, its message as ``msg``, and for an
    exception ``error`` and ``traceback`` (and ``stack`` for ``stack_info``).

    It never raises and never drops a record: values that are not JSON (objects,
    bytes, sets, dates, circular structures, NaN) are converted, a message that
    cannot be formatted is logged as its ``repr()``.

    Use it from :func:`logging.config.dictConfig` (``'()':
    'dockerflow.logging.MozlogFormatter'``) or a ``fileConfig`` ini file
    (``class = dockerflow.logging.MozlogFormatter``).

    :param fmt: ignored (the layout is mozlog); accepted so logging's config
        machinery can pass it.
    :param datefmt: ignored, likewise.
    :param style: ignored, likewise.
    :param logger_name: the ``Logger`` field: the name of the application.

    With ``orjson`` installed (``pip install dockerflow-core[orjson]``), records of
    plain values (strings, integers, booleans, ``None``, as a ``request.summary`` is)
    are serialized by it, several times faster; its output is used only when it is
    identical to the standard library's, so the lines are the same either way.
    """

    LOGGING_FORMAT_VERSION = "2.0"
    #: Record attributes left out of ``Fields``; a subclass may extend it.
    EXCLUDED_LOGRECORD_ATTRS: frozenset[str] = _RECORD_ATTRS
    #: Syslog severities of the standard levels. A subclass that replaces this map
    #: gets the reference library's lookup: exact level, else ``DEFAULT_SYSLOG_LEVEL``.
    #: By default, a level between two standard ones gets the lower one's severity.
    SYSLOG_LEVEL_MAP: dict[int, int] = {50: 2, 40: 3, 30: 4, 20: 6, 10: 7}
    DEFAULT_SYSLOG_LEVEL = 7

    def __init__(
        self,
        fmt: str | None = None,
        datefmt: str | None = None,
        style: str = "%",
        logger_name: str = "Dockerflow",
        validate: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(fmt, datefmt, style, validate, **kwargs)  # type: ignore[arg-type]
        self.logger_name = logger_name
        self.hostname = socket.gethostname()
        self.encoder = SafeJSONEncoder(allow_nan=False, separators=(",", ":"))
        self._encode = self.encoder.encode
        self._excluded = self.EXCLUDED_LOGRECORD_ATTRS
        self._severities: Callable[[int], tuple[int, str]] = _severities
        if self.SYSLOG_LEVEL_MAP is not MozlogFormatter.SYSLOG_LEVEL_MAP:
            syslog_map, default = self.SYSLOG_LEVEL_MAP, self.DEFAULT_SYSLOG_LEVEL
            self._severities = lambda levelno: (
                syslog_map.get(levelno, default),
                _cloud_severity(levelno),
            )
        # With our own convert_record, only Fields can hold values that are not plain.
        self._own_convert = type(self).convert_record is MozlogFormatter.convert_record
        # The serialized envelope of each (Type, level, Pid, Logger, Hostname) seen.
        self._envelopes: dict[tuple[Any, ...], str] = {}
        self._dumps: Callable[[Any], bytes] | None = _orjson.dumps if _orjson is not None else None
        self._plain_path = self._own_convert and self._excluded.issuperset(_INIT_ATTRS)

    def is_value_jsonlike(self, value: str) -> bool:
        """Return whether the string ``value`` looks like a JSON object."""
        return value.startswith("{") and value.endswith("}")

    def convert_record(self, record: logging.LogRecord) -> dict[str, Any]:
        """Convert ``record`` into the mozlog dict that :meth:`format` serializes."""
        attrs = record.__dict__
        excluded = self._excluded
        fields = {key: value for key, value in attrs.items() if key not in excluded}
        try:
            message = record.getMessage()
        except Exception:
            message = f"{_safe_repr(record.msg)} % {_safe_repr(record.args)}"
        if message:
            fields["msg"] = message
        exc_info = record.exc_info
        if exc_info and exc_info[0] is not None:
            fields["error"] = _safe_repr(exc_info[1])
            fields["traceback"] = safer_format_traceback(*exc_info)
        if record.stack_info:
            fields["stack"] = record.stack_info
        syslog, cloud = self._severities(record.levelno)
        return {
            "Timestamp": int(record.created * 1_000_000_000),
            "Type": record.name,
            "Logger": attrs.get("logger_name", self.logger_name),
            "Hostname": self.hostname,
            "EnvVersion": self.LOGGING_FORMAT_VERSION,
            "Severity": syslog,
            "severity": cloud,
            "Pid": record.process,
            "Fields": fields,
        }

    def format(self, record: logging.LogRecord) -> str:
        """Format ``record`` as one line of mozlog JSON."""
        if self._plain_path:
            try:
                line = self._format_plain(record)
            except Exception:
                line = None
            if line is not None:
                return line
        try:
            out = self.convert_record(record)
        except Exception as exc:
            out = self._minimal(record, exc)
        else:
            fields = out["Fields"]
            # convert_record's own envelope is plain: only Fields can hold other values.
            if self._own_convert and plain_values(fields.values()):
                try:
                    return self._plain_line(
                        out["Type"],
                        record.levelno,
                        out["Pid"],
                        out["Timestamp"],
                        fields,
                        out["Logger"],
                    )
                except Exception:  # e.g. an unhashable logger_name: the stdlib writes it
                    pass
        try:
            return self._encode(out)
        except Exception:
            pass
        try:
            return self._encode(_sanitize(out, 0, set(), self.encoder))
        except Exception as exc:
            return self._encode(self._minimal(record, exc))

    def _format_plain(self, record: logging.LogRecord) -> str | None:
        """The line of a record of plain values, or ``None`` when it is not one.

        Most records are plain: no exception, no stack, no ``logger_name``, and only
        strings, integers, booleans and ``None`` in ``Fields`` (a ``request.summary``
        is). Such a record is written by :meth:`_plain_line`; anything else returns
        ``None`` and takes the general path.
        """
        attrs = record.__dict__
        keys = iter(attrs)
        # The record's own attributes lead its ``__dict__`` (see _INIT_ATTRS): the last
        # of them in its place means the keys after it are the ``extra`` values and
        # what filters added. Anything else (an attribute deleted, a record class
        # that sets its own first) takes the general path.
        if (
            next(islice(keys, _INIT_COUNT - 1, None), None) != _INIT_LAST
            or record.exc_info
            or record.stack_info
            or "logger_name" in attrs
        ):
            return None
        excluded = self._excluded
        fields: dict[str, Any] = {}
        for key in keys:
            if key not in excluded:
                value = fields[key] = attrs[key]
                if type(value) not in _PLAIN_TYPES:
                    return None
        message = record.getMessage()
        if message:
            if type(message) is not str:
                return None
            fields["msg"] = message
        return self._plain_line(
            record.name,
            record.levelno,
            record.process,
            int(record.created * 1_000_000_000),
            fields,
            self.logger_name,
        )

    def _plain_line(
        self,
        name: Any,
        levelno: int,
        process: Any,
        timestamp: int,
        fields: dict[str, Any],
        logger_name: Any,
    ) -> str:
        """The line of a record whose ``Fields`` are ``fields``, all of them plain
        values (see :func:`plain_values`), and whose ``Logger`` is ``logger_name``.

        The line is the serialized envelope of the record's logger and level, kept
        from the first record of that pair, around ``Timestamp`` and the serialized
        ``Fields``: the same characters as :meth:`convert_record`'s dict encoded in one
        piece, without building the envelope for every record.
        """
        body: str | None = None
        if self._dumps is not None:
            try:
                raw = self._dumps(fields)
            except Exception:  # an int beyond 64 bits, a lone surrogate
                pass
            else:
                # The stdlib escapes non-ASCII and DEL; orjson does not. Same bytes otherwise.
                if raw.isascii() and 127 not in raw:
                    body = raw.decode("ascii")
        if body is None:
            body = self._encode(fields)
        shared = (name, levelno, process, logger_name, self.hostname)
        envelope = self._envelopes.get(shared)
        if envelope is None:
            envelope = self._envelope(shared)
        return f'{{"Timestamp":{timestamp}{envelope}{body}}}'

    def _envelope(self, key: tuple[Any, ...]) -> str:
        # What lies between ``Timestamp`` and the value of ``Fields``, in convert_record's order.
        name, levelno, process, logger_name, hostname = key
        syslog, cloud = self._severities(levelno)
        encode = self._encode
        envelope = (
            f',"Type":{encode(name)},"Logger":{encode(logger_name)}'
            f',"Hostname":{encode(hostname)},"EnvVersion":{encode(self.LOGGING_FORMAT_VERSION)}'
            f',"Severity":{encode(syslog)},"severity":{encode(cloud)},"Pid":{encode(process)}'
            ',"Fields":'
        )
        if len(self._envelopes) >= _ENVELOPES_KEPT:
            self._envelopes.clear()
        self._envelopes[key] = envelope
        return envelope

    def _minimal(self, record: logging.LogRecord, exc: BaseException) -> dict[str, Any]:
        # The last resort: what can always be said about a record.
        return {
            "Timestamp": _timestamp(record),
            "Type": str(getattr(record, "name", "")),
            "Logger": self.logger_name,
            "Hostname": self.hostname,
            "EnvVersion": self.LOGGING_FORMAT_VERSION,
            "Severity": 3,
            "severity": "error",
            "Pid": getattr(record, "process", None),
            "Fields": {
                "msg": _safe_repr(getattr(record, "msg", None)),
                "formatter_error": _safe_repr(exc),
            },
        }


class JsonLogFormatter(MozlogFormatter):
    """The former name of :class:`MozlogFormatter`.

    .. deprecated:: 2026.11.0
        Use :class:`MozlogFormatter`; this name keeps working and warns.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        warnings.warn(
            "JsonLogFormatter is deprecated; use dockerflow.logging.MozlogFormatter",
            DeprecationWarning,
            stacklevel=2,
        )
        super().__init__(*args, **kwargs)
