#!/usr/bin/env bash
# Run the test suite at named corners of the support matrix, each framework in a
# throwaway virtualenv of its own under .venvs/ (gitignored).
#
#     scripts/test_matrix.sh oldest newest            # what .ci/run runs
#     scripts/test_matrix.sh --frameworks flask oldest
#     scripts/test_matrix.sh django52 -- -x -k heartbeat   # arguments after -- go to pytest
#     scripts/test_matrix.sh --list
#     scripts/test_matrix.sh --python 3.12 --frameworks django --pins 'django==5.2.*' custom
#     scripts/test_matrix.sh --python 3.10 --frameworks core custom    # dockerflow-core alone
#
# For each corner and each framework FW of that corner:
#     uv venv .venvs/<corner>-<FW> -p <python of the corner>
#     uv pip install -e packages/dockerflow-core -e packages/dockerflow-FW '<framework pins>' <test deps>
#     .venvs/<corner>-<FW>/bin/python -m pytest tests/FW
# and tests/core (with tests/cli, but for its tests of the examples) runs once per corner,
# in the first framework's virtualenv.
#
# Corners:
#     oldest    Python 3.10, Django 4.2, Flask 2.3 (Werkzeug 2.3), Sanic 23.12 LTS
#               (sanic-testing 23.12), FastAPI 0.100 (Starlette 0.27), and the LOWEST dockerflow-core each framework package
#               allows (its `dockerflow-core>=X` bound): the workspace's core when that is X,
#               else the tree of the tag dockerflow-core-vX, else dockerflow-core==X from PyPI
#     newest    Python 3.13, Django 6.x, Flask 3.x, Sanic 25.x, the newest FastAPI, the
#               workspace's dockerflow-core
#     django52  Python 3.11, Django 5.2 LTS
#     flask3    Python 3.12, Flask 3.x with the oldest Werkzeug 3
#     sanic2412 Python 3.11, Sanic 24.12 LTS
#     custom    what --python X.Y, --pins '<requirements>' and --core workspace|lowest say, for
#               the one framework of --frameworks (what the CI matrix uses)
#
# The pseudo-framework `core` installs dockerflow-core alone (no framework) and runs tests/core.
#
# Interpreters: python3.X on PATH when it runs, else $(pyenv root)/versions/3.X*/bin/python3.X,
# else `uv python find 3.X`; never downloaded (UV_PYTHON_DOWNLOADS=never).
# Services: the suite starts its own Redis and PostgreSQL (scripts/bootstrap.sh installs them).
# A framework without tests/FW, or whose tests collect nothing, fails: nothing is skipped.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export UV_PYTHON_DOWNLOADS=never UV_NO_PROGRESS=1
# The corner's interpreter is chosen explicitly; a UV_PYTHON from the caller must not win.
unset UV_PYTHON VIRTUAL_ENV

ALL_FRAMEWORKS=(django flask sanic fastapi)
only_frameworks=""
custom_python="" custom_pins="" custom_core=workspace
pytest_args=()
corners=()

if [ -t 2 ]; then bold=$'\033[1m' red=$'\033[1;31m' plain=$'\033[0m'; else bold="" red="" plain=""; fi
say() { printf '%stest-matrix:%s %s\n' "$bold" "$plain" "$*" >&2; }
fail() {
    printf '%stest-matrix: error:%s %s\n' "$red" "$plain" "$*" >&2
    exit 2
}
usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
    exit 2
}

# corner NAME: sets PY (minor version), CORE (workspace|lowest) and PIN_<fw> (requirements;
# an empty PIN_<fw> leaves the framework out of the corner).
corner() {
    PIN_django="" PIN_flask="" PIN_sanic="" PIN_fastapi="" PIN_core="" CORE=workspace
    case $1 in
    custom)
        PY=$custom_python CORE=$custom_core
        [[ $only_frameworks =~ ^(core|django|flask|sanic|fastapi)$ ]] ||
            fail "the custom corner needs --frameworks with exactly one of core, django, flask, sanic, fastapi"
        [ -n "$PY" ] || fail "the custom corner needs --python X.Y"
        [[ $CORE =~ ^(workspace|lowest)$ ]] || fail "--core must be workspace or lowest, not '$CORE'"
        [ "$only_frameworks" = core ] && [ "$CORE" = lowest ] && fail "--core lowest needs a framework"
        printf -v "PIN_$only_frameworks" '%s' "${custom_pins:- }"
        ;;
    oldest)
        PY=3.10 CORE=lowest
        PIN_django="django==4.2.*"
        PIN_flask="flask==2.3.* werkzeug==2.3.*"
        PIN_sanic="sanic==23.12.* sanic-testing==23.12.*"
        PIN_fastapi="fastapi==0.100.* httpx<0.28"  # Starlette 0.27's TestClient predates httpx 0.28
        ;;
    newest)
        PY=3.13
        PIN_django="django>=6,<7 orjson"  # tests/core runs here: the fast JSON path too
        PIN_flask="flask>=3,<4"
        PIN_sanic="sanic>=25,<26"
        PIN_fastapi="fastapi>=0.100"
        ;;
    django52) PY=3.11 PIN_django="django==5.2.*" ;;
    flask3) PY=3.12 PIN_flask="flask==3.0.* werkzeug==3.0.*" ;;
    sanic2412) PY=3.11 PIN_sanic="sanic==24.12.* sanic-testing==24.6.*" ;;
    *) return 1 ;;
    esac
}
KNOWN_CORNERS=(oldest newest django52 flask3 sanic2412)  # and custom

