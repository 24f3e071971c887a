"""System checks of Dockerflow's own settings, for ``manage.py check``.

The endpoints read the ``DOCKERFLOW_*`` settings when a request comes in (so
``override_settings`` applies), which means a typo in one only shows once the
service runs: every ``/__heartbeat__`` answers 500 and logs why, or
``/__version__`` does. :func:`check_dockerflow_settings` reports such a setting
before that, wherever Django runs its system checks (``manage.py check``,
``runserver``, ``migrate``, the test runner), as a warning, so it never stops a
command that worked before:

============================== =====================================================
ID                             Meaning
============================== =====================================================
``dockerflow.W001``            a ``DOCKERFLOW_*`` setting has a value that cannot be
                               used (one message per setting): every heartbeat
                               answers 500 until it is fixed
``dockerflow.W002``            ``DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE`` is below
                               400: a failing heartbeat would answer as a healthy one
``dockerflow.W003``            ``/__version__`` cannot read the version:
                               ``DOCKERFLOW_VERSION_CALLBACK`` cannot be imported,
                               is not callable (or is neither a callable nor a
                               dotted path), or ``BASE_DIR`` is missing for the
                               default callback
``dockerflow.W004``            a setting looks like a Dockerflow setting misspelt
                               (``DOCKERFLOW_CHECKTIMEOUT``), which Dockerflow
                               ignores; the hint names the setting it most likely
                               means (:func:`dockerflow.config.misspelled_settings`)
============================== =====================================================

The app registers the check when it is ready, tagged
:data:`~dockerflow.django.views.SETTINGS_TAG`; the heartbeat leaves it out (it does
not run when a setting is unusable). To fail a deployment pipeline on these
warnings alone, run ``manage.py check --tag dockerflow_settings --fail-level
WARNING``; to silence one, list its ID in ``SILENCED_SYSTEM_CHECKS``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings  # type: ignore[import-untyped]
from django.core import checks  # type: ignore[import-untyped]

from dockerflow.config import (
    DJANGO_SETTING_NAMES,
    SETTING_NAMES,
    failure_status_warning,
    misspelled_settings,
    settings_errors,
)

from . import views

__all__ = [
    "WARNING_FAILED_STATUS_PASSES",
    "WARNING_MISSPELT_SETTING",
    "WARNING_UNUSABLE_SETTING",
    "WARNING_VERSION_UNREADABLE",
    "check_dockerflow_settings",
]

#: A ``DOCKERFLOW_*`` setting has a value that cannot be used.
WARNING_UNUSABLE_SETTING = "dockerflow.W001"
#: ``DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE`` is a status a probe reads as healthy.
WARNING_FAILED_STATUS_PASSES = "dockerflow.W002"
#: ``/__version__`` cannot read the version as configured.
WARNING_VERSION_UNREADABLE = "dockerflow.W003"
#: A setting's name looks like a Dockerflow setting's, misspelt.
WARNING_MISSPELT_SETTING = "dockerflow.W004"


def check_dockerflow_settings(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """Warn about every ``DOCKERFLOW_*`` setting the endpoints could not use (see the
    module documentation); an empty list when they are all usable."""
    messages = [
        checks.Warning(
            str(exc),
            hint="Every /__heartbeat__ answers 500 until it is fixed.",
            id=WARNING_UNUSABLE_SETTING,
        )
        for exc in settings_errors(views._setting, include_details=bool(settings.DEBUG))
    ]
    status = failure_status_warning(views._setting)
    if status is not None:
        messages.append(
            checks.Warning(
                status,
                hint="Use a 5xx status such as 500 or 503.",
                id=WARNING_FAILED_STATUS_PASSES,
            )
        )
    problem = views._version_source()[2]
    if problem is not None:
        messages.append(
            checks.Warning(
                str(problem),
                hint="/__version__ answers 500 until it is fixed.",
                id=WARNING_VERSION_UNREADABLE,
            )
        )
    messages.extend(
        checks.Warning(
            f"{name} is not a Dockerflow setting, so Dockerflow ignores it.",
            hint=f"Did you mean {meant}?",
            id=WARNING_MISSPELT_SETTING,
        )
        for name, meant in misspelled_settings(dir(settings), SETTING_NAMES | DJANGO_SETTING_NAMES)
    )
    return messages
