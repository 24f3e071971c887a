"""Fault injection: heartbeats tell the truth while Redis and PostgreSQL fail and recover.

For each framework, a real server with two workers (gunicorn for Flask and Django WSGI,
uvicorn for Django ASGI and FastAPI, Sanic's own) runs an app whose heartbeat checks a
real PostgreSQL and a real Redis, started by the suite. Five cycles take each service
through SIGTERM + restart, SIGKILL + restart and SIGSTOP + SIGCONT, in an order shuffled
with a printed seed (``FAULTS_SEED=<n>`` replays it); every worker is probed at every
step, reached on purpose (see :mod:`faults_harness`), and every answer is checked:

* while a service is down or frozen, the failure status (500), the heartbeat's own JSON,
  within the check timeout plus 0.5 s, the failing check named, with its documented ID
  (or ``E101`` when the client's own retries outlast the timeout, or the service is
  frozen), and the other service's check still ``ok``;
* the first heartbeat on each worker after the service is back (restarted, or thawed)
  answers 200 with every check ``ok``;
* nothing leaks: the same workers from start to end (no restart), each worker's threads
  and file descriptors flat from cycle to cycle and over a burst of heartbeats while a
  service is frozen, PostgreSQL's connection count flat (within 2) over 500 heartbeats.

PostgreSQL's "SIGTERM" is a smart shutdown, which waits for every client to leave: the
pooled connections of the workers would keep it up forever, so the suite follows it
with SIGINT (fast shutdown), the signal the official PostgreSQL image stops with.
"""

from __future__ import annotations

import functools
import os
import random
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from faults_harness import (
    Answer,
    KeepAliveProber,
    OccupyProber,
    Prober,
    Record,
    Server,
    Usage,
    alive,
    fd_targets,
    plain_get,
    python,
    thread_names,
    usage,
    wait_until,
)
from services import PostgresServer, RedisServer, ServiceError

from dockerflow import health

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

#: How long a client waits for any answer (far beyond the bound a heartbeat must meet).
CLIENT_TIMEOUT = 8.0
LEVELS = ["ok", "debug", "info", "warning", "error", "critical"]
CYCLES = int(os.environ.get("FAULTS_CYCLES", "5"))
HEARTBEATS = 500  # over which PostgreSQL's connection count stays flat
TIMEOUT = health.ERROR_CHECK_TIMEOUT

DB, REDIS = "postgres", "redis"
FAULTS = ("term", "kill", "stop")


@dataclass(frozen=True)
class Framework:
    name: str
    command: list[str]
    prober: type[Prober]
    #: The check of each service, and the ID it reports when the service refuses.
    checks: dict[str, tuple[str, str]]
    env: dict[str, str]
    #: Probes of the burst made while a service is frozen, and how many at once.
    frozen_burst: tuple[int, int]
    #: DOCKERFLOW_CHECK_TIMEOUT, in seconds.
    check_timeout: float = 1.0


GUNICORN = [python(), "-m", "gunicorn", "--workers", "2", "--bind", "{host}:{port}"]
GUNICORN += ["--graceful-timeout", "3", "--timeout", "60", "--log-level", "warning"]
UVICORN = [python(), "-m", "uvicorn", "--workers", "2", "--host", "{host}", "--port", "{port}"]
UVICORN += ["--timeout-keep-alive", "600", "--log-level", "warning", "--no-access-log"]
SANIC = [python(), "-m", "sanic", "--host", "{host}", "--port", "{port}", "--workers", "2"]
SANIC += ["--no-access-logs"]
SQLALCHEMY = {DB: ("check_database_connected", health.ERROR_DB_API_EXCEPTION)}
REDIS_CHECK = {REDIS: ("check_redis_connected", health.ERROR_CANNOT_CONNECT_REDIS)}
DJANGO_ENV = {"DJANGO_SETTINGS_MODULE": "faults_apps.faultsite.settings"}
DJANGO_CHECKS = {DB: ("check_database_connected", health.ERROR_CANNOT_CONNECT_DATABASE)}

