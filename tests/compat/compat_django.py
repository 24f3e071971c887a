"""A small Django project for the Django compat scenarios; runs in both environments.

Like :mod:`compat_observe`, this module is imported by the scenario subprocesses, under
the pinned reference library and under our packages, so it uses the standard library and
Django only (``dockerflow`` is imported by name, through the settings, never by code
that would differ between the two). A scenario calls :func:`setup` first::

    @scenario
    def test_django_something(obs):
        import compat_django

        compat_django.setup(DEBUG=True)
        from django.test import Client

        compat_django.get(obs, "answer", Client(), "/__lbheartbeat__")

The project: ``dockerflow.django`` installed, ``DockerflowMiddleware`` first and then the
session and authentication middleware (the order the reference documentation shows),
SQLite in memory, a ``version.json`` in ``BASE_DIR`` (a fresh temporary directory), and
a few views (:data:`urlpatterns`).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: The ``version.json`` of the project.
VERSION = {
    "source": "https://github.com/mozilla-services/compat",
    "version": "2026.1.0",
    "commit": "0123456789abcdef0123456789abcdef01234567",
    "build": "https://ci.example.com/builds/42",
}

MIDDLEWARE = [
    "dockerflow.django.middleware.DockerflowMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

#: The loggers whose records the scenarios observe (Django's SQL debug records are
#: left out: their timings and queries are not ours to compare).
OBSERVED_LOGGERS = ("request.summary", "dockerflow", "django.request", "compat")

#: The project's urlconf (this module is ``ROOT_URLCONF``), filled in by :func:`setup`.
urlpatterns: list[Any] = []


def _views() -> list[Any]:
    from django.http import Http404, HttpResponse, JsonResponse
    from django.urls import path

    def ok(request: Any) -> Any:
        logging.getLogger("compat.view").info("inside the view")
        return HttpResponse("ok")

    def boom(request: Any) -> Any:
        raise ValueError("exception message")

    def missing(request: Any) -> Any:
        raise Http404("no such thing")

    def whoami(request: Any) -> Any:
        user = request.user
        return JsonResponse({"user": user.pk if user.is_authenticated else None})

    async def async_ok(request: Any) -> Any:
        logging.getLogger("compat.view").info("inside the async view")
        return HttpResponse("async ok")

    async def async_boom(request: Any) -> Any:
        raise ValueError("async exception message")

    return [
        path("", ok),
        path("boom/", boom),
        path("missing/", missing),
        path("whoami/", whoami),
        path("async/", async_ok),
        path("async-boom/", async_boom),
    ]


def setup(**overrides: Any) -> str:
    """Configure and set up Django for the project; ``overrides`` replace settings.

    :returns: ``BASE_DIR``, where ``version.json`` is.
    """
    import django
    from django.conf import settings

    base_dir = tempfile.mkdtemp(prefix="compat-django-")
    with open(os.path.join(base_dir, "version.json"), "w", encoding="utf-8") as fp:
        json.dump(VERSION, fp)
    values: dict[str, Any] = {
        "DEBUG": False,
        "SECRET_KEY": "compat-" + "k" * 50,
        "ALLOWED_HOSTS": ["*"],
        "ROOT_URLCONF": __name__,
        "BASE_DIR": base_dir,
        "INSTALLED_APPS": [
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "django.contrib.sessions",
            "dockerflow.django",
        ],
        "MIDDLEWARE": MIDDLEWARE,
        # A file, not ":memory:": the checks may run in other threads, which must see
        # the same database (as with Django's test runner, which shares it).
        "DATABASES": {
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": os.path.join(base_dir, "db.sqlite3"),
            }
        },
        "USE_TZ": True,
        "DEFAULT_AUTO_FIELD": "django.db.models.AutoField",
    }
    values.update(overrides)
    settings.configure(**values)
    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()
    urlpatterns[:] = _views()
    return base_dir


def migrate() -> None:
    """Create the tables of the database (every migration applied)."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


class _RequestId(logging.Filter):
    """Puts the current request id on every record as ``rid`` (what
    ``dockerflow.logging.RequestIdLogFilter`` does, here without importing it)."""

    def __init__(self) -> None:
        super().__init__()
        import importlib

        module = importlib.import_module("dockerflow.logging")
        self.context = module.request_id_context

    def filter(self, record: logging.LogRecord) -> bool:
        record.rid = self.context.get()
        return True


class _Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.addFilter(_RequestId())

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(OBSERVED_LOGGERS):
            self.records.append(record)


@contextmanager
def logs(obs: Any, key: str, *, sort: bool = False) -> Iterator[list[logging.LogRecord]]:
    """Record, under ``key``, the records of :data:`OBSERVED_LOGGERS` that reach the
    root logger while the block runs, each with the request id current when it was
    logged (``rid``, as ``RequestIdLogFilter`` sets it); the ``request.summary``
    records go under ``key + "_summary"`` (so a summary one side logs and the other
    does not is a difference of its own).

    :param sort: sort them (by logger and message): for records whose order is the
        order of a set (e.g. the checks of Django's registry).
    """
    from compat_observe import record_to_dict

    handler = _Keep()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler.records
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        described = [record_to_dict(r) for r in handler.records]
        if sort:
            described.sort(key=lambda d: (d["logger"], d["message"]))
        obs.record(key, [d for d in described if d["logger"] != "request.summary"])
        obs.record(f"{key}_summary", [d for d in described if d["logger"] == "request.summary"])


def get(obs: Any, key: str, client: Any, path: str, **extra: Any) -> Any:
    """``client.get(path, **extra)``; record the answer under ``key`` and the records
    it logged under ``key + "_logs"`` (see :func:`logs`).

    Name the key of a request to a Dockerflow endpoint after it (``"__heartbeat__
    failing"``): the intended differences about those requests match such keys.
    """
    with logs(obs, f"{key}_logs", sort=path.startswith("/__heartbeat__")):
        response = client.get(path, **extra)
    body = response.content if not getattr(response, "streaming", False) else b""
    obs.response(key, response.status_code, response.items(), body)
    return response


def version_callback(base_dir: Any) -> dict[str, Any]:
    """A ``DOCKERFLOW_VERSION_CALLBACK``."""
    return {"version": "from-callback", "given_base_dir": base_dir is not None}


#: The last ``request._start_timestamp`` :class:`SummaryWithoutUser` saw.
LAST_START: list[float] = [0.0]


def _summary_without_user() -> type:
    from django.conf import settings  # noqa: F401  (as a project's module would)

    from dockerflow.django.middleware import DockerflowMiddleware
    from dockerflow.logging import request_id_context

    class SummaryWithoutUser(DockerflowMiddleware):  # type: ignore[misc, valid-type]
        """What a public project does: the summary never touches ``request.user``
        (its authentication backend would create users)."""

        def _build_extra_meta(self, request: Any) -> dict[str, Any]:
            import time

            out = {
                "errno": 0,
                "agent": request.META.get("HTTP_USER_AGENT", ""),
                "lang": request.META.get("HTTP_ACCEPT_LANGUAGE", ""),
                "method": request.method,
                "path": request.path,
                "rid": request_id_context.get(),
                "project_field": True,
            }
            if hasattr(request, "_start_timestamp"):
                LAST_START[0] = request._start_timestamp
                out["t"] = int(1000 * (time.time() - request._start_timestamp))
            return out

    return SummaryWithoutUser


def __getattr__(name: str) -> Any:
    # ``compat_django.SummaryWithoutUser`` for MIDDLEWARE, built once Django is set up.
    if name == "SummaryWithoutUser":
        cls = _summary_without_user()
        globals()[name] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
