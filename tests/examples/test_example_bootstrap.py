"""A failed bootstrap stops the scripts at once, with bootstrap's own message (a bare
``eval "$(bootstrap.sh)"`` threw its exit status away: the scripts went on and died on
``uv: not found``)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from example_harness import ROOT

#: What the scripts run before bootstrap decides; neither uv nor python3 among them.
TOOLS = ("bash", "cat", "dirname", "mktemp", "od", "rm", "tr")


@pytest.mark.parametrize(
    "script",
    ["examples/flask/run.sh", "examples/django/run.sh", "examples/sanic/run.sh", "scripts/test.sh"],
)
def test_failed_bootstrap_stops_with_its_message(tmp_path: Path, script: str) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path)}
    done = subprocess.run(
        [str(bin_dir / "bash"), str(ROOT / script)],
        env=env,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert done.stderr.strip() == "bootstrap: error: uv is missing and no python3 to install it"
    assert done.stdout == ""
    assert "not found" not in done.stderr and os.sep + "uv" not in done.stderr
