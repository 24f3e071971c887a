"""From check results to the heartbeat answer, shared by every integration.

:func:`build_heartbeat_response` turns :class:`~dockerflow.checks.ChecksResults`
into the JSON payload and HTTP status every integration answers with:

* ``{"status": "ok"}`` plus, when details are included, ``"checks"`` (each check's
  status) and ``"details"`` (the messages of each check that reported something);
* HTTP 200 while the worst level is below ``ERROR`` (warnings pass), otherwise the
  configured failure status (``DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE``, 500).

:class:`HeartbeatRunner` runs the checks for heartbeats so that a probe storm does
not become a storm on the database: a heartbeat that arrives while a run with the
same checks is in flight in this process waits for that run's result instead of
starting another (threads and asyncio alike), and with a cache TTL, results are
reused for that many seconds.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
import time
from collections.abc import Collection, Hashable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from ..checks.messages import CRITICAL, ERROR, level_to_text
from ..checks.registry import CheckFn, ChecksResults, run_checks, run_checks_async
from ..config import DockerflowSettings

__all__ = [
    "HeartbeatResponse",
    "HeartbeatRunner",
    "broken_heartbeat_response",
    "build_heartbeat_response",
    "heartbeat_status_code",
]


def _replaced(name: str, own: Any) -> Any:
    """``dockerflow.checks.<name>`` when something replaced it there (a test's
    ``mock.patch("dockerflow.checks.run_checks")``), else ``None``. The reference's
    heartbeat views call the checks through that module attribute, so such a patch
    decides their answer: it decides ours too (no sharing, no cache)."""
    package = sys.modules.get("dockerflow.checks")
    found = getattr(package, name, own)
    return None if found is own else found


def heartbeat_status_code(level: int, failed_status_code: int = 500) -> int:
    """Return 200 for ``level`` below ``ERROR`` and ``failed_status_code`` otherwise."""
    return failed_status_code if level >= ERROR else 200


@dataclass(frozen=True)
class HeartbeatResponse:
    """What a heartbeat view answers."""

    #: The HTTP status code.
    status_code: int
    #: The JSON body.
    payload: dict[str, Any]
    #: The worst check level (what the passed/failed signals carry).
    level: int
    #: The results the answer was built from.
    results: ChecksResults

    @property
    def passed(self) -> bool:
        """Whether the heartbeat passed (worst level below ``ERROR``)."""
        return self.level < ERROR


def build_heartbeat_response(
    results: ChecksResults, *, failed_status_code: int = 500, include_details: bool = True
) -> HeartbeatResponse:
    """Build the heartbeat's JSON payload and HTTP status from ``results``."""
    payload: dict[str, Any] = {"status": level_to_text(results.level)}
    if include_details:
        payload["checks"] = dict(results.statuses)
        payload["details"] = {name: dict(detail) for name, detail in results.details.items()}
    return HeartbeatResponse(
        status_code=heartbeat_status_code(results.level, failed_status_code),
        payload=payload,
        level=results.level,
        results=results,
    )


