"""The applications the fault-injection suite serves with real multi-worker servers.

Every app is configured from the environment the suite gives its server:

* ``FAULTS_REDIS_HOST`` / ``FAULTS_REDIS_PORT``: the suite's Redis server;
* ``FAULTS_DATABASE_URL``: a PostgreSQL database of the suite's server
  (``postgresql://...``; each app picks its driver);
* ``FAULTS_TOKEN_DIR``: where :func:`occupy` meets the suite;
* ``DOCKERFLOW_CHECK_TIMEOUT``: the check timeout, in seconds.

Besides the Dockerflow endpoints, each app has two test-only views, and every response
carries the answering worker's pid in the ``X-Worker-Pid`` header:

* ``/__pid__``: answers the worker's pid (reaching a worker through a kept-alive
  connection);
* ``/__occupy__?token=T``: writes the worker's pid to ``T.pid`` in the token directory,
  then blocks the worker (its only thread for a sync worker, its event loop for an
  async one) until ``T.release`` exists: with every other worker occupied, the next
  request reaches the one left free.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

#: The header naming the worker that answered.
PID_HEADER = "X-Worker-Pid"
#: The longest an occupation lasts if the suite never releases it.
MAX_OCCUPATION = 20.0


def redis_options() -> dict[str, object]:
    """A redis-py client's constructor arguments, with redis-py's default retry policy
    (redis-py 8 retries a refused connection with a back-off of seconds). Socket
    timeouts exceed the check timeout, so a frozen Redis is a timed-out check."""
    return {
        "host": os.environ["FAULTS_REDIS_HOST"],
        "port": int(os.environ["FAULTS_REDIS_PORT"]),
        "socket_connect_timeout": 3,
        "socket_timeout": 3,
    }


def redis_url() -> str:
    return f"redis://{os.environ['FAULTS_REDIS_HOST']}:{os.environ['FAULTS_REDIS_PORT']}/0"


def database_url(driver: str = "psycopg") -> str:
    url = os.environ["FAULTS_DATABASE_URL"]
    return url.replace("postgresql://", f"postgresql+{driver}://", 1)


def check_timeout() -> float:
    return float(os.environ.get("DOCKERFLOW_CHECK_TIMEOUT", "1"))


def occupy(token: str) -> int:
    """Block this worker until the suite releases ``token``; return the pid."""
    if not token or not token.isalnum():
        raise ValueError("bad token")
    directory = Path(os.environ["FAULTS_TOKEN_DIR"])
    pid = os.getpid()
    (directory / f"{token}.pid").write_text(str(pid))
    release = directory / f"{token}.release"
    deadline = time.monotonic() + MAX_OCCUPATION
    while not release.exists() and time.monotonic() < deadline:
        time.sleep(0.005)
    return pid