# What every framework's tests need, and what each one adds.
TEST_DEPS=(pytest pytest-timeout "redis>=5" "psycopg[binary]>=3.1" "gunicorn>=22" "sqlalchemy[asyncio]>=2")
deps_for() {
    case $1 in
    django) printf '%s\n' "django-redis>=5.4" "uvicorn>=0.30" ;;
    flask) printf '%s\n' "flask-sqlalchemy>=3.0" "flask-migrate>=4.0" "flask-login>=0.6.3" "flask-redis>=0.4" "blinker>=1.6" ;;
    sanic) printf '%s\n' "sanic-testing>=23.12" "sanic-redis>=0.5" ;;
    fastapi) printf '%s\n' "uvicorn>=0.30" "httpx>=0.24" "sqlalchemy[asyncio]>=2.0" ;;
    esac
}

while [ $# -gt 0 ]; do
    case $1 in
    --frameworks) [ $# -ge 2 ] || usage; only_frameworks=$2; shift 2 ;;
    --frameworks=*) only_frameworks=${1#--frameworks=}; shift ;;
    --python) [ $# -ge 2 ] || usage; custom_python=$2; shift 2 ;;
    --pins) [ $# -ge 2 ] || usage; custom_pins=$2; shift 2 ;;
    --core) [ $# -ge 2 ] || usage; custom_core=$2; shift 2 ;;
    --list)
        for c in "${KNOWN_CORNERS[@]}"; do
            corner "$c"
            printf '%-10s python %s, core: %s' "$c" "$PY" "$CORE"
            for fw in "${ALL_FRAMEWORKS[@]}"; do
                pins=PIN_$fw
                [ -n "${!pins}" ] && printf ', %s' "${!pins}"
            done
            printf '\n'
        done
        exit 0
        ;;
    -h | --help) usage ;;
    --) shift; pytest_args=("$@"); break ;;
    -*) printf 'unknown option: %s\n\n' "$1" >&2; usage ;;
    *) corners+=("$1"); shift ;;
    esac
