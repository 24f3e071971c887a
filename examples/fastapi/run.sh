#!/usr/bin/env bash
# Start the example FastAPI app with uvicorn on http://127.0.0.1:${PORT:-8000}.
#
#     bash examples/fastapi/run.sh                  # from the repository root (or anywhere)
#     PORT=9000 WORKERS=1 bash examples/fastapi/run.sh
#     HOST=0.0.0.0 bash examples/fastapi/run.sh     # listen on every interface (as in Docker)
#
# Needs only python3: scripts/run_example.sh installs uv when missing, then exactly what
# the example needs (dockerflow-core and dockerflow-fastapi from this source tree, FastAPI,
# uvicorn, redis-py) into .venvs/example-fastapi. Every line on stdout and stderr is
# mozlog JSON (logging.json), uvicorn's own lines included.
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
exec bash "$here/../../scripts/run_example.sh" fastapi \
    uvicorn app:app --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}" \
    --workers "${WORKERS:-2}" --log-config logging.json
