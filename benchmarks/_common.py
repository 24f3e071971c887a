"""What the framework benchmarks share: the ``request.summary`` logging they measure."""

from __future__ import annotations

import argparse
import logging
import os

from dockerflow.logging import MozlogFormatter

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
