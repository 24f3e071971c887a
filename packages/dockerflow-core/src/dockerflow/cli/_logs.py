"""``dockerflow logs``: mozlog JSON on stdin, for a person (``--pretty``) or for CI (``--validate``).

Input is read with :func:`os.read` in whatever chunks the pipe holds, and the output
of each chunk is written and flushed at once: a fast stream is handled in large
batches, a slow one (``docker logs -f``) line by line as it comes. Nothing in the
input can stop the reader: a line that is not JSON (or not UTF-8, or nested too
deep, or of the wrong types) is passed through unchanged or reported, never raised.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from . import EXIT_FAILED, EXIT_OK

SEVERITIES = ("EMERG", "ALERT", "CRIT", "ERROR", "WARN", "NOTICE", "INFO", "DEBUG")
#: ANSI colour of each syslog severity (0-7).
COLOURS = (
    "\033[1;31m",
    "\033[1;31m",
    "\033[1;31m",
    "\033[31m",
    "\033[33m",
    "\033[36m",
    "\033[32m",
    "\033[2m",
)
RESET = "\033[0m"
DIM = "\033[2m"
#: The fields of a mozlog record and the type each must have.
REQUIRED = (
    ("Timestamp", int),
    ("Type", str),
    ("Logger", str),
    ("Hostname", str),
    ("EnvVersion", str),
    ("Severity", int),
    ("Pid", int),
    ("Fields", dict),
)
#: A Timestamp below this is in seconds, milliseconds or microseconds (1973 in ns).
MIN_NANOSECONDS = 10**17

# Control characters (C0 but tab, DEL, C1) are shown escaped: a log line must not be
# able to drive the reader's terminal.
_CONTROL = {c: f"\\x{c:02x}" for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)] if c != 0x09}
_NEWLINE_CONTROL = {k: v for k, v in _CONTROL.items() if k != 0x0A}
# Most lines hold none: searching is much faster than translating with a dict.
_HAS_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f]").search


def _escape(text: str) -> str:
    return text.translate(_CONTROL) if _HAS_CONTROL(text) else text


def chunks(stream: BinaryIO) -> Iterator[bytes]:
    """What ``stream`` holds, as it arrives (``os.read`` on its descriptor when it has one)."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        fd = -1
    while True:
        data = os.read(fd, 1 << 16) if fd >= 0 else stream.read1(1 << 16)  # type: ignore[attr-defined]
        if not data:
            return
        yield data


def lines(source: Iterator[bytes]) -> Iterator[list[bytes]]:
    """Batches of complete lines (without their end of line); the last may lack one."""
    pending = b""
    for data in source:
        parts = (pending + data).split(b"\n")
        pending = parts.pop()
        if parts:
            yield parts
    if pending:
        yield [pending]


# --validate ---------------------------------------------------------------------------


def problems(line: bytes) -> list[str]:
    """What keeps ``line`` from being one mozlog JSON object (empty: it is one)."""
    if line.endswith(b"\r"):
        line = line[:-1]
    if not line.strip():
        return ["an empty line"]
    try:
        record = json.loads(line)
    except UnicodeDecodeError:
        return ["not UTF-8"]
    except (ValueError, RecursionError) as exc:
        start = line[:40].decode("utf-8", "replace")
        return [f"not JSON ({str(exc).split(':')[0]}): {start!r}"]
    if not isinstance(record, dict):
        return [f"a JSON {type(record).__name__}, not an object"]
    found = []
    for name, kind in REQUIRED:
        if name not in record:
            found.append(f"no {name}")
            continue
        value: Any = record[name]
        if not isinstance(value, kind) or isinstance(value, bool):
            expected = {int: "an integer", str: "a string", dict: "an object"}[kind]
            found.append(f"{name} is {_short(value)}, not {expected}")
        elif name == "Severity" and not 0 <= record[name] <= 7:
            found.append(f"Severity {value} is not 0-7")
        elif name == "Timestamp" and record[name] < MIN_NANOSECONDS:
            found.append(f"Timestamp {value} is not in nanoseconds since the epoch")
        elif name == "Pid" and record[name] < 0:
            found.append(f"Pid {value} is negative")
    return found


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 30 else text[:27] + "..."


def validate(source: Iterator[bytes], out: Callable[[str], Any], max_failures: int) -> int:
    """Validate every line; print the count and the first failures; the exit status."""
    total = bad = 0
    for batch in lines(source):
        for line in batch:
            total += 1
            found = problems(line)
            if found:
                bad += 1
                if bad <= max_failures:
                    out(f"line {total}: {'; '.join(found)}\n".translate(_NEWLINE_CONTROL))
    if total == 0:
        out("0 lines: nothing to validate\n")
        return EXIT_FAILED
    if bad > max_failures:
        out(f"... and {bad - max_failures} more\n")
    out(f"{total} lines: {total - bad} mozlog, {bad} not\n")
    return EXIT_FAILED if bad else EXIT_OK