FRAMEWORKS = [
    Framework(
        "flask",
        [*GUNICORN, "faults_apps.flask_app:app"],
        OccupyProber,
        {**SQLALCHEMY, **REDIS_CHECK},
        {},
        (24, 2),
    ),
    Framework(
        "django-wsgi",
        [*GUNICORN, "faults_apps.faultsite.wsgi:application"],
        OccupyProber,
        {**DJANGO_CHECKS, **REDIS_CHECK},
        DJANGO_ENV,
        (24, 2),
    ),
    Framework(
        "django-asgi",
        [*UVICORN, "faults_apps.faultsite.asgi:application"],
        KeepAliveProber,
        {**DJANGO_CHECKS, **REDIS_CHECK},
        DJANGO_ENV,
        (200, 25),
    ),
    Framework(
        "fastapi",
        [*UVICORN, "faults_apps.fastapi_app:app"],
        KeepAliveProber,
        {**SQLALCHEMY, **REDIS_CHECK},
        {},
        (200, 25),
    ),
    Framework(
        "sanic",
        [*SANIC, "faults_apps.sanic_app:app"],
        KeepAliveProber,
        {**SQLALCHEMY, **REDIS_CHECK},
        {"SANIC_KEEP_ALIVE_TIMEOUT": "600", "SANIC_NO_MOTD": "1"},
        (200, 25),
    ),
]


def _seed() -> int:
    value = os.environ.get("FAULTS_SEED")
    return int(value) if value else random.SystemRandom().randrange(1, 10**6)


# -- the services' faults --------------------------------------------------------------------


def inject(service: RedisServer | PostgresServer, kind: str, fault: str) -> None:
    """Break ``service``: ``term`` and ``kill`` stop it (clients are refused until it is
    restarted), ``stop`` freezes it (clients hang)."""
    if fault == "stop":
        service.pause()
    elif fault == "kill":
        service.stop(signal.SIGKILL)
    elif kind == DB:  # smart shutdown (SIGTERM), then fast shutdown: see the docstring
        pid = service.pid
        if pid is not None:
            os.kill(pid, signal.SIGTERM)
        time.sleep(0.2)
        service.stop(signal.SIGINT)
    else:
        service.stop(signal.SIGTERM)


def recover(service: RedisServer | PostgresServer, fault: str) -> None:
    if fault == "stop":
        service.resume()
        return
    for attempt in range(20):  # a SIGKILLed postmaster's backends may linger a moment
        try:
            service.start()
            return
        except ServiceError:
            if attempt == 19:
                raise
            time.sleep(0.5)


# -- one framework's run ---------------------------------------------------------------------


