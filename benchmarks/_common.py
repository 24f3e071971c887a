"""What the framework benchmarks share: the ``request.summary`` logging they measure."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import statistics
import time
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


class FloorWriter:
    """Writes a ``request.summary`` line as inline as it gets, for the ``--floor``
    yardsticks: the fields serialized (orjson when installed, as the formatter does)
    inside a fixed envelope, written and flushed into the stream of the handler that
    :func:`configure_summary_logging` set up, under that handler's lock (as every
    :class:`logging.Handler` writes). No checks: it is what any implementation must
    spend, not a way to log."""

    def __init__(self) -> None:
        import json

        try:
            import orjson

            self.dumps: Callable[[Any], str] = lambda fields: orjson.dumps(fields).decode()
        except ImportError:  # pragma: no cover
            self.dumps = lambda fields: json.dumps(fields, separators=(",", ":"))
        handler = logging.getLogger("request.summary").handlers[0]
        self.stream = handler.stream  # type: ignore[attr-defined]
        self.lock = handler.lock
        self.envelope = (
            ',"Type":"request.summary","Logger":"Dockerflow","Hostname":"localhost",'
            f'"EnvVersion":"2.0","Severity":6,"severity":"INFO","Pid":{os.getpid()},"Fields":'
        )

    def write(self, fields: dict[str, Any]) -> None:
        line = f'{{"Timestamp":{time.time_ns()}{self.envelope}{self.dumps(fields)}}}\n'
        with self.lock:  # type: ignore[union-attr]
            self.stream.write(line)
            self.stream.flush()


def overhead_arguments(
    doc: str | None, argv: list[str] | None, *, requests: int, floor: bool = False
) -> argparse.Namespace:
    """The options every per-request overhead benchmark takes."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n")[0])
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--requests", type=int, default=requests)
    parser.add_argument("--max-overhead", type=float, default=15.0, help="percent")
    parser.add_argument("--reference", action="store_true", help="format with JsonLogFormatter")
    if floor:
        parser.add_argument(
            "--floor", action="store_true", help="also measure a minimal hand-written middleware"
        )
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
