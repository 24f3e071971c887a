"""The machinery of the fault-injection suite: a multi-worker server started and stopped
by its pid, probes that reach a chosen worker, the answer checks, and the leak counters
read from ``/proc``."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FAULTS_DIR = Path(__file__).resolve().parent
HOST = "127.0.0.1"
PID_HEADER = "X-Worker-Pid"
WORKERS = 2


class FaultFailure(AssertionError):
    """A probe answered something the issue does not allow."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


# -- /proc ----------------------------------------------------------------------------------


def children(pid: int) -> set[int]:
    """The direct children of ``pid``."""
    found: set[int] = set()
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError):
                text = Path(f"/proc/{pid}/task/{task}/children").read_text()
                found.update(int(child) for child in text.split())
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@dataclass(frozen=True)
class Usage:
    """What a worker holds: threads and open file descriptors."""

    threads: int
    fds: int


def thread_names(pid: int) -> dict[str, int]:
    """How many threads of ``pid`` have each name (``/proc/<pid>/task/*/comm``)."""
    names: dict[str, int] = {}
    for task in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError):
            name = Path(f"/proc/{pid}/task/{task}/comm").read_text().strip()
            names[name] = names.get(name, 0) + 1
    return names


def fd_targets(pid: int) -> dict[str, int]:
    """How many open file descriptors of ``pid`` point at each kind of target."""
    kinds: dict[str, int] = {}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):
            kind = os.readlink(f"/proc/{pid}/fd/{fd}").split(":")[0]
            kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def usage(pid: int) -> Usage:
    return Usage(len(os.listdir(f"/proc/{pid}/task")), len(os.listdir(f"/proc/{pid}/fd")))


# -- the server -----------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    pid: int
    body: bytes
    elapsed: float

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