class Run:
    def __init__(
        self,
        framework: Framework,
        server: Server,
        prober: Prober,
        services: dict[str, Any],
        dbname: str,
        seed: int,
    ) -> None:
        self.fw = framework
        self.server = server
        self.prober = prober
        self.services = services
        self.dbname = dbname
        self.rng = random.Random(seed)
        self.record = Record(framework.name, seed)
        self.workers: list[int] = []
        self.bound = framework.check_timeout + 0.5  # the spec's bound on an answer

    # -- probes and what they must answer

    def probe(self, step: str, worker: int) -> Answer:
        answer = self.prober.get(worker, "/__heartbeat__")
        self.record.heartbeats += 1
        if answer.pid != worker:
            raise self.record.fail(step, worker, answer, f"answered by worker {answer.pid}")
        return answer

    def _problems(self, answer: Answer, failing: str | None, allowed: set[str]) -> list[str]:
        """What is wrong with ``answer``, a heartbeat whose check ``failing`` (``None``: no
        check) fails with one of the ``allowed`` IDs while every other check passes.

        The other checks are the framework's service checks, which must be ``ok``, and,
        for Django, every system check, which must stay below ``error``."""
        body = answer.json()
        problems = []
        status = 200 if failing is None else 500
        if answer.status != status:
            problems.append(f"not {status}")
        if not isinstance(body, dict) or set(body) != {"status", "checks", "details"}:
            return [*problems, "not the heartbeat's JSON (status, checks, details)"]
        checks, details = body["checks"], body["details"]
        for name, _ in self.fw.checks.values():
            expected = "error" if name == failing else "ok"
            if checks.get(name) != expected:
                problems.append(f"{name} is {checks.get(name)!r}, not {expected!r}")
        errors = sorted(name for name, level in checks.items() if level in ("error", "critical"))
        if errors != ([] if failing is None else [failing]):
            problems.append(f"checks in error: {errors}")
        worst = max(checks.values(), key=LEVELS.index, default="ok")
        if body["status"] != worst or (failing is not None and worst != "error"):
            problems.append(f"status is {body['status']!r}")
        if failing is not None:
            detail = details.get(failing, {})
            ids = list(detail.get("messages", {}))
            if len(ids) != 1 or ids[0] not in allowed or detail.get("level") != 40:
                problems.append(
                    f"{failing} is not one level-40 message with one of {sorted(allowed)}"
                )
        if answer.elapsed > self.bound:
            problems.append(f"answered after {answer.elapsed:.2f}s > {self.bound}s")
        return problems

    def _healthy(self, step: str, worker: int) -> bool:
        return not self._problems(self.probe(step, worker), None, set())

    def expect_up(self, step: str, worker: int) -> Answer:
        answer = self.probe(step, worker)
        if problems := self._problems(answer, None, set()):
            raise self.record.fail(step, worker, answer, "; ".join(problems))
        return answer

    def expect_down(self, step: str, worker: int, kind: str, fault: str) -> Answer:
        answer = self.probe(step, worker)
        failing, documented = self.fw.checks[kind]
        # Refused: the documented ID, unless the client's retries outlast the timeout;
        # frozen: always the timeout.
        allowed = {TIMEOUT} if fault == "stop" else {documented, TIMEOUT}
        if problems := self._problems(answer, failing, allowed):
            raise self.record.fail(step, worker, answer, "; ".join(problems))
        return answer

    # -- leak counters

    def usages(self) -> dict[int, Usage]:
        return {worker: usage(worker) for worker in self.workers}

    def settled_usages(self) -> dict[int, Usage]:
        """The workers' usage once it stops falling (connections of finished requests
        being closed), at most a second later."""
        now = self.usages()
        for _ in range(10):
            time.sleep(0.1)
            later = self.usages()
            if later == now:
                break
            now = later
        return now

    def connections(self) -> int:
        return int(self.services[DB].connection_count(self.dbname))

    # -- the run

    def warm_up(self) -> None:
        """Find the workers; each answers ok once its first (cold: imports, first
        connections) heartbeat is behind it, then three times in a row."""
        self.workers = self.prober.discover()
        self.server.workers = list(self.workers)
        for worker in self.workers:
            healthy = functools.partial(self._healthy, "warm-up", worker)
            if not wait_until(healthy, 30):
                self.expect_up("warm-up", worker)  # fails, saying why
            for _ in range(3):
                self.expect_up("warm-up", worker)

    def episode(self, cycle: int, kind: str, fault: str, burst: bool) -> None:
        service = self.services[kind]
        name = f"cycle {cycle}: {kind} {fault}"
        order = self.rng.sample(self.workers, len(self.workers))
        inject(service, kind, fault)
        try:
            for worker in order:
                self.expect_down(f"{name}, down", worker, kind, fault)
            # Once more on the first worker: its earlier run may still be going (a client
            # backing off, a frozen socket): a fresh run beside it, or none, never a pile.
            self.expect_down(f"{name}, down again", order[0], kind, fault)
            if burst:
                self.frozen_burst(name, kind)
        finally:
            recover(service, fault)
        for worker in self.rng.sample(self.workers, len(self.workers)):
            self.expect_up(f"{name}, first heartbeat after recovery", worker)

    def frozen_burst(self, name: str, kind: str) -> None:
        """Many heartbeats while a service is frozen, ``at_once`` at a time on new
        connections: each answers 500 with the timeout, and, once a first round has
        filled the pools a server keeps for that many concurrent requests, no worker's
        threads or file descriptors grow with the heartbeats that follow."""
        total, at_once = self.fw.frozen_burst
        failing = self.fw.checks[kind][0]
        step = f"{name}, frozen burst"

        def one(_: int) -> Answer:
            return plain_get(self.server.url + "/__heartbeat__", CLIENT_TIMEOUT + 30)

        def burst(count: int) -> None:
            with ThreadPoolExecutor(at_once) as pool:
                answers = list(pool.map(one, range(count)))
            self.record.heartbeats += count
            for answer in answers:
                body = answer.json() or {}
                ids = list(body.get("details", {}).get(failing, {}).get("messages", {}))
                if answer.status != 500 or ids != [TIMEOUT]:
                    raise self.record.fail(step, answer.pid, answer, f"not 500 with {TIMEOUT}")

        burst(at_once * 2)
        before = self.settled_usages()
        names = {worker: (thread_names(worker), fd_targets(worker)) for worker in self.workers}
        burst(total - at_once * 2)
        after = self.settled_usages()
        for worker in self.workers:
            threads = after[worker].threads - before[worker].threads
            fds = after[worker].fds - before[worker].fds
            if threads > 1 or fds > 2:
                detail = (
                    f"{before[worker]} -> {after[worker]} over {total - at_once * 2} heartbeats; "
                    f"threads {names[worker][0]} -> {thread_names(worker)}, "
                    f"fds {names[worker][1]} -> {fd_targets(worker)}"
                )
                raise self.record.fail(step, worker, None, detail)

    def heartbeat_burst(self, count: int) -> None:
        """``count`` heartbeats, on new connections to whichever worker accepts them."""
        for _ in range(count):
            answer = plain_get(self.server.url + "/__heartbeat__", CLIENT_TIMEOUT)
            self.record.heartbeats += 1
            if problems := self._problems(answer, None, set()):
                raise self.record.fail("heartbeat burst", answer.pid, answer, "; ".join(problems))


