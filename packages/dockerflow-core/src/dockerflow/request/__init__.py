"""Per-request context shared by every integration: request ids and ``request.summary``.

Request ids
    :func:`get_or_generate_request_id` reads the id a proxy or client sent
    (``X-Request-ID`` unless configured otherwise) and keeps it only when it is
    safe to log: at most 128 characters of ASCII letters, digits and ``-_.:``
    (UUIDs, hex strings, ``tracked-value`` pass). Anything else (too long, CR/LF,
    control or non-ASCII characters, spaces) is replaced by a fresh UUID4, and
    the raw value is never logged. The id of the current request lives in
    :data:`request_id_context`; :class:`RequestIdLogFilter` copies it onto every
    log record as ``rid``.

``request.summary``
    :func:`summary_fields` builds the fields of the one record logged per
    request, and :func:`log_summary` logs it on the ``request.summary`` logger.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import Any, NoReturn

from ..config import DEFAULT_REQUEST_ID_HEADER

__all__ = [
    "ERROR_ENDPOINT_MESSAGE",
    "MAX_REQUEST_ID_LENGTH",
    "SUMMARY_LOGGER_NAME",
    "RequestIdLogFilter",
    "elapsed_ms",
    "exception_message",
    "generate_request_id",
    "get_or_generate_request_id",
    "get_summary_logger",
    "is_valid_request_id",
    "log_summary",
    "raise_error_endpoint",
    "request_id_context",
    "summary_fields",
]

#: The longest request id that is kept as sent.
MAX_REQUEST_ID_LENGTH = 128
_SAFE_ID = re.compile(rf"[A-Za-z0-9._:\-]{{1,{MAX_REQUEST_ID_LENGTH}}}")

#: The id of the request being handled in this context (``None`` outside a request).
request_id_context: ContextVar[str | None] = ContextVar("request_id", default=None)

#: The name of the logger that gets one record per request.
SUMMARY_LOGGER_NAME = "request.summary"

# No logger of dockerflow is created when it is imported: ``logging.config.dictConfig``
# (with its default ``disable_existing_loggers=True``) disables every logger that exists
# when it runs, and the documented configurations run it after the imports.
_summary_logger: logging.Logger | None = None


def get_summary_logger() -> logging.Logger:
    """The ``request.summary`` logger (created on first use, not at import)."""
    global _summary_logger
    if _summary_logger is None:
        _summary_logger = logging.getLogger(SUMMARY_LOGGER_NAME)
    return _summary_logger


def __getattr__(name: str) -> Any:
    # ``dockerflow.request.summary_logger``, without creating it at import time.
    if name == "summary_logger":
        return get_summary_logger()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def is_valid_request_id(value: object) -> bool:
    """Whether ``value`` is a request id that is safe to keep and log."""
    return isinstance(value, str) and _SAFE_ID.fullmatch(value) is not None


# A random hex digit -> the RFC 4122 variant digit keeping its two low bits.
_VARIANT_DIGIT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


#: Random bytes for request ids, 16 per id, drawn from :func:`os.urandom` 64 ids at a time.
_RANDOM_BATCH = 64
_random_ids: list[bytes] = []


def _draw_random_ids() -> bytes:
    data = os.urandom(16 * _RANDOM_BATCH)
    _random_ids.extend(data[i : i + 16] for i in range(16, len(data), 16))
    return data[:16]


if hasattr(os, "register_at_fork"):  # not on Windows
    # A forked worker must never hand out the ids its parent drew.
    os.register_at_fork(after_in_child=_random_ids.clear)


def generate_request_id() -> str:
    """Return a new random request id: a UUID4 in its canonical text form.

    Equivalent to ``str(uuid.uuid4())``: 122 random bits from :func:`os.urandom`, the
    same version and variant bits. It runs for every request that arrives without an
    id, so the random bytes are read 64 ids at a time (one system call instead of 64);
    ``list.pop`` hands each 16 bytes out once, also across threads, and a forked child
    discards what its parent had drawn.
    """
    try:
        raw = _random_ids.pop()
    except IndexError:
        raw = _draw_random_ids()
    h = raw.hex()
    # The version digit is 4; the variant digit's two high bits are 10 (RFC 4122).
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT_DIGIT[h[16]]}{h[17:20]}-{h[20:]}"


def get_or_generate_request_id(headers: Mapping[str, Any], header_name: str | None = None) -> str:
    """Return the request id found in ``headers``, or a new UUID4 when it is missing
    or unsafe.

    :param headers: the request headers; a case-insensitive mapping (as every
        framework provides) or a plain dict.
    :param header_name: the header to read (default ``X-Request-ID``).
    """
    name = header_name or DEFAULT_REQUEST_ID_HEADER
    value = headers.get(name)
    if value is None:
        value = headers.get(name.lower())
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if isinstance(value, str) and _SAFE_ID.fullmatch(value) is not None:
        return value
    return generate_request_id()


class RequestIdLogFilter(logging.Filter):
    """Put the current request id on every record as ``rid`` (``None`` outside a request).

    Add it to a handler (``'filters': ['request_id']`` with ``'()':
    'dockerflow.logging.RequestIdLogFilter'``) so every log line written while a
    request is handled can be tied to its ``request.summary``.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.rid = request_id_context.get()
        return True


