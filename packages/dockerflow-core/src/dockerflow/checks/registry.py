"""Registering health checks and running them.

A *check* is a callable taking no arguments that returns an iterable of
:class:`~dockerflow.checks.CheckMessage` (or ``None``/an empty list when all is
well). It may be a plain function or an ``async def`` coroutine function.

Checks are kept in a :class:`CheckRegistry`. The module-level functions
(:func:`~dockerflow.checks.register`, :func:`~dockerflow.checks.get_checks`, :func:`~dockerflow.checks.clear_checks`, ...) work on a default
registry shared by the process, as the reference documentation describes; a
framework integration gives each application a registry of its own so two apps in
one process never share checks.

Running checks (:func:`~dockerflow.checks.run_checks`, :func:`~dockerflow.checks.run_checks_async`):

* every check runs concurrently: sync checks on a bounded thread pool, async
  checks as tasks on the running event loop;
* every check is bounded by a timeout (:data:`~dockerflow.checks.DEFAULT_CHECK_TIMEOUT` seconds, or
  the ``timeout`` given to the run, or the one given to :func:`~dockerflow.checks.register` for that
  check). A check that raises or times out becomes an error message with a stable
  ID from :mod:`dockerflow.health`; its exception is logged with its traceback.
  A run never raises because of a check and never waits longer than the timeout;
* a check already running because of a concurrent run, not yet past its timeout, is
  joined instead of started again;
* a check still running past its timeout from an earlier run (hung on a dead socket,
  say) gets one fresh run beside it, whose result is the answer: a service that came
  back is seen at once instead of the stale run being reported. Never more than
  :data:`~dockerflow.checks.registry.MAX_RUNS_PER_CHECK` (two) runs of one check are in flight in a process,
  threads and tasks alike; when both are overdue, the fresh run starts as soon as
  one of them ends, within the timeout, else the check is reported timed out;
* results keep the order the checks were given in; messages whose ID is silenced
  are dropped; every other message is logged at its own level as ``ID: message``
  on the ``dockerflow.checks.registry`` logger.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import logging
import os
import queue
import threading
import time
from collections.abc import Awaitable, Callable, Collection, Hashable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, CancelledError, Future
from concurrent.futures import TimeoutError as FutureTimeoutError
from concurrent.futures import wait as futures_wait
from dataclasses import dataclass, field
from typing import Any, TypeAlias, TypedDict, TypeVar, overload

from .. import health
from .messages import CheckMessage, Error, level_to_text

__all__ = [
    "BLOCKED_LOOP_GRACE",
    "DEFAULT_CHECK_TIMEOUT",
    "MAX_RUNS_PER_CHECK",
    "CheckDetail",
    "CheckFn",
    "CheckRegistry",
    "ChecksResults",
    "clear_checks",
    "get_checks",
    "register",
    "register_partial",
    "run_checks",
    "run_checks_async",
    "to_check_thread",
]


def _logger() -> logging.Logger:
    # Looked up when used, not created at import: see dockerflow.request.get_summary_logger.
    return logging.getLogger(__name__)


def __getattr__(name: str) -> Any:
    # ``dockerflow.checks.registry.logger`` (a reference name), created when first asked
    # for rather than at import.
    if name == "logger":
        return _logger()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: Seconds a check may run before it is reported as timed out.
DEFAULT_CHECK_TIMEOUT = 5.0
#: The most sync checks that run at the same time (the size of the thread pool).
MAX_CHECK_THREADS = 16

#: A health check: takes no arguments, returns (or resolves to) check messages.
CheckFn: TypeAlias = Callable[[], Any]
F = TypeVar("F", bound=Callable[..., Any])

_TIMEOUT_ATTR = "dockerflow_check_timeout"


class CheckDetail(TypedDict):
    """What the heartbeat reports of one check that produced messages."""

    status: str
    level: int
    messages: dict[str, str]


@dataclass
class ChecksResults:
    """The outcome of running a set of checks.

    :ivar details: for each check that reported something (level above ``0``), its
        status, level and messages keyed by message ID.
    :ivar statuses: the status text of every check, ``"ok"`` included, in the order
        the checks ran.
    :ivar level: the worst level across all checks (``0`` when all are fine).
    """

    details: dict[str, CheckDetail] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)
    level: int = 0


def _validate_timeout(timeout: float | None) -> float | None:
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
        raise ValueError(f"A check timeout must be a positive number of seconds, not {timeout!r}")
    return float(timeout)


class CheckRegistry:
    """An ordered collection of named checks.

    An application that owns a registry keeps its checks apart from every other
    application in the process::

        registry = CheckRegistry()

        @registry.register
        def check_storage():
            ...

        results = run_checks(registry.get_checks().items())
    """

    def __init__(self) -> None:
        self._checks: dict[str, CheckFn] = {}

    @overload
    def register(self, func: F, name: str | None = None, *, timeout: float | None = None) -> F: ...

    @overload
    def register(
        self, func: None = None, name: str | None = None, *, timeout: float | None = None
    ) -> Callable[[F], F]: ...

    def register(
        self, func: F | None = None, name: str | None = None, *, timeout: float | None = None
    ) -> F | Callable[[F], F]:
        """Register ``func`` as a check; usable as ``@register``, ``@register()``
        and ``@register(name="...", timeout=2.0)``.

        :param name: the name the check is reported under (default: the function's
            ``__name__``). Registering a second check under a name replaces the first.
        :param timeout: seconds this check may run, overriding the run's timeout.
        :returns: ``func`` itself, so the decorated function stays callable.
        """
        if func is None:
            return functools.partial(self.register, name=name, timeout=timeout)
        if not callable(func):
            raise TypeError(f"A check must be callable, not {func!r}")
        timeout = _validate_timeout(timeout)
        if name is None:
            name = getattr(func, "__name__", None) or repr(func)
        # The timeout belongs to this registration, not to the function: another
        # registry holding the same function keeps its own (or none).
        check: CheckFn = func if timeout is None else _with_timeout(func, timeout)
        self._checks[name] = check
        return func

    def register_partial(
        self,
        func: Callable[..., Any],
        *args: Any,
        name: str | None = None,
        timeout: float | None = None,
    ) -> CheckFn:
        """Register ``func`` called with ``args`` as a check, e.g.
        ``register_partial(check_redis_connected, client)``.

        The check is named after ``func`` unless ``name`` is given.
        """
        partial = functools.partial(func, *args)
        check: CheckFn = functools.update_wrapper(partial, func)
        return self.register(check, name=name or getattr(func, "__name__", None), timeout=timeout)

    def get_checks(self) -> dict[str, CheckFn]:
        """Return the registered checks, name to callable, in registration order.

        The mapping is the registry's own: mutating it changes the registry.
        """
        return self._checks

    def unregister(self, name: str) -> None:
        """Remove the check registered as ``name`` (no error if there is none)."""
        self._checks.pop(name, None)

    def clear(self) -> None:
        """Remove every registered check."""
        self._checks.clear()

    def __len__(self) -> int:
        return len(self._checks)

    def __contains__(self, name: object) -> bool:
        return name in self._checks


def _with_timeout(func: Callable[..., Any], timeout: float) -> CheckFn:
    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def async_wrapper() -> Any:
            return await func()

        wrapper: Callable[..., Any] = async_wrapper
    else:

        @functools.wraps(func)
        def sync_wrapper() -> Any:
            return func()

        wrapper = sync_wrapper
    setattr(wrapper, _TIMEOUT_ATTR, timeout)
    return wrapper


#: The process-wide registry behind the module-level functions.
default_registry = CheckRegistry()
register = default_registry.register
register_partial = default_registry.register_partial
get_checks = default_registry.get_checks
clear_checks = default_registry.clear


# --- running ---------------------------------------------------------------------


#: A call queued for the check threads: its future, the caller's context, the function
#: and its arguments.
_Call = tuple[Future[Any], contextvars.Context, Callable[..., Any], tuple[Any, ...]]


class _CheckThreads:
    """A bounded pool of daemon threads for sync checks.

    Unlike :class:`concurrent.futures.ThreadPoolExecutor`, whose threads the
    interpreter joins at exit, a thread stuck in a hung check never keeps the process
    from exiting (a gunicorn worker told to stop, say). Threads start on demand, up to
    ``max_threads``; work beyond that waits in the queue (and the runner gives up on it
    at its timeout).
    """

    def __init__(self, max_threads: int) -> None:
        self._max_threads = max_threads
        self._threads = 0
        self._lock = threading.Lock()
        self._idle = threading.Semaphore(0)
        self._queue: queue.SimpleQueue[_Call] = queue.SimpleQueue()

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Run ``fn(*args)`` on a check thread, in a copy of the caller's context (as
        :func:`asyncio.to_thread` does): what a check logs carries the request id of
        the heartbeat that started it."""
        future: Future[Any] = Future()
        self._queue.put((future, contextvars.copy_context(), fn, args))
        if not self._idle.acquire(blocking=False):  # no thread waiting: start one
            with self._lock:
                if self._threads < self._max_threads:
                    self._threads += 1
                    name = f"dockerflow-check-{self._threads}"
                    threading.Thread(target=self._work, name=name, daemon=True).start()
        return future

    def _work(self) -> None:
        while True:
            future, context, fn, args = self._queue.get()
            if future.set_running_or_notify_cancel():
                try:
                    result = context.run(fn, *args)
                except BaseException as exc:
                    future.set_exception(exc)
                else:
                    future.set_result(result)
            del future, context, fn, args
            self._idle.release()


