"""The ``dockerflow`` command as a whole: help, exit codes, and what it imports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cli_support import EXAMPLES, dockerflow
from services import free_port

COMMANDS = ["version-json", "probe", "check", "lint-dockerfile", "logs"]
FRAMEWORKS = {"flask", "django", "sanic", "fastapi", "starlette", "werkzeug", "orjson"}


def test_help_of_the_command():
    result = dockerflow("--help")
    assert result.returncode == 0
    for command in COMMANDS:
        assert f"    {command}" in result.stdout
    assert "examples:" in result.stdout
    assert "exit status:" in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_help_of_each_subcommand_has_examples_and_exit_codes(command):
    result = dockerflow(command, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith(f"usage: dockerflow {command} ")
    examples = result.stdout.split("examples:\n", 1)[1]
    assert f"dockerflow {command}" in examples
    assert "exit status:\n  0  " in result.stdout
    assert "  2  usage error" in result.stdout


def test_no_command_is_a_usage_error():
    result = dockerflow()
    assert result.returncode == 2
    assert result.stderr.startswith("usage: dockerflow ")
    result = dockerflow("frobnicate")
    assert result.returncode == 2
    assert "invalid choice: 'frobnicate'" in result.stderr


def test_no_subcommand_imports_a_framework(tmp_path: Path):
    """Each subcommand runs on the standard library alone, whatever else is installed."""
    port = free_port()
    (tmp_path / "version.json").write_text(
        json.dumps({"source": "s", "version": "", "commit": "c", "build": "b"})
    )
    runs = [
        ["version-json", "--check", str(tmp_path / "version.json")],
        [
            "version-json",
            "--ci",
            "none",
            "--source",
            "s",
            "--commit",
            "c",
            "--build",
            "b",
            "-o",
            "-",
        ],
        ["probe", "--heartbeat", f"http://127.0.0.1:{port}"],
        ["check", "--samples", "1", f"http://127.0.0.1:{port}"],
        ["lint-dockerfile", str(EXAMPLES / "flask" / "Dockerfile")],
        ["logs", "--validate"],
        ["logs", "--pretty"],
    ]
    for argv in runs:
        script = (
            "import sys, io\n"
            "from dockerflow.cli import main\n"
            'sys.stdin = io.TextIOWrapper(io.BytesIO(b\'{"Type": "t"}\\n\'))\n'
            f"status = main({argv!r})\n"
            "sys.stderr.write('MODULES ' + ' '.join(sorted(sys.modules)) + '\\n')\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=False
        )
        assert "Traceback" not in result.stderr, result.stderr
        modules = set(result.stderr.rsplit("MODULES ", 1)[1].split())
        assert not modules & FRAMEWORKS, (argv, modules & FRAMEWORKS)
        ours = {m for m in modules if m.startswith("dockerflow.")}
        assert ours <= {"dockerflow.cli", "dockerflow.version"} | {
            m for m in ours if m.startswith("dockerflow.cli.")
        }, (argv, ours)
