"""The check message classes and levels, importable from the Flask package.

The same objects as :mod:`dockerflow.checks.messages` (``Debug``, ``Info``, ``Warning``,
``Error``, ``Critical``, ``CheckMessage``, the level constants and ``level_to_text``),
also at this path, where the reference library has them::

    from dockerflow.flask.checks.messages import Error
"""

from __future__ import annotations

from dockerflow.checks.messages import *  # noqa: F403
from dockerflow.checks.messages import __all__ as __all__
