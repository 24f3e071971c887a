#!/usr/bin/env bash
# Build one distribution (or all of them) exactly as the release workflow does, and prove
# the result installs and works on its own, before anyone pushes a tag.
#
#     scripts/release_check.sh dockerflow-core            # one package
#     scripts/release_check.sh all                        # every package in packages/
#     scripts/release_check.sh --tag dockerflow-flask-v2026.11.0   # package taken from the tag
#     scripts/release_check.sh --tag "$TAG" dockerflow-flask       # tag must name this package
#
# For each distribution NAME (a directory packages/NAME):
#   1. reads its static version from packages/NAME/pyproject.toml (and, with --tag, checks
#      that the tag is exactly NAME-v<version>);
#   2. builds it alone, as published: uv build --package NAME --no-sources --out-dir dist/NAME;
#   3. twine check --strict on the sdist and the wheel, and validates the classifiers
#      against trove-classifiers (PyPI rejects unknown ones at upload time);
#   4. inspects the wheel: only dockerflow/<subpackage>/ and NAME's .dist-info; never
#      dockerflow/__init__.py (PEP 420 namespace shared by all distributions); exactly the
#      subpackages of packages/NAME/src/dockerflow/; py.typed in each of them; complete
#      metadata (summary, Markdown README, license, URLs, requires-python, classifiers);
#      a framework package depends on a bounded range of dockerflow-core;
#   5. creates a clean virtualenv under a temporary directory and installs ONLY the built
#      wheel (a framework package: plus the freshly built dockerflow-core wheel and its
#      framework from PyPI), checks that dockerflow-core pulls no third-party package, and
#      imports and smoke-tests the package from outside the repository (python -I).
#
# Options:
#   --tag TAG        validate TAG (<distribution>-v<version>); without a package, check that one
#   --python PY      interpreter for the clean virtualenvs (default: $UV_PYTHON, else uv's choice)
#   --keep           keep the temporary virtualenvs (their path is printed)
#
# Needs uv (scripts/bootstrap.sh installs it) and access to PyPI (twine, trove-classifiers
# and the frameworks). Exits non-zero with a message naming the failed check.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

CORE=dockerflow-core
tag=""
python_request="${UV_PYTHON:-}"
keep=0
requested=()

if [ -t 2 ]; then bold=$'\033[1m' red=$'\033[1;31m' plain=$'\033[0m'; else bold="" red="" plain=""; fi
say() { printf '%srelease-check:%s %s\n' "$bold" "$plain" "$*" >&2; }
fail() {
    printf '%srelease-check: FAILED:%s %s\n' "$red" "$plain" "$*" >&2
    exit 1
}
usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case $1 in
    --tag) [ $# -ge 2 ] || usage; tag=$2; shift 2 ;;
    --tag=*) tag=${1#--tag=}; shift ;;
    --python) [ $# -ge 2 ] || usage; python_request=$2; shift 2 ;;
    --python=*) python_request=${1#--python=}; shift ;;
    --keep) keep=1; shift ;;
    -h | --help) usage ;;
    -*) printf 'unknown option: %s\n\n' "$1" >&2; usage ;;
    *) requested+=("$1"); shift ;;
    esac
done

# uv, installed by bootstrap when missing (not eval "$(...)": that would throw away a
# failed bootstrap's exit status).
path_line=$(bash "$ROOT/scripts/bootstrap.sh" --uv-only) || exit
eval "$path_line"

all_packages() {
    local dir
    for dir in packages/*/; do
        [ -f "$dir/pyproject.toml" ] && basename "$dir"
    done
}

# The static `version = "..."` of the [project] table.
read_version() {
    local pyproject=packages/$1/pyproject.toml
    [ -f "$pyproject" ] || fail "$1: no $pyproject (known packages: $(all_packages | tr '\n' ' '))"
    local version
    version=$(awk '
        /^\[/ { in_project = ($0 ~ /^\[project\][[:space:]]*$/) ; next }
        in_project && /^[[:space:]]*version[[:space:]]*=/ {
            sub(/^[^=]*=[[:space:]]*/, ""); gsub(/["\047[:space:]]/, ""); print; exit
        }' "$pyproject")
    [ -n "$version" ] || fail "$1: no static version in the [project] table of $pyproject"
    printf '%s\n' "$version"
}

