"""Fixtures of the ``dockerflow`` command's tests: real servers on loopback ports."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from cli_support import (  # noqa: E402
    Process,
    start_example,
    start_perl_server,
    start_test_server,
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "examples: serves the example apps (needs every framework installed)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        here = Path(str(item.path)).parent == Path(_HERE)
        if here and "example" in getattr(item, "fixturenames", ()):
            item.add_marker("examples")


@pytest.fixture
def test_server(tmp_path: Path) -> Iterator[Callable[[str], Process]]:
    """``test_server(mode)``: a server of ``cli_servers.py`` (or ``perl``, ``perl:MODE``:
    ``dockerflow_server.pl``), stopped by pid afterwards."""
    started: list[Process] = []

    def start(mode: str) -> Process:
        if mode.startswith("perl"):
            server = start_perl_server(tmp_path, mode.partition(":")[2])
        else:
            server = start_test_server(mode, tmp_path)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def example(tmp_path: Path) -> Iterator[Callable[[str], Process]]:
    """``example(name)``: the example app ``examples/NAME`` on loopback, stopped by pid."""
    started: list[Process] = []

    def start(name: str) -> Process:
        server = start_example(name, tmp_path)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
