"""Fixtures of the dockerflow-django tests (Django itself is set up by ``djtest_support``)."""

from __future__ import annotations

import itertools
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from django.core import checks as django_checks  # noqa: E402
from django.core.checks.registry import registry  # noqa: E402
from django.db import connections  # noqa: E402
from djtest_support import HERE as _SUPPORT_HERE  # noqa: E402
from djtest_support import TMP_DIR, Server, free_port, migrate  # noqa: E402

from dockerflow.django import views  # noqa: E402

assert _SUPPORT_HERE == HERE


@pytest.fixture(scope="session", autouse=True)
def _migrated_default_db() -> Iterator[None]:
    migrate()
    connections.close_all()
    yield
    connections.close_all()
    shutil.rmtree(TMP_DIR, ignore_errors=True)


@pytest.fixture(autouse=True)
def _fresh_heartbeat_state() -> Iterator[None]:
    views.runner.clear_cache()
    yield
    views.runner.clear_cache()


@pytest.fixture
def register_check() -> Iterator[Callable[..., Any]]:
    """Register Django system checks for one test: ``register_check(fn, deploy=False)``."""
    added: list[tuple[Any, bool]] = []

    def register(check: Any, deploy: bool = False) -> Any:
        django_checks.register(check, deploy=deploy)
        added.append((check, deploy))
        return check

    yield register
    for check, deploy in added:
        (registry.deployment_checks if deploy else registry.registered_checks).discard(check)


_db_numbers = itertools.count()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """The URL of a new, empty SQLite database file."""
    return f"sqlite:///{tmp_path}/db.sqlite3"


@pytest.fixture
def pg_url(postgres_service: Any) -> str:
    """The URL of a new, empty PostgreSQL database on the session's server."""
    return str(postgres_service.create_database(f"djtest_{os.getpid()}_{next(_db_numbers)}"))


@pytest.fixture
def run_server(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Start gunicorn or uvicorn serving djtestproject: ``run_server("gunicorn", env, workers=2)``."""
    servers: list[Server] = []

    def start(kind: str, env: dict[str, str], workers: int = 1) -> Server:
        port = free_port()
        if kind == "gunicorn":
            command = [
                sys.executable, "-m", "gunicorn", "djtestproject.wsgi:application",
                "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
                "--worker-class", "sync", "--timeout", "60", "--graceful-timeout", "5",
            ]  # fmt: skip
        elif kind == "uvicorn":
            command = [
                sys.executable, "-m", "uvicorn", "djtestproject.asgi:application",
                "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
                "--no-access-log",
            ]  # fmt: skip
        else:
            raise ValueError(kind)
        server = Server(command, env, port, tmp_path / f"{kind}-{len(servers)}.log")
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
