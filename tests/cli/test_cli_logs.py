"""``dockerflow logs``: --validate and --pretty on real mozlog lines and on garbage."""

from __future__ import annotations

import json
import logging
import random
import subprocess
import sys

import pytest
from cli_support import dockerflow

from dockerflow.cli._logs import Pretty, problems
from dockerflow.logging import MozlogFormatter

TS = 1_764_297_334_123_456_789  # 2025-11-28T02:35:34.123Z


def record(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "Timestamp": TS,
        "Type": "app",
        "Logger": "web",
        "Hostname": "host-1",
        "EnvVersion": "2.0",
        "Severity": 6,
        "Pid": 42,
        "Fields": {"msg": "hello"},
    }
    base.update(overrides)
    return base


def line(**overrides: object) -> str:
    return json.dumps(record(**overrides))


def formatter_lines() -> list[str]:
    """Lines written by core's MozlogFormatter, exception included."""
    formatter = MozlogFormatter(logger_name="web")
    out = []
    for level, msg in [(logging.INFO, "started"), (logging.WARNING, "slow: %s")]:
        rec = logging.LogRecord("app", level, __file__, 1, msg, ("db",) if "%" in msg else (), None)
        out.append(formatter.format(rec))
    try:
        raise ValueError("boom")
    except ValueError:
        rec = logging.LogRecord("app", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    out.append(formatter.format(rec))
    return out


def test_validate_accepts_what_our_formatter_writes():
    lines = formatter_lines()
    result = dockerflow("logs", "--validate", input="\n".join(lines).encode() + b"\n")
    assert (result.returncode, result.stdout) == (0, "3 lines: 3 mozlog, 0 not\n")


def test_validate_reports_the_first_failures_with_line_numbers():
    lines = [
        line(),
        "plain text",
        line(Severity=9),
        line(Timestamp=1764297334),
        json.dumps({k: v for k, v in record().items() if k != "Pid"}),
        line(Fields="oops", Severity=True),
        "[1, 2]",
        "",
        line(),
    ]
    result = dockerflow("logs", "--validate", input="\n".join(lines).encode() + b"\n")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "line 2: not JSON (Expecting value): 'plain text'",
        "line 3: Severity 9 is not 0-7",
        "line 4: Timestamp 1764297334 is not in nanoseconds since the epoch",
        "line 5: no Pid",
        'line 6: Severity is true, not an integer; Fields is "oops", not an object',
        "line 7: a JSON list, not an object",
        "line 8: an empty line",
        "9 lines: 2 mozlog, 7 not",
    ]
    capped = dockerflow(
        "logs", "--validate", "--max-failures", "2", input="\n".join(lines).encode()
    )
    assert capped.stdout.splitlines()[2:] == ["... and 5 more", "9 lines: 2 mozlog, 7 not"]


def test_validate_empty_input_fails():
    result = dockerflow("logs", "--validate", input=b"")
    assert (result.returncode, result.stdout) == (1, "0 lines: nothing to validate\n")


def test_pretty_records_summary_traceback_and_passthrough():
    summary = line(
        Type="request.summary",
        Fields={
            "errno": 0,
            "code": 200,
            "method": "GET",
            "path": "/items",
            "querystring": "page=2",
            "t": 12,
            "rid": "abc-1",
            "agent": "curl/8",
            "lang": "",
            "uid": "",
        },
    )
    error = line(
        Severity=3,
        Fields={
            "msg": "it broke",
            "traceback": "Traceback (most recent call last):\n  File x\nValueError: boom",
            "user": "a b",
        },
    )
    text = "\n".join([summary, "gunicorn says hi \x1b[1m", error, '{"not": "a record"}']) + "\n"
    result = dockerflow("logs", "--pretty", "--color", "never", input=text.encode())
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        "2025-11-28T02:35:34.123Z INFO   request.summary  GET /items?page=2 200 12ms rid=abc-1  agent=curl/8",
        "gunicorn says hi \x1b[1m",  # not JSON: unchanged
        '2025-11-28T02:35:34.123Z ERROR  app  it broke  user="a b"',
        "    Traceback (most recent call last):",
        "      File x",
        "    ValueError: boom",
        '{"not": "a record"}',
    ]
    # pretty is the default
    assert dockerflow("logs", "--color", "never", input=text.encode()).stdout == result.stdout


def test_pretty_colours_by_severity_and_escapes_control_characters():
    text = line(Severity=4, Fields={"msg": "careful \x1b]0;pwned\x07 \u0085"}) + "\n"
    result = dockerflow("logs", "--color", "always", input=text.encode())
    assert result.stdout == (
        "\x1b[33m2025-11-28T02:35:34.123Z WARN   app  careful \\x1b]0;pwned\\x07 \\x85\x1b[0m\n"
    )
    plain = dockerflow("logs", "--color", "auto", input=text.encode())  # stdout is a pipe
    assert "\x1b" not in plain.stdout


def test_pretty_survives_a_reader_that_goes_away():
    lines = ("\n".join(line(Fields={"msg": f"n{i}"}) for i in range(50000)) + "\n").encode()
    pipeline = subprocess.run(
        f"{sys.executable} -m dockerflow.cli logs | head -n 1",
        shell=True,
        input=lines,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert pipeline.stdout.decode().endswith("n0\n")
    assert b"Traceback" not in pipeline.stderr
    assert pipeline.stderr == b""


def _mutations(rng: random.Random) -> list[bytes]:
    values = [None, True, -1, 2**70, 1e308, float("nan"), "x" * 3, [], {}, {"a": [1]}, "\ud800"]
    out = []
    for _ in range(400):
        rec = record()
        for key in rng.sample(list(rec), rng.randint(1, 4)):
            rec[key] = rng.choice(values)
        if rng.random() < 0.3:
            rec["Type"] = "request.summary"
            rec["Fields"] = {k: rng.choice(values) for k in ("method", "path", "code", "t", "rid")}
        out.append(json.dumps(rec).encode())
    out.append(b"[" * 200000 + b"]" * 200000)
    out.append(b'{"Type": "x", "Fields": ' + b"[" * 100000 + b"]" * 100000 + b"}")
    out.append(b'{"Timestamp": 1e999, "Type": "x"}')
    out.append(b'{"Timestamp": -99999999999999999999999, "Type": "x"}')
    out.extend(bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 300))) for _ in range(300))
    return out


def test_never_crashes_on_bad_input_in_process():
    rng = random.Random(14)
    pretty = Pretty(colour=True)
    for data in _mutations(rng):
        assert isinstance(pretty.line(data), bytes)
        assert isinstance(problems(data), list)


@pytest.mark.parametrize("mode", ["--pretty", "--validate"])
def test_never_crashes_on_bad_input(mode):
    rng = random.Random(10)
    blob = b"\n".join(_mutations(rng)) + bytes(rng.getrandbits(8) for _ in range(200000))
    result = subprocess.run(
        [sys.executable, "-m", "dockerflow.cli", "logs", mode, "--color", "always"],
        input=blob,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.stderr == b""
    assert result.returncode == (0 if mode == "--pretty" else 1)
    if mode == "--validate":
        assert result.stdout.decode().splitlines()[-1].endswith(" not")
