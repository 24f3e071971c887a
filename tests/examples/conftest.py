"""The example tests start each example exactly as its README says (its ``run.sh``)."""

from __future__ import annotations

import sys
from pathlib import Path

# --import-mode=importlib: make example_harness importable by the tests next to it.
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
