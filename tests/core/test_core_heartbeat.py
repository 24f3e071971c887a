"""Heartbeat payload/status, coalescing of concurrent heartbeats and the result cache."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from dockerflow import checks
from dockerflow.checks import ChecksResults, run_checks
from dockerflow.config import DockerflowSettings
from dockerflow.heartbeat import HeartbeatRunner, build_heartbeat_response, heartbeat_status_code


def test_status_code_passes_below_error():
    assert heartbeat_status_code(0) == 200
    assert heartbeat_status_code(checks.WARNING) == 200
    assert heartbeat_status_code(checks.ERROR) == 500
    assert heartbeat_status_code(checks.CRITICAL, 503) == 503


def test_payload_with_and_without_details():
    results = run_checks(
        [("db", lambda: [checks.Warning("slow", id="t.W1")]), ("cache", lambda: [])]
    )
    response = build_heartbeat_response(results)
    assert response.status_code == 200
    assert response.passed
    assert response.payload == {
        "status": "warning",
        "checks": {"db": "warning", "cache": "ok"},
        "details": {"db": {"status": "warning", "level": 30, "messages": {"t.W1": "slow"}}},
    }
    hidden = build_heartbeat_response(results, include_details=False, failed_status_code=503)
    assert hidden.payload == {"status": "warning"}
    failing = build_heartbeat_response(ChecksResults(level=50), failed_status_code=503)
    assert failing.status_code == 503
    assert not failing.passed
    assert failing.payload["status"] == "critical"


def _counting_check(seconds):
    calls = []
    lock = threading.Lock()

    def check_counted():
        with lock:
            calls.append(1)
        time.sleep(seconds)
        return []

    return check_counted, calls


def test_concurrent_thread_heartbeats_coalesce():
    check, calls = _counting_check(0.05)
    runner = HeartbeatRunner()
    barrier = threading.Barrier(100)
    outcomes = []

    def heartbeat():
        barrier.wait()
        outcomes.append(runner.run([("counted", check)]).statuses)

    threads = [threading.Thread(target=heartbeat) for _ in range(100)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == [{"counted": "ok"}] * 100
    assert 1 <= len(calls) <= 2


def test_concurrent_async_heartbeats_coalesce():
    calls = []

    async def check_counted():
        calls.append(1)
        await asyncio.sleep(0.05)
        return []

    runner = HeartbeatRunner()

    async def main():
        return await asyncio.gather(*(runner.run_async([("c", check_counted)]) for _ in range(100)))

    outcomes = asyncio.run(main())
    assert [o.statuses for o in outcomes] == [{"c": "ok"}] * 100
    assert len(calls) == 1


def test_cancelled_heartbeat_does_not_cancel_the_shared_run():
    calls = []

    async def check_counted():
        calls.append(1)
        await asyncio.sleep(0.1)
        return [checks.Info("done", id="t.I")]

    runner = HeartbeatRunner()

    async def main():
        first = asyncio.ensure_future(runner.run_async([("c", check_counted)]))
        await asyncio.sleep(0.01)
        second = asyncio.ensure_future(runner.run_async([("c", check_counted)]))
        await asyncio.sleep(0.01)
        first.cancel()
        return await second

    result = asyncio.run(main())
    assert result.statuses == {"c": "info"}
    assert len(calls) == 1


def test_cache_ttl_serves_repeated_heartbeats():
    check, calls = _counting_check(0)
    runner = HeartbeatRunner()
    for _ in range(5):
        runner.run([("counted", check)], cache_ttl=60)
    assert len(calls) == 1
    # Different checks are cached apart.
    runner.run([("counted", check), ("other", lambda: [])], cache_ttl=60)
    assert len(calls) == 2
    runner.clear_cache()
    runner.run([("counted", check)], cache_ttl=60)
    assert len(calls) == 3
    # No TTL: every heartbeat runs the checks.
    runner.run([("counted", check)])
    runner.run([("counted", check)])
    assert len(calls) == 5


def test_cache_expires():
    check, calls = _counting_check(0)
    runner = HeartbeatRunner()
    runner.run([("counted", check)], cache_ttl=0.05)
    time.sleep(0.1)
    runner.run([("counted", check)], cache_ttl=0.05)
    assert len(calls) == 2


def test_respond_uses_settings():
    runner = HeartbeatRunner()
    settings = DockerflowSettings(heartbeat_failed_status_code=503, heartbeat_include_details=False)
    response = runner.respond([("bad", lambda: [checks.Error("x", id="t.E")])], settings)
    assert response.status_code == 503
    assert response.payload == {"status": "error"}
    response = asyncio.run(
        runner.respond_async([("ok", lambda: [])], DockerflowSettings(check_timeout=1))
    )
    assert response.status_code == 200
    assert response.payload == {"status": "ok", "checks": {"ok": "ok"}, "details": {}}


def test_leader_failure_reaches_followers():
    runner = HeartbeatRunner()
    with pytest.raises(ValueError):
        runner.run([("x", lambda: [])], timeout=-1)
    # The runner is usable afterwards.
    assert runner.run([("x", lambda: [])]).level == 0


def test_same_names_different_checks_do_not_share_results():
    runner = HeartbeatRunner()
    good = runner.run([("db", lambda: [])], cache_ttl=60)
    bad = runner.run([("db", lambda: [checks.Error("down", id="t.E")])], cache_ttl=60)
    assert good.statuses == {"db": "ok"}
    assert bad.statuses == {"db": "error"}


def test_a_replaced_run_checks_decides_the_runs_sync_and_async() -> None:
    """``mock.patch("dockerflow.checks.run_checks")`` (and ``run_checks_async``) decide
    what the runner answers, as the reference's views call them; no cache is kept."""
    from unittest import mock

    failing = ChecksResults(statuses={"fake": "error"}, level=checks.ERROR)
    calls: list[object] = []

    def fake(pairs: object, silenced_check_ids: object = None) -> ChecksResults:
        calls.append((pairs, silenced_check_ids))
        return failing

    async def fake_async(pairs: object, silenced_check_ids: object = None) -> ChecksResults:
        return fake(pairs, silenced_check_ids)

    def ok() -> list[object]:
        return []

    runner = HeartbeatRunner()
    with mock.patch("dockerflow.checks.run_checks", fake):
        assert runner.run([("ok", ok)], ["x.W1"], cache_ttl=60) is failing
        assert runner.run([("ok", ok)], ["x.W1"], cache_ttl=60) is failing
    assert calls == [([("ok", ok)], ["x.W1"])] * 2
    assert runner.run([("ok", ok)]).level == 0  # unpatched: the checks run again
    with mock.patch("dockerflow.checks.run_checks_async", fake_async):
        assert asyncio.run(runner.run_async([("ok", ok)])) is failing
    assert asyncio.run(runner.run_async([("ok", ok)])).level == 0