@pytest.fixture
def seed() -> int:
    value = _seed()
    print(f"\nfaults seed: {value} (replay with FAULTS_SEED={value})")
    return value


@pytest.fixture
def token_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "tokens"
    directory.mkdir()
    return directory


@pytest.fixture
def make_run(
    fault_redis: RedisServer,
    fault_postgres: PostgresServer,
    token_dir: Path,
    tmp_path: Path,
    seed: int,
) -> Iterator[Any]:
    servers: list[Server] = []
    probers: list[Prober] = []

    def make(framework: Framework) -> Run:
        dbname = f"faults_{framework.name.replace('-', '_')}"
        fault_redis.start()
        fault_postgres.start()
        url = fault_postgres.create_database(dbname)
        env = {
            **framework.env,
            "FAULTS_REDIS_HOST": fault_redis.host,
            "FAULTS_REDIS_PORT": str(fault_redis.port),
            "FAULTS_DATABASE_URL": url,
            "FAULTS_TOKEN_DIR": str(token_dir),
            "DOCKERFLOW_CHECK_TIMEOUT": str(framework.check_timeout),
        }
        server = Server(framework.name, framework.command, env, tmp_path / "server.log")
        servers.append(server)
        server.start()
        prober = framework.prober(server, CLIENT_TIMEOUT)
        probers.append(prober)
        return Run(
            framework, server, prober, {DB: fault_postgres, REDIS: fault_redis}, dbname, seed
        )

    try:
        yield make
    finally:
        for prober in probers:
            prober.close()
        for server in servers:
            server.stop()
        fault_redis.resume()
        fault_postgres.resume()


@pytest.mark.timeout(900)
@pytest.mark.parametrize("framework", FRAMEWORKS, ids=[f.name for f in FRAMEWORKS])
def test_heartbeats_tell_the_truth_through_faults(make_run: Any, framework: Framework) -> None:
    run: Run = make_run(framework)
    started = time.monotonic()
    try:
        run.warm_up()
    except Exception:
        print(run.server.tail())
        raise
    workers = set(run.workers)
    server_children = run.server.server_children()
    assert workers <= server_children, (workers, server_children)
    connections_before = run.connections()
    per_cycle: list[dict[int, Usage]] = []
    episodes = [(kind, fault) for kind in (DB, REDIS) for fault in FAULTS]
    burst_done = False
    try:
        for cycle in range(1, CYCLES + 1):
            for kind, fault in run.rng.sample(episodes, len(episodes)):
                burst = fault == "stop" and kind == REDIS and not burst_done
                run.episode(cycle, kind, fault, burst)
                burst_done = burst_done or burst
            per_cycle.append(run.settled_usages())
            print(f"[{framework.name}] cycle {cycle} done at {time.monotonic() - started:.1f}s")
        run.heartbeat_burst(max(0, HEARTBEATS - run.record.heartbeats) + 100)
    except Exception:
        print(run.server.tail())
        raise

    # No worker restarted: the same processes answered from start to end.
    assert all(alive(worker) for worker in run.workers)
    assert run.server.server_children() == server_children
    # Threads and file descriptors flat from cycle to cycle: whatever a cycle's faults
    # made a worker hold (hung runs, reconnected pools, a server's own thread pools),
    # the next cycles hold no more, give or take what comes and goes.
    for later in per_cycle[1:]:
        for worker in run.workers:
            first, now = per_cycle[0][worker], later[worker]
            assert now.threads <= first.threads + 2, (worker, per_cycle)
            assert now.fds <= first.fds + 4, (worker, per_cycle)
    # PostgreSQL connections flat over (at least) 500 heartbeats.
    assert run.record.heartbeats >= HEARTBEATS
    assert wait_until(lambda: abs(run.connections() - connections_before) <= 2, 5), (
        connections_before,
        run.connections(),
    )
    print(
        f"[{framework.name}] {CYCLES} cycles, {run.record.heartbeats} heartbeats, workers "
        f"{run.workers}, usage per cycle {per_cycle}, PostgreSQL connections "
        f"{connections_before} -> {run.connections()}, {time.monotonic() - started:.1f}s"
    )
