"""Run an example as its README says and read what it writes.

:func:`run_example` starts ``bash examples/<name>/run.sh`` (in a process group of its
own, on a free loopback port, stdout and stderr each to a file), waits until the port
answers, hands an :class:`Example` to the test, and stops it by its pid (SIGTERM, then
SIGKILL for the whole group if it does not exit) before the test reads the final logs.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from services import free_port, port_is_open, stop_server_group

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

#: The keys of every mozlog record.
MOZLOG_KEYS = {"Timestamp", "Type", "Logger", "Hostname", "EnvVersion", "Severity", "Pid", "Fields"}
#: The first run installs the example's environment: be patient with it.
START_TIMEOUT = 240.0
STOP_TIMEOUT = 30.0


@dataclass
class Example:
    """A running example: its port, process and the files its output goes to."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path
    sent_ids: set[str] = field(default_factory=set)

    def get(
        self, path: str, request_id: str | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes, Any]:
        """GET ``path`` on loopback, sending ``request_id`` as ``X-Request-ID``."""
        all_headers = dict(headers or {})
        if request_id is not None:
            all_headers["X-Request-ID"] = request_id
            self.sent_ids.add(request_id)
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", headers=all_headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            return error.code, error.read(), error.headers

    def output(self) -> str:
        return (
            f"--- stdout\n{self.stdout.read_text(errors='replace')}"
            f"--- stderr\n{self.stderr.read_text(errors='replace')}"
        )

    def records(self) -> list[dict[str, Any]]:
        """Every line of stdout and stderr, each asserted to be one mozlog JSON object."""
        records = []
        for path in (self.stdout, self.stderr):
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                try:
                    record = json.loads(line)
                except ValueError:
                    pytest.fail(f"{path.name} line {number} is not JSON: {line!r}\n{self.output()}")
                assert isinstance(record, dict), f"{path.name} line {number}: {line!r}"
                assert set(record) >= MOZLOG_KEYS, f"{path.name} line {number}: {line!r}"
                assert record["EnvVersion"] == "2.0"
                assert isinstance(record["Timestamp"], int)
                assert isinstance(record["Fields"], dict)
                records.append(record)
        return records

    def wait_for(
        self, count: int, needle: str = '"Type":"request.summary"', timeout: float = 60
    ) -> None:
        """Wait until ``count`` stdout lines contain ``needle`` (workers flush each line)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = self.stdout.read_text(errors="replace").splitlines()
            if sum(needle in line for line in lines) >= count:
                return
            time.sleep(0.1)
        pytest.fail(f"fewer than {count} lines with {needle} after {timeout}s\n{self.output()}")

    def stop(self) -> None:
        """SIGTERM to the run.sh process (uv hands it to the server), SIGKILL to the group
        when it is still there after STOP_TIMEOUT."""
        stop_server_group(self.process, timeout=STOP_TIMEOUT)


@contextlib.contextmanager
def run_example(
    tmp_path: Path, name: str, *args: str, env: dict[str, str] | None = None
) -> Iterator[Example]:
    """``bash examples/<name>/run.sh *args`` with ``PORT`` set to a free loopback port."""
    port = free_port()
    stdout, stderr = tmp_path / f"{name}.stdout", tmp_path / f"{name}.stderr"
    environ = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    environ.update({"PORT": str(port), **(env or {})})
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            ["bash", str(EXAMPLES / name / "run.sh"), *args],
            cwd=tmp_path,  # run.sh works from anywhere
            env=environ,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
    example = Example(name, port, process, stdout, stderr)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not port_is_open(port):
            if process.poll() is not None:
                pytest.fail(f"{name}: run.sh exited with {process.returncode}\n{example.output()}")
            if time.monotonic() > deadline:
                pytest.fail(
                    f"{name}: nothing listens on {port} after {START_TIMEOUT}s\n{example.output()}"
                )
            time.sleep(0.2)
        yield example
    finally:
        example.stop()


def check_logs(example: Example) -> list[dict[str, Any]]:
    """Stop ``example`` and return its whole output, every line checked to be one mozlog
    JSON object."""
    example.stop()
    records = example.records()
    assert records, example.output()
    return records


def assert_request_ids(
    example: Example, records: list[dict[str, Any]], request_types: set[str]
) -> None:
    """Every record of ``request_types`` (the loggers that write while a request is
    handled) carries the ``rid`` the request was sent with."""
    for record in records:
        if record["Type"] in request_types:
            assert record["Fields"].get("rid") in example.sent_ids, (record, example.sent_ids)


def by_type(records: list[dict[str, Any]], type_: str) -> list[dict[str, Any]]:
    return [record for record in records if record["Type"] == type_]


def probe_endpoints(example: Example, version_json: Path, heartbeat: dict[str, Any]) -> None:
    """The four Dockerflow endpoints, each with its own request id (``<name>-<endpoint>``);
    ``heartbeat`` is the body expected from ``/__heartbeat__``."""
    name = example.name
    status, body, _ = example.get("/__lbheartbeat__", f"{name}-lb")
    assert status == 200, body

    status, body, headers = example.get("/__heartbeat__", f"{name}-hb")
    assert (status, headers["Content-Type"]) == (200, "application/json"), body
    assert json.loads(body) == heartbeat

    status, body, _ = example.get("/__version__", f"{name}-version")
    assert status == 200, body
    assert json.loads(body) == json.loads(version_json.read_text())

    status, body, _ = example.get("/__error__", f"{name}-error")
    assert status == 500
    assert b"Traceback" not in body and b"test exception" not in body
