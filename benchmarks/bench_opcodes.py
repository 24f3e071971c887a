"""Bytecodes executed per request, bare app against the app with Dockerflow, by function.

:mod:`bench_instructions` counts machine instructions, the total only. This script
says where they go: it traces one request to each app (the apps of
``bench_instructions.build``: the same apps, requests and ``request.summary`` handler
as ``bench_django.py``, ``bench_flask.py`` and ``bench_fastapi.py``) with
:func:`sys.settrace` and ``f_trace_opcodes``, and counts the bytecodes each function
executes. Ours minus bare, function by function, is what the integration adds; the
floor's (``--floor``) is what the least implementation adds. It takes seconds, and
gives the same counts on every run.

    uv run python benchmarks/bench_opcodes.py [django flask fastapi] [--floor] [--lines]

``--lines`` also counts by line, for the functions of ``dockerflow``.

All apps of a framework are built in one process, as in the timed scripts: what
importing an integration installs for every request (Django's ``request_finished``
receiver) is then counted for the bare app too, and left out of the difference, as
it is left out of the timed ratio. A bytecode is not a unit of time: a regex match
or a ``write`` is one bytecode. Use it to find what to look at, and the timed and
counted scripts to measure.
"""

from __future__ import annotations

import argparse
import collections
import linecache
import os
import sys
from types import FrameType
from typing import Any

from bench_instructions import FRAMEWORKS, build

_WARM_UP = 300
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _where(filename: str) -> str:
    """A short name for a code object's file: below site-packages or the repository."""
    if "site-packages" + os.sep in filename:
        return filename.split("site-packages" + os.sep, 1)[1]
    return filename.removeprefix(_ROOT)


def trace_one(serve: Any, *, lines: bool) -> collections.Counter[tuple[str, str, int]]:
    """The bytecodes one request executes, by (file, function, line or 0)."""
    counts: collections.Counter[tuple[str, str, int]] = collections.Counter()

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        frame.f_trace_opcodes = True
        if event == "opcode":
            code = frame.f_code
            line = frame.f_lineno if lines and "dockerflow" in code.co_filename else 0
            counts[code.co_filename, code.co_name, line or 0] += 1
        return tracer

    sys.settrace(tracer)
    try:
        serve(1)
    finally:
        sys.settrace(None)
    return counts


def _by_function(
    counts: collections.Counter[tuple[str, str, int]],
) -> collections.Counter[tuple[str, str]]:
    functions: collections.Counter[tuple[str, str]] = collections.Counter()
    for (filename, name, _), n in counts.items():
        functions[_where(filename), name] += n
    return functions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("frameworks", nargs="*", metavar="FRAMEWORK", help=" ".join(FRAMEWORKS))
    parser.add_argument("--floor", action="store_true", help="also the hand-written middleware")
    parser.add_argument("--lines", action="store_true", help="also by line, for dockerflow")
    parser.add_argument("--top", type=int, default=30, help="functions listed per app")
    args = parser.parse_args(argv)
    frameworks = args.frameworks or list(FRAMEWORKS)
    unknown = sorted(set(frameworks) - set(FRAMEWORKS))
    if unknown:
        parser.error(
            f"unknown framework {', '.join(unknown)}: choose among {', '.join(FRAMEWORKS)}"
        )
    if len(frameworks) > 1:  # Django's settings, the logging set-up: one framework a process
        import subprocess

        options = [o for o, on in (("--floor", args.floor), ("--lines", args.lines)) if on]
        for framework in frameworks:
            command = [sys.executable, os.path.abspath(__file__), framework, *options]
            subprocess.run([*command, "--top", str(args.top)], check=True)
        return 0

    [framework] = frameworks
    kinds = ["bare", "dockerflow"] + (["floor"] if args.floor else [])
    serves = {kind: build(framework, kind) for kind in kinds}
    for serve in serves.values():
        serve(_WARM_UP)
    # The first request traced in a process counts nothing (the interpreter turns
    # tracing on for the code objects it meets from then on): one, thrown away.
    trace_one(serves["bare"], lines=False)
    counts = {kind: trace_one(serve, lines=args.lines) for kind, serve in serves.items()}
    bare = _by_function(counts["bare"])
    total = sum(bare.values())
    print(f"{framework}: bytecodes executed by one request, after {_WARM_UP} to warm up")
    print(f"  bare        {total:7d}")
    for kind in kinds[1:]:
        functions = _by_function(counts[kind])
        extra = sum(functions.values()) - total
        print(
            f"  {kind:11s} {sum(functions.values()):7d}  {extra:+6d} ({extra / total * 100:+.1f}%)"
        )
    for kind in kinds[1:]:
        functions = _by_function(counts[kind])
        functions.subtract(bare)
        print(f"\n  {kind} minus bare, by function (what it adds; fewer elsewhere not shown):")
        for (where, name), n in functions.most_common(args.top):
            if n > 0:
                print(f"    {n:5d}  {name}  ({where})")
    if args.lines:
        print("\n  dockerflow's functions in the dockerflow app, by line:")
        ours = sorted(
            (filename, line, name, n)
            for (filename, name, line), n in counts["dockerflow"].items()
            if line
        )
        for filename, line, name, n in ours:
            text = linecache.getline(filename, line).strip()
            print(f"    {n:4d}  {_where(filename)}:{line} ({name})  {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
