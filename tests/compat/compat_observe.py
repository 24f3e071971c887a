"""What a compat scenario uses to record its observations; runs in both environments.

This module is imported by the scenario subprocesses, once under the pinned reference
library and once under our packages, so it uses the standard library only and never
imports ``dockerflow`` itself. A scenario gets an :class:`Observer` as ``obs``::

    def test_flask_endpoints(obs):
        from flask import Flask
        from dockerflow.flask import Dockerflow

        app = Flask(__name__)
        Dockerflow(app)
        with obs.capture_logs("logs"):
            response = app.test_client().get("/__heartbeat__")
        obs.response("heartbeat", response.status_code, response.headers, response.data)

Everything recorded is normalised (see :func:`normalise`) so that values that differ
from run to run (timestamps, durations, uuids, pids, host names, memory addresses)
compare equal, and written as JSON for the harness to compare.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sys
import traceback
from collections.abc import Iterator, Mapping
from typing import Any

#: ``LogRecord`` attributes every record has: what is left are the record's fields.
STANDARD_RECORD_ATTRS = frozenset(
    logging.LogRecord("x", logging.INFO, "x", 1, "x", None, None).__dict__
) | {"message", "asctime", "taskName"}

#: Response headers a scenario's observation keeps (lowercase names).
RELEVANT_HEADERS = frozenset(
    {"content-type", "cache-control", "location", "x-request-id", "www-authenticate"}
)

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,16}")
#: Keys whose values change from run to run: the value becomes a placeholder of its type.
_VOLATILE_KEYS = frozenset(
    {"Timestamp", "Pid", "pid", "Hostname", "hostname", "t", "traceback", "start_timestamp"}
)


def normalise(value: Any, key: str | None = None) -> Any:
    """Return ``value`` as plain JSON data with the run-dependent parts replaced.

    * values under a volatile key (``Timestamp``, ``Pid``, ``Hostname``, ``t``,
      ``traceback``, ...) become ``"<int>"``, ``"<float>"``, ``"<str>"``, ... (their type
      is still compared, their value not);
    * uuids inside strings become ``<uuid>``, memory addresses ``0x?``;
    * tuples become lists, mapping keys strings, anything else not JSON its ``repr()``.
    """
    if key in _VOLATILE_KEYS and value is not None:
        if isinstance(value, str) and value.startswith("<") and value.endswith(">"):
            return value  # normalised already
        return f"<{type(value).__name__}>"
    if isinstance(value, str):
        return _ADDRESS.sub("0x?", _UUID.sub("<uuid>", value))
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        return (
            value if value == value and value not in (float("inf"), float("-inf")) else repr(value)
        )
    if isinstance(value, Mapping):
        return {str(k): normalise(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalise(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((normalise(v) for v in value), key=repr)
    if isinstance(value, bytes):
        return normalise(value.decode("utf-8", "replace"))
    return normalise(repr(value))


def record_to_dict(record: logging.LogRecord) -> dict[str, Any]:
    """What a user's handler sees of ``record``: logger, level, message, fields, and the
    exception (``exc``) when the record carries one."""
    try:
        message = record.getMessage()
    except Exception as exc:  # a broken record is an observation too
        message = f"<getMessage() raised {type(exc).__name__}>"
    fields = {k: v for k, v in record.__dict__.items() if k not in STANDARD_RECORD_ATTRS}
    observed: dict[str, Any] = {
        "logger": record.name,
        "level": record.levelname,
        "message": message,
        "fields": fields,
    }
    if record.exc_info and record.exc_info[1] is not None:
        # Only when there is one: a traceback attached to a record is an addition.
        exc = record.exc_info[1]
        observed["exc"] = f"{type(exc).__name__}: {exc}"
    return normalise(observed)


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class Observer:
    """Collects a scenario's observations, in order, under unique keys.

    :ivar params: JSON parameters the test passed to the scenario (e.g. a Redis URL).
    """

    def __init__(self, params: dict[str, Any] | None = None) -> None:
        self.params: dict[str, Any] = dict(params or {})
        self.observations: dict[str, Any] = {}

    def record(self, key: str, value: Any) -> None:
        """Record ``value`` (normalised) under ``key``; each key once per scenario."""
        if key in self.observations:
            raise KeyError(f"observation {key!r} recorded twice")
        self.observations[key] = normalise(value)

    def outcome(self, key: str, func: Any, *args: Any, **kwargs: Any) -> Any:
        """Call ``func(*args, **kwargs)`` and record what happened under ``key``:
        ``{"returned": value}`` or ``{"raised": "Type: message"}``; returns the value
        (``None`` when it raised)."""
        try:
            value = func(*args, **kwargs)
        except Exception as exc:
            self.record(key, {"raised": f"{type(exc).__name__}: {exc}"})
            return None
        self.record(key, {"returned": value})
        return value

    def response(
        self,
        key: str,
        status: int,
        headers: Any,
        body: bytes | str | None,
        *,
        json_body: bool = True,
    ) -> None:
        """Record an HTTP answer: status, the relevant headers (lowercase names), and the
        body, parsed when it is JSON (an empty body is ``""``)."""
        items = headers.items() if hasattr(headers, "items") else headers
        kept = {str(k).lower(): str(v) for k, v in items if str(k).lower() in RELEVANT_HEADERS}
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
        parsed: Any = text
        if json_body and text:
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = text
        self.record(key, {"status": status, "headers": kept, "body": parsed})

    @contextlib.contextmanager
    def capture_logs(
        self, key: str, level: int = logging.DEBUG, loggers: tuple[str, ...] = ()
    ) -> Iterator[list[logging.LogRecord]]:
        """Record, under ``key``, every log record that reaches the root logger while the
        block runs (as :func:`record_to_dict`); yields the list of raw records.

        :param loggers: keep only the records of these loggers and their children (e.g.
            ``("request.summary", "dockerflow")`` to leave a framework's own chatter out).
        """
        handler = _ListHandler()
        if loggers:
            handler.addFilter(
                lambda r: any(r.name == n or r.name.startswith(f"{n}.") for n in loggers)
            )
        root = logging.getLogger()
        old_level = root.level
        root.addHandler(handler)
        root.setLevel(level)
        try:
            yield handler.records
        finally:
            root.removeHandler(handler)
            root.setLevel(old_level)
            self.record(key, [record_to_dict(r) for r in handler.records])


def run(scenario: Any, params: dict[str, Any], output: str) -> None:
    """Run ``scenario(obs)`` and write its observations to ``output`` as JSON.

    An exception escaping the scenario is an observation too (``"__raised__"``); its
    traceback goes to stderr, which the harness shows when the comparison fails.
    """
    obs = Observer(params)
    try:
        scenario(obs)
    except BaseException as exc:
        traceback.print_exc()
        obs.observations["__raised__"] = normalise(f"{type(exc).__name__}: {exc}")
    with open(output, "w", encoding="utf-8") as fp:
        json.dump(obs.observations, fp, indent=1, sort_keys=False)
    sys.stdout.flush()
