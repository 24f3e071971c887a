"""Formatter throughput: ``MozlogFormatter`` against the reference library's formatter.

Both format the same ``request.summary`` record, in this process, in interleaved
rounds; the figure is the ratio of the medians (reference time / our time).

    uv run python benchmarks/bench_formatter.py            # with orjson, if installed
    uv run python benchmarks/bench_formatter.py --stdlib   # the standard library's json only
"""

from __future__ import annotations

import json
import logging
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _reference import REFERENCE_VERSION, load_reference_module

from dockerflow.logging import MozlogFormatter

N = 20_000
ROUNDS = 7


def summary_record() -> logging.LogRecord:
    logger = logging.getLogger("request.summary")
    fields = {
        "errno": 0,
        "code": 200,
        "agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        "lang": "en-US,en;q=0.5",
        "method": "GET",
        "path": "/api/v1/items/42",
        "uid": "1234",
        "rid": "9f1c2a8e-5d0b-4c1e-9f3a-2b7c8d9e0f1a",
        "t": 12,
        "querystring": "page=2&sort=name",
    }
    return logger.makeRecord(
        "request.summary", logging.INFO, __file__, 1, "", (), None, extra=fields
    )


def time_format(formatter: logging.Formatter, record: logging.LogRecord) -> float:
    fmt = formatter.format
    started = time.perf_counter()
    for _ in range(N):
        fmt(record)
    return (time.perf_counter() - started) / N


def main() -> None:
    if "--stdlib" in sys.argv[1:]:
        import dockerflow.logging.formatter as formatter_module

        formatter_module._orjson = None
    reference = load_reference_module("dockerflow/logging.py", "reference_dockerflow_logging")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = reference.JsonLogFormatter(logger_name="bench")
    ours = MozlogFormatter(logger_name="bench")
    record = summary_record()

    # Same information in both outputs (ours adds the lowercase "severity").
    ours_out, theirs_out = json.loads(ours.format(record)), json.loads(theirs.format(record))
    assert ours_out["Fields"] == theirs_out["Fields"], (ours_out, theirs_out)

    ours_t, theirs_t = [], []
    for _ in range(ROUNDS):
        ours_t.append(time_format(ours, record))
        theirs_t.append(time_format(theirs, record))
    ours_m, theirs_m = statistics.median(ours_t), statistics.median(theirs_t)
    print(f"python {sys.version.split()[0]}, {N} records x {ROUNDS} interleaved rounds")
    print(
        f"reference dockerflow {REFERENCE_VERSION} JsonLogFormatter: {theirs_m * 1e6:6.2f} us/record"
    )
    backend = "stdlib json" if ours._dumps is None else "orjson"
    print(f"dockerflow-core MozlogFormatter ({backend}): {ours_m * 1e6:6.2f} us/record")
    print(f"speed-up: {theirs_m / ours_m:.2f}x")


if __name__ == "__main__":
    main()
