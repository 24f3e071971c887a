"""Support for the dockerflow-django tests, importable by test modules as ``djtest_support``.

Importing it configures Django in-process with ``settings.configure`` (no pytest-django)
from the ``djtestproject`` settings, on a SQLite file that conftest.py migrates.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import django  # noqa: E402
from django.conf import settings  # noqa: E402
from djtestproject import settings as project  # noqa: E402

#: Where the default SQLite database of the session lives (removed at the end).
TMP_DIR = Path(tempfile.mkdtemp(prefix="djtest-"))
DEFAULT_DB_URL = f"sqlite:///{TMP_DIR}/default.sqlite3"

if not settings.configured:
    values = {name: getattr(project, name) for name in dir(project) if name.isupper()}
    values["DATABASES"] = {"default": project.database_from_url(DEFAULT_DB_URL)}
    settings.configure(**values)
    django.setup()

from asgiref.local import Local  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402
from services import stop_server_group  # noqa: E402


def reset_connections() -> None:
    """Forget every thread's database connections (closing this thread's) and re-read
    ``settings.DATABASES``: the next query in any thread connects anew."""
    connections.close_all()
    connections.__dict__.pop("settings", None)
    connections._settings = None
    connections._connections = Local(connections.thread_critical)


@contextlib.contextmanager
def use_database(url: str, conn_max_age: int = 0, **extra: Any) -> Iterator[dict[str, Any]]:
    """Make ``url`` the default database for the duration of the block."""
    config = project.database_from_url(url, conn_max_age) if url else {}
    config.update(extra)
    old = settings.DATABASES
    settings.DATABASES = {"default": config}
    reset_connections()
    try:
        yield config
    finally:
        settings.DATABASES = old
        reset_connections()


def migrate(*args: str) -> None:
    """``manage.py migrate`` on the current default database."""
    call_command("migrate", *args, verbosity=0, interactive=False)


# --- real servers ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def project_env(**values: str) -> dict[str, str]:
    """The environment for running djtestproject in a subprocess."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJTEST_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH", "")]))
    env["DJANGO_SETTINGS_MODULE"] = "djtestproject.settings"
    env.setdefault("DJTEST_DATABASE_URL", DEFAULT_DB_URL)
    env.update(values)
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "django", *args],
        env=env,
        cwd=HERE,
        check=True,
        capture_output=True,
        timeout=120,
    )


class Server:
    """A server process serving djtestproject on a loopback port."""

    def __init__(self, command: list[str], env: dict[str, str], port: int, log: Path) -> None:
        self.port = port
        self.log = log
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(
            command,
            env=env,
            cwd=HERE,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_until_ready()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        self._log_file.flush()
        return self.log.read_text(errors="replace")

    def _wait_until_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.output()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not listen on {self.port}:\n{self.output()}")

    def stop(self) -> None:
        stop_server_group(self.process, timeout=15)
        self._log_file.close()


def run_async(test: Callable[..., Any]) -> Callable[..., Any]:
    """Run an ``async def`` test in a fresh event loop (no pytest plugin needed)."""

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return asyncio.run(test(*args, **kwargs))

    return wrapper
