"""What the framework benchmarks share: the ``request.summary`` logging they measure."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import statistics
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from dockerflow.logging import MozlogFormatter

App = TypeVar("App")

try:  # run with the reference library's interpreter (--reference): its formatter
    from dockerflow.logging import JsonLogFormatter as ReferenceFormatter
except ImportError:  # pragma: no cover
    ReferenceFormatter = MozlogFormatter


def configure_summary_logging(reference: bool) -> None:
    """Format every ``request.summary`` record into a handler writing to ``/dev/null``:
    the work a deployment does for each request, without a terminal's cost."""
    devnull = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    handler = logging.StreamHandler(devnull)
    handler.setFormatter(ReferenceFormatter() if reference else MozlogFormatter())
    summary = logging.getLogger("request.summary")
    summary.handlers[:] = [handler]
    summary.setLevel(logging.INFO)
    summary.propagate = False


def overhead_arguments(
    doc: str | None, argv: list[str] | None, *, requests: int
) -> argparse.Namespace:
    """The options every per-request overhead benchmark takes."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n")[0])
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--requests", type=int, default=requests)
    parser.add_argument("--max-overhead", type=float, default=15.0, help="percent")
    parser.add_argument("--reference", action="store_true", help="format with JsonLogFormatter")
    return parser.parse_args(argv)


async def measure_async(
    timer: Callable[[App, int], Awaitable[float]],
    bare: App,
    with_df: App,
    rounds: int,
    requests: int,
    *,
    warm_up: int = 300,
) -> tuple[float, float, float]:
    """Median (ratio, bare seconds, dockerflow seconds) over interleaved rounds.

    ``timer(app, count)`` returns the seconds per request of ``count`` requests. Rounds
    alternate which app goes first; the garbage collector is off while a round is timed
    (as :mod:`timeit` does), so a collection does not land on one app or the other at
    random.
    """
    await timer(bare, warm_up)
    await timer(with_df, warm_up)
    ratios: list[float] = []
    bare_times: list[float] = []
    df_times: list[float] = []
    for i in range(rounds):
        order = [(bare, bare_times), (with_df, df_times)]
        if i % 2:
            order.reverse()
        for app, times in order:
            gc.collect()
            gc.disable()
            try:
                times.append(await timer(app, requests))
            finally:
                gc.enable()
        ratios.append(df_times[-1] / bare_times[-1])
    return statistics.median(ratios), statistics.median(bare_times), statistics.median(df_times)


class _Counter(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


async def check_one_summary_per_request(
    timer: Callable[[Any, int], Awaitable[float]], app: Any, count: int = 10
) -> None:
    """Make sure the Dockerflow app logs one ``request.summary`` per request while
    measured (a benchmark of an app that logs nothing would flatter it)."""
    counter = _Counter()
    summary = logging.getLogger("request.summary")
    summary.addHandler(counter)
    try:
        await timer(app, count)
    finally:
        summary.removeHandler(counter)
    if counter.count != count:
        raise RuntimeError(f"expected {count} request.summary records, got {counter.count}")


async def receive_empty_body() -> dict[str, Any]:
    """The ASGI ``receive`` of a request without a body."""
    return {"type": "http.request", "body": b"", "more_body": False}


class StatusSink:
    """An ASGI ``send`` that keeps the response status and drops the rest."""

    status = 0

    async def __call__(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
