"""Real backing services for the test suite: a Redis server and a PostgreSQL server.

Each server runs as a child process of the test session, on a free loopback port, with
all its files in a private temporary directory. Tests can stop a server at any moment
(a hard stop, like an outage) and start it again on the same port with the same data::

    server = RedisServer()
    server.start()
    ...  # connect to server.url
    server.stop()  # clients now get "connection refused"
    server.start()  # same port, back in service
    server.close()  # stop and remove every file

:class:`RespServer` is a stand-in for a broken Redis: a loopback server speaking just
enough of the protocol to answer each command with a reply of the test's choosing.

The module depends only on the standard library. PostgreSQL queries (``create_database``,
``connection_count``) go through ``psycopg`` when it is importable, else the ``psql`` CLI.

PostgreSQL refuses to run as root: when the tests run as root, ``initdb`` and ``postgres``
run as the unprivileged ``nobody`` user. The binaries come from ``PATH``, with Debian's
``/usr/lib/postgresql/<version>/bin`` as a fallback; ``scripts/bootstrap.sh`` installs them.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

__all__ = [
    "PostgresServer",
    "RedisServer",
    "RespServer",
    "ServiceError",
    "ServiceUnavailable",
    "stop_server_group",
]

HOST = "127.0.0.1"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
_LOG_TAIL_LINES = 30
_UNPRIVILEGED_USER = "nobody"

_S = TypeVar("_S", bound="_Server")


class ServiceError(RuntimeError):
    """A server failed to start, stop or answer."""


class ServiceUnavailable(ServiceError):
    """The server's binaries are not installed."""


