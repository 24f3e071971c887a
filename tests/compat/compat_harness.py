"""The differential (compat) suite: the same scenario under the reference and under ours.

How it works
============

A *scenario* is a function ``test_<name>(obs)`` in one of the ``test_compat_*.py`` files,
decorated with :func:`scenario`. The decorator turns it into a pytest test that runs the
function's source twice, in two subprocesses:

* under the released reference library, ``dockerflow==2026.3.4``, installed with uv in a
  virtualenv of its own (it ships ``dockerflow/__init__.py`` and can never share an
  environment with our namespace packages), built on first use and kept, per
  requirements, under the temporary directory (:func:`reference_python`);
* under our workspace environment (the interpreter running pytest).

Each run records its observations through ``obs`` (see :mod:`compat_observe`): HTTP
answers, the log records a user's handler sees, return values, raised exceptions. The
two sets of observations are compared (:func:`compare`); every difference must be
listed in :data:`intended.INTENDED` (with its reason and its entry in
``docs/migration.rst``), any other one fails the test. A dict key only our run has is an
addition, which is allowed, except at the top level of the observations.

Adding a scenario
=================

::

    from compat_harness import scenario

    @scenario
    def test_flask_summary_of_a_404(obs):
        # Runs in a subprocess: import everything here. The working directory is a
        # fresh temporary directory; `obs.params` holds the JSON `params` below.
        from flask import Flask
        from dockerflow.flask import Dockerflow

        app = Flask(__name__)
        Dockerflow(app)
        with obs.capture_logs("logs"):
            answer = app.test_client().get("/missing")
        obs.response("answer", answer.status_code, answer.headers, answer.data)

The function must be self-contained (its body is all that runs: imports, helpers and
constants inside it). ``@scenario(params=fn)`` passes JSON parameters computed by
``fn(request)`` from pytest fixtures, e.g. the URL of the session's real Redis server::

    @scenario(params=lambda request: {"redis_url": request.getfixturevalue("redis_service").url})
    def test_flask_redis_heartbeat(obs):
        ...

The reference virtualenv gets the requirements of :data:`REFERENCE_REQUIREMENTS`, at the
versions installed in our environment where ours has them, so both runs use the same
framework releases; add a requirement there when a scenario needs one.
"""

from __future__ import annotations

import ast
import fcntl
import functools
import hashlib
import importlib.metadata
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
MIGRATION_GUIDE = ROOT / "docs" / "migration.rst"

#: The pinned reference release.
REFERENCE = "dockerflow[django,fastapi,flask,sanic]==2026.3.4"
#: What else the reference virtualenv needs for the scenarios (the frameworks' extensions
#: and test tools). Versions follow our environment where it has the distribution.
REFERENCE_REQUIREMENTS = (
    REFERENCE,
    "flask-sqlalchemy",
    "flask-migrate",
    "flask-login",
    "flask-redis",
    "redis",
    "sanic-redis",
    "sanic-testing",
    "django-redis",
    "psycopg[binary]",
    "httpx",
    "asgiref",
)
#: Seconds a scenario run may take before it counts as hung.
RUN_TIMEOUT = 120


# -- the reference virtualenv ---------------------------------------------------------------


