"""``dockerflow probe`` against real servers on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_support import ROOT, dockerflow
from services import free_port


def test_probe_passes_against_the_flask_example(example):
    server = example("flask")
    result = dockerflow("probe", env={**os.environ, "PORT": str(server.port)})
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    result = dockerflow("probe", "--heartbeat", server.url)
    assert (result.returncode, result.stderr) == (0, "")
    result = dockerflow("probe", f"127.0.0.1:{server.port}/__version__")
    assert (result.returncode, result.stderr) == (0, "")


def test_probe_names_the_failing_checks(test_server):
    server = test_server("failing")
    result = dockerflow("probe", "--heartbeat", server.url)
    assert result.returncode == 1
    assert result.stdout == ""
    line = result.stderr.strip()
    assert "\n" not in line
    assert line == (
        f"dockerflow probe: {server.url}/__heartbeat__: 500 Internal Server Error; "
        "failing: check_database_connected (dockerflow.health.E001)"
    )
    # The load-balancer heartbeat of the same service passes.
    assert dockerflow("probe", server.url).returncode == 0


def test_probe_fails_on_a_status_that_is_not_2xx(test_server):
    server = test_server("broken")
    result = dockerflow("probe", server.url)  # /__lbheartbeat__ redirects
    assert result.returncode == 1
    assert result.stderr.strip() == f"dockerflow probe: {server.url}/__lbheartbeat__: 302 Found"


def test_probe_gives_up_on_a_server_that_never_answers(test_server):
    server = test_server("hang")
    result = dockerflow("probe", "--timeout", "0.5", server.url, timeout=30)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"dockerflow probe: {server.url}/__lbheartbeat__: no answer within 0.5 s"
    )


def test_probe_refused():
    port = free_port()
    result = dockerflow("probe", env={**os.environ, "PORT": str(port)})
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"dockerflow probe: http://127.0.0.1:{port}/__lbheartbeat__: "
        f"connection refused on 127.0.0.1:{port}"
    )


def test_probe_default_port_is_8000():
    env = {k: v for k, v in os.environ.items() if k != "PORT"}
    result = dockerflow("probe", "--timeout", "1", env=env)
    assert "http://127.0.0.1:8000/__lbheartbeat__" in result.stderr


def test_probe_usage_errors():
    # What the probe is given at run time fails it with 1: Docker reserves 2.
    result = dockerflow("probe", "ftp://127.0.0.1/")
    assert result.returncode == 1
    assert "unsupported URL scheme 'ftp'" in result.stderr
    result = dockerflow("probe", env={**os.environ, "PORT": "eighty"})
    assert result.returncode == 1
    assert result.stderr == (
        "dockerflow probe: http://127.0.0.1:eighty/__lbheartbeat__: "
        "the URL's port is not a number in 1-65535\n"
    )
    result = dockerflow("probe", "--timeout", "0")
    assert result.returncode == 2
    assert "must be a positive number of seconds" in result.stderr
    result = dockerflow("probe", "http://127.0.0.1:99999/")
    assert result.returncode == 1
    assert "port" in result.stderr


def test_probe_imports_no_framework_and_no_http_client(tmp_path: Path):
    """What ``dockerflow probe`` loads: the standard library's socket layer, no framework."""
    port = free_port()
    script = (
        "import sys\n"
        "from dockerflow.cli import main\n"
        f"status = main(['probe', 'http://127.0.0.1:{port}/'])\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    modules = set(result.stdout.split())
    assert "dockerflow.cli._probe" in modules
    frameworks = {"flask", "django", "sanic", "fastapi", "starlette", "werkzeug", "orjson"}
    assert not modules & frameworks
    assert (
        not {"http.client", "ssl", "email", "argparse", "typing", "urllib.parse", "socket"}
        & modules
    )
    assert not {m for m in modules if m.startswith("dockerflow.") and "cli" not in m}


def test_console_script_is_installed():
    """``dockerflow`` is a console script of dockerflow-core (see packages/dockerflow-core)."""
    script = Path(sys.executable).parent / "dockerflow"
    assert script.exists(), script
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    for command in ("version-json", "probe", "check", "lint-dockerfile", "logs"):
        assert command in result.stdout
    pyproject = (ROOT / "packages" / "dockerflow-core" / "pyproject.toml").read_text()
    assert 'dockerflow = "dockerflow.cli:main"' in pyproject


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--heartbeat"],
        ["http://h:1/x", "--timeout", "0.5"],
        ["--timeout=3", "h:9", "--heartbeat"],
    ],
)
def test_quick_arguments_read_like_argparse(argv):
    """The probe's fast path reads its arguments exactly as the full parser does."""
    from dockerflow.cli._parser import build_parser
    from dockerflow.cli._probe import quick_args

    quick = quick_args(argv)
    full = build_parser().parse_args(["probe", *argv])
    assert quick is not None
    assert (quick.url, quick.heartbeat, quick.timeout) == (full.url, full.heartbeat, full.timeout)


@pytest.mark.parametrize(
    "argv",
    [["-h"], ["--timeout"], ["--timeout", "-1"], ["--timeout", "nan"], ["a", "b"], ["--x"]],
)
def test_anything_else_goes_to_argparse(argv):
    from dockerflow.cli._probe import quick_args

    assert quick_args(argv) is None
    result = dockerflow("probe", *argv)
    if argv == ["-h"]:
        assert (result.returncode, result.stdout[:22]) == (0, "usage: dockerflow prob")
    else:
        assert result.returncode == 2
        assert "usage: dockerflow" in result.stderr
        assert "error:" in result.stderr


def test_probe_over_ipv6_loopback_and_a_host_name(example):
    """Addresses come from the resolver, one after the other (``localhost``: ::1, 127.0.0.1)."""
    server = example("sanic")
    result = dockerflow("probe", f"http://localhost:{server.port}")
    assert (result.returncode, result.stderr) == (0, "")
    # Nothing listens on ::1 at this port: refused, named.
    result = dockerflow("probe", f"http://[::1]:{server.port}/")
    assert result.returncode == 1
    assert result.stderr.startswith(
        f"dockerflow probe: http://[::1]:{server.port}/__lbheartbeat__: "
    )
