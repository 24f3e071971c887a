"""The concurrent check runner: timeouts, exceptions, hung checks, order, silencing."""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import pytest

from dockerflow import checks, health
from dockerflow.checks import CheckRegistry, run_checks, run_checks_async


def _slow(seconds, name):
    def check():
        time.sleep(seconds)
        return [checks.Info(f"{name} done", id=f"t.{name}")]

    check.__name__ = name
    return check


def _async_slow(seconds, name):
    async def check():
        await asyncio.sleep(seconds)
        return [checks.Info(f"{name} done", id=f"t.{name}")]

    check.__name__ = name
    return check


def test_results_shape_and_order():
    registry = CheckRegistry()
    registry.register(lambda: [], name="b_ok")
    registry.register(lambda: [checks.Warning("meh", id="t.W1")], name="a_warn")
    registry.register(lambda: None, name="c_none")
    registry.register(
        lambda: [checks.Error("down", id="t.E1"), checks.Info("fyi", id="t.I1")], name="d_err"
    )
    results = run_checks(registry.get_checks().items())
    assert list(results.statuses) == ["b_ok", "a_warn", "c_none", "d_err"]
    assert results.statuses == {"b_ok": "ok", "a_warn": "warning", "c_none": "ok", "d_err": "error"}
    assert results.level == checks.ERROR
    assert results.details == {
        "a_warn": {"status": "warning", "level": 30, "messages": {"t.W1": "meh"}},
        "d_err": {"status": "error", "level": 40, "messages": {"t.E1": "down", "t.I1": "fyi"}},
    }


def test_silenced_ids_are_dropped():
    pairs = [("a", lambda: [checks.Error("down", id="t.E1"), checks.Warning("meh", id="t.W1")])]
    results = run_checks(pairs, silenced_check_ids=["t.E1"])
    assert results.level == checks.WARNING
    assert results.details["a"]["messages"] == {"t.W1": "meh"}
    results = run_checks(pairs, silenced_check_ids=["t.E1", "t.W1"])
    assert results.level == 0
    assert results.statuses == {"a": "ok"}
    assert results.details == {}


def test_messages_logged_at_their_level(caplog):
    caplog.set_level(logging.DEBUG, logger="dockerflow.checks.registry")
    run_checks([("a", lambda: [checks.Warning("meh", id="t.W1"), checks.Error("down", id="t.E1")])])
    logged = [
        (r.levelno, r.getMessage())
        for r in caplog.records
        if r.name == "dockerflow.checks.registry"
    ]
    assert (logging.WARNING, "t.W1: meh") in logged
    assert (logging.ERROR, "t.E1: down") in logged


def test_sync_checks_run_concurrently():
    pairs = [(f"c{i}", _slow(0.2, f"c{i}")) for i in range(5)]
    started = time.perf_counter()
    results = run_checks(pairs)
    elapsed = time.perf_counter() - started
    assert results.level == checks.INFO
    assert len(results.details) == 5
    # Five 200 ms checks run one after the other would take a second.
    assert elapsed < 0.9


def test_async_checks_run_concurrently_on_the_loop():
    pairs = [(f"a{i}", _async_slow(0.2, f"a{i}")) for i in range(5)]
    pairs += [(f"s{i}", _slow(0.2, f"s{i}")) for i in range(3)]

    async def main():
        started = time.perf_counter()
        results = await run_checks_async(pairs)
        return results, time.perf_counter() - started

    results, elapsed = asyncio.run(main())
    assert list(results.statuses) == [name for name, _ in pairs]
    assert set(results.statuses.values()) == {"info"}
    assert elapsed < 1.2


def test_exception_becomes_an_error_with_traceback_logged(caplog):
    def check_broken():
        raise RuntimeError("postgres://user:secret@db/prod refused")

    results = run_checks([("broken", check_broken), ("fine", lambda: [])])
    assert results.statuses == {"broken": "error", "fine": "ok"}
    messages = results.details["broken"]["messages"]
    assert list(messages) == [health.ERROR_CHECK_EXCEPTION]
    assert "RuntimeError" in messages[health.ERROR_CHECK_EXCEPTION]
    assert "secret" not in messages[health.ERROR_CHECK_EXCEPTION]
    logged = [r for r in caplog.records if r.exc_info and r.name == "dockerflow.checks.registry"]
    assert len(logged) == 1
    assert logged[0].exc_info[0] is RuntimeError