_pool: _CheckThreads | None = None
_lock = threading.Lock()

#: The most runs of one check in flight at once in a process: a run still going past
#: its timeout (hung on a dead socket, say) and one fresh run beside it.
MAX_RUNS_PER_CHECK = 2


@dataclass(eq=False)
class _Flight:
    """A run of one check: its future, when it started, and its timeout.

    ``future`` is a :class:`concurrent.futures.Future` (a sync check on the check
    threads) or an :class:`asyncio.Task` of ``loop`` (an async check). ``done`` is a
    concurrent future resolved with the same outcome, so a run on any thread or loop
    can wait for it. ``children`` holds the check-thread work the run started through
    :func:`to_check_thread`: a cancelled async check whose blocking call still runs in a
    thread is still in flight.
    """

    started: float
    seconds: float
    loop: asyncio.AbstractEventLoop | None = None
    key: Hashable = None  # the check, when it can be tracked
    future: Any = None
    done: Future[Any] = field(default_factory=Future)
    children: list[Future[Any]] = field(default_factory=list)
    #: Resolved once the run is over, children included: its slot is free.
    over: Future[None] = field(default_factory=Future)

    def running(self) -> bool:
        return not self.future.done() or any(not child.done() for child in self.children)

    def overdue(self, now: float) -> bool:
        return now - self.started >= self.seconds


