#!/bin/sh
# Migrate the database, then serve the project (what run.sh and the Dockerfile run):
#
#     ./start.sh            # gunicorn, WSGI (gunicorn.conf.py)
#     ./start.sh uvicorn    # uvicorn, ASGI (uvicorn-logging.json)
#
# on $HOST:$PORT (127.0.0.1:8000 unless told otherwise), $WEB_CONCURRENCY workers (2).
# Every line both write is mozlog JSON: migrate's progress included (see
# exampleproject/management/commands/migrate.py).
set -eu
cd "$(dirname "$0")"
server=${1:-gunicorn}
case $server in
gunicorn | uvicorn) ;;
*) echo "usage: $0 [gunicorn|uvicorn]" >&2; exit 2 ;;
esac
# --skip-checks: the system checks would warn about the very migrations about to be
# applied; the heartbeat runs them all, on every probe.
python manage.py migrate --noinput --skip-checks
if [ "$server" = gunicorn ]; then
    exec gunicorn --config gunicorn.conf.py exampleproject.wsgi:application
fi
# Uvicorn configures its loggers from --log-config before it imports the project; its
# access log is off (request.summary records every request, with the request id).
exec uvicorn exampleproject.asgi:application \
    --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}" --workers "${WEB_CONCURRENCY:-2}" \
    --log-config uvicorn-logging.json --no-access-log --no-server-header
