"""The ``dockerflow`` command: the shell snippets every Dockerflow project writes by hand.

Installed with ``dockerflow-core`` as the ``dockerflow`` console script (and runnable as
``python -m dockerflow.cli``, since ``dockerflow`` itself is a namespace package)::

    dockerflow version-json           # write /app/version.json from the CI's environment
    dockerflow probe                  # HEALTHCHECK / exec probe, no curl in the image
    dockerflow check URL              # a running service against the Dockerflow spec
    dockerflow lint-dockerfile PATH   # a Dockerfile against the spec's requirements
    dockerflow logs --pretty          # mozlog JSON on stdin, readable (or --validate)

Standard library only, and no web framework is ever imported. Each subcommand lives
in its own module, imported only when it runs, so ``dockerflow probe`` loads little
more than :mod:`argparse` and :mod:`socket`.

Exit status, for every subcommand: :data:`EXIT_OK` (0) when everything passed,
:data:`EXIT_FAILED` (1) when the probe, a rule or a line failed, :data:`EXIT_USAGE` (2)
for a usage error or an input that cannot be read at all.
"""

from __future__ import annotations

import importlib
import sys

# Annotations only: importing typing or collections.abc would slow `dockerflow probe`.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "main"]

#: Everything passed.
EXIT_OK = 0
#: The probe failed, a rule failed, a line is not mozlog, a value is missing.
EXIT_FAILED = 1
#: Bad arguments, or an input that cannot be read at all.
EXIT_USAGE = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``dockerflow`` command with ``argv`` (default: ``sys.argv[1:]``).

    :returns: the exit status (see the module's documentation).
    """
    words = list(sys.argv[1:] if argv is None else argv)
    if words[:1] == ["probe"]:  # the fast path of HEALTHCHECK: no argparse
        from ._probe import quick_args, run

        probe_args = quick_args(words[1:])
        if probe_args is not None:
            return run(probe_args)

    from ._parser import build_parser

    parser = build_parser()
    args = parser.parse_args(words)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    module = importlib.import_module(f"{__name__}.{args.module}")
    status: int = module.run(args)
    return status