#: The runs in flight of each check (at most :data:`~dockerflow.checks.registry.MAX_RUNS_PER_CHECK`), by check.
_inflight: dict[Hashable, list[_Flight]] = {}
# Reentrant: a done callback added to a finished future runs at once, in the caller.
_inflight_lock = threading.RLock()
#: The run an async check's code belongs to (see :func:`to_check_thread`).
_current_flight: contextvars.ContextVar[_Flight | None] = contextvars.ContextVar(
    "dockerflow_check_flight", default=None
)


def _executor() -> _CheckThreads:
    """The shared thread pool for sync checks, created on first use."""
    global _pool
    if _pool is None:
        with _lock:
            if _pool is None:
                _pool = _CheckThreads(MAX_CHECK_THREADS)
    return _pool


async def to_check_thread(fn: Callable[..., Any], *args: Any) -> Any:
    """Await ``fn(*args)`` run on the check threads, from an async check.

    Use it for a blocking call (a sync Redis client's ``ping``, say) instead of
    :func:`asyncio.to_thread`: the check threads are bounded and are daemons, so a call
    that hangs neither piles up threads in the loop's default executor nor keeps the
    process from exiting. Called from a check the runner started, the thread counts as
    part of that run until it returns, even when the check itself was cancelled at its
    timeout: a hung blocking call keeps its run in flight, so the runner never starts
    more than :data:`~dockerflow.checks.registry.MAX_RUNS_PER_CHECK` runs of the check.
    """
    future = _executor().submit(fn, *args)
    flight = _current_flight.get()
    if flight is not None:
        with _inflight_lock:
            flight.children.append(future)
        if flight.key is not None:
            future.add_done_callback(functools.partial(_forget_finished, flight.key))
    return await asyncio.wrap_future(future)


