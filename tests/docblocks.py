"""The Python code blocks of the project's documentation, for tests that run them as
written (a README's ```` ```python ```` fences, a Sphinx page's ``.. code-block:: python``)."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).parents[1]

_MARKDOWN = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
_RST = re.compile(r"^\.\. code-block:: python\n\n((?:(?:[ \t]+.*)?\n)+)", re.M)


def python_blocks(relative_path: str) -> list[str]:
    """Every Python code block of the file at ``relative_path`` (from the repository's
    root), dedented, in the order they appear."""
    text = (ROOT / relative_path).read_text(encoding="utf-8")
    pattern = _MARKDOWN if relative_path.endswith(".md") else _RST
    return [textwrap.dedent(block).strip() + "\n" for block in pattern.findall(text)]


def python_block(relative_path: str, containing: str) -> str:
    """The one Python code block of ``relative_path`` that contains ``containing``."""
    [block] = [b for b in python_blocks(relative_path) if containing in b]
    return block


def run_script(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` (an application module around a documented block) in a Python
    process of its own, so the logging it configures leaves the test's untouched."""
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