def test_async_exception_becomes_an_error():
    async def check_broken():
        raise ValueError("nope")

    results = asyncio.run(run_checks_async([("broken", check_broken)]))
    assert health.ERROR_CHECK_EXCEPTION in results.details["broken"]["messages"]


def test_invalid_results_are_reported():
    pairs = [
        ("string", lambda: "all good"),
        ("number", lambda: 42),
        ("mixed", lambda: [checks.Info("x", id="t.I"), "oops"]),
        ("single", lambda: checks.Warning("one message", id="t.W")),
    ]
    results = run_checks(pairs)
    for name in ("string", "number", "mixed"):
        assert results.statuses[name] == "error"
        assert health.ERROR_CHECK_INVALID_RESULT in results.details[name]["messages"]
    assert results.statuses["single"] == "warning"


def test_timeout_bounds_a_hung_check_and_hung_checks_do_not_pile_up():
    release = threading.Event()
    calls = []

    def check_hung():
        calls.append(1)
        release.wait(30)
        return []

    try:
        started = time.perf_counter()
        results = run_checks([("hung", check_hung), ("fine", lambda: [])], timeout=0.3)
        assert time.perf_counter() - started < 5
        assert results.statuses == {"hung": "error", "fine": "ok"}
        assert health.ERROR_CHECK_TIMEOUT in results.details["hung"]["messages"]

        # Overdue: one fresh run beside it, which hangs too and times out.
        results = run_checks([("hung", check_hung)], timeout=0.3)
        assert "did not finish" in results.details["hung"]["messages"][health.ERROR_CHECK_TIMEOUT]
        assert len(calls) == 2

        # Two runs in flight, both overdue and still hung at the deadline: not started
        # again, reported as still running.
        results = run_checks([("hung", check_hung)], timeout=0.3)
        assert "earlier" in results.details["hung"]["messages"][health.ERROR_CHECK_TIMEOUT]
        assert len(calls) == 2
    finally:
        release.set()
    # Once they finished, it runs again.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        results = run_checks([("hung", check_hung)], timeout=5)
        if results.level == 0:
            break
        time.sleep(0.05)
    assert results.level == 0
    assert len(calls) == 3


class _Service:
    """A fake backing service for a check: ``down`` hangs every call until released;
    counts the calls in flight at once and their peak."""

    def __init__(self) -> None:
        self.down = True
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.calls = 0
        self.running = 0
        self.peak = 0

    def enter(self) -> bool:
        with self.lock:
            self.calls += 1
            self.running += 1
            self.peak = max(self.peak, self.running)
            return self.down

    def leave(self) -> None:
        with self.lock:
            self.running -= 1

    def sync_check(self):
        try:
            if self.enter():
                self.release.wait(30)
                return [checks.Error("down", id="t.E")]
            return []
        finally:
            self.leave()


def test_an_overdue_check_gets_a_fresh_run_whose_result_is_the_answer():
    service = _Service()
    try:
        first = run_checks([("svc", service.sync_check)], timeout=0.2)
        assert list(first.details["svc"]["messages"]) == [health.ERROR_CHECK_TIMEOUT]
        service.down = False  # the service is back; the first run is still hung
        second = run_checks([("svc", service.sync_check)], timeout=2)
        assert second.statuses == {"svc": "ok"}
        assert service.running == 1  # the stale run, still hung beside
        assert service.calls == 2
    finally:
        service.release.set()


def test_with_no_room_a_fresh_run_starts_when_a_stale_one_ends():
    service = _Service()
    try:
        for _ in range(2):  # two runs hung, both overdue
            run_checks([("svc", service.sync_check)], timeout=0.1)
        assert service.running == 2

        def recover():
            time.sleep(0.3)
            service.down = False
            service.release.set()  # the stale runs end (with the outage's answer)

        threading.Thread(target=recover).start()
        results = run_checks([("svc", service.sync_check)], timeout=5)
        assert results.statuses == {"svc": "ok"}  # the fresh run's answer, not the stale
        assert service.calls == 3
    finally:
        service.release.set()