def broken_heartbeat_response(exc: BaseException) -> HeartbeatResponse:
    """The answer of a heartbeat that could not run its checks at all (a
    ``DOCKERFLOW_*`` setting with an unusable value, say): a JSON 500 like every other
    failed heartbeat, never the framework's error page. ``exc`` is logged with its
    traceback on the ``dockerflow.heartbeat`` logger; the body does not show it.
    """
    logging.getLogger(__name__).error(
        "The heartbeat could not run its checks",
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    payload = {"status": "error", "error": "The heartbeat could not run its checks; see the logs."}
    return HeartbeatResponse(
        status_code=500, payload=payload, level=CRITICAL, results=ChecksResults(level=CRITICAL)
    )


_Key = tuple[tuple[tuple[str, Hashable], ...], frozenset[str], float | None]


def _identity(fn: CheckFn) -> Hashable:
    """``fn`` itself when it can be a dict key (it stays alive with the cached results,
    so its identity cannot be reused), else its ``id()``."""
    try:
        hash(fn)
    except TypeError:
        return id(fn)
    return fn


class HeartbeatRunner:
    """Runs heartbeat checks, coalescing concurrent runs and caching results.

    One runner belongs to one application. It is safe to share between threads and
    between event loops.
    """

    def __init__(self) -> None:
        self._init_state()

    def _init_state(self) -> None:
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._inflight: dict[_Key, Future[ChecksResults]] = {}
        self._inflight_async: dict[
            tuple[_Key, asyncio.AbstractEventLoop], asyncio.Future[ChecksResults]
        ] = {}
        self._cache: dict[_Key, tuple[float, ChecksResults]] = {}  # key: (stored at, results)

    def _after_fork(self) -> None:
        # A forked worker (gunicorn --preload) inherits no threads and maybe a held lock.
        if self._pid != os.getpid():
            self._init_state()

    def clear_cache(self) -> None:
        """Forget cached results: the next heartbeat runs the checks."""
        with self._lock:
            self._cache.clear()

    @staticmethod
    def _key(
        pairs: list[tuple[str, CheckFn]], silenced: Collection[str] | None, timeout: float | None
    ) -> _Key:
        # The callables, not just their names: one extension serving two apps binds the
        # same names to different checks, which must not share results.
        return (
            tuple((name, _identity(fn)) for name, fn in pairs),
            frozenset(silenced or ()),
            timeout,
        )

    def _cached(self, key: _Key, cache_ttl: float) -> ChecksResults | None:
        if cache_ttl <= 0:
            return None
        entry = self._cache.get(key)
        if entry is not None and time.monotonic() - entry[0] < cache_ttl:
            return entry[1]
        return None

    def _store(self, key: _Key, results: ChecksResults, cache_ttl: float) -> None:
        if cache_ttl > 0:
            self._cache[key] = (time.monotonic(), results)

    def run(
        self,
        checks: Iterable[tuple[str, CheckFn]],
        silenced_check_ids: Collection[str] | None = None,
        *,
        timeout: float | None = None,
        cache_ttl: float = 0.0,
    ) -> ChecksResults:
        """Run ``checks`` (see :func:`~dockerflow.checks.run_checks`), joining a run
        already in flight for the same checks, or serving a cached result."""
        self._after_fork()
        pairs = list(checks)
        replaced = _replaced("run_checks", run_checks)
        if replaced is not None:
            return replaced(pairs, silenced_check_ids=silenced_check_ids)  # type: ignore[no-any-return]
        key = self._key(pairs, silenced_check_ids, timeout)
        with self._lock:
            cached = self._cached(key, cache_ttl)
            if cached is not None:
                return cached
            fut = self._inflight.get(key)
            leader = fut is None
            if fut is None:
                fut = self._inflight[key] = Future()
        if not leader:
            return fut.result()
        try:
            results = run_checks(pairs, silenced_check_ids, timeout=timeout)
        except BaseException as exc:
            with self._lock:
                self._inflight.pop(key, None)
            fut.set_exception(exc)
            raise
        with self._lock:
            self._inflight.pop(key, None)
            self._store(key, results, cache_ttl)
        fut.set_result(results)
        return results

    async def run_async(
        self,
        checks: Iterable[tuple[str, CheckFn]],
        silenced_check_ids: Collection[str] | None = None,
        *,
        timeout: float | None = None,
        cache_ttl: float = 0.0,
    ) -> ChecksResults:
        """Run ``checks`` on the running loop (see
        :func:`~dockerflow.checks.run_checks_async`), joining a run already in flight
        on this loop for the same checks, or serving a cached result.

        The run itself is a task of its own: a heartbeat request that is cancelled
        (its client went away) does not cancel the run the others are waiting for.
        """
        pairs = list(checks)
        replaced = _replaced("run_checks_async", run_checks_async)
        if replaced is not None:
            return await replaced(pairs, silenced_check_ids=silenced_check_ids)  # type: ignore[no-any-return]
        key = self._key(pairs, silenced_check_ids, timeout)
        loop = asyncio.get_running_loop()
        self._after_fork()
        with self._lock:
            cached = self._cached(key, cache_ttl)
            if cached is not None:
                return cached
            task = self._inflight_async.get((key, loop))
            if task is None:
                task = loop.create_task(
                    run_checks_async(pairs, silenced_check_ids, timeout=timeout)
                )
                self._inflight_async[(key, loop)] = task

                def _done(done: asyncio.Future[ChecksResults]) -> None:
                    with self._lock:
                        if self._inflight_async.get((key, loop)) is done:
                            del self._inflight_async[(key, loop)]
                        if not done.cancelled() and done.exception() is None:
                            self._store(key, done.result(), cache_ttl)

                task.add_done_callback(_done)
        return await asyncio.shield(task)

    def respond(
        self,
        checks: Iterable[tuple[str, CheckFn]],
        settings: DockerflowSettings,
        silenced_check_ids: Collection[str] | None = None,
    ) -> HeartbeatResponse:
        """Run the checks as configured by ``settings`` and build the answer."""
        results = self.run(
            checks,
            silenced_check_ids,
            timeout=settings.check_timeout,
            cache_ttl=settings.heartbeat_cache_ttl,
        )
        return _answer(results, settings)

    async def respond_async(
        self,
        checks: Iterable[tuple[str, CheckFn]],
        settings: DockerflowSettings,
        silenced_check_ids: Collection[str] | None = None,
    ) -> HeartbeatResponse:
        """The async twin of :meth:`respond`."""
        results = await self.run_async(
            checks,
            silenced_check_ids,
            timeout=settings.check_timeout,
            cache_ttl=settings.heartbeat_cache_ttl,
        )
        return _answer(results, settings)


def _answer(results: ChecksResults, settings: DockerflowSettings) -> HeartbeatResponse:
    return build_heartbeat_response(
        results,
        failed_status_code=settings.heartbeat_failed_status_code,
        include_details=settings.heartbeat_include_details,
    )
