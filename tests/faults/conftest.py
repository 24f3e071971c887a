"""The fault-injection suite's own Redis and PostgreSQL servers (it kills, freezes and
restarts them, so it does not share the session's), and its import path."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

FAULTS_DIR = Path(__file__).resolve().parent
if str(FAULTS_DIR) not in sys.path:
    sys.path.insert(0, str(FAULTS_DIR))

from services import PostgresServer, RedisServer  # noqa: E402


@pytest.fixture(scope="module")
def fault_redis() -> Iterator[RedisServer]:
    """A Redis server for this module alone."""
    server = RedisServer()
    try:
        server.start()  # a missing binary or a failed start fails the test
        yield server
    finally:
        server.resume()  # a test that failed while it was frozen
        server.close()


@pytest.fixture(scope="module")
def fault_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server for this module alone."""
    server = PostgresServer()
    try:
        server.start()  # a missing binary or a failed start fails the test
        yield server
    finally:
        server.resume()
        server.close()