def _reset_after_fork() -> None:
    # Threads (and a lock one of them held) do not survive fork: a pre-forking server
    # such as gunicorn --preload gets a fresh pool and fresh bookkeeping per worker.
    global _pool, _lock, _inflight_lock
    _pool = None
    _lock = threading.Lock()
    _inflight_lock = threading.RLock()
    _inflight.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def _hashable(fn: CheckFn) -> bool:
    try:
        hash(fn)
    except TypeError:  # an unhashable callable cannot be tracked
        return False
    return True


def _mirror(task: asyncio.Future[Any], done: Future[Any]) -> None:
    """Resolve the concurrent future ``done`` with the outcome of ``task``."""
    if not done.set_running_or_notify_cancel():
        return
    if task.cancelled():
        done.set_exception(asyncio.CancelledError())
    elif (exc := task.exception()) is not None:
        done.set_exception(exc)
    else:
        done.set_result(task.result())


def _forget_finished(key: Hashable, _done: object = None) -> None:
    """Drop the finished runs of the check ``key`` from the bookkeeping."""
    with _inflight_lock:
        flights = _inflight.get(key)
        if flights is None:
            return
        running = [flight for flight in flights if flight.running()]
        for flight in flights:
            if not flight.running() and not flight.over.done():
                flight.over.set_result(None)
        flights[:] = running
        if not flights:
            del _inflight[key]


def _claim(
    fn: CheckFn, now: float, seconds: float, start: Callable[[_Flight], None]
) -> tuple[_Flight | None, bool, list[_Flight]]:
    """Decide how a new run of ``fn`` gets its result, and start a run if needed.

    * a run in flight that is not overdue is joined: ``(that run, False, [])``;
    * otherwise, with fewer than :data:`~dockerflow.checks.registry.MAX_RUNS_PER_CHECK` runs in flight, a fresh
      run is started by ``start`` (which sets the flight's future):
      ``(the new run, True, [])``;
    * otherwise every run in flight is overdue and there is no room:
      ``(None, False, the runs in flight)``; the caller may wait for one of them to be
      over (:attr:`_Flight.over`) and claim again.
    """
    flight = _Flight(now, seconds)
    if not _hashable(fn):
        start(flight)
        return flight, True, []
    with _inflight_lock:
        flights = [f for f in _inflight.get(fn, ()) if f.running()]
        # A run whose own future is done (an async check cancelled at its timeout, its
        # blocking call still going) holds a slot but has no result to give.
        fresh = [f for f in flights if not f.overdue(now) and not f.future.done()]
        if fresh:
            return fresh[-1], False, []
        if len(flights) >= MAX_RUNS_PER_CHECK:
            return None, False, flights
        flight.key = fn
        start(flight)
        _inflight.setdefault(fn, []).append(flight)
    flight.future.add_done_callback(functools.partial(_forget_finished, fn))
    return flight, True, []


def _is_async_check(fn: CheckFn) -> bool:
    target = fn.func if isinstance(fn, functools.partial) else fn
    return inspect.iscoroutinefunction(target) or inspect.iscoroutinefunction(
        getattr(target, "__call__", None)  # noqa: B004 - async callable objects
    )


def _call_sync(fn: CheckFn) -> Any:
    result = fn()
    if inspect.isawaitable(result):
        # An async check run from sync code: give it a loop of its own in this thread.
        async def _await(aw: Awaitable[Any]) -> Any:
            return await aw

        result = asyncio.run(_await(result))
    return result


def _call_timed(fn: CheckFn, flight: _Flight) -> tuple[float, Any]:
    _current_flight.set(flight)  # a check thread's context: reset after the run
    try:
        result = _call_sync(fn)
    finally:
        _current_flight.set(None)
    return time.monotonic(), result


