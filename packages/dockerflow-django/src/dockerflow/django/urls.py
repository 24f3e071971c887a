"""URL patterns for the Dockerflow views, for projects that route them themselves.

:class:`~dockerflow.django.middleware.DockerflowMiddleware` already answers these
paths before URL resolution; mount the patterns instead when you do not use the
middleware (or want the endpoints behind a prefix)::

    from django.urls import include, path

    urlpatterns = [
        path("", include("dockerflow.django.urls", namespace="dockerflow")),
        ...
    ]

Each path matches with and without a trailing slash. The URL names are
``version``, ``heartbeat``, ``lbheartbeat`` and ``error``.
"""

from __future__ import annotations

from django.urls import re_path  # type: ignore[import-untyped]

from . import views

__all__ = ["app_name", "urlpatterns"]

app_name = "dockerflow"

urlpatterns = [
    re_path(r"^__version__/?$", views.version, name="version"),
    re_path(r"^__heartbeat__/?$", views.heartbeat, name="heartbeat"),
    re_path(r"^__lbheartbeat__/?$", views.lbheartbeat, name="lbheartbeat"),
    re_path(r"^__error__/?$", views.error, name="error"),
]
