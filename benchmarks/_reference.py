"""Fetch the reference ``dockerflow`` distribution for side-by-side measurements.

The reference library is never installed into the workspace (its
``dockerflow/__init__.py`` would hide our namespace package). Benchmarks that
compare against it either load one of its stdlib-only modules under another name
(:func:`load_reference_module`) or run it in a virtualenv of its own
(:func:`reference_python`). Nothing of it is committed: it is downloaded from PyPI
into ``.venvs/`` (git-ignored) on first use.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".venvs" / "reference"
REFERENCE_VERSION = os.environ.get("DOCKERFLOW_REFERENCE_VERSION", "2026.3.4")


def reference_tree() -> Path:
    """Install the reference distribution (once) into a plain directory; return it."""
    target = CACHE / f"tree-{REFERENCE_VERSION}"
    if not (target / "dockerflow" / "logging.py").exists():
        subprocess.run(
            [
                "uv", "pip", "install", "--quiet", "--no-deps", "--python", sys.executable,
                "--target", str(target), f"dockerflow=={REFERENCE_VERSION}",
            ],
            check=True,
        )  # fmt: skip
    return target


def load_reference_module(member: str, name: str) -> ModuleType:
    """Import ``member`` (e.g. ``dockerflow/logging.py``) of the reference library as ``name``.

    Only for modules that import nothing but the standard library.
    """
    spec = importlib.util.spec_from_file_location(name, reference_tree() / member)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def reference_python(*requirements: str) -> Path:
    """A virtualenv with the reference library and ``requirements``; returns its python."""
    key = (
        "-".join(sorted(r.split("=")[0].split("<")[0].split(">")[0] for r in requirements))
        or "bare"
    )
    venv = CACHE / f"venv-{key}"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run(["uv", "venv", "--quiet", "-p", sys.executable, str(venv)], check=True)
        command = ["uv", "pip", "install", "--quiet", "-p", str(python)]
        subprocess.run(
            [*command, f"dockerflow=={REFERENCE_VERSION}", *requirements],
            check=True,
        )
    return python