def _uv() -> str:
    for candidate in (shutil.which("uv"), str(Path.home() / ".local" / "bin" / "uv")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail("compat: uv is not installed (scripts/bootstrap.sh installs it)", pytrace=False)


def _name(requirement: str) -> str:
    return re.split(r"[\[=<>!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _constraints() -> list[str]:
    """``name==version`` for every distribution of our environment a reference
    requirement (or one of its dependencies) may pull, our own packages excepted."""
    pins = []
    for dist in importlib.metadata.distributions():
        name = (dist.metadata["Name"] or "").lower().replace("_", "-")
        if name and not name.startswith("dockerflow"):
            pins.append(f"{name}=={dist.version}")
    return sorted(set(pins))


@functools.cache
def reference_python() -> Path:
    """The interpreter of the reference virtualenv, built with uv when missing.

    The virtualenv lives under the temporary directory, named after a hash of the
    requirements, the constraints and our Python version, so it is built once and reused
    until one of them changes. A lock file keeps concurrent sessions from building it
    twice. Building needs the package index; when it fails the test fails (never skips).
    """
    requirements = list(REFERENCE_REQUIREMENTS)
    constraints = _constraints()
    key = hashlib.sha256(
        json.dumps([requirements, constraints, sys.version, sys.executable]).encode()
    ).hexdigest()[:16]
    venv = Path(tempfile.gettempdir()) / f"dockerflow-compat-reference-{key}"
    python = venv / "bin" / "python"
    ready = venv / ".compat-ready"
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{venv}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if ready.exists() and python.exists():
            return python
        shutil.rmtree(venv, ignore_errors=True)
        uv = _uv()
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PYTHON")}
        constraints_file = Path(f"{venv}.constraints.txt")
        constraints_file.write_text("\n".join(constraints) + "\n")
        steps = [
            [uv, "venv", "--quiet", "--python", sys.executable, str(venv)],
            [uv, "pip", "install", "--quiet", "--python", str(python),
             "-c", str(constraints_file), *requirements],
        ]  # fmt: skip
        for step in steps:
            done = subprocess.run(step, env=env, capture_output=True, text=True, timeout=600)
            if done.returncode != 0:
                pytest.fail(
                    f"compat: could not build the reference virtualenv ({' '.join(step)}):\n"
                    f"{done.stdout}{done.stderr}",
                    pytrace=False,
                )
        ready.write_text(" ".join(requirements) + "\n")
        return python


# -- running a scenario ---------------------------------------------------------------------


@dataclass
class Run:
    """One run of a scenario: its observations and what it wrote to stderr."""

    observations: dict[str, Any]
    stderr: str


def _scenario_source(func: Callable[..., Any]) -> str:
    """The source of ``func``'s definition, without its decorators."""
    source = textwrap.dedent(inspect.getsource(func))
    tree = ast.parse(source)
    node = tree.body[0]
    assert isinstance(node, ast.FunctionDef), f"{func.__name__} is not a plain function"
    lines = source.splitlines()
    return "\n".join(lines[node.lineno - 1 : node.end_lineno]) + "\n"


_PROGRAM = """\
from __future__ import annotations
import sys
sys.path.insert(0, {support!r})
from compat_observe import run

{source}

run({name}, {params!r}, {output!r})
"""


def _start(python: Path, func_source: str, name: str, params: dict[str, Any], workdir: Path) -> Any:
    workdir.mkdir(parents=True, exist_ok=True)
    output = workdir / "observations.json"
    program = _PROGRAM.format(
        support=str(HERE), source=func_source, name=name, params=params, output=str(output)
    )
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "UV_"))
    }
    env.update(PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1")
    script = workdir / "scenario.py"
    script.write_text(program, encoding="utf-8")
    process = subprocess.Popen(
        [str(python), str(script)],
        cwd=workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return process, output


def _finish(started: Any, label: str) -> Run:
    process, output = started
    try:
        text, _ = process.communicate(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        text, _ = process.communicate()
        pytest.fail(f"compat: the {label} run hung for {RUN_TIMEOUT}s:\n{text}", pytrace=False)
    if not output.exists():
        pytest.fail(f"compat: the {label} run wrote no observations:\n{text}", pytrace=False)
    return Run(json.loads(output.read_text()), text)


def run_source(
    python: Path, source: str, name: str, params: dict[str, Any], workdir: Path, label: str
) -> Run:
    """Run ``name(obs)`` defined by ``source`` under ``python`` (used by the surface test)."""
    return _finish(_start(python, source, name, params, workdir), label)


def run_both(
    func: Callable[..., Any], params: dict[str, Any] | None = None, *, workdir: Path
) -> tuple[Run, Run]:
    """Run the scenario ``func`` under the reference and under ours, concurrently."""
    source = _scenario_source(func)
    params = params or {}
    started_ref = _start(reference_python(), source, func.__name__, params, workdir / "reference")
    started_ours = _start(Path(sys.executable), source, func.__name__, params, workdir / "ours")
    return _finish(started_ref, "reference"), _finish(started_ours, "our")


# -- comparing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """One observation that differs: ``path`` (e.g. ``logs[1].message``) and both values
    (:data:`MISSING` when the path does not exist on that side)."""

    scenario: str
    path: str
    reference: Any
    ours: Any

    def __str__(self) -> str:
        return (
            f"{self.scenario}: {self.path}\n"
            f"    reference: {json.dumps(self.reference)[:600]}\n"
            f"    ours:      {json.dumps(self.ours)[:600]}"
        )


MISSING = "<missing>"


def diff(reference: Any, ours: Any, scenario: str, path: str = "") -> Iterator[Difference]:
    """Every difference between two observation trees. A dict key that only ``ours``
    has is an addition, not a difference, except at the top level."""
    if isinstance(reference, dict) and isinstance(ours, dict):
        for key, value in reference.items():
            sub = f"{path}.{key}" if path else key
            if key not in ours:
                yield Difference(scenario, sub, value, MISSING)
            else:
                yield from diff(value, ours[key], scenario, sub)
        if not path:
            for key in ours.keys() - reference.keys():
                yield Difference(scenario, key, MISSING, ours[key])
        return
    if isinstance(reference, list) and isinstance(ours, list) and len(reference) == len(ours):
        for index, (left, right) in enumerate(zip(reference, ours, strict=True)):
            yield from diff(left, right, scenario, f"{path}[{index}]")
        return
    if reference != ours:
        yield Difference(scenario, path, reference, ours)


def unintended(differences: Iterator[Difference]) -> list[Difference]:
    """The differences that no entry of :data:`intended.INTENDED` covers."""
    from intended import INTENDED

    return [d for d in differences if not any(entry.covers(d) for entry in INTENDED)]


def compare(reference: Run, ours: Run, scenario_name: str) -> None:
    """Fail, listing them, when the two runs differ other than intended.

    A scenario that raises under the reference, or records nothing, is broken (it would
    compare equal and prove nothing): that fails too. Use ``obs.outcome`` to observe an
    exception on purpose.
    """
    if "__raised__" in reference.observations:
        pytest.fail(
            f"compat: the scenario {scenario_name} raised under the reference:\n"
            f"{reference.stderr[-4000:]}",
            pytrace=False,
        )
    if not reference.observations:
        pytest.fail(f"compat: the scenario {scenario_name} recorded nothing", pytrace=False)
    found = unintended(diff(reference.observations, ours.observations, scenario_name))
    if found:
        listing = "\n".join(str(d) for d in found)
        pytest.fail(
            f"{len(found)} unintended difference(s) from the reference:\n{listing}\n\n"
            f"--- reference run output ---\n{reference.stderr[-4000:]}\n"
            f"--- our run output ---\n{ours.stderr[-4000:]}",
            pytrace=False,
        )


# -- the public surface ----------------------------------------------------------------------


def _by_kind(params: list[list[Any]]) -> tuple[list[list[Any]], dict[str, list[Any]], bool, bool]:
    positional = [p for p in params if p[1] in ("POSITIONAL_ONLY", "POSITIONAL_OR_KEYWORD")]
    named = {p[0]: p for p in params if p[1] in ("POSITIONAL_OR_KEYWORD", "KEYWORD_ONLY")}
    var_args = any(p[1] == "VAR_POSITIONAL" for p in params)
    var_kwargs = any(p[1] == "VAR_KEYWORD" for p in params)
    return positional, named, var_args, var_kwargs


def signature_problems(
    reference: list[list[Any]] | None, ours: list[list[Any]] | None
) -> list[str]:
    """Why a call written against the ``reference`` signature would fail against ``ours``
    (both as ``[name, kind, has_default]`` lists); empty when every such call still works.

    A positional parameter must stay at its position with its name (callers pass it
    either way), a keyword must still be accepted, a parameter with a default keeps one,
    and a parameter we add must have a default.
    """
    if reference is None:
        return []
    if ours is None:
        return ["our signature cannot be inspected"]
    problems = []
    ref_pos, ref_named, ref_var_args, ref_var_kwargs = _by_kind(reference)
    our_pos, our_named, our_var_args, our_var_kwargs = _by_kind(ours)
    matched: set[str] = set()
    for index, (name, kind, has_default) in enumerate(ref_pos):
        if index < len(our_pos):
            ours_param = our_pos[index]
            if kind == "POSITIONAL_OR_KEYWORD" and ours_param[0] != name:
                problems.append(f"positional parameter {index} is {ours_param[0]!r}, not {name!r}")
            if has_default and not ours_param[2]:
                problems.append(f"parameter {name!r} lost its default")
            matched.add(ours_param[0])
        elif not our_var_args:
            problems.append(f"positional parameter {name!r} (position {index}) is not accepted")
    for name, (_, kind, has_default) in ref_named.items():
        if kind != "KEYWORD_ONLY":
            continue
        if name in our_named:
            if has_default and not our_named[name][2]:
                problems.append(f"keyword {name!r} lost its default")
            matched.add(name)
        elif not our_var_kwargs:
            problems.append(f"keyword {name!r} is not accepted")
    if ref_var_args and not our_var_args:
        problems.append("*args is not accepted")
    if ref_var_kwargs and not our_var_kwargs:
        problems.append("**kwargs is not accepted")
    for name, kind, has_default in ours:
        if (
            name not in matched
            and kind
            in (
                "POSITIONAL_OR_KEYWORD",
                "KEYWORD_ONLY",
                "POSITIONAL_ONLY",
            )
            and not has_default
        ):
            problems.append(f"our extra parameter {name!r} has no default")
    return problems


def _object_problems(where: str, reference: dict[str, Any], ours: dict[str, Any]) -> list[str]:
    if reference["kind"] == "class" and ours["kind"] != "class":
        return [f"{where}: a class in the reference, a {ours['kind']} in ours"]
    if reference["kind"] in ("class", "callable"):
        if ours["kind"] not in ("class", "callable"):
            return [f"{where}: callable in the reference, a {ours['kind']} in ours"]
        found = [
            f"{where}: {p}" for p in signature_problems(reference["signature"], ours["signature"])
        ]
    else:
        found = []
    for name, member in reference.get("members", {}).items():
        ours_member = ours.get("members", {}).get(name)
        if ours_member is None:
            found.append(f"{where}.{name}: missing")
        elif member["kind"] in ("class", "callable"):
            found.extend(_object_problems(f"{where}.{name}", member, ours_member))
    return found


def surface_problems(reference: dict[str, Any], ours: dict[str, Any]) -> list[str]:
    """Every module, name, member or signature of the reference surface that ours lacks."""
    problems = []
    for module, described in reference.items():
        mine = ours.get(module, {"error": "not inspected"})
        if "error" in described:
            problems.append(
                f"{module}: the reference itself fails to import it: {described['error']}"
            )
            continue
        if "error" in mine:
            problems.append(f"{module}: does not import: {mine['error']}")
            continue
        for name, obj in described["names"].items():
            if name not in mine["names"]:
                problems.append(f"{module}.{name}: missing")
            else:
                problems.extend(_object_problems(f"{module}.{name}", obj, mine["names"][name]))
    return problems


# -- the decorator ----------------------------------------------------------------------------


def scenario(
    func: Callable[..., Any] | None = None,
    *,
    params: Callable[[pytest.FixtureRequest], dict[str, Any]] | None = None,
) -> Any:
    """Make ``func`` (``def test_<name>(obs)``) a differential test; see the module doc."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        if not func.__name__.startswith("test_"):
            raise ValueError(f"a scenario's name must start with test_: {func.__name__}")

        def test(request: pytest.FixtureRequest, tmp_path: Path) -> None:
            values = params(request) if params is not None else {}
            reference, ours = run_both(func, values, workdir=tmp_path)
            compare(reference, ours, func.__name__.removeprefix("test_"))

        # pytest must see (request, tmp_path), not the scenario's (obs).
        test.__signature__ = inspect.signature(  # type: ignore[attr-defined]
            lambda request, tmp_path: None
        )
        test.__name__ = test.__qualname__ = func.__name__
        test.__module__, test.__doc__ = func.__module__, func.__doc__
        test.__wrapped_scenario__ = func  # type: ignore[attr-defined]
        return test

    return decorate(func) if func is not None else decorate