def elapsed_ms(start: float) -> int:
    """Whole milliseconds since ``start``, a :func:`time.perf_counter` reading."""
    return int((time.perf_counter() - start) * 1000)


def summary_fields(
    *,
    method: str,
    path: str,
    agent: str,
    lang: str | None,
    uid: Any,
    rid: str | None,
    t: int,
    errno: int,
    code: int | None,
    querystring: str | None = None,
) -> dict[str, Any]:
    """Build the fields of a ``request.summary`` record.

    :param errno: ``0``, or ``500`` when the view raised (what dashboards count).
    :param code: the HTTP status of the response (``None`` when there was none).
    :param t: the time spent on the request, in milliseconds.
    :param querystring: included only when given (``DOCKERFLOW_SUMMARY_LOG_QUERYSTRING``).
    """
    fields: dict[str, Any] = {
        "errno": errno,
        "code": code,
        "agent": agent,
        "lang": lang,
        "method": method,
        "path": path,
        "uid": "" if uid is None else uid,
        "rid": rid,
        "t": t,
    }
    if querystring is not None:
        fields["querystring"] = querystring
    return fields


_write_fields: Callable[[logging.Logger, int, dict[str, Any]], bool] | None = None


def _load_write_fields() -> Callable[[logging.Logger, int, dict[str, Any]], bool]:
    # Imported on first use: dockerflow.logging imports this module.
    global _write_fields
    from ..logging.direct import write_fields

    _write_fields = write_fields
    return write_fields


#: The text of the exception ``/__error__`` raises: the reference library's, so that error
#: trackers, which group by type and message, keep grouping it as before.
ERROR_ENDPOINT_MESSAGE = "This is a test exception from the /__error__ endpoint."


def raise_error_endpoint(logger: logging.Logger) -> NoReturn:
    """What every integration's ``/__error__`` view does, as the reference library does
    it: log ``"The __error__ endpoint was called"`` at ERROR on the integration's
    ``logger``, then raise :exc:`Exception` with :data:`ERROR_ENDPOINT_MESSAGE`.

    :raises Exception: always.
    """
    logger.error("The __error__ endpoint was called")
    raise Exception(ERROR_ENDPOINT_MESSAGE)


def exception_message(exc: BaseException) -> str:
    """The message of the ERROR ``request.summary`` of a request that raised ``exc``:
    ``str(exc)``, as the reference library logs it (``ValueError("exception message")``
    gives ``"exception message"``), or the class name when ``str()`` itself fails."""
    try:
        return str(exc)
    except Exception:
        return type(exc).__name__


def log_summary(
    fields: dict[str, Any],
    exc: BaseException | None = None,
    *,
    logger: logging.Logger | None = None,
) -> None:
    """Log the ``request.summary`` record: INFO with an empty message, or ERROR with
    ``str(exc)`` as the message (:func:`exception_message`) and the traceback when the
    view raised ``exc``; ``fields`` become attributes of the record (``extra``).

    :param logger: the logger to log on, when an integration's ``summary_logger`` was
        replaced by the application; the ``request.summary`` logger by default. Another
        logger gets the record through its ``info()`` or ``error()``, as any record.

    This runs for every request, so it costs as little as the configuration allows.
    When the handlers are plain stream handlers with the mozlog formatter, the line
    is written to them directly (:mod:`dockerflow.logging.direct`), the same line
    without building a :class:`logging.LogRecord`. Otherwise it builds the record
    itself and hands it to the logger's handlers, leaving out what
    :meth:`logging.Logger.info` would add: the caller lookup (the caller of a summary
    is always the integration) and the checks for ``extra`` keys clashing with
    record attributes (``fields`` are ours). The record factory
    (:func:`logging.setLogRecordFactory`), the logger's level, filters and handlers
    are honoured either way.
    """
    level = logging.INFO if exc is None else logging.ERROR
    summary_logger = _summary_logger or get_summary_logger()
    if logger is not None and logger is not summary_logger:
        if exc is None:
            logger.info("", extra=fields)
        else:
            logger.error(exception_message(exc), extra=fields, exc_info=exc)
        return
    if not summary_logger.isEnabledFor(level):
        return
    if exc is None:
        if (_write_fields or _load_write_fields())(summary_logger, level, fields):
            return
        record = logging.getLogRecordFactory()(
            SUMMARY_LOGGER_NAME, level, __file__, 0, "", None, None
        )
    else:
        record = logging.getLogRecordFactory()(
            SUMMARY_LOGGER_NAME,
            level,
            __file__,
            0,
            exception_message(exc),
            None,
            (type(exc), exc, exc.__traceback__),
        )
    record.__dict__.update(fields)
    summary_logger.handle(record)
