#!/usr/bin/env bash
# Start the example Flask app with gunicorn on 0.0.0.0:${PORT:-8000}.
#
#     bash examples/flask/run.sh            # from the repository root (or anywhere)
#     PORT=9000 bash examples/flask/run.sh
#
# Needs only python3: uv is installed when missing (scripts/bootstrap.sh), then uv
# installs dockerflow-flask and the example's dependencies from the committed uv.lock
# (and a Python >= 3.10 if there is none; set UV_PYTHON to choose one). Logs are mozlog
# JSON on stdout. Try: curl localhost:8000/__heartbeat__
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

say() { printf 'run.sh: %s\n' "$*" >&2; }

# uv, installed with pip when missing (bootstrap prints the PATH line to eval).
eval "$(bash scripts/bootstrap.sh --uv-only)"
export PORT="${PORT:-8000}"
say "starting the example on http://0.0.0.0:$PORT (endpoints: / /__heartbeat__ /__lbheartbeat__ /__version__)"
exec uv run --frozen --no-dev --group flask --package dockerflow-flask \
    gunicorn --chdir examples/flask --config examples/flask/gunicorn.conf.py app:app