def test_async_with_no_room_a_fresh_run_starts_when_a_stale_one_ends():
    service = _Service()

    async def check_blocking():
        return await checks.to_check_thread(service.sync_check)

    async def main():
        for _ in range(2):
            await run_checks_async([("svc", check_blocking)], timeout=0.1)
        assert service.running == 2
        loop = asyncio.get_running_loop()

        def recover():
            service.down = False
            service.release.set()

        loop.call_later(0.3, recover)
        return await run_checks_async([("svc", check_blocking)], timeout=5)

    try:
        results = asyncio.run(main())
        assert results.statuses == {"svc": "ok"}
        assert service.calls == 3
    finally:
        service.release.set()


def test_a_fresh_run_started_late_is_not_joined_once_its_owner_gave_up():
    """A heartbeat that waited for room starts its fresh run with what is left of its
    timeout and cancels it at its deadline: the next heartbeat must not take that
    cancelled run's end for its own answer."""
    service = _Service()
    first_stale_ends = threading.Event()
    calls = []

    def blocking():
        calls.append(1)
        if len(calls) == 1:  # the first stale run ends half-way through the third heartbeat
            first_stale_ends.wait(30)
            return []
        return service.sync_check()

    async def check():
        return await checks.to_check_thread(blocking)

    async def main():
        for _ in range(2):  # two runs hung, both overdue
            await run_checks_async([("svc", check)], timeout=0.2)
        loop = asyncio.get_running_loop()
        loop.call_later(0.1, first_stale_ends.set)
        third = await run_checks_async([("svc", check)], timeout=0.2)  # a late fresh run
        fourth = await run_checks_async([("svc", check)], timeout=0.2)
        return third, fourth

    try:
        third, fourth = asyncio.run(main())
    finally:
        service.release.set()
        first_stale_ends.set()
    assert len(calls) == 3
    assert "did not finish" in third.details["svc"]["messages"][health.ERROR_CHECK_TIMEOUT]
    # Two runs still hung (the second, and the third's cancelled one): no room, nothing
    # joined, nothing started.
    assert "earlier" in fourth.details["svc"]["messages"][health.ERROR_CHECK_TIMEOUT]