done
[ ${#corners[@]} -gt 0 ] || usage
for c in "${corners[@]}"; do
    corner "$c" || fail "unknown corner '$c' (known: ${KNOWN_CORNERS[*]} custom)"
done
# uv, installed by bootstrap when missing (not eval "$(...)": that would throw away a
# failed bootstrap's exit status).
path_line=$(bash "$ROOT/scripts/bootstrap.sh" --uv-only) || exit
eval "$path_line"

# find_python 3.X: an interpreter of that minor version that actually runs.
# shellcheck source=scripts/python.sh
. "$ROOT/scripts/python.sh"

# The lower bound of dockerflow-core that packages/dockerflow-FW/pyproject.toml allows.
lowest_core() {
    local spec
    spec=$(grep -oE '"dockerflow-core[^"]*"' "packages/dockerflow-$1/pyproject.toml" | head -n 1)
    [[ $spec =~ \>=[[:space:]]*([0-9][0-9A-Za-z.]*) ]] ||
        fail "packages/dockerflow-$1/pyproject.toml: no 'dockerflow-core>=X' lower bound (found: ${spec:-nothing})"
    printf '%s\n' "${BASH_REMATCH[1]}"
}

workspace_core_version() {
    awk '/^\[/ { p = ($0 ~ /^\[project\]/); next }
         p && /^[[:space:]]*version[[:space:]]*=/ { sub(/^[^=]*=[[:space:]]*/, ""); gsub(/["\047[:space:]]/, ""); print; exit }' \
        packages/dockerflow-core/pyproject.toml
}

# core_requirements FW MODE: sets CORE_ARGS (install arguments for dockerflow-core), CORE_DESC.
core_requirements() {
    local fw=$1 mode=$2 low ws dir
    if [ "$mode" = workspace ]; then
        CORE_ARGS=(-e packages/dockerflow-core)
        CORE_DESC="dockerflow-core from the workspace (editable)"
        return
    fi
    low=$(lowest_core "$fw") || exit 2
    ws=$(workspace_core_version)
    if [ "$low" = "$ws" ]; then
        CORE_ARGS=(-e packages/dockerflow-core)
        CORE_DESC="lowest allowed dockerflow-core $low (= the workspace's version)"
    elif git rev-parse -q --verify "refs/tags/dockerflow-core-v$low" >/dev/null 2>&1; then
        dir=.venvs/.core-$low
        if [ ! -f "$dir/packages/dockerflow-core/pyproject.toml" ]; then
            rm -rf "$dir" && mkdir -p "$dir"
            git archive "dockerflow-core-v$low" packages/dockerflow-core | tar -x -C "$dir"
        fi
        CORE_ARGS=("./$dir/packages/dockerflow-core")
        CORE_DESC="lowest allowed dockerflow-core $low (tag dockerflow-core-v$low)"
    else
        CORE_ARGS=("dockerflow-core==$low")
        CORE_DESC="lowest allowed dockerflow-core $low (from PyPI)"
    fi
}

declare -a report=()
failed=0
mkdir -p .venvs

run_one() {
    local corner_name=$1 fw=$2 with_core_tests=$3 python venv pins started status log
    local name=$corner_name-$fw
    pins=PIN_$fw
    started=$SECONDS
    python=$(find_python "$PY") || {
        report+=("$(printf '%-22s FAIL  no Python %s interpreter found' "$name" "$PY")")
        failed=1
        return
    }
    venv=.venvs/$name
    say "[$name] Python $PY ($python), ${!pins}"
    uv venv -q --clear --python "$python" "$venv" >/dev/null 2>&1 || fail "[$name] uv venv failed"
    core_requirements "$fw" "$CORE"
    say "[$name] $CORE_DESC"
    local -a pin_list deps
    read -r -a pin_list <<<"${!pins}"
    mapfile -t deps < <(deps_for "$fw")
    log=$venv/install.log
    # --no-sources: the framework package must take the core given here, not the workspace's.
    local -a fw_args=()
    [ "$fw" = core ] || fw_args=(-e "packages/dockerflow-$fw")
    if ! uv pip install --python "$venv/bin/python" --no-sources "${CORE_ARGS[@]}" \
        "${fw_args[@]}" "${pin_list[@]}" "${TEST_DEPS[@]}" "${deps[@]}" >"$log" 2>&1; then
        cat "$log" >&2
        report+=("$(printf '%-22s FAIL  could not install (see %s)' "$name" "$log")")
        failed=1
        return
    fi
    say "[$name] $(uv pip list -q --python "$venv/bin/python" --format freeze 2>/dev/null |
        grep -iE '^(dockerflow-core|django|flask|werkzeug|sanic|sanic-testing|fastapi|starlette)==' | tr '\n' ' ')"
    local -a paths=()
    [ "$with_core_tests" = 1 ] && [ -d tests/core ] && paths+=(tests/core)
    # The dockerflow command is standard library only: tests/cli runs with tests/core,
    # but for the tests that serve the examples (their frameworks are not all installed).
    local -a marker_args=()
    if [ "$with_core_tests" = 1 ] && [ -d tests/cli ]; then
        paths+=(tests/cli)
        marker_args=(-m "not examples")
    fi
    if [ "$fw" = core ]; then
        :
    elif [ -d "tests/$fw" ]; then
        paths+=("tests/$fw")
    else
        say "[$name] error: tests/$fw does not exist"
    fi
    if [ ${#paths[@]} -eq 0 ]; then
        report+=("$(printf '%-22s FAIL  no tests/%s' "$name" "$fw")")
        failed=1
        return
    fi
    say "[$name] pytest ${paths[*]} ${pytest_args[*]}"
    set +e
    "$venv/bin/python" -m pytest -q -p no:cacheprovider "${paths[@]}" "${marker_args[@]}" "${pytest_args[@]}"
    status=$?
    set -e
    if [ $status -eq 5 ]; then
        say "[$name] error: pytest collected no test in ${paths[*]}"
        report+=("$(printf '%-22s FAIL  no test collected in %s' "$name" "${paths[*]}")")
        failed=1
    elif [ $status -eq 0 ]; then
        report+=("$(printf '%-22s ok    %s [%ss]' "$name" "${paths[*]}" $((SECONDS - started)))")
    else
        report+=("$(printf '%-22s FAIL  pytest exited %s on %s [%ss]' "$name" "$status" "${paths[*]}" $((SECONDS - started)))")
        failed=1
    fi
}

for c in "${corners[@]}"; do
    corner "$c"
    first=1
    for fw in core "${ALL_FRAMEWORKS[@]}"; do
        pins=PIN_$fw
        [ -n "${!pins}" ] || continue
        if [ -n "$only_frameworks" ] && [[ ",$only_frameworks," != *",$fw,"* ]]; then continue; fi
        run_one "$c" "$fw" "$first"
        first=0
    done
done

say "summary:"
for line in "${report[@]}"; do printf '    %s\n' "$line" >&2; done
exit $failed
