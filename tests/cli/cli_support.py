"""Helpers of the ``dockerflow`` command's tests: run it, start servers and stop them by pid."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from services import free_port, port_is_open

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
EXAMPLES = ROOT / "examples"


def dockerflow(
    *args: str,
    input: bytes | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m dockerflow.cli ARGS`` and return its outcome (text)."""
    return subprocess.run(
        [sys.executable, "-m", "dockerflow.cli", *args],
        input=input.decode() if input is not None else None,
        capture_output=True,
        text=True,
        env=env if env is not None else os.environ.copy(),
        timeout=timeout,
        check=False,
    )


@dataclass
class Process:
    """A server started by a test, stopped by its pid."""

    port: int
    process: subprocess.Popen[bytes]
    log: Path
    name: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def start(
    name: str,
    command: list[str],
    port: int,
    log: Path,
    cwd: Path = HERE,
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> Process:
    """Start ``command`` in its own session (so its workers stop with it) and wait for ``port``."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Process(port, process, log, name)
    deadline = time.monotonic() + timeout
    while not port_is_open(port):
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"{name} did not start:\n{server.output()[-3000:]}")
        time.sleep(0.1)
    return server


def start_test_server(mode: str, tmp_path: Path) -> Process:
    """One of ``cli_servers.py``'s servers on a free port."""
    port = free_port()
    return start(
        f"cli_servers {mode}",
        [sys.executable, str(HERE / "cli_servers.py"), mode, str(port)],
        port,
        tmp_path / f"{mode}.log",
    )


def start_perl_server(tmp_path: Path, mode: str = "") -> Process:
    """``dockerflow_server.pl``: a Dockerflow service written in Perl, on a free port."""
    port = free_port()
    command = ["perl", str(HERE / "dockerflow_server.pl"), str(port), *([mode] if mode else [])]
    return start("perl server", command, port, tmp_path / f"perl{mode}.log")


def start_example(name: str, tmp_path: Path) -> Process:
    """The example app ``examples/NAME``, its module served directly on loopback."""
    port = free_port()
    log = tmp_path / f"{name}.log"
    here = EXAMPLES / name
    if name == "flask":
        command = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"]
        command += ["--bind", f"127.0.0.1:{port}", "--workers", "2", "app:app"]
        env = {"PORT": str(port), "DATABASE_URL": f"sqlite:///{tmp_path / 'flask.db'}"}
    elif name == "sanic":
        command = [sys.executable, "-m", "sanic", "app:app", "--host", "127.0.0.1"]
        command += ["--port", str(port), "--single-process", "--no-motd"]
        env = {"PORT": str(port), "VERSION_PATH": str(here)}
    elif name == "django":
        env = {
            "PORT": str(port),
            "DATABASE_PATH": str(tmp_path / "django.sqlite3"),
            "DJANGO_SECRET_KEY": "dockerflow-cli-tests",
            "DJANGO_DEBUG": "true",
        }
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"],
            cwd=here,
            env={**os.environ, **env},
            check=True,
            capture_output=True,
            timeout=120,
        )
        command = [sys.executable, "-m", "gunicorn", "exampleproject.wsgi:application"]
        command += ["--bind", f"127.0.0.1:{port}", "--workers", "2"]
    elif name == "fastapi":
        command = [sys.executable, "-m", "uvicorn", "app:app", "--host", "127.0.0.1"]
        command += ["--port", str(port), "--log-config", "logging.json"]
        env = {"PORT": str(port), "APP_DIR": str(here)}
    else:
        raise ValueError(name)
    server = start(f"example {name}", command, port, log, cwd=here, env=env)
    # The port opens before the workers serve: wait for an answer.
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{server.url}/__lbheartbeat__", timeout=10) as answer:
                if answer.status == 200:
                    return server
        except OSError:
            pass
        if server.process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"example {name} does not answer:\n{server.output()[-3000:]}")
        time.sleep(0.2)
