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
    :param name: the ``Logger`` field of every record it writes (the application's
        name), kept as :attr:`logger_name`.

    When it handles a record it sets ``record.logger_name`` to its name, as the
    reference library's handler does: its name wins over the ``logger_name`` of the
    formatter, so a configuration that attaches a formatter of its own still writes
    the handler's name, and the handlers after it (``caplog``, another stream) see the
    same ``logger_name``. In a ``LOGGING`` dict::

        "handlers": {
            "console": {
                "class": "dockerflow.logging.MozlogHandler",
                "name": "myproject",
                "formatter": "json",  # optional: a MozlogFormatter is set already
            },
        }

    and in a :func:`logging.config.fileConfig` ini file::

        [handler_console]
        class = dockerflow.logging.MozlogHandler
        args = (sys.stdout, "myproject")
    """

    def __init__(
        self, stream: IO[str] | None = None, name: str = "Dockerflow", **kwargs: Any
    ) -> None:
        super().__init__(stream if stream is not None else sys.stdout)
        #: The ``Logger`` field of the records this handler handles.
        self.logger_name = name
        self.setFormatter(MozlogFormatter(logger_name=name))

    def emit(self, record: logging.LogRecord) -> None:
        """Set ``record.logger_name``, then write the record as one line and flush.

        Our own rather than :meth:`logging.StreamHandler.emit`, which some tools
        replace at runtime (Sanic's command line installs a coloured traceback
        printer there): the one-line-of-JSON promise must not depend on them.
        """
        record.logger_name = self.logger_name
        try:
            line = self.format(record) + self.terminator
            stream = self.stream
            stream.write(line)
            stream.flush()
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)