def free_port() -> int:
    """Return a TCP port on the loopback interface that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def stop_server_group(
    process: subprocess.Popen[Any], sig: int = signal.SIGTERM, timeout: float = 20.0
) -> None:
    """Stop a server a test started with ``start_new_session=True``, by its pid.

    ``sig`` goes to the server's main process, ``SIGKILL`` when it is still running
    after ``timeout`` seconds; then whatever is left of its process group gets
    ``SIGKILL``: a worker, or a helper such as the ``multiprocessing`` manager and
    resource tracker of Sanic and uvicorn, outlives a main process that was killed
    (or that hung while shutting down) and would keep running after the tests.
    """
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def port_is_open(port: int, host: str = HOST, timeout: float = 0.5) -> bool:
    """Whether a TCP connection to ``host:port`` succeeds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _log_tail(path: Path, lines: int = _LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


def _die_with_parent() -> None:
    """``preexec_fn``: have the kernel kill the server if the test process dies abruptly."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1
            libc.prctl(pr_set_pdeathsig, signal.SIGKILL)


class _Server:
    """Process management shared by the servers: start, readiness, hard stop, cleanup."""

    name: str = "server"

    def __init__(self, start_timeout: float = START_TIMEOUT) -> None:
        self.host: str = HOST
        self.port: int = free_port()
        self.start_timeout = start_timeout
        self.tmpdir = Path(tempfile.mkdtemp(prefix=f"dockerflow-{self.name}-", dir="/tmp"))
        self.log_path = self.tmpdir / f"{self.name}.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._started_once = False

    # -- to implement -------------------------------------------------------------------------

    def _command(self) -> list[str]:
        raise NotImplementedError

    def _is_ready(self) -> bool:
        raise NotImplementedError

    def _prepare(self) -> None:
        """Run once before the first start (e.g. create the data directory)."""

    def _popen_kwargs(self) -> dict[str, Any]:
        return {}

    def _stop_signal(self) -> signal.Signals:
        return signal.SIGKILL

    # -- public API ---------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the server (no-op when running) and wait until it accepts connections.

        The first start picks a free port (and retries with another one if a different
        process grabbed it in the meantime); later starts reuse the same port and data.
        """
        if self.running:
            return
        if not self._started_once:
            self._prepare()
            for attempt in range(3):
                try:
                    self._spawn()
                    break
                except ServiceError:
                    if attempt == 2 or not port_is_open(self.port):
                        raise
                    self.port = free_port()  # someone else took our port: pick another
            self._started_once = True
        else:
            self._spawn()

    @property
    def pid(self) -> int | None:
        """The server process's id while it runs."""
        return self._process.pid if self.running and self._process is not None else None

    def _signal_group(self, sig: signal.Signals) -> None:
        # The server and every process it forked: PostgreSQL's backends each lead a
        # session of their own, so they are found in /proc, not by process group. The
        # server first, so that it forks no new process meanwhile.
        if self._process is None or self._process.poll() is not None:
            return
        pending, seen = [self._process.pid], []
        while pending:
            pid = pending.pop()
            seen.append(pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
            for task in glob.glob(f"/proc/{pid}/task/*/children"):
                with contextlib.suppress(OSError, ValueError):
                    pending.extend(int(child) for child in Path(task).read_text().split())

    def pause(self) -> None:
        """Freeze the server and every process it forked (SIGSTOP): the kernel still
        accepts connections, but nothing answers, so clients hang instead of being
        refused, on new connections and on open ones alike."""
        self._signal_group(signal.SIGSTOP)

    def resume(self) -> None:
        """Thaw a server frozen by :meth:`pause` (SIGCONT)."""
        self._signal_group(signal.SIGCONT)

    def stop(self, sig: signal.Signals | None = None) -> None:
        """Stop the server abruptly, like an outage: open connections are cut.

        :param sig: the signal to stop it with (default: the server's hard stop,
            SIGKILL for Redis, PostgreSQL's immediate shutdown); a paused server is
            resumed first so it can act on it.
        Returns once the process has exited and the port refuses connections.
        """
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(sig or self._stop_signal())
            self._process = process
            self._signal_group(signal.SIGCONT)  # a frozen server acts on it
            self._process = None
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            process.wait(timeout=STOP_TIMEOUT)

    def restart(self) -> None:
        """Stop the server (hard) and start it again on the same port with the same data."""
        self.stop()
        self.start()

    def close(self) -> None:
        """Stop the server and remove its temporary directory."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.tmpdir, ignore_errors=True)

    def __enter__(self: _S) -> _S:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<{type(self).__name__} {self.host}:{self.port} {state}>"

    # -- internals ----------------------------------------------------------------------------

    def _spawn(self) -> None:
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                self._command(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.tmpdir,
                start_new_session=True,  # a Ctrl-C in the terminal is for pytest, not for us
                preexec_fn=_die_with_parent,
                **self._popen_kwargs(),
            )
        self._wait_until(self._is_ready, "to accept connections")

    def _wait_until(self, predicate: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + self.start_timeout
        while True:
            process = self._process
            if process is None or process.poll() is not None:
                code = None if process is None else process.returncode
                self._process = None
                raise ServiceError(
                    f"{self.name} exited (code {code}) on {self.host}:{self.port} "
                    f"before it was ready; log {self.log_path}:\n{_log_tail(self.log_path)}"
                )
            if predicate():
                return
            if time.monotonic() > deadline:
                self.stop()
                raise ServiceError(
                    f"{self.name} did not start {what} on {self.host}:{self.port} within "
                    f"{self.start_timeout:.0f}s; log {self.log_path}:\n{_log_tail(self.log_path)}"
                )
            time.sleep(0.05)


class RedisServer(_Server):
    """A throwaway ``redis-server``: no persistence, loopback only, ``url`` is database 0."""

    name = "redis"

    def __init__(self, start_timeout: float = START_TIMEOUT) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            raise ServiceUnavailable(
                "redis-server is not installed (not found on PATH); "
                "run scripts/bootstrap.sh or `apt-get install -y redis-server`"
            )
        super().__init__(start_timeout)

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:PORT/0``."""
        return f"redis://{self.host}:{self.port}/0"

    def command(self, *args: str | bytes | int, timeout: float = 5.0) -> Any:
        """Send one command with a minimal RESP client and return the decoded reply.

        Simple strings and bulk strings come back as ``str`` (``None`` for nil), integers
        as ``int``, arrays as lists; an error reply raises :class:`ServiceError`.
        """
        parts = [a if isinstance(a, bytes) else str(a).encode() for a in args]
        payload = b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)
        with socket.create_connection((self.host, self.port), timeout=timeout) as sock:
            sock.sendall(payload)
            return _read_resp(sock.makefile("rb"))

    def ping(self) -> bool:
        """Whether the server answers ``PING``."""
        try:
            return bool(self.command("PING", timeout=1.0) == "PONG")
        except (OSError, ServiceError):
            return False

    def flushall(self) -> None:
        """Delete every key of every database."""
        self.command("FLUSHALL")

    def _command(self) -> list[str]:
        assert self.binary is not None
        return [
            self.binary,
            "--bind", self.host,
            "--port", str(self.port),
            "--dir", str(self.tmpdir),
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
            "--protected-mode", "no",
            "--loglevel", "warning",
        ]  # fmt: skip

    def _is_ready(self) -> bool:
        return self.ping()


class RespServer:
    """A loopback TCP server that answers ``PING`` with ``ping_reply`` and every other
    command (the client's connection handshake: ``HELLO``, ``AUTH``, ``CLIENT SETINFO``,
    ``SELECT``) with ``other_reply``, raw RESP bytes sent as given.

    It answers once per command, however the client batches them (redis-py 8.2 sends
    the tail of its handshake in one go). ``commands`` lists what it received, each
    command as its list of arguments::

        with RespServer(b"+NOT-PONG\r\n") as server:
            redis.Redis(port=server.port).ping()  # False
    """

    def __init__(self, ping_reply: bytes, other_reply: bytes = b"+OK\r\n") -> None:
        self.ping_reply, self.other_reply = ping_reply, other_reply
        self.host = HOST
        self.commands: list[list[bytes]] = []
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind((HOST, 0))
        self._listener.listen(16)
        self.port = int(self._listener.getsockname()[1])
        self._connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:PORT/0``."""
        return f"redis://{self.host}:{self.port}/0"

    def received(self, name: str) -> bool:
        """Whether a command ``name`` (``"PING"``) came in."""
        return any(command[:1] == [name.encode()] for command in self.commands)

    def close(self) -> None:
        """Stop listening and drop every connection."""
        self._listener.close()
        for connection in list(self._connections):
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()

    def __enter__(self) -> RespServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:  # closed
                return
            self._connections.append(connection)
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        pending = b""
        with connection:
            while True:
                try:
                    data = connection.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                commands, pending = _split_commands(pending + data)
                self.commands.extend(commands)
                replies = [self._reply(command) for command in commands]
                if replies:
                    try:
                        connection.sendall(b"".join(replies))
                    except OSError:
                        return

    def _reply(self, command: list[bytes]) -> bytes:
        return self.ping_reply if command[:1] == [b"PING"] else self.other_reply


def _split_commands(buffer: bytes) -> tuple[list[list[bytes]], bytes]:
    """The complete commands at the start of ``buffer`` (RESP arrays of bulk strings, or
    inline commands), their names upper-cased, and the incomplete rest."""
    commands: list[list[bytes]] = []
    while True:
        command, size = _one_command(buffer)
        if command is None:
            return commands, buffer
        if command:
            commands.append([command[0].upper(), *command[1:]])
        buffer = buffer[size:]


def _one_command(buffer: bytes) -> tuple[list[bytes] | None, int]:
    end = buffer.find(b"\r\n")
    if end < 0:
        return None, 0
    if not buffer.startswith(b"*"):  # an inline command: PING\r\n
        return buffer[:end].split(), end + 2
    position, args = end + 2, []
    for _ in range(int(buffer[1:end])):
        header_end = buffer.find(b"\r\n", position)
        if header_end < 0:
            return None, 0
        size = int(buffer[position + 1 : header_end])  # $<size>
        start = header_end + 2
        if len(buffer) < start + size + 2:
            return None, 0
        args.append(buffer[start : start + size])
        position = start + size + 2
    return args, position


def _read_resp(stream: Any) -> Any:
    line: bytes = stream.readline()
    if not line.endswith(b"\r\n"):
        raise ServiceError(f"truncated Redis reply: {line!r}")
    kind, body = line[:1], line[1:-2]
    if kind == b"+":
        return body.decode()
    if kind == b"-":
        raise ServiceError(f"Redis error: {body.decode()}")
    if kind == b":":
        return int(body)
    if kind == b"$":
        size = int(body)
        if size < 0:
            return None
        data: bytes = stream.read(size + 2)
        return data[:-2].decode(errors="replace")
    if kind == b"*":
        count = int(body)
        return None if count < 0 else [_read_resp(stream) for _ in range(count)]
    raise ServiceError(f"unexpected Redis reply: {line!r}")


def _pg_binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    # Debian's packages keep the server binaries off PATH.
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0,
    )
    if candidates:
        return candidates[-1]
    raise ServiceUnavailable(
        f"PostgreSQL's {name} is not installed (not on PATH nor in /usr/lib/postgresql/*/bin); "
        "run scripts/bootstrap.sh or `apt-get install -y postgresql`"
    )


def quote_ident(name: str) -> str:
    """Quote an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """Quote an SQL string literal (``standard_conforming_strings`` is on)."""
    return "'" + value.replace("'", "''") + "'"


class PostgresServer(_Server):
    """A throwaway PostgreSQL cluster: superuser ``postgres``, trust authentication.

    Stopping is PostgreSQL's "immediate" shutdown (every backend is killed at once, like a
    crash); the next start runs crash recovery, so committed data survives.
    """

    name = "postgres"
    user = "postgres"

    def __init__(self, start_timeout: float = START_TIMEOUT) -> None:
        self.initdb = _pg_binary("initdb")
        self.postgres = _pg_binary("postgres")
        _pg_binary("pg_ctl")  # the documented requirement; fail early and clearly
        super().__init__(start_timeout)
        self.datadir = self.tmpdir / "data"
        self.socket_dir = self.tmpdir / "run"
        self._run_as: pwd.struct_passwd | None = (
            pwd.getpwnam(_UNPRIVILEGED_USER) if os.geteuid() == 0 else None
        )

    def url(self, dbname: str = "postgres") -> str:
        """``postgresql://postgres@127.0.0.1:PORT/<dbname>``."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{quote(dbname, safe='')}"

    def create_database(self, name: str) -> str:
        """Drop the database ``name`` if it exists (even with open connections), create it
        empty, and return its URL."""
        self.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")
        self.execute(f"CREATE DATABASE {quote_ident(name)}")
        return self.url(name)

    def connection_count(self, dbname: str) -> int:
        """How many client connections are open to ``dbname`` (not counting this query's)."""
        rows = self.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
            f"AND datname = {quote_literal(dbname)} AND pid <> pg_backend_pid()"
        )
        return int(rows[0][0])

    def wait_for_connection_count(self, dbname: str, expected: int, timeout: float = 10.0) -> int:
        """Poll :meth:`connection_count` until it equals ``expected`` (a closed connection's
        backend exits asynchronously); return the last count, which may differ on timeout."""
        deadline = time.monotonic() + timeout
        count = self.connection_count(dbname)
        while count != expected and time.monotonic() < deadline:
            time.sleep(0.05)
            count = self.connection_count(dbname)
        return count

    def execute(self, sql: str, dbname: str = "postgres") -> list[tuple[str, ...]]:
        """Run one SQL statement in autocommit mode; return the rows as tuples of strings."""
        try:
            import psycopg
        except ImportError:
            return self._execute_psql(sql, dbname)
        with psycopg.connect(self.url(dbname), autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(sql.encode())
            if cursor.description is None:
                return []
            return [tuple(str(v) for v in row) for row in cursor.fetchall()]

    def _execute_psql(self, sql: str, dbname: str) -> list[tuple[str, ...]]:
        psql = shutil.which("psql")
        if psql is None:
            raise ServiceUnavailable("neither psycopg nor psql is available to query PostgreSQL")
        options = ["-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1"]
        result = subprocess.run(
            [psql, *options, "-d", self.url(dbname), "-c", sql],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if result.returncode != 0:
            raise ServiceError(f"psql failed ({result.returncode}): {result.stderr.strip()}")
        return [tuple(line.split("\t")) for line in result.stdout.splitlines() if line]

    # -- internals ----------------------------------------------------------------------------

    def _popen_kwargs(self) -> dict[str, Any]:
        if self._run_as is None:
            return {}
        return {"user": self._run_as.pw_uid, "group": self._run_as.pw_gid, "extra_groups": []}

    def _chown(self, path: Path) -> None:
        if self._run_as is not None:
            os.chown(path, self._run_as.pw_uid, self._run_as.pw_gid)

    def _prepare(self) -> None:
        self.tmpdir.chmod(0o755)  # the unprivileged user must reach datadir and socket dir
        for directory in (self.datadir, self.socket_dir):
            directory.mkdir(mode=0o700)
            self._chown(directory)
        env = {**os.environ, "LC_ALL": "C", "LANG": "C", "TZ": "UTC"}
        result = subprocess.run(
            [self.initdb, "-D", str(self.datadir), "-A", "trust", "-U", self.user,
             "-E", "UTF8", "--locale=C", "--no-sync"],
            cwd=self.tmpdir,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            **self._popen_kwargs(),
        )  # fmt: skip
        if result.returncode != 0:
            raise ServiceError(
                f"initdb failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )

    def _command(self) -> list[str]:
        return [
            self.postgres,
            "-D", str(self.datadir),
            "-c", f"listen_addresses={self.host}",
            "-c", f"port={self.port}",
            "-c", f"unix_socket_directories={self.socket_dir}",
            # Durability only against an OS crash is given up. Not synchronous_commit=off:
            # stop() is an immediate shutdown, which would lose the last commits.
            "-c", "fsync=off",
            "-c", "full_page_writes=off",
            "-c", "max_connections=200",
            "-c", "shared_buffers=32MB",
            "-c", "logging_collector=off",
        ]  # fmt: skip

    def _stop_signal(self) -> signal.Signals:
        return signal.SIGQUIT  # "immediate shutdown": backends die, no checkpoint

    def _is_ready(self) -> bool:
        # postmaster.pid: line 1 is the postmaster's PID, line 8 its status ("ready" once it
        # accepts connections). Checking the PID rules out a stale file from a killed server.
        try:
            lines = (self.datadir / "postmaster.pid").read_text().splitlines()
        except (OSError, PermissionError):
            lines = []
        ready = (
            len(lines) >= 8
            and self._process is not None
            and lines[0].strip() == str(self._process.pid)
            and lines[7].strip() == "ready"
        )
        return ready and port_is_open(self.port)