# --tag alone names the package: dockerflow-flask-v2026.11.0 -> dockerflow-flask.
if [ -n "$tag" ]; then
    [[ $tag =~ ^(dockerflow-[a-z0-9-]+)-v([0-9][0-9A-Za-z.+!-]*)$ ]] ||
        fail "tag '$tag' is not of the form <distribution>-v<version>, e.g. dockerflow-core-v2026.11.0"
    tag_package=${BASH_REMATCH[1]}
    tag_version=${BASH_REMATCH[2]}
    if [ ${#requested[@]} -eq 0 ]; then
        requested=("$tag_package")
    elif [ ${#requested[@]} -ne 1 ] || [ "${requested[0]}" != "$tag_package" ]; then
        fail "tag '$tag' is for $tag_package, but the packages to check are: ${requested[*]}"
    fi
    [ -d "packages/$tag_package" ] ||
        fail "tag '$tag' names $tag_package, which is not a package of this repository (packages/*)"
fi

[ ${#requested[@]} -gt 0 ] || usage
packages=()
for name in "${requested[@]}"; do
    if [ "$name" = all ]; then
        mapfile -t packages < <(all_packages)
    else
        packages+=("$name")
    fi
done
# Check the core first: the framework packages' smoke tests install its fresh wheel.
mapfile -t packages < <(printf '%s\n' "${packages[@]}" | awk '!seen[$0]++' |
    awk -v core="$CORE" '$0 == core { print; next } { rest[++n] = $0 } END { for (i = 1; i <= n; i++) print rest[i] }')

work=$(mktemp -d "${TMPDIR:-/tmp}/release-check.XXXXXX")
cleanup() {
    if [ "$keep" -eq 1 ]; then say "kept the virtualenvs in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

venv_args=()
[ -n "$python_request" ] && venv_args=(--python "$python_request")
export UV_NO_PROGRESS=1

# One virtualenv (no project, nothing installed) for the wheel inspection and twine's helpers.
tools_python() {
    if [ ! -x "$work/tools/bin/python" ]; then
        uv venv -q "${venv_args[@]}" "$work/tools" >/dev/null 2>&1 ||
            fail "could not create a virtualenv with uv (python: ${python_request:-uv default})"
        uv pip install -q --python "$work/tools/bin/python" trove-classifiers packaging >/dev/null ||
            fail "could not install trove-classifiers and packaging from PyPI"
    fi
    printf '%s\n' "$work/tools/bin/python"
}

core_wheel=""
build_core_wheel() {
    # The framework packages are smoke-tested against the dockerflow-core of this tree:
    # the wheel checked earlier in this run, or a fresh build of it.
    [ -n "$core_wheel" ] && return
    local version dir
    version=$(read_version "$CORE")
    if [ "$core_checked" -eq 1 ]; then
        dir=dist/$CORE
    else
        dir=$work/core-dist
        say "  building $CORE $version for the smoke test"
        uv build -q --package "$CORE" --no-sources --wheel --out-dir "$dir" ||
            fail "$CORE: uv build failed"
    fi
    core_wheel=$(ls "$dir"/dockerflow_core-"$version"-py3-none-any.whl 2>/dev/null | head -n 1)
    [ -n "$core_wheel" ] || fail "$CORE: no wheel of version $version in $dir"
}
core_checked=0

# Third-party requirements of the smoke test of each framework package.
smoke_extras() {
    case $1 in
    dockerflow-sanic) printf '%s\n' sanic-testing ;;
    esac
}

check_package() {
    local name=$1 version out wheel sdist venv py module started
    started=$SECONDS
    version=$(read_version "$name")
    say "$name $version"
    if [ -n "$tag" ]; then
        [ "$tag" = "$name-v$version" ] ||
            fail "$name: tag '$tag' does not match packages/$name/pyproject.toml (expected tag $name-v$version)"
        say "  tag $tag matches packages/$name/pyproject.toml"
    fi

    # 2. Build only this package, without the workspace's sources, as the release does.
    out=dist/$name
    rm -rf "$out"
    uv build -q --package "$name" --no-sources --out-dir "$out" ||
        fail "$name: uv build --package $name --no-sources failed"
    local dist_stem=${name//-/_}
    wheel=$(ls "$out"/*.whl 2>/dev/null || true)
    sdist=$(ls "$out"/*.tar.gz 2>/dev/null || true)
    [ "$(printf '%s\n' "$wheel" | grep -c .)" -eq 1 ] || fail "$name: expected one wheel in $out, found: ${wheel:-none}"
    [ "$(printf '%s\n' "$sdist" | grep -c .)" -eq 1 ] || fail "$name: expected one sdist in $out, found: ${sdist:-none}"
    case $(basename "$wheel") in
    "$dist_stem-$version-py3-none-any.whl") ;;
    *) fail "$name: the wheel is $(basename "$wheel"), expected $dist_stem-$version-py3-none-any.whl" ;;
    esac
    [ "$(basename "$sdist")" = "$dist_stem-$version.tar.gz" ] ||
        fail "$name: the sdist is $(basename "$sdist"), expected $dist_stem-$version.tar.gz"
    say "  built $wheel and $sdist"

    # 3. What PyPI will say about the metadata.
    uvx -q twine check --strict "$out"/* >"$work/twine.log" 2>&1 || {
        cat "$work/twine.log" >&2
        fail "$name: twine check --strict failed (see above)"
    }
    say "  twine check --strict: passed"

    # 4. The wheel's contents and metadata.
    local subpackages
    subpackages=$(find "packages/$name/src/dockerflow" -mindepth 1 -maxdepth 1 -type d \
        ! -name __pycache__ -printf '%f\n' | sort | tr '\n' ' ')
    [ -n "$subpackages" ] || fail "$name: packages/$name/src/dockerflow has no subpackage"
    local tpy
    tpy=$(tools_python) || exit 1
    "$tpy" -I - "$name" "$version" "$wheel" "$sdist" "$CORE" $subpackages <<'PY' || fail "$name: the built distributions are not releasable (see above)"
import email.parser
import sys
import tarfile
import zipfile

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from trove_classifiers import classifiers as known_classifiers

name, version, wheel_path, sdist_path, core, *subpackages = sys.argv[1:]
stem = name.replace("-", "_")
dist_info = f"{stem}-{version}.dist-info/"
problems = []

with zipfile.ZipFile(wheel_path) as whl:
    names = whl.namelist()
    metadata = email.parser.Parser().parsestr(whl.read(dist_info + "METADATA").decode())

for entry in names:
    if entry.startswith(dist_info):
        continue
    if not entry.startswith("dockerflow/"):
        problems.append(f"wheel: {entry} is outside dockerflow/ (only the namespace may be top-level)")
    elif entry.count("/") < 2:
        problems.append(f"wheel: {entry} is a file directly in the dockerflow/ namespace")
if "dockerflow/__init__.py" in names:
    problems.append("wheel: ships dockerflow/__init__.py, which would break the PEP 420 namespace")
shipped = sorted({e.split("/")[1] for e in names if e.startswith("dockerflow/") and e.count("/") >= 2})
if shipped != sorted(subpackages):
    problems.append(f"wheel: ships dockerflow/{{{','.join(shipped)}}}, the source tree has "
                    f"dockerflow/{{{','.join(sorted(subpackages))}}}")
for sub in shipped:
    if f"dockerflow/{sub}/py.typed" not in names:
        problems.append(f"wheel: no dockerflow/{sub}/py.typed (PEP 561 marker of the leaf package)")
    if f"dockerflow/{sub}/__init__.py" not in names:
        problems.append(f"wheel: no dockerflow/{sub}/__init__.py")
if any("/tests/" in e or e.startswith("tests/") for e in names):
    problems.append("wheel: ships tests")

with tarfile.open(sdist_path) as sdist:
    members = [m.split("/", 1)[1] for m in sdist.getnames() if "/" in m]
for required in ("pyproject.toml", "README.md", "CHANGELOG.md", "PKG-INFO"):
    if required not in members:
        problems.append(f"sdist: no {required}")
if "src/dockerflow/__init__.py" in members:
    problems.append("sdist: ships src/dockerflow/__init__.py")

def field(key):
    return metadata.get_all(key) or []

if field("Name") != [name]:
    problems.append(f"metadata: Name is {field('Name')}, expected {name}")
if field("Version") != [version]:
    problems.append(f"metadata: Version is {field('Version')}, expected {version}")
for key in ("Summary", "Requires-Python"):
    if not "".join(field(key)).strip():
        problems.append(f"metadata: no {key}")
if not (field("License-Expression") or field("License")):
    problems.append("metadata: no License-Expression (nor License)")
if "text/markdown" not in "".join(field("Description-Content-Type")):
    problems.append("metadata: the long description is not the Markdown README")
if len(metadata.get_payload() or "") < 200:
    problems.append("metadata: the long description (README) is nearly empty")
if not field("Project-URL"):
    problems.append("metadata: no Project-URL")
classifiers = field("Classifier")
unknown = [c for c in classifiers if c not in known_classifiers]
if unknown:
    problems.append(f"metadata: classifiers PyPI would reject: {unknown}")
for minor in ("3.10", "3.11", "3.12", "3.13"):
    if f"Programming Language :: Python :: {minor}" not in classifiers:
        problems.append(f"metadata: no 'Programming Language :: Python :: {minor}' classifier")

all_requires = [Requirement(r) for r in field("Requires-Dist")]
# Requirements of optional extras (`extra == "..."`) are not installed by a plain install.
requires = [r for r in all_requires if r.marker is None or "extra" not in str(r.marker)]
if name == core:
    if requires:
        problems.append(f"metadata: {core} must have no dependency, it has {[str(r) for r in requires]}")
else:
    core_reqs = [r for r in requires if r.name == core]
    if not core_reqs:
        problems.append(f"metadata: no dependency on {core}")
    for req in core_reqs:
        ops = {s.operator for s in req.specifier}
        if not ops & {">=", "==", "~=", ">"} or not ops & {"<", "<=", "==", "~="}:
            problems.append(f"metadata: the {core} requirement '{req}' needs a lower and an upper bound")
    if not any(c.startswith("Framework :: ") for c in classifiers):
        print(f"release-check: warning: {name} has no 'Framework :: ...' classifier", file=sys.stderr)
if not any(e.startswith(dist_info) and "/licenses/" in e for e in names):
    print(f"release-check: warning: {name}'s wheel carries no license file", file=sys.stderr)

if problems:
    for p in problems:
        print(f"  - {p}", file=sys.stderr)
    sys.exit(1)
print(f"release-check:   wheel: {len(names)} files, dockerflow/{{{','.join(shipped)}}}, "
      f"no namespace __init__.py, py.typed everywhere; metadata complete", file=sys.stderr)
PY

    # 5. A clean virtualenv with nothing but the wheel (and what it pulls).
    venv=$work/venv-$name
    uv venv -q "${venv_args[@]}" "$venv" >/dev/null 2>&1 || fail "$name: could not create a clean virtualenv"
    py=$venv/bin/python
    local install=("$wheel")
    if [ "$name" != "$CORE" ]; then
        build_core_wheel
        install+=("$core_wheel")
        mapfile -t -O ${#install[@]} install < <(smoke_extras "$name")
    fi
    uv pip install -q --python "$py" "${install[@]}" >"$work/install.log" 2>&1 || {
        cat "$work/install.log" >&2
        fail "$name: installing ${install[*]} into a clean virtualenv failed"
    }
    if [ "$name" = "$CORE" ]; then
        local listed
        listed=$(uv pip list -q --python "$py" --format freeze 2>/dev/null | cut -d= -f1 |
            grep -viE '^(pip|setuptools|wheel)$' | tr '\n' ' ')
        [ "$listed" = "$CORE " ] ||
            fail "$name: installing it pulled more than itself into a clean virtualenv: $listed"
        say "  clean install: only $CORE, no third-party package"
    else
        say "  clean install: $(uv pip list -q --python "$py" --format freeze 2>/dev/null |
            grep -iE '^(dockerflow|django|flask|sanic|blinker|werkzeug|fastapi|starlette)[^=]*==' | tr '\n' ' ')"
    fi

    # Import and smoke-test from an empty directory in isolated mode: nothing of the
    # repository can be on sys.path, only what the wheel installed.
    module=${name#dockerflow-}
    mkdir -p "$work/run-$name"
    (cd "$work/run-$name" && "$py" -I - "$name" "$module" <<'PY') || fail "$name: the installed wheel does not work (see above)"
import importlib
import json
import logging
import os
import sys
import tempfile

name, module = sys.argv[1:]
site = os.path.dirname(os.path.dirname(os.__file__))

import dockerflow

# The checks below make the runner log a traceback on purpose: keep the output readable.
logging.getLogger("dockerflow").setLevel(logging.CRITICAL)

if getattr(dockerflow, "__file__", None) is not None:
    sys.exit(f"dockerflow is a regular package ({dockerflow.__file__}), not a PEP 420 namespace")
for path in dockerflow.__path__:
    if not path.startswith(sys.prefix):
        sys.exit(f"dockerflow is imported from {path}, outside the clean virtualenv {sys.prefix}")

CORE_MODULES = ["dockerflow.logging", "dockerflow.version", "dockerflow.checks", "dockerflow.health",
                "dockerflow.heartbeat", "dockerflow.config", "dockerflow.request", "dockerflow.cli"]
for mod in CORE_MODULES:
    importlib.import_module(mod)

tmp = tempfile.mkdtemp()
VERSION = {"source": "https://example.com/src", "version": "1.2.3", "commit": "abc", "build": "https://example.com/b/1"}
with open(os.path.join(tmp, "version.json"), "w") as fp:
    json.dump(VERSION, fp)


def expect(what, got, wanted):
    if got != wanted:
        sys.exit(f"{what}: got {got!r}, expected {wanted!r}")


def smoke_core():
    from dockerflow import checks, health
    from dockerflow.logging import MozlogFormatter
    from dockerflow.version import get_version

    record = logging.LogRecord("smoke", logging.INFO, __file__, 1, "hello %s", ("world",), None)
    record.extra_value = object()
    line = json.loads(MozlogFormatter(logger_name="smoke").format(record))
    expect("mozlog Fields.msg", line["Fields"]["msg"], "hello world")
    expect("mozlog EnvVersion", line["EnvVersion"], "2.0")
    expect("get_version", get_version(tmp), VERSION)

    def fine():
        return []

    def slow_storage():
        return [checks.Warning("slow", id="smoke.W001")]

    def broken():
        raise RuntimeError("boom")

    results = checks.run_checks([("fine", fine), ("slow_storage", slow_storage), ("broken", broken)], timeout=5)
    expect("run_checks statuses", results.statuses, {"fine": "ok", "slow_storage": "warning", "broken": "error"})
    expect("exception check id", list(results.details["broken"]["messages"]), [health.ERROR_CHECK_EXCEPTION])


def smoke_cli():
    # The `dockerflow` console script of dockerflow-core, as installed by the wheel: it
    # must run from the venv's bin/ with nothing but the standard library.
    import subprocess

    script = os.path.join(sys.prefix, "bin", "dockerflow")
    if not os.path.exists(script):
        sys.exit(f"no console script {script}: [project.scripts] of dockerflow-core")

    def run(*args, input=None):
        return subprocess.run([script, *args], input=input, capture_output=True, text=True, timeout=60)

    for command in ("", "version-json", "probe", "check", "lint-dockerfile", "logs"):
        result = run(*([command] if command else []), "--help")
        expect(f"dockerflow {command} --help", (result.returncode, "examples:" in result.stdout), (0, True))
    path = os.path.join(tmp, "written.json")
    result = run("version-json", "--ci", "none", "--source", "https://example.com/src", "--version", "1.2.3",
                 "--commit", "abc", "--build", "https://example.com/b/1", "-o", path)
    expect("dockerflow version-json", result.returncode, 0)
    expect("dockerflow version-json --check", run("version-json", "--check", path).returncode, 0)
    with open(path) as fp:
        expect("written version.json", json.load(fp), VERSION)
    result = run("logs", "--validate", input=json.dumps({"Timestamp": 10**18, "Type": "t", "Logger": "l",
                 "Hostname": "h", "EnvVersion": "2.0", "Severity": 6, "Pid": 1, "Fields": {}}) + "\n")
    expect("dockerflow logs --validate", (result.returncode, result.stdout), (0, "1 lines: 1 mozlog, 0 not\n"))
    result = run("probe", "--timeout", "1", "http://127.0.0.1:9/")
    expect("dockerflow probe (nothing listening)", result.returncode, 1)
    result = subprocess.run([sys.executable, "-m", "dockerflow.cli", "--help"], capture_output=True, timeout=60)
    expect("python -m dockerflow.cli --help", result.returncode, 0)


def smoke_flask():
    from flask import Flask

    from dockerflow.flask import Dockerflow

    app = Flask("smoke")
    Dockerflow(app, version_path=tmp)
    client = app.test_client()
    expect("flask GET /__lbheartbeat__", client.get("/__lbheartbeat__").status_code, 200)
    expect("flask GET /__heartbeat__", client.get("/__heartbeat__").status_code, 200)
    response = client.get("/__version__")
    expect("flask GET /__version__", (response.status_code, response.get_json()), (200, VERSION))


def smoke_django():
    import django
    from django.conf import settings

    settings.configure(
        DEBUG=False,
        SECRET_KEY="release-check",
        ALLOWED_HOSTS=["*"],
        BASE_DIR=tmp,
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "dockerflow.django"],
        MIDDLEWARE=["dockerflow.django.middleware.DockerflowMiddleware"],
        ROOT_URLCONF="dockerflow.django.urls",
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        DOCKERFLOW_CHECKS=["dockerflow.django.checks.check_database_connected"],
    )
    django.setup()
    from django.test import Client

    client = Client()
    expect("django GET /__lbheartbeat__", client.get("/__lbheartbeat__").status_code, 200)
    expect("django GET /__heartbeat__", client.get("/__heartbeat__").status_code, 200)
    response = client.get("/__version__")
    expect("django GET /__version__", (response.status_code, response.json()), (200, VERSION))


def smoke_sanic():
    from sanic import Sanic

    from dockerflow.sanic import Dockerflow

    app = Sanic("release_check_smoke", configure_logging=False)
    Dockerflow(app, version_path=tmp)
    try:
        import sanic_testing  # noqa: F401
    except ImportError:
        print("release-check:   sanic-testing is not installed: import and setup only", file=sys.stderr)
        return
    _, response = app.test_client.get("/__lbheartbeat__")
    expect("sanic GET /__lbheartbeat__", response.status, 200)
    _, response = app.test_client.get("/__heartbeat__")
    expect("sanic GET /__heartbeat__", response.status, 200)
    _, response = app.test_client.get("/__version__")
    expect("sanic GET /__version__", (response.status, response.json), (200, VERSION))


def smoke_fastapi():
    # FastAPI alone (no httpx, no server): the app is called through the ASGI interface.
    import asyncio

    from fastapi import FastAPI

    from dockerflow.fastapi import router
    from dockerflow.fastapi.middleware import MozlogRequestSummaryLogger, RequestIdMiddleware

    summary = logging.getLogger("request.summary")
    summary.addHandler(logging.NullHandler())  # the middleware adds no stdout handler then
    summary.propagate = False
    app = FastAPI()
    app.include_router(router)
    app.add_middleware(MozlogRequestSummaryLogger)
    app.add_middleware(RequestIdMiddleware)
    app.state.APP_DIR = tmp

    async def call(method, path):
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
                 "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
                 "root_path": "", "headers": [(b"host", b"smoke")], "client": ("127.0.0.1", 1),
                 "server": ("127.0.0.1", 80)}
        sent = []

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            sent.append(message)

        try:
            await app(scope, receive, send)
        except Exception as exc:  # /__error__ raises on to the server after its 500
            sent.append({"type": "raised", "exc": exc})
        status = next(m["status"] for m in sent if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        return status, body

    async def main():
        expect("fastapi GET /__lbheartbeat__", await call("GET", "/__lbheartbeat__"), (200, b'{"status":"ok"}'))
        status, body = await call("GET", "/__heartbeat__")
        expect("fastapi GET /__heartbeat__", (status, json.loads(body)["status"]), (200, "ok"))
        status, body = await call("GET", "/__version__")
        expect("fastapi GET /__version__", (status, json.loads(body)), (200, VERSION))
        expect("fastapi GET /__error__", (await call("GET", "/__error__"))[0], 500)

    asyncio.run(main())


smoke_core()
smoke_cli()
if name != "dockerflow-core":
    mod = importlib.import_module(f"dockerflow.{module}")
    if not mod.__file__.startswith(sys.prefix):
        sys.exit(f"dockerflow.{module} is imported from {mod.__file__}, outside the clean virtualenv")
    smoke = globals().get(f"smoke_{module}")
    if smoke is None:
        print(f"release-check:   no smoke test for dockerflow.{module}: imported only", file=sys.stderr)
    else:
        smoke()
print(f"release-check:   python {sys.version.split()[0]}: imports from the wheel and smoke test passed",
      file=sys.stderr)
PY
    [ "$name" = "$CORE" ] && core_checked=1
    say "  $name $version: ready to release (tag $name-v$version) [$((SECONDS - started))s]"
}

for name in "${packages[@]}"; do
    [ -d "packages/$name" ] || fail "$name: no such package (known: $(all_packages | tr '\n' ' '))"
    check_package "$name"
done
say "all good: ${packages[*]}"
