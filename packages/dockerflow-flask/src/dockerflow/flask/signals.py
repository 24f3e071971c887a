"""The heartbeat signals.

Every ``/__heartbeat__`` request sends exactly one of these `blinker`_ signals,
with the Flask application as the sender and the worst check level as ``level``:

:data:`heartbeat_passed`
    the checks passed: the worst level is below ``ERROR`` (warnings pass).
:data:`heartbeat_failed`
    a check reported an error or worse; the heartbeat answers with the failure
    status code.

Connect to them for the application you care about, e.g. to count heartbeats in
statsd::

    from dockerflow.flask.signals import heartbeat_failed, heartbeat_passed

    @heartbeat_passed.connect_via(app)
    def heartbeat_passed_handler(sender, level, **extra):
        statsd.incr("heartbeat.pass")

    @heartbeat_failed.connect_via(app)
    def heartbeat_failed_handler(sender, level, **extra):
        statsd.incr("heartbeat.fail")

.. _blinker: https://blinker.readthedocs.io/
"""

from __future__ import annotations

from blinker import Namespace

__all__ = ["dockerflow_signals", "heartbeat_failed", "heartbeat_passed"]

#: The namespace holding the Dockerflow signals.
dockerflow_signals = Namespace()

#: Sent when a heartbeat passes (worst check level below ``ERROR``).
heartbeat_passed = dockerflow_signals.signal("heartbeat-passed")
#: Sent when a heartbeat fails (a check reported ``ERROR`` or ``CRITICAL``).
heartbeat_failed = dockerflow_signals.signal("heartbeat-failed")