class Server:
    """A multi-worker server process, started in a session of its own and stopped by its
    pid (and its workers by theirs), even when the test failed."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.command = [part.format(host=HOST, port=self.port) for part in command]
        self.log = log
        self.token_dir = Path(env["FAULTS_TOKEN_DIR"])
        pythonpath = os.pathsep.join(filter(None, [str(FAULTS_DIR), os.environ.get("PYTHONPATH")]))
        self.env = {**os.environ, **env, "PYTHONPATH": pythonpath}
        self.process: subprocess.Popen[bytes] | None = None
        self.workers: list[int] = []

    def start(self, timeout: float = 90.0) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.command,
                cwd=FAULTS_DIR,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited ({self.process.returncode}):\n{self.tail()}"
                )
            try:
                with urllib.request.urlopen(self.url + "/__lbheartbeat__", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except (OSError, http.client.HTTPException):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start in {timeout:.0f}s:\n{self.tail()}")
            time.sleep(0.1)

    def server_children(self) -> set[int]:
        assert self.process is not None
        return children(self.process.pid)

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """SIGTERM to the server, SIGKILL after 10 s; then SIGKILL to any worker left."""
        process, self.process = self.process, None
        if process is None:
            return
        known = set(self.workers) | children(process.pid)
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        for pid in known:
            if alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


# -- reaching a chosen worker ---------------------------------------------------------------


def _answer(status: int, headers: Any, body: bytes, started: float) -> Answer:
    elapsed = time.monotonic() - started
    pid = headers.get(PID_HEADER) if headers is not None else None
    return Answer(status, int(pid) if pid else -1, body, elapsed)


def plain_get(url: str, timeout: float) -> Answer:
    """One request on a new connection, to whichever worker accepts it."""
    started = time.monotonic()
    request = urllib.request.Request(url, headers={"Connection": "close"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return _answer(reply.status, reply.headers, reply.read(), started)
    except urllib.error.HTTPError as error:
        return _answer(error.code, error.headers, error.read(), started)


class Prober:
    """Sends a request to a chosen worker and times its answer."""

    def __init__(self, server: Server, client_timeout: float) -> None:
        self.server = server
        self.client_timeout = client_timeout

    def discover(self) -> list[int]:
        raise NotImplementedError

    def get(self, pid: int, path: str) -> Answer:
        raise NotImplementedError

    def close(self) -> None:
        pass


class KeepAliveProber(Prober):
    """For servers with keep-alive (uvicorn, Sanic): one kept-alive connection per worker,
    found by asking ``/__pid__`` on new connections; a request on it reaches that worker
    whatever the kernel does with new connections (Sanic's workers each have their own
    SO_REUSEPORT socket, so a busy worker would not keep a new connection away)."""

    def __init__(self, server: Server, client_timeout: float) -> None:
        super().__init__(server, client_timeout)
        self.connections: dict[int, http.client.HTTPConnection] = {}

    def _connect(self) -> tuple[int, http.client.HTTPConnection]:
        connection = http.client.HTTPConnection(HOST, self.server.port, timeout=self.client_timeout)
        connection.request("GET", "/__pid__")
        reply = connection.getresponse()
        reply.read()
        return int(reply.headers[PID_HEADER]), connection

    def _connection_to(self, pid: int) -> http.client.HTTPConnection:
        if pid in self.connections:
            return self.connections[pid]
        spare = []
        try:
            for _ in range(200):
                found, connection = self._connect()
                if found in self.connections or found != pid:
                    spare.append(connection)
                    continue
                self.connections[pid] = connection
                return connection
        finally:
            for connection in spare:
                connection.close()
        raise FaultFailure(f"no connection reached worker {pid} in 200 attempts")

    def discover(self, timeout: float = 60.0) -> list[int]:
        """Keep a connection to each worker; a worker still starting is waited for."""
        spare = []
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                found, connection = self._connect()
                if found in self.connections:
                    spare.append(connection)
                    time.sleep(0.02)
                else:
                    self.connections[found] = connection
                if len(self.connections) == WORKERS:
                    return sorted(self.connections)
        finally:
            for connection in spare:
                connection.close()
        raise FaultFailure(f"found only workers {sorted(self.connections)} in {timeout:.0f}s")

    def get(self, pid: int, path: str) -> Answer:
        for attempt in range(2):
            connection = self._connection_to(pid)
            started = time.monotonic()
            try:
                connection.request("GET", path)
                reply = connection.getresponse()
                body = reply.read()
            except (ConnectionError, http.client.RemoteDisconnected, http.client.BadStatusLine):
                # The server closed the kept-alive connection between two requests (never
                # during one: a timeout is not caught here). Find the worker again.
                connection.close()
                del self.connections[pid]
                if attempt:
                    raise
                continue
            return _answer(reply.status, reply.headers, body, started)
        raise AssertionError("unreachable")

    def close(self) -> None:
        for connection in self.connections.values():
            connection.close()
        self.connections.clear()


class OccupyProber(Prober):
    """For gunicorn's sync workers (one request at a time, no keep-alive): every other
    worker is held by a request to ``/__occupy__`` (which reports, through a file, the
    worker it landed on), so the probe's new connection can only be accepted by the
    chosen worker; the occupations end as soon as the probe is answered."""

    def _occupy(self) -> tuple[str, threading.Thread]:
        token = uuid.uuid4().hex
        url = f"{self.server.url}/__occupy__?token={token}"
        thread = threading.Thread(target=self._quietly, args=(url,), daemon=True)
        thread.start()
        return token, thread

    def _quietly(self, url: str) -> None:
        with contextlib.suppress(OSError, http.client.HTTPException):
            plain_get(url, timeout=30)

    def _landed(self, token: str) -> int:
        path = self.server.token_dir / f"{token}.pid"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError, ValueError):
                return int(path.read_text())
            time.sleep(0.002)
        raise FaultFailure("an occupying request reached no worker in 10 s")

    def _release(self, token: str, thread: threading.Thread) -> None:
        (self.server.token_dir / f"{token}.release").touch()
        thread.join(15)

    @contextlib.contextmanager
    def _only_free(self, pid: int) -> Iterator[None]:
        """Hold the other worker, so that ``pid`` is the only one accepting."""
        held: list[tuple[str, threading.Thread]] = []
        try:
            token, thread = self._occupy()
            held.append((token, thread))
            if self._landed(token) == pid:
                # Held the wrong one: hold the other too (the only one free), then free ours.
                other, other_thread = self._occupy()
                held.append((other, other_thread))
                if self._landed(other) == pid:
                    raise FaultFailure(f"worker {pid} accepted a request while occupied")
                self._release(token, thread)
                held.pop(0)
            yield
        finally:
            for token, thread in held:
                self._release(token, thread)

    def discover(self) -> list[int]:
        token, thread = self._occupy()
        try:
            landed = self._landed(token)
            other = plain_get(self.server.url + "/__pid__", self.client_timeout).pid
        finally:
            self._release(token, thread)
        if landed == other:
            raise FaultFailure(f"worker {landed} accepted a request while occupied")
        return sorted({landed, other})

    def get(self, pid: int, path: str) -> Answer:
        with self._only_free(pid):
            return plain_get(self.server.url + path, self.client_timeout)


# -- the record of a run ----------------------------------------------------------------------


@dataclass
class Record:
    """Counters of one framework's run, for the failure messages and the summary."""

    framework: str
    seed: int
    heartbeats: int = 0
    steps: list[str] = field(default_factory=list)

    def fail(self, step: str, worker: int, answer: Answer | None, detail: str) -> FaultFailure:
        body = answer.body.decode(errors="replace") if answer is not None else "(no answer)"
        extra = f" status {answer.status}, {answer.elapsed:.2f}s" if answer is not None else ""
        return FaultFailure(
            f"[{self.framework}] step {step!r}, worker {worker}:{extra}: {detail}\n"
            f"  body: {body}\n  replay with FAULTS_SEED={self.seed}"
        )


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def python() -> str:
    return sys.executable
