"""Start-up time of ``dockerflow probe``: what a ``HEALTHCHECK`` costs each time it runs.

Baseline, in the same run: ``python -c pass`` (the interpreter alone). Measured: the
probe asking a real server on loopback (the ``dockerflow`` console script, and
``python -m dockerflow.cli``), and, for scale, ``python -c "import http.client"``, the
import a probe written with the usual HTTP client would add. Rounds are interleaved
and the median is reported.

Run: ``uv run python benchmarks/bench_cli_startup.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args(argv)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/__lbheartbeat__"
    script = os.path.join(os.path.dirname(sys.executable), "dockerflow")
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "dockerflow probe": [script, "probe", url],
        "python -m dockerflow.cli probe": [sys.executable, "-m", "dockerflow.cli", "probe", url],
        'python -c "import http.client"': [sys.executable, "-c", "import http.client"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, command in commands.items():
            start = time.perf_counter()
            result = subprocess.run(command, capture_output=True, check=False)
            times[name].append(time.perf_counter() - start)
            if result.returncode != 0:
                sys.exit(f"{name} failed: {result.stderr.decode()}")
    server.shutdown()
    base = statistics.median(times["python -c pass"])
    print(f"median of {args.runs} interleaved runs, Python {sys.version.split()[0]}")
    for name, values in times.items():
        median = statistics.median(values)
        print(
            f"  {name:<34} {median * 1000:7.1f} ms   {median / base:5.2f}x python -c pass"
            f"   (+{(median - base) * 1000:.1f} ms)"
        )


if __name__ == "__main__":
    main()
