#!/usr/bin/env bash
# Migrate and start the example Django project on http://127.0.0.1:${PORT:-8000}.
#
#     bash examples/django/run.sh             # gunicorn (WSGI), from anywhere
#     bash examples/django/run.sh uvicorn     # uvicorn (ASGI)
#     PORT=9000 WEB_CONCURRENCY=4 bash examples/django/run.sh
#     HOST=0.0.0.0 bash examples/django/run.sh   # listen on every interface (as in Docker)
#
# Needs only python3: scripts/run_example.sh installs uv when missing, then exactly what
# the example needs (dockerflow-core and dockerflow-django from this source tree, Django,
# django-redis, gunicorn, uvicorn) into .venvs/example-django. Every line on stdout and
# stderr is mozlog JSON. Without DJANGO_SECRET_KEY, a random key is made for this run.
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
if [ -z "${DJANGO_SECRET_KEY:-}" ]; then
    DJANGO_SECRET_KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
    export DJANGO_SECRET_KEY
fi
exec bash "$here/../../scripts/run_example.sh" django sh start.sh "$@"
