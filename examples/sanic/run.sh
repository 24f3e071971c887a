#!/usr/bin/env bash
# Start the example Sanic app with Sanic's own server on http://127.0.0.1:${PORT:-8000}.
#
#     bash examples/sanic/run.sh                  # from the repository root (or anywhere)
#     PORT=9000 WORKERS=1 bash examples/sanic/run.sh
#     HOST=0.0.0.0 bash examples/sanic/run.sh     # listen on every interface (as in Docker)
#
# Needs only python3: scripts/run_example.sh installs uv when missing, then exactly what
# the example needs (dockerflow-core and dockerflow-sanic from this source tree, Sanic,
# sanic-redis) into .venvs/example-sanic. Every line on stdout and stderr is mozlog JSON.
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
exec bash "$here/../../scripts/run_example.sh" sanic \
    sanic app:app --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}" \
    --workers "${WORKERS:-2}" --no-motd
