#!/usr/bin/env bash
# Start the example Flask app with gunicorn on http://127.0.0.1:${PORT:-8000}.
#
#     bash examples/flask/run.sh                  # from the repository root (or anywhere)
#     PORT=9000 WEB_CONCURRENCY=4 bash examples/flask/run.sh
#     HOST=0.0.0.0 bash examples/flask/run.sh     # listen on every interface (as in Docker)
#
# Needs only python3: scripts/run_example.sh installs uv when missing, then exactly what
# the example needs (dockerflow-core and dockerflow-flask from this source tree, Flask,
# Flask-SQLAlchemy, gunicorn) into .venvs/example-flask. Every line on stdout and stderr
# is mozlog JSON (gunicorn.conf.py and app.py configure logging).
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
exec bash "$here/../../scripts/run_example.sh" flask \
    gunicorn --config gunicorn.conf.py app:app
