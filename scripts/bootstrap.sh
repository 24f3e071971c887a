#!/usr/bin/env bash
# Install what the test suite needs outside Python: uv, redis-server, and PostgreSQL's
# initdb/pg_ctl/postgres (the tests start their own servers; see tests/services.py).
#
# Idempotent and quiet when everything is already there. When a tool was installed in a
# directory that is not on PATH, the script prints the line to add it, on stdout:
#
#     path_line=$(bash scripts/bootstrap.sh) || exit
#     eval "$path_line"
#
# (not `eval "$(scripts/bootstrap.sh)"`, which discards a failure's exit status).
#
# and, on GitHub Actions, also appends the directory to $GITHUB_PATH.
# Progress and errors go to stderr. Uses sudo for apt-get when not root.
#
#     scripts/bootstrap.sh --uv-only    # just uv (what running an example needs)
set -euo pipefail

uv_only=0
case "${1:-}" in
    --uv-only) uv_only=1 ;;
    "") ;;
    *) printf 'usage: %s [--uv-only]\n' "$0" >&2; exit 2 ;;
esac

path_additions=()

say() { printf 'bootstrap: %s\n' "$*" >&2; }
die() {
    say "error: $*"
    exit 1
}

add_to_path() {
    local dir=$1
    case ":$PATH:" in *":$dir:"*) return ;; esac
    PATH="$dir:$PATH"
    path_additions+=("$dir")
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root to run: $* (not root, and sudo is not installed)"
    fi
}

apt_updated=0
apt_install() {
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install manually: $*"
    local log
    log=$(mktemp)
    say "installing $* with apt-get"
    if [ "$apt_updated" -eq 0 ]; then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >"$log" 2>&1 || {
            cat "$log" >&2
            rm -f "$log"
            die "apt-get update failed"
        }
        apt_updated=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "$@" >"$log" 2>&1 || {
        cat "$log" >&2
        rm -f "$log"
        die "apt-get install $* failed"
    }
    rm -f "$log"
}

ensure_uv() {
    command -v uv >/dev/null 2>&1 && return
    local python user_bin
    python=$(command -v python3 || command -v python) || die "uv is missing and no python3 to install it"
    user_bin="$("$python" -m site --user-base)/bin"
    if [ -x "$user_bin/uv" ]; then
        add_to_path "$user_bin"
        return
    fi
    "$python" -m pip --version >/dev/null 2>&1 || apt_install python3-pip
    say "installing uv with pip"
    local log
    log=$(mktemp)
    # PEP 668 (Debian's "externally managed" Python) refuses plain --user installs.
    if ! "$python" -m pip install --user --quiet uv >"$log" 2>&1 &&
        ! "$python" -m pip install --user --quiet --break-system-packages uv >>"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        die "could not install uv with pip (see above); see https://docs.astral.sh/uv/"
    fi
    rm -f "$log"
    [ -x "$user_bin/uv" ] || die "pip installed uv but $user_bin/uv does not exist"
    say "uv installed at $user_bin/uv"
    add_to_path "$user_bin"
}

ensure_redis() {
    command -v redis-server >/dev/null 2>&1 && return
    apt_install redis-server
    command -v redis-server >/dev/null 2>&1 || die "redis-server is still not on PATH after apt-get"
}

# Debian's postgresql packages keep initdb/pg_ctl/postgres in /usr/lib/postgresql/<v>/bin.
postgres_bindir() {
    local dir
    dir=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -type d -name bin 2>/dev/null |
        sort -V | tail -n 1)
    [ -n "$dir" ] && [ -x "$dir/initdb" ] && printf '%s\n' "$dir"
}

have_postgres() {
    command -v initdb >/dev/null 2>&1 &&
        command -v pg_ctl >/dev/null 2>&1 &&
        command -v postgres >/dev/null 2>&1
}

ensure_postgres() {
    have_postgres && return
    local dir
    if ! dir=$(postgres_bindir); then
        apt_install postgresql
        dir=$(postgres_bindir) || die "apt-get installed postgresql but no /usr/lib/postgresql/*/bin/initdb"
    fi
    add_to_path "$dir"
    have_postgres || die "initdb, pg_ctl and postgres are not all in $dir"
}

ensure_uv
if [ "$uv_only" -eq 0 ]; then
    ensure_redis
    ensure_postgres
fi

if [ "${#path_additions[@]}" -gt 0 ]; then
    joined=$(IFS=:; printf '%s' "${path_additions[*]}")
    say "add to PATH: $joined   (eval the line this script prints: see its header)"
    if [ -n "${GITHUB_PATH:-}" ]; then
        for dir in "${path_additions[@]}"; do printf '%s\n' "$dir" >>"$GITHUB_PATH"; done
    fi
    printf 'export PATH="%s:$PATH"\n' "$joined"
fi
