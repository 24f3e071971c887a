"""``manage.py migrate``, its progress written as log records instead of plain lines.

Django's own command prints "Operations to perform:", "Applying ... OK" to stdout with
``print``-like writes that no logging configuration reaches. This override (an app's
command takes the place of Django's of the same name) hands the command a stream whose
every line becomes an INFO record of the ``exampleproject.migrate`` logger, which the
``LOGGING`` setting writes as mozlog JSON like everything else.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.management.commands import migrate

logger = logging.getLogger("exampleproject.migrate")


class LogStream:
    """A write-only text stream: one log record per non-empty line written to it."""

    def __init__(self, level: int) -> None:
        self.level = level
        self.pending = ""

    def write(self, text: str) -> int:
        self.pending += text
        *lines, self.pending = self.pending.split("\n")
        for line in lines:
            if line.strip():
                logger.log(self.level, line.rstrip())
        return len(text)

    def flush(self) -> None:
        if self.pending.strip():
            logger.log(self.level, self.pending.rstrip())
        self.pending = ""


class Command(migrate.Command):
    def execute(self, *args: Any, **options: Any) -> Any:
        options["stdout"] = LogStream(logging.INFO)
        options["stderr"] = LogStream(logging.ERROR)
        options["no_color"] = True
        try:
            return super().execute(*args, **options)
        finally:
            self.stdout._out.flush()
            self.stderr._out.flush()
