#!/usr/bin/env bash
# Run every test, on a fresh machine with only python3 (the README's test command).
#
#     bash scripts/test.sh                 # the whole suite
#     bash scripts/test.sh tests/flask -x  # arguments go to pytest
#
# 1. scripts/bootstrap.sh installs what the suite needs outside Python: uv,
#    redis-server, PostgreSQL's server binaries (the tests start their own servers).
# 2. uv installs the locked workspace (every package, the newest supported framework
#    releases, the test tools) into .venv, with Python 3.12 or newer when there is one.
# 3. pytest runs tests/ (core, django, flask, sanic, faults: real multi-worker servers
#    while services fail; and compat: the differential suite,
#    which builds a virtualenv of the pinned reference library with uv on first use).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

# Not eval "$(...)": that would throw away a failed bootstrap's exit status.
path_line=$(bash scripts/bootstrap.sh) || exit
eval "$path_line"
export UV_PYTHON_DOWNLOADS=never UV_NO_PROGRESS=1
unset VIRTUAL_ENV

if [ -z "${UV_PYTHON:-}" ]; then
    # shellcheck source=scripts/python.sh
    . scripts/python.sh
    for version in 3.12 3.13 3.11 3.10; do
        if UV_PYTHON=$(find_python "$version"); then
            export UV_PYTHON
            break
        fi
    done
    [ -n "${UV_PYTHON:-}" ] || { echo "test: no Python 3.10 or newer found" >&2; exit 1; }
fi

uv sync --locked --quiet
exec uv run --locked --no-sync pytest "$@"
