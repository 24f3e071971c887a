#!/usr/bin/env bash
# Start the example Flask app with gunicorn on http://127.0.0.1:${PORT:-8000}.
#
#     bash examples/flask/run.sh                  # from the repository root (or anywhere)
#     PORT=9000 bash examples/flask/run.sh
#     HOST=0.0.0.0 bash examples/flask/run.sh     # listen on every interface (as in Docker)
#
# Needs only python3: uv is installed when missing (scripts/bootstrap.sh); uv then installs,
# from the committed uv.lock, exactly what the example needs (the dependency group
# `example-flask`: dockerflow-core and dockerflow-flask from this source tree,
# Flask-SQLAlchemy, gunicorn) into .venvs/example-flask, and nothing else. Every line on
# stdout and stderr is then mozlog JSON. Try: curl localhost:8000/__heartbeat__
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

# uv, installed with pip when missing; a failed bootstrap stops here with its message.
path_line=$(bash scripts/bootstrap.sh --uv-only) || exit
eval "$path_line"

export PORT="${PORT:-8000}" HOST="${HOST:-127.0.0.1}"
export UV_PROJECT_ENVIRONMENT="$root/.venvs/example-flask" UV_NO_PROGRESS=1
unset VIRTUAL_ENV
exec uv run --quiet --frozen --only-group example-flask \
    gunicorn --chdir examples/flask --config examples/flask/gunicorn.conf.py app:app
