"""The mozlog stream handler."""

from __future__ import annotations

import logging
import sys
from typing import IO, Any

from .formatter import MozlogFormatter

__all__ = ["MozlogHandler"]


class MozlogHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler that writes mozlog JSON, to stdout unless told otherwise.

    :param stream: where to write (default :data:`sys.stdout`).
    :param name: the ``Logger`` field of every record (the application's name).

    In a ``LOGGING`` dict::

        "handlers": {
            "console": {"class": "dockerflow.logging.MozlogHandler", "name": "myproject"},
        }
    """

    def __init__(
        self, stream: IO[str] | None = None, name: str = "Dockerflow", **kwargs: Any
    ) -> None:
        super().__init__(stream if stream is not None else sys.stdout)
        self.setFormatter(MozlogFormatter(logger_name=name))

    def emit(self, record: logging.LogRecord) -> None:
        """Write ``record`` as one line and flush.

        Our own rather than :meth:`logging.StreamHandler.emit`, which some tools
        replace at runtime (Sanic's command line installs a coloured traceback
        printer there): the one-line-of-JSON promise must not depend on them.
        """
        try:
            line = self.format(record) + self.terminator
            stream = self.stream
            stream.write(line)
            stream.flush()
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)
