#!/usr/bin/env bash
# Run a command of an example in that example's own environment (what examples/*/run.sh do).
#
#     bash scripts/run_example.sh NAME COMMAND [ARG...]
#
# 1. scripts/bootstrap.sh --uv-only: uv, installed with pip when missing. Its messages are
#    shown only when it fails, and then the script stops with them: the example's output
#    stays mozlog JSON, line for line.
# 2. uv installs, from the committed uv.lock, exactly the dependency group `example-NAME`
#    of the root pyproject.toml (the dockerflow packages from this source tree, editable,
#    and the example's few third-party packages) into .venvs/example-NAME, and nothing
#    else; then runs COMMAND there, in examples/NAME. uv hands SIGTERM and SIGINT on to
#    COMMAND.
set -euo pipefail

[ $# -ge 2 ] || { printf 'usage: %s NAME COMMAND [ARG...]\n' "$0" >&2; exit 2; }
name=$1
shift

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

log=$(mktemp)
if ! path_line=$(bash scripts/bootstrap.sh --uv-only 2>"$log"); then
    cat "$log" >&2
    rm -f "$log"
    exit 1
fi
rm -f "$log"
eval "$path_line"

export UV_PROJECT_ENVIRONMENT="$root/.venvs/example-$name" UV_NO_PROGRESS=1
unset VIRTUAL_ENV
exec uv run --quiet --frozen --only-group "example-$name" --directory "examples/$name" -- "$@"
