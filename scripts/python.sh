# shellcheck shell=bash
# find_python 3.X: print the path of a Python 3.X interpreter that actually runs.
#
# Looks for python3.X on PATH (a pyenv shim counts only if it runs), then in
# $(pyenv root)/versions/3.X*/bin, then asks `uv python find`. Never downloads one.
# Source this file: `. scripts/python.sh`.
find_python() {
    local version=$1 candidate root
    if candidate=$(command -v "python$version" 2>/dev/null) && "$candidate" -c 'import sys' >/dev/null 2>&1; then
        "$candidate" -c 'import sys; print(sys.executable)'
        return 0
    fi
    root=$( (command -v pyenv >/dev/null 2>&1 && pyenv root) || printf '%s' "${PYENV_ROOT:-$HOME/.pyenv}")
    for candidate in "$root"/versions/"$version"*/bin/python"$version"; do
        if [ -x "$candidate" ] && "$candidate" -c 'import sys' >/dev/null 2>&1; then
            printf '%s\n' "$candidate"
            return 0
        fi
    done
    if command -v uv >/dev/null 2>&1 && candidate=$(UV_PYTHON_DOWNLOADS=never uv python find "$version" 2>/dev/null); then
        printf '%s\n' "$candidate"
        return 0
    fi
    return 1
}
