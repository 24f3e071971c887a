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

ensure_uv() {
    command -v uv >/dev/null 2>&1 && return
    local python user_bin out
    python=$(command -v python3 || command -v python) || {
        say "error: python3 is needed to install uv"
        exit 1
    }
    user_bin="$("$python" -m site --user-base)/bin"
    if [ ! -x "$user_bin/uv" ]; then
        say "uv is missing; installing it with scripts/bootstrap.sh"
        # bootstrap.sh prints the PATH line to eval; it also installs the test suite's
        # services, which the example does not need: carry on as long as uv is there.
        if out=$(scripts/bootstrap.sh); then
            eval "$out"
        fi
    fi
    [ -x "$user_bin/uv" ] && PATH="$user_bin:$PATH"
    command -v uv >/dev/null 2>&1 || {
        say "error: could not install uv; see https://docs.astral.sh/uv/"
        exit 1
    }
}

ensure_uv
export PORT="${PORT:-8000}"
say "starting the example on http://0.0.0.0:$PORT (endpoints: / /__heartbeat__ /__lbheartbeat__ /__version__)"
exec uv run --frozen --no-dev --group flask --package dockerflow-flask \
    gunicorn --chdir examples/flask --config examples/flask/gunicorn.conf.py app:app
