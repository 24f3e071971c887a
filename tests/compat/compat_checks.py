"""Fakes for the scenarios that replace ``dockerflow.checks.run_checks`` (or
``run_checks_async``) with ``mock.patch``, importable under the reference and ours."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any


def failing_results() -> Any:
    """A failing run's results, built with the class both libraries define (the
    reference exports it from ``dockerflow.checks.registry`` only)."""
    from dockerflow.checks.registry import ChecksResults

    return ChecksResults(
        details={"fake": {"status": "error", "level": 40, "messages": {"x.E1": "down"}}},
        statuses={"fake": "error"},
        level=40,
    )


def fake_run_checks(calls: list[Any]) -> Callable[..., Any]:
    """A ``run_checks`` that notes each call's check names and fails."""

    def run_checks(pairs: Any, silenced_check_ids: Any = None) -> Any:
        calls.append(sorted(name for name, _ in pairs))
        return failing_results()

    return run_checks


def fake_run_checks_async(calls: list[Any]) -> Callable[..., Coroutine[Any, Any, Any]]:
    """The same, as ``run_checks_async``."""
    run_checks = fake_run_checks(calls)

    async def run_checks_async(pairs: Any, silenced_check_ids: Any = None) -> Any:
        return run_checks(pairs, silenced_check_ids)

    return run_checks_async