# --pretty -----------------------------------------------------------------------------


class Pretty:
    """Formats records as readable lines; ``colour`` adds ANSI colours by severity."""

    def __init__(self, colour: bool) -> None:
        self.colour = colour
        self._second = -1
        self._second_text = ""

    def time(self, timestamp: Any) -> str:
        if isinstance(timestamp, bool) or not isinstance(timestamp, (int, float)):
            return "-"
        try:
            second, rest = divmod(int(timestamp), 1_000_000_000)
            if second != self._second:
                self._second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
                self._second = second
        except (OverflowError, OSError, ValueError):
            return str(timestamp)
        return f"{self._second_text}.{rest // 1_000_000:03d}Z"

    def record(self, record: dict[str, Any]) -> str:
        severity = record.get("Severity")
        if isinstance(severity, int) and not isinstance(severity, bool) and 0 <= severity <= 7:
            level = SEVERITIES[severity]
        else:
            level = "-"
            severity = None
        kind = _text(record.get("Type", "-"))
        fields = record.get("Fields")
        if not isinstance(fields, dict):
            fields = {} if fields is None else {"Fields": fields}
        extra_lines: list[str] = []
        if kind == "request.summary":
            message, shown = _summary(fields)
        else:
            message, shown = _text(fields.get("msg", "")), {"msg"}
            if "\n" in message:
                message, _, more = message.partition("\n")
                extra_lines.extend(more.split("\n"))
        rest = [f"{_text(k)}={_value(v)}" for k, v in fields.items() if k not in shown]
        traceback = fields.get("traceback")
        if isinstance(traceback, str) and traceback:
            rest = [r for r in rest if not r.startswith("traceback=")]
            extra_lines.extend(traceback.rstrip("\n").split("\n"))
        head = f"{self.time(record.get('Timestamp'))} {level:<6} {kind}"
        text = f"{head}  {message}" if message else head
        if rest:
            text += "  " + " ".join(rest)
        text = _escape(text)
        if self.colour and severity is not None:
            text = f"{COLOURS[severity]}{text}{RESET}"
        for extra in extra_lines:
            extra = "    " + _escape(extra)
            text += "\n" + (f"{DIM}{extra}{RESET}" if self.colour else extra)
        return text

    def line(self, line: bytes) -> bytes:
        """One input line (without its end of line) as output bytes, end of line included.

        A JSON object with neither ``Type`` nor ``Fields`` is not a log record: it goes
        through unchanged, like any line that is not JSON.
        """
        stripped = line.strip()
        if stripped[:1] == b"{":
            try:
                record = json.loads(stripped)
            except (ValueError, RecursionError):
                record = None
            if isinstance(record, dict) and ("Type" in record or "Fields" in record):
                return (self.record(record) + "\n").encode("utf-8", "backslashreplace")
        return line + b"\n"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else _value(value)


def _value(value: Any) -> str:
    if isinstance(value, str):
        if '"' in value or "\\" in value or not value:
            return json.dumps(value, ensure_ascii=False)
        if " " in value or "=" in value:
            return f'"{value}"'
        return value
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (ValueError, TypeError, RecursionError):
        return repr(value)


def _summary(fields: dict[str, Any]) -> tuple[str, set[str]]:
    """``GET /path?q 200 12ms rid=...`` and the fields it shows."""
    path = _text(fields.get("path", ""))
    query = fields.get("querystring")
    if query:
        path += "?" + _text(query)
    parts = [_text(fields.get("method", "-")), path or "-"]
    code = fields.get("code", fields.get("errno"))
    if code is not None:
        parts.append(_text(code))
    if "t" in fields:
        parts.append(f"{_text(fields['t'])}ms")
    rid = fields.get("rid")
    if rid:
        parts.append(f"rid={_text(rid)}")
    shown = {"method", "path", "querystring", "code", "t", "rid", "msg"}
    if fields.get("errno") in (0, fields.get("code")):
        shown.add("errno")
    for quiet in ("agent", "lang", "uid"):
        if not fields.get(quiet):
            shown.add(quiet)
    return " ".join(parts), shown


def pretty(source: Iterator[bytes], output: BinaryIO, colour: bool) -> int:
    """Write every line of ``source`` to ``output``, records made readable."""
    formatter = Pretty(colour)
    convert = formatter.line
    for batch in lines(source):
        output.write(b"".join([convert(line) for line in batch]))
        output.flush()
    return EXIT_OK


def _use_colour(choice: str, stream: Any) -> bool:
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def run(args: argparse.Namespace) -> int:
    """``--validate`` or ``--pretty`` (the default) over stdin."""
    source = chunks(sys.stdin.buffer)
    try:
        if args.mode == "validate":
            return validate(source, sys.stdout.write, args.max_failures)
        return pretty(source, sys.stdout.buffer, _use_colour(args.color, sys.stdout))
    except BrokenPipeError:
        # The reader went away (`dockerflow logs | head`): stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        return 130
