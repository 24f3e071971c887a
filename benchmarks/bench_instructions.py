"""Instructions per request, bare app against the app with Dockerflow, under callgrind.

Timings on a shared virtual machine move by 10-40% between runs, which hides a
change of a few percent. Valgrind's callgrind counts the machine instructions a
process executes instead: the same count for the same code and inputs, however
busy the machine is. This script runs each framework benchmark's apps (the same
apps, requests and ``request.summary`` handler as ``bench_django.py``,
``bench_flask.py`` and ``bench_fastapi.py``) in child processes under callgrind,
once with no timed requests and once with ``--requests`` of them; the difference,
divided by the number of requests, is what one request costs, start-up left out.

    uv run python benchmarks/bench_instructions.py [django flask fastapi] [--requests 1000] [--floor]

``--floor`` also counts the hand-written middleware of ``bench_django.py --floor``,
``bench_flask.py --floor`` and ``bench_fastapi.py --floor``. Children run two at a time (the counts do not depend
on it). Each takes about 40 seconds, most of it Python starting under valgrind.

An instruction count is not a time: it leaves out the kernel (the ``write`` of every
log line), cache misses and branch mispredictions, so its ratio is lower than the
timed one. Use it to tell whether a change to the code did less work, and the timed
scripts for the overhead itself.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import re
import shutil
import subprocess
import sys
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
FRAMEWORKS = ("django", "flask", "fastapi")
_WARM_UP = 200
_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


_configured: set[str] = set()


def build(framework: str, app_kind: str) -> Callable[[int], object]:
    """Build one app of ``framework`` (``"bare"``, ``"dockerflow"`` or ``"floor"``, the
    apps of ``bench_<framework>.py``) and return what serves ``count`` requests to it.
    Apps of one framework may be built side by side in one process."""
    if HERE not in sys.path:
        sys.path.insert(0, HERE)
    warnings.simplefilter("ignore", DeprecationWarning)
    if framework == "django":
        import bench_django

        if "django" not in _configured:
            bench_django.setup(reference=False)
            _configured.add("django")
        middleware = list(bench_django.STARTPROJECT_MIDDLEWARE)
        if app_kind == "dockerflow":
            middleware.insert(0, "dockerflow.django.middleware.DockerflowMiddleware")
        elif app_kind == "floor":
            middleware.insert(0, "bench_django.floor_middleware")
        handler = bench_django.make_handler(middleware)
        return lambda count: bench_django.per_request(handler, count)

    from _common import configure_summary_logging

    if "logging" not in _configured:
        configure_summary_logging(reference=False)
        _configured.add("logging")
    if framework == "flask":
        import bench_flask as bench
    else:
        import bench_fastapi as bench
    app = (
        bench.make_floor_app() if app_kind == "floor" else bench.make_app(app_kind == "dockerflow")
    )
    if framework == "flask":
        return lambda count: bench.time_requests(app.wsgi_app, count)
    return lambda count: asyncio.run(bench.time_requests(app, count))


def _child(framework: str, app_kind: str, requests: int) -> None:
    """Build one app, warm it up, then serve ``requests`` requests (under callgrind)."""
    serve = build(framework, app_kind)
    serve(_WARM_UP)
    gc.collect()
    gc.disable()  # a collection would land in one run and not the other
    if requests:
        serve(requests)


def _count(framework: str, app_kind: str, requests: int) -> int:
    """The instructions callgrind counted for one child process."""
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        os.path.abspath(__file__),
        "--child",
        framework,
        app_kind,
        str(requests),
    ]
    env = {**os.environ, "PYTHONHASHSEED": "0"}  # the same dict layouts in every child
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    found = _COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("frameworks", nargs="*", metavar="FRAMEWORK", help=" ".join(FRAMEWORKS))
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--floor", action="store_true", help="also the hand-written middleware")
    parser.add_argument("--child", nargs=3, metavar=("FRAMEWORK", "APP", "REQUESTS"))
    args = parser.parse_args(argv)
    if args.child:
        framework, app_kind, requests = args.child
        _child(framework, app_kind, int(requests))
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (Debian: apt-get install valgrind)", file=sys.stderr)
        return 2

    frameworks = args.frameworks or list(FRAMEWORKS)
    unknown = sorted(set(frameworks) - set(FRAMEWORKS))
    if unknown:
        parser.error(
            f"unknown framework {', '.join(unknown)}: choose among {', '.join(FRAMEWORKS)}"
        )
    kinds = {fw: ["bare", "dockerflow"] + (["floor"] if args.floor else []) for fw in frameworks}
    jobs = [(fw, kind, n) for fw in frameworks for kind in kinds[fw] for n in (0, args.requests)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        counts = dict(zip(jobs, pool.map(lambda job: _count(*job), jobs), strict=True))

    print(f"instructions per request, {args.requests} requests after {_WARM_UP} to warm up")
    for fw in frameworks:
        per = {
            kind: (counts[fw, kind, args.requests] - counts[fw, kind, 0]) / args.requests
            for kind in kinds[fw]
        }
        for kind in kinds[fw]:
            line = f"  {fw:8s} {kind:11s} {per[kind]:10.0f}"
            if kind != "bare":
                extra = per[kind] - per["bare"]
                line += f"  {extra:+9.0f} ({extra / per['bare'] * 100:+.1f}%)"
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
