"""The Django app: add ``"dockerflow.django"`` to ``INSTALLED_APPS``."""

from __future__ import annotations

from django.apps import AppConfig  # type: ignore[import-untyped]

__all__ = ["DockerFlowAppConfig"]


class DockerFlowAppConfig(AppConfig):  # type: ignore[misc]
    """Registers the checks of ``DOCKERFLOW_CHECKS`` when Django is ready, and the
    system check of Dockerflow's own settings
    (:func:`~dockerflow.django.system_checks.check_dockerflow_settings`).

    The app label is ``dockerflow``, as in the reference library.
    """

    name = "dockerflow.django"
    label = "dockerflow"
    verbose_name = "Dockerflow"

    def ready(self) -> None:
        from django.core.checks import register  # type: ignore[import-untyped]

        from . import checks, system_checks, views

        checks.register()
        register(system_checks.check_dockerflow_settings, views.SETTINGS_TAG)