async def _call_async_timed(fn: CheckFn, flight: _Flight) -> tuple[float, Any]:
    _current_flight.set(flight)  # the task runs in a copy of the context: ours alone
    result = fn()
    if inspect.isawaitable(result):
        result = await result
    return time.monotonic(), result


def _timeout_for(fn: CheckFn, timeout: float | None) -> float:
    own = getattr(fn, _TIMEOUT_ATTR, None)
    if own is not None:
        return float(own)
    if timeout is not None:
        return timeout
    return DEFAULT_CHECK_TIMEOUT


def _timed_out(name: str, seconds: float, *, hung: bool) -> list[CheckMessage]:
    if hung:
        text = (
            f"The check {name} is still running from earlier heartbeats, past its timeout "
            f"of {seconds:g} seconds, and was not started again."
        )
    else:
        text = f"The check {name} did not finish within {seconds:g} seconds."
    _logger().error("Dockerflow check %s timed out%s", name, " (still hung)" if hung else "")
    return [Error(text, id=health.ERROR_CHECK_TIMEOUT)]


def _raised(name: str, exc: BaseException) -> list[CheckMessage]:
    _logger().error(
        "Dockerflow check %s raised %s",
        name,
        type(exc).__name__,
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    # The exception text may carry secrets (a DSN, a password): keep it in the log only.
    text = f"The check {name} raised an unexpected {type(exc).__name__}; see the logs."
    return [Error(text, id=health.ERROR_CHECK_EXCEPTION)]


def _is_message(obj: object) -> bool:
    return (
        isinstance(getattr(obj, "level", None), int) and hasattr(obj, "msg") and hasattr(obj, "id")
    )


def _messages(name: str, result: Any) -> list[Any]:
    """Turn what a check returned into a list of messages, or an error message."""
    if result is None:
        return []
    if _is_message(result):
        return [result]
    if not isinstance(result, str | bytes | Mapping):
        try:
            items = list(result)
        except TypeError:
            pass
        else:
            if all(_is_message(item) for item in items):
                return items
    _logger().error(
        "Dockerflow check %s returned %s, not a list of check messages", name, type(result).__name__
    )
    text = f"The check {name} returned {type(result).__name__}, not a list of check messages."
    return [Error(text, id=health.ERROR_CHECK_INVALID_RESULT)]


class _Expired(Exception):
    """Waiting on a check took longer than its timeout."""


def _outcome(name: str, seconds: float, deadline: float, result: Any) -> list[Any]:
    """The messages for what waiting on one check gave: ``(finished, value)`` or an error."""
    if isinstance(result, _Expired | CancelledError | asyncio.CancelledError):
        return _timed_out(name, seconds, hung=False)
    if isinstance(result, BaseException):
        return _raised(name, result)
    finished, value = result
    if finished > deadline:  # done by now, but later than it was allowed to take
        return _timed_out(name, seconds, hung=False)
    return _messages(name, value)


def _build_results(
    outcomes: Iterable[tuple[str, list[Any]]], silenced_check_ids: Collection[str] | None
) -> ChecksResults:
    silenced = frozenset(silenced_check_ids or ())
    results = ChecksResults()
    for name, messages in outcomes:
        level = 0
        kept: dict[str, str] = {}
        for message in messages:
            if message.id in silenced:
                _logger().debug("%s: %s (silenced)", message.id, message.msg)
                continue
            _logger().log(message.level, "%s: %s", message.id, message.msg)
            kept[message.id] = str(message.msg)
            level = max(level, message.level)
        status = level_to_text(level)
        results.statuses[name] = status
        if level > 0:
            results.details[name] = {"status": status, "level": level, "messages": kept}
        results.level = max(results.level, level)
    return results


def run_checks(
    checks: Iterable[tuple[str, CheckFn]],
    silenced_check_ids: Collection[str] | None = None,
    *,
    timeout: float | None = None,
) -> ChecksResults:
    """Run ``checks`` concurrently and return their results.

    :param checks: ``(name, check)`` pairs, e.g. ``get_checks().items()``. Async
        checks are run on an event loop of their own in a worker thread.
    :param silenced_check_ids: message IDs to drop from the results.
    :param timeout: seconds each check may take (default
        :data:`DEFAULT_CHECK_TIMEOUT`); a timeout given at registration wins.
    :returns: a :class:`ChecksResults`. Never raises because of a check.

    A check already running because of a concurrent run, and not yet past its timeout,
    is joined, not started a second time. A check still running past its timeout (from
    an earlier heartbeat) gets one fresh run beside it, whose result is the answer. With
    :data:`~dockerflow.checks.registry.MAX_RUNS_PER_CHECK` runs of a check in flight, all overdue, the fresh run
    starts when one of them ends, if that happens within the timeout; otherwise the
    check is reported timed out.
    """
    timeout = _validate_timeout(timeout)
    now = time.monotonic()
    waiting: list[tuple[str, Future[tuple[float, Any]] | None, bool, float, float]] = []
    no_room: dict[int, tuple[CheckFn, Callable[[_Flight], None], list[_Flight]]] = {}
    for name, fn in checks:
        seconds = _timeout_for(fn, timeout)

        def start(flight: _Flight, fn: CheckFn = fn) -> None:
            flight.future = flight.done = _executor().submit(_call_timed, fn, flight)

        flight, owner, busy = _claim(fn, now, seconds, start)
        if flight is None:
            no_room[len(waiting)] = (fn, start, busy)
        waited = None if flight is None else flight.done
        waiting.append((name, waited, owner, seconds, now + seconds))

    # Every run of these checks is overdue and there is no room for another: start a
    # fresh run as soon as one of them is over, if that happens before the deadline.
    while no_room:
        remaining = min(waiting[index][4] for index in no_room) - time.monotonic()
        if remaining <= 0:
            break
        overs = [flight.over for _, _, busy in no_room.values() for flight in busy]
        futures_wait(overs, timeout=remaining, return_when=FIRST_COMPLETED)
        later = time.monotonic()
        for index, (fn, starter, _) in list(no_room.items()):
            name, _, _, seconds, deadline = waiting[index]
            if later >= deadline:
                del no_room[index]
                continue
            # The fresh run gets what is left of the deadline: it is overdue when its
            # owner stops waiting for it.
            flight, owner, busy = _claim(fn, later, deadline - later, starter)
            if flight is None:
                no_room[index] = (fn, starter, busy)
            else:
                del no_room[index]
                waiting[index] = (name, flight.done, owner, seconds, deadline)

    outcomes: list[tuple[str, list[Any]]] = []
    for name, waited, owner, seconds, deadline in waiting:
        if waited is None:
            outcomes.append((name, _timed_out(name, seconds, hung=True)))
            continue
        result: Any
        try:
            result = waited.result(timeout=max(0.0, deadline - time.monotonic()))
        except CancelledError:
            result = _Expired()
        except FutureTimeoutError as exc:
            if waited.done():  # the check itself raised TimeoutError
                result = exc
            else:
                if owner:  # a run that joined another's check leaves it to its owner
                    waited.cancel()  # only stops it if it has not started yet
                result = _Expired()
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # asyncio.CancelledError from an async check, say
            result = exc
        outcomes.append((name, _outcome(name, seconds, deadline, result)))
    return _build_results(outcomes, silenced_check_ids)


async def _bounded(aw: asyncio.Future[Any], seconds: float, *, owner: bool = True) -> Any:
    done, _ = await asyncio.wait({aw}, timeout=seconds)
    if not done:
        if owner:  # a run that joined another's check leaves it to its owner's timeout
            aw.cancel()  # not awaited: a check that ignores cancellation must not hang us
        raise _Expired
    return aw.result()


async def run_checks_async(
    checks: Iterable[tuple[str, CheckFn]],
    silenced_check_ids: Collection[str] | None = None,
    *,
    timeout: float | None = None,
) -> ChecksResults:
    """Run ``checks`` concurrently on the running event loop and return their results.

    Async checks run as tasks on the loop; sync checks run on the bounded thread pool,
    so a slow sync check never blocks the loop. Same arguments and guarantees as
    :func:`run_checks`, the limit of :data:`~dockerflow.checks.registry.MAX_RUNS_PER_CHECK` runs per check
    included (async tasks and threads alike).
    """
    timeout = _validate_timeout(timeout)
    loop = asyncio.get_running_loop()
    now = time.monotonic()
    names: list[str] = []
    seconds_of: list[float] = []
    waits: list[Awaitable[Any]] = []
    for name, fn in checks:
        seconds = _timeout_for(fn, timeout)
        names.append(name)
        seconds_of.append(seconds)

        def start(flight: _Flight, fn: CheckFn = fn) -> None:
            if _is_async_check(fn):
                flight.loop = loop
                task = loop.create_task(_call_async_timed(fn, flight))
                task.add_done_callback(functools.partial(_mirror, done=flight.done))
                flight.future = task
            else:
                flight.future = flight.done = _executor().submit(_call_timed, fn, flight)

        waits.append(_run_or_join(fn, now, seconds, start, loop))

    gathered = await asyncio.gather(*waits, return_exceptions=True)
    _warn_if_loop_was_blocked(time.monotonic() - now, max(seconds_of, default=0.0))
    outcomes: list[tuple[str, list[Any]]] = []
    for name, seconds, result in zip(names, seconds_of, gathered, strict=True):
        if isinstance(result, _NoRoom):
            outcomes.append((name, _timed_out(name, seconds, hung=True)))
        else:
            outcomes.append((name, _outcome(name, seconds, now + seconds, result)))
    return _build_results(outcomes, silenced_check_ids)


#: How far past its longest check timeout a run on an event loop may end before the loop
#: is reported as blocked (a free loop ends it within milliseconds of the timeout).
BLOCKED_LOOP_GRACE = 1.0


def _warn_if_loop_was_blocked(elapsed: float, longest_timeout: float) -> None:
    """Say so when a run of checks on an event loop ended well past its timeouts.

    Every wait of the run is bounded by its check's timeout, so the run can only end
    late when the loop itself could not run: an ``async def`` check (or other code on
    the loop) called something blocking, such as ``time.sleep`` or a sync database
    driver, without awaiting. Nothing can interrupt that; the heartbeat then answers
    late, and the warning names the cause instead of leaving a silent delay.
    """
    overrun = elapsed - longest_timeout
    if overrun > BLOCKED_LOOP_GRACE:
        _logger().warning(
            "The heartbeat's checks took %.1f seconds, %.1f seconds past their timeout: "
            "the event loop was blocked, so the timeout could not be enforced. An async "
            "check must never call blocking code; make such a check a plain function "
            "(it then runs on a worker thread, bounded by its timeout).",
            elapsed,
            overrun,
        )


class _NoRoom(Exception):
    """Every run of a check in flight was overdue, and none was over before the deadline."""


async def _run_or_join(
    fn: CheckFn,
    now: float,
    seconds: float,
    start: Callable[[_Flight], None],
    loop: asyncio.AbstractEventLoop,
) -> Any:
    """The result of a run of ``fn`` for a run of checks started at ``now``: a fresh
    run, or one in flight that is not overdue, or (when every run in flight is overdue
    and there is no room) a fresh run started once one of them is over."""
    deadline = now + seconds
    flight, owner, busy = _claim(fn, now, seconds, start)
    while flight is None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _NoRoom
        overs = [asyncio.wrap_future(f.over, loop=loop) for f in busy]
        await asyncio.wait(overs, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
        later = time.monotonic()
        # The fresh run gets what is left of the deadline: it is overdue (and is not
        # joined) when this run stops waiting for it and cancels it.
        flight, owner, busy = _claim(fn, later, max(deadline - later, 1e-3), start)
    remaining = max(0.0, deadline - time.monotonic())
    if flight.loop is loop:  # an async check on this loop: the task itself
        return await _bounded(flight.future, remaining, owner=owner)
    # a sync check, or an async one running on another loop
    return await _bounded(asyncio.wrap_future(flight.done, loop=loop), remaining, owner=owner)
