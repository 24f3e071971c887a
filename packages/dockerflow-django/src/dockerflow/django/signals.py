"""Signals sent by ``/__heartbeat__``, to count passes and failures.

Both are sent by :func:`dockerflow.django.views.heartbeat` (the ``sender``) with
``level``, the worst check level of the run (``0`` when every check is fine,
``30`` for a warning, ``40`` for an error, ...)::

    from django.dispatch import receiver
    from dockerflow.django.signals import heartbeat_failed, heartbeat_passed

    @receiver(heartbeat_passed)
    def heartbeat_passed_handler(sender, level, **kwargs):
        statsd.incr("heartbeat.pass")

    @receiver(heartbeat_failed)
    def heartbeat_failed_handler(sender, level, **kwargs):
        statsd.incr("heartbeat.fail")

A receiver that raises is logged by Django and does not change the heartbeat's
answer.
"""

from __future__ import annotations

from django.dispatch import Signal  # type: ignore[import-untyped]

__all__ = ["heartbeat_failed", "heartbeat_passed"]

#: Sent when the heartbeat passes: every check is below ``ERROR`` (warnings pass).
heartbeat_passed = Signal()

#: Sent when the heartbeat fails: a check reported ``ERROR`` or ``CRITICAL``.
heartbeat_failed = Signal()
