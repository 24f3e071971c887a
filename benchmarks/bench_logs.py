"""Throughput of ``dockerflow logs --pretty`` and ``--validate``, in lines per second.

Baseline, in the same run: ``json.loads`` of the same lines (the least any reader of
mozlog must do). Measured twice:

* in process: the per-line functions of ``dockerflow.cli._logs`` against a loop of
  ``json.loads`` over the same lines;
* end to end: ``python -m dockerflow.cli logs`` reading the lines on a pipe, against a
  ``python -c`` that reads the same pipe the same way and only parses each line.

Run: ``uv run python benchmarks/bench_logs.py [--lines N] [--rounds R]``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time

from dockerflow.cli._logs import Pretty, lines, problems
from dockerflow.logging import MozlogFormatter

BASELINE = (
    "import json, os\n"
    "from dockerflow.cli._logs import chunks, lines\n"
    "import sys\n"
    "for batch in lines(chunks(sys.stdin.buffer)):\n"
    "    for line in batch:\n"
    "        try:\n"
    "            json.loads(line)\n"
    "        except ValueError:\n"
    "            pass\n"
)


def sample_lines(count: int) -> list[bytes]:
    """A realistic mix: request summaries, app records, one traceback in 50, plain text."""
    formatter = MozlogFormatter(logger_name="web")
    out = []
    for i in range(count):
        kind = i % 50
        if kind == 0:
            try:
                raise ValueError(f"boom {i}")
            except ValueError:
                record = logging.LogRecord(
                    "app", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
                )
            out.append(formatter.format(record).encode())
        elif kind == 1:
            out.append(b"[2026-11-28 02:00:00 +0000] [7] [INFO] Booting worker with pid: 7")
        elif kind % 2:
            record = logging.LogRecord("request.summary", logging.INFO, __file__, 1, "", (), None)
            record.__dict__.update(
                errno=0,
                agent="Mozilla/5.0 (X11; Linux x86_64)",
                lang="en-US",
                method="GET",
                path=f"/items/{i}",
                uid="",
                rid=f"{i:032x}",
                t=12,
                code=200,
            )
            out.append(formatter.format(record).encode())
        else:
            record = logging.LogRecord(
                "app", logging.INFO, __file__, 1, "cache %s for %s", ("miss", i), None
            )
            out.append(formatter.format(record).encode())
    return out


def per_second(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def in_process(data: list[bytes], rounds: int) -> dict[str, float]:
    pretty = Pretty(colour=False)
    runs: dict[str, list[float]] = {"json.loads": [], "--pretty": [], "--validate": []}
    for _ in range(rounds):  # interleaved: one slow moment does not decide a ratio
        start = time.perf_counter()
        for line in data:
            try:
                json.loads(line)
            except ValueError:
                pass
        runs["json.loads"].append(time.perf_counter() - start)
        start = time.perf_counter()
        b"".join([pretty.line(line) for line in data])
        runs["--pretty"].append(time.perf_counter() - start)
        start = time.perf_counter()
        for line in data:
            problems(line)
        runs["--validate"].append(time.perf_counter() - start)
    return {name: per_second(len(data), statistics.median(times)) for name, times in runs.items()}


def end_to_end(path: str, count: int, rounds: int) -> dict[str, float]:
    commands = {
        "json.loads": [sys.executable, "-c", BASELINE],
        "--pretty": [
            sys.executable,
            "-m",
            "dockerflow.cli",
            "logs",
            "--pretty",
            "--color",
            "never",
        ],
        "--validate": [sys.executable, "-m", "dockerflow.cli", "logs", "--validate"],
    }
    runs: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, command in commands.items():
            with open(path, "rb") as stdin:
                start = time.perf_counter()
                subprocess.run(command, stdin=stdin, stdout=subprocess.DEVNULL, check=False)
                runs[name].append(time.perf_counter() - start)
    return {name: per_second(count, statistics.median(times)) for name, times in runs.items()}


def show(title: str, rates: dict[str, float]) -> None:
    base = rates["json.loads"]
    print(title)
    for name, rate in rates.items():
        print(f"  {name:<12} {rate:>12,.0f} lines/s   {rate / base:5.2f}x json.loads")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    data = sample_lines(args.lines)
    # The exact lines the commands will see, split the way they split them.
    assert [line for batch in lines(iter([b"\n".join(data)])) for line in batch] == data
    print(
        f"{args.lines} lines ({sum(map(len, data)) / len(data):.0f} bytes on average), "
        f"median of {args.rounds} interleaved rounds, Python {sys.version.split()[0]}"
    )
    show("in process:", in_process(data, args.rounds))
    with tempfile.NamedTemporaryFile("wb", suffix=".log", delete=False) as fp:
        fp.write(b"\n".join(data) + b"\n")
    try:
        show("end to end (a pipe into the command):", end_to_end(fp.name, len(data), args.rounds))
    finally:
        os.unlink(fp.name)


if __name__ == "__main__":
    main()
