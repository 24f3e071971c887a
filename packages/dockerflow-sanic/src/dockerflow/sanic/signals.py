"""The Sanic signals the Dockerflow extension dispatches.

Sanic's own signal system carries them, so you listen with ``@app.signal``::

    from dockerflow.sanic.signals import HEARTBEAT_FAILED

    @app.signal(HEARTBEAT_FAILED)
    async def page_someone(level: int, **context: object) -> None:
        ...

Both events are dispatched by ``/__heartbeat__`` after the checks ran and before the
response is sent, with one context value, ``level``: the worst check level (``0``
when every check passed, ``30`` for a warning, ``40`` for an error, ...). A handler
that raises is logged and never turns the heartbeat into an error. Keep handlers
quick (or start a task from them): the heartbeat answers once they return.

The extension declares both events on the app, so ``await app.event(HEARTBEAT_FAILED)``
works too, and a heartbeat nobody listens to costs nothing.
"""

from __future__ import annotations

__all__ = ["HEARTBEAT_FAILED", "HEARTBEAT_PASSED"]

#: Dispatched when a heartbeat passed (worst level below ``ERROR``; warnings pass).
HEARTBEAT_PASSED = "dockerflow.heartbeat.passed"
#: Dispatched when a heartbeat failed (a check reported ``ERROR`` or worse).
HEARTBEAT_FAILED = "dockerflow.heartbeat.failed"
