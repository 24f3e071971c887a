"""Stable check IDs.

Every message produced by the built-in checks, and every failure the check runner
reports on a check's behalf, carries one of these IDs. Alerting rules and
``silenced_checks`` can rely on them: an ID never changes meaning.
"""

from __future__ import annotations

__all__ = [
    "ERROR_CANNOT_CONNECT_DATABASE",
    "ERROR_CANNOT_CONNECT_REDIS",
    "ERROR_CHECK_EXCEPTION",
    "ERROR_CHECK_INVALID_RESULT",
    "ERROR_CHECK_TIMEOUT",
    "ERROR_DB_API_EXCEPTION",
    "ERROR_MISCONFIGURED_DATABASE",
    "ERROR_MISCONFIGURED_REDIS",
    "ERROR_MISSING_REDIS_CLIENT",
    "ERROR_REDIS_EXCEPTION",
    "ERROR_REDIS_PING_FAILED",
    "ERROR_SQLALCHEMY_EXCEPTION",
    "ERROR_UNUSABLE_DATABASE",
    "INFO_CANT_CHECK_MIGRATIONS",
    "WARNING_UNAPPLIED_MIGRATION",
]

# Database and migrations (Django and Flask).
INFO_CANT_CHECK_MIGRATIONS = "dockerflow.health.I001"
WARNING_UNAPPLIED_MIGRATION = "dockerflow.health.W001"
ERROR_CANNOT_CONNECT_DATABASE = "dockerflow.health.E001"
ERROR_UNUSABLE_DATABASE = "dockerflow.health.E002"
ERROR_MISCONFIGURED_DATABASE = "dockerflow.health.E003"

# Redis.
ERROR_CANNOT_CONNECT_REDIS = "dockerflow.health.E004"
ERROR_MISSING_REDIS_CLIENT = "dockerflow.health.E005"
ERROR_MISCONFIGURED_REDIS = "dockerflow.health.E006"
ERROR_REDIS_PING_FAILED = "dockerflow.health.E007"

# Flask's SQLAlchemy and Redis checks.
ERROR_DB_API_EXCEPTION = "dockerflow.health.E008"
ERROR_SQLALCHEMY_EXCEPTION = "dockerflow.health.E009"
ERROR_REDIS_EXCEPTION = "dockerflow.health.E010"

# Reported by the check runner itself when a check misbehaves (new in this project).
#: The check raised an exception; the exception is logged with its traceback.
ERROR_CHECK_EXCEPTION = "dockerflow.health.E100"
#: The check did not finish within its timeout (or is still hung from an earlier run).
ERROR_CHECK_TIMEOUT = "dockerflow.health.E101"
#: The check returned something other than an iterable of check messages.
ERROR_CHECK_INVALID_RESULT = "dockerflow.health.E102"
