# shellcheck shell=bash
# find_python 3.X: print the path of a Python 3.X interpreter that actually runs.
#
# Looks for python3.X on PATH (a pyenv shim counts only if it runs and is 3.X), then in
# $(pyenv root)/versions/3.X.*/bin (newest first), then asks `uv python find`. Never
# downloads one. Source this file: `. scripts/python.sh`.
find_python() {
    local minor=$1 candidate root
    _runs_minor() {
        [ -n "$1" ] && "$1" -c "import sys; sys.exit(sys.version_info[:2] != tuple(map(int, '$minor'.split('.'))))" >/dev/null 2>&1
    }
    candidate=$(command -v "python$minor" 2>/dev/null || true)
    if _runs_minor "$candidate"; then
        "$candidate" -c 'import sys; print(sys.executable)'
        return 0
    fi
    root=$( (command -v pyenv >/dev/null 2>&1 && pyenv root) || printf '%s' "${PYENV_ROOT:-$HOME/.pyenv}")
    for candidate in $(ls -d "$root/versions/$minor".* 2>/dev/null | sort -rV); do
        if _runs_minor "$candidate/bin/python$minor"; then
            printf '%s\n' "$candidate/bin/python$minor"
            return 0
        fi
    done
    candidate=$(UV_PYTHON_DOWNLOADS=never uv python find --no-project "$minor" 2>/dev/null || true)
    if _runs_minor "$candidate"; then
        printf '%s\n' "$candidate"
        return 0
    fi
    return 1
}
