#!/usr/bin/env bash
# Build the documentation as CI does: every cross-reference resolved (-n), warnings as
# errors (-W), on each Python version given (default: the oldest and newest supported).
#
#     bash scripts/docs.sh               # Python 3.10 and 3.13
#     bash scripts/docs.sh 3.12          # one version
#
# Each version gets its own environment, .venvs/docs-3.X (the locked workspace and the
# docs group), and its own output, docs/_build/html-3.X. Intersphinx reads the inventories
# committed in docs/inventories/ (nothing is downloaded); the build first checks they are
# what docs/inventories/make_inventories.py writes.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export UV_PYTHON_DOWNLOADS=never UV_NO_PROGRESS=1
unset VIRTUAL_ENV UV_PYTHON

# shellcheck source=scripts/python.sh
. scripts/python.sh
[ $# -gt 0 ] || set -- 3.10 3.13
for version in "$@"; do
    python=$(find_python "$version") || { echo "docs: no Python $version interpreter found" >&2; exit 1; }
    echo "docs: Python $version ($python)" >&2
    export UV_PROJECT_ENVIRONMENT="$ROOT/.venvs/docs-$version"
    uv sync --locked --quiet --python "$python" --group docs
    uv run --locked --no-sync python docs/inventories/make_inventories.py --check
    uv run --locked --no-sync sphinx-build -E -n -W --keep-going -q -b html docs "docs/_build/html-$version"
done
