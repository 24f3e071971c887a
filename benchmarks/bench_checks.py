"""Check runner and heartbeat behaviour under slow, hung and bursty conditions.

Each figure is measured in this process against a baseline in the same run:

1. five checks of 200 ms each: the concurrent runner against running them one after
   the other (what the reference library's ``run_checks`` does);
2. a heartbeat with one hung check: how long the answer takes with a 0.5 s timeout
   (the reference library waits for the check forever);
3. 100 concurrent heartbeats (threads, then asyncio tasks) against one 50 ms check:
   how many times the check runs with coalescing, against one run per heartbeat
   (the reference library).

    uv run python benchmarks/bench_checks.py
"""

from __future__ import annotations

import asyncio
import threading
import time

from dockerflow import checks
from dockerflow.checks import run_checks
from dockerflow.heartbeat import HeartbeatRunner


def slow_check(seconds: float):  # type: ignore[no-untyped-def]
    def check():  # type: ignore[no-untyped-def]
        time.sleep(seconds)
        return [checks.Info("slow but fine", id="bench.I001")]

    return check


def five_slow_checks() -> None:
    pairs = [(f"slow{i}", slow_check(0.2)) for i in range(5)]
    started = time.perf_counter()
    for _, check in pairs:  # the baseline: one after the other
        check()
    sequential = time.perf_counter() - started
    started = time.perf_counter()
    results = run_checks(pairs)
    concurrent = time.perf_counter() - started
    assert results.level == checks.INFO
    print(
        f"five 200 ms checks: sequential {sequential * 1000:.0f} ms, run_checks "
        f"{concurrent * 1000:.0f} ms ({sequential / concurrent:.1f}x faster)"
    )


def hung_check() -> None:
    release = threading.Event()

    def check_hung():  # type: ignore[no-untyped-def]
        release.wait(60)
        return []

    started = time.perf_counter()
    first = run_checks([("hung", check_hung), ("fine", lambda: [])], timeout=0.5)
    first_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    run_checks([("hung", check_hung), ("fine", lambda: [])], timeout=0.5)
    second_ms = (time.perf_counter() - started) * 1000
    release.set()
    assert first.statuses == {"hung": "error", "fine": "ok"}
    print(
        f"hung check, timeout 0.5 s: heartbeat answered in {first_ms:.0f} ms; "
        f"while still hung, the next one in {second_ms:.1f} ms (reference: never answers)"
    )


def burst(concurrency: int = 100) -> None:
    lock = threading.Lock()
    calls = [0]

    def check_db():  # type: ignore[no-untyped-def]
        with lock:
            calls[0] += 1
        time.sleep(0.05)
        return []

    def storm(run) -> int:  # type: ignore[no-untyped-def]
        calls[0] = 0
        barrier = threading.Barrier(concurrency)

        def one() -> None:
            barrier.wait()
            run()

        threads = [threading.Thread(target=one) for _ in range(concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return calls[0]

    runner = HeartbeatRunner()
    baseline = storm(check_db)  # the reference library: every heartbeat calls every check
    joined = storm(lambda: run_checks([("db", check_db)]))
    coalesced = storm(lambda: runner.run([("db", check_db)]))

    async def async_storm() -> int:
        calls[0] = 0

        async def check_async():  # type: ignore[no-untyped-def]
            calls[0] += 1
            await asyncio.sleep(0.05)
            return []

        await asyncio.gather(*(runner.run_async([("db", check_async)]) for _ in range(concurrency)))
        return calls[0]

    async_coalesced = asyncio.run(async_storm())
    print(
        f"{concurrency} concurrent heartbeats, one 50 ms check: executions when every heartbeat "
        f"calls it {baseline}; run_checks {joined}; HeartbeatRunner {coalesced} (threads), "
        f"{async_coalesced} (asyncio)"
    )


if __name__ == "__main__":
    five_slow_checks()
    hung_check()
    burst()