def test_never_more_than_two_runs_of_a_check_in_flight_whatever_the_probe_rate():
    service = _Service()
    answers = []

    def heartbeat():
        for _ in range(10):
            answers.append(run_checks([("svc", service.sync_check)], timeout=0.05).level)

    threads = [threading.Thread(target=heartbeat) for _ in range(8)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert answers == [checks.ERROR] * 80
        assert service.calls == 2
        assert service.peak == 2
    finally:
        service.release.set()


def test_async_overdue_checks_get_a_fresh_run_and_never_more_than_two():
    service = _Service()
    stubborn_calls = []

    async def check_stubborn():  # ignores cancellation while the service is down
        stubborn_calls.append(1)
        while service.down:
            try:
                await asyncio.sleep(0.01)
            except asyncio.CancelledError:
                continue
        return []

    async def check_blocking():  # a blocking call on a check thread, cancelled at timeout
        return await checks.to_check_thread(service.sync_check)

    async def main():
        pairs = [("stubborn", check_stubborn), ("blocking", check_blocking)]
        outcomes = [await run_checks_async(pairs, timeout=0.05) for _ in range(3)]
        outcomes += await asyncio.gather(
            *(run_checks_async(pairs, timeout=0.05) for _ in range(20))
        )
        peak_before = service.peak
        service.down = False
        await asyncio.sleep(0.2)  # the stale stubborn tasks see it and end
        recovered = await run_checks_async(pairs, timeout=2)
        service.release.set()  # the hung blocking calls return
        while service.running:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        after_release = await run_checks_async(pairs, timeout=2)
        return outcomes, peak_before, recovered, after_release

    try:
        outcomes, peak_before, recovered, after_release = asyncio.run(main())
    finally:
        service.release.set()
    assert all(o.statuses == {"stubborn": "error", "blocking": "error"} for o in outcomes)
    assert peak_before == 2  # the cancelled async check's thread counts as a run
    # The stale stubborn runs ended: a fresh run answers. The blocking calls are still
    # hung in their two threads: reported at once, nothing started.
    assert recovered.statuses == {"stubborn": "ok", "blocking": "error"}
    assert "earlier" in recovered.details["blocking"]["messages"][health.ERROR_CHECK_TIMEOUT]
    assert after_release.statuses == {"stubborn": "ok", "blocking": "ok"}
    assert len(stubborn_calls) == 4  # two hung, then one fresh run per heartbeat
    assert service.calls == 3  # two hung, then the one after the release


def test_async_fresh_run_answers_after_recovery():
    service = _Service()

    async def check_blocking():
        return await checks.to_check_thread(service.sync_check)

    async def main():
        first = await run_checks_async([("svc", check_blocking)], timeout=0.1)
        service.down = False
        second = await run_checks_async([("svc", check_blocking)], timeout=2)
        return first, second

    try:
        first, second = asyncio.run(main())
        assert first.statuses == {"svc": "error"}
        assert second.statuses == {"svc": "ok"}
        assert service.running == 1  # the first run's thread, still hung beside
    finally:
        service.release.set()


def test_sync_and_async_runs_share_the_limit():
    service = _Service()

    async def check_blocking():
        return await checks.to_check_thread(service.sync_check)

    def sync_heartbeat():
        return run_checks([("svc", check_blocking)], timeout=0.05)

    async def main():
        results = []
        for _ in range(3):
            results.append(await run_checks_async([("svc", check_blocking)], timeout=0.05))
            results.append(await asyncio.to_thread(sync_heartbeat))
        return results

    try:
        results = asyncio.run(main())
        assert [r.level for r in results] == [checks.ERROR] * 6
        assert service.calls == 2
        assert service.peak == 2
    finally:
        service.release.set()


def test_async_hung_check_that_ignores_cancellation():
    async def check_stubborn():
        while True:
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                continue

    async def main():
        started = time.perf_counter()
        first = await run_checks_async([("stubborn", check_stubborn)], timeout=0.2)
        await run_checks_async([("stubborn", check_stubborn)], timeout=0.2)  # a fresh run
        second = await run_checks_async([("stubborn", check_stubborn)], timeout=0.2)
        elapsed = time.perf_counter() - started
        for task in asyncio.all_tasks():
            if task is not asyncio.current_task():
                task.cancel()
        return first, second, elapsed

    loop = asyncio.new_event_loop()
    try:
        first, second, elapsed = loop.run_until_complete(main())
    finally:
        loop.close()
    assert health.ERROR_CHECK_TIMEOUT in first.details["stubborn"]["messages"]
    assert "earlier" in second.details["stubborn"]["messages"][health.ERROR_CHECK_TIMEOUT]
    assert elapsed < 5


def test_per_check_timeout_overrides_the_run_timeout():
    registry = CheckRegistry()
    registry.register(_slow(0.5, "patient"), name="patient", timeout=3)
    registry.register(_slow(0.5, "hasty"), name="hasty", timeout=0.1)
    results = run_checks(registry.get_checks().items(), timeout=0.2)
    assert results.statuses == {"patient": "info", "hasty": "error"}


def test_async_check_from_sync_runner():
    results = run_checks([("a", _async_slow(0.01, "a"))])
    assert results.statuses == {"a": "info"}


def test_bad_run_timeout_is_rejected():
    with pytest.raises(ValueError):
        run_checks([], timeout=0)


def test_concurrent_runs_join_the_check_in_flight():
    calls = []
    lock = threading.Lock()

    def check_shared():
        with lock:
            calls.append(1)
        time.sleep(0.2)
        return [checks.Info("shared", id="t.I")]

    outcomes = []

    def heartbeat():
        outcomes.append(run_checks([("shared", check_shared)], timeout=5).statuses)

    threads = [threading.Thread(target=heartbeat) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == [{"shared": "info"}] * 20
    assert len(calls) < 20


def test_a_check_raising_timeout_error_is_an_exception_not_a_timeout():
    def check_socket():
        raise TimeoutError("socket timed out")

    results = run_checks([("socket", check_socket)], timeout=5)
    assert list(results.details["socket"]["messages"]) == [health.ERROR_CHECK_EXCEPTION]

    async def check_async_socket():
        raise TimeoutError("socket timed out")

    results = asyncio.run(run_checks_async([("socket", check_async_socket)], timeout=5))
    assert list(results.details["socket"]["messages"]) == [health.ERROR_CHECK_EXCEPTION]


def test_a_hung_check_does_not_keep_the_process_from_exiting(tmp_path):
    # The check threads are daemons: the interpreter does not wait for a hung check.
    import subprocess
    import sys

    script = tmp_path / "hung.py"
    script.write_text(
        "import threading\n"
        "from dockerflow.checks import run_checks\n"
        "forever = threading.Event()\n"
        "def check_hung():\n"
        "    forever.wait()\n"
        "print(run_checks([('hung', check_hung)], timeout=0.2).statuses)\n"
    )
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "{'hung': 'error'}"
    assert time.perf_counter() - started < 30


def test_more_checks_than_threads_all_answer():
    from dockerflow.checks.registry import MAX_CHECK_THREADS

    pairs = [(f"c{i}", _slow(0.05, f"c{i}")) for i in range(MAX_CHECK_THREADS * 3)]
    results = run_checks(pairs, timeout=10)
    assert set(results.statuses.values()) == {"info"}
    assert len(results.statuses) == MAX_CHECK_THREADS * 3


def test_a_check_raising_cancelled_error_does_not_escape():
    async def check_cancelled():
        raise asyncio.CancelledError

    def check_sync_cancelled():
        raise asyncio.CancelledError

    results = run_checks([("a", check_cancelled), ("s", check_sync_cancelled), ("ok", lambda: [])])
    assert results.statuses == {"a": "error", "s": "error", "ok": "ok"}


def test_a_timeout_given_to_one_registry_does_not_leak_into_another():
    shared = _slow(0.3, "shared")
    strict, relaxed = CheckRegistry(), CheckRegistry()
    strict.register(shared, name="shared", timeout=0.05)
    relaxed.register(shared, name="shared")
    assert relaxed.get_checks()["shared"] is shared
    assert run_checks(relaxed.get_checks().items(), timeout=5).statuses == {"shared": "info"}
    assert run_checks(strict.get_checks().items(), timeout=5).statuses == {"shared": "error"}


def test_a_run_joining_an_async_check_does_not_cancel_it_for_its_owner():
    check = _async_slow(0.3, "shared")

    async def main():
        owner = asyncio.ensure_future(run_checks_async([("shared", check)], timeout=5))
        await asyncio.sleep(0.01)
        joined = await run_checks_async([("shared", check)], timeout=0.05)
        return joined, await owner

    joined, owner = asyncio.run(main())
    assert joined.statuses == {"shared": "error"}
    assert owner.statuses == {"shared": "info"}


def test_an_async_check_blocking_the_loop_is_reported_as_such(caplog):
    async def check_blocking_the_loop():
        time.sleep(1.5)  # blocking code in an async check: nothing can interrupt it
        return []

    caplog.set_level(logging.WARNING, logger="dockerflow.checks.registry")
    started = time.monotonic()
    results = asyncio.run(run_checks_async([("svc", check_blocking_the_loop)], timeout=0.2))
    assert time.monotonic() - started >= 1.5  # the loop could not enforce the timeout
    assert results.details["svc"]["messages"] == {
        health.ERROR_CHECK_TIMEOUT: "The check svc did not finish within 0.2 seconds."
    }
    [blocked] = [r for r in caplog.records if "event loop was blocked" in r.getMessage()]
    assert blocked.levelno == logging.WARNING
    assert "make such a check a plain function" in blocked.getMessage()


def test_a_check_that_hangs_without_blocking_the_loop_is_only_a_timeout(caplog):
    caplog.set_level(logging.WARNING, logger="dockerflow.checks.registry")
    pairs = [("awaits", _async_slow(3, "awaits")), ("sleeps", _slow(3, "sleeps"))]
    started = time.monotonic()
    results = asyncio.run(run_checks_async(pairs, timeout=0.2))
    assert time.monotonic() - started < 1.0
    assert set(results.details) == {"awaits", "sleeps"}
    assert not [r for r in caplog.records if "event loop was blocked" in r.getMessage()]
