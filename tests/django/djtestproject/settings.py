"""Settings of the Django project the dockerflow-django tests serve.

Read from the environment, the way a Dockerflow service is configured, so the same
project runs in-process (tests/django/conftest.py) and under gunicorn/uvicorn:

* ``DJTEST_DATABASE_URL``: ``sqlite:////path/db.sqlite3`` or ``postgresql://user@host:port/name``
* ``DJTEST_CONN_MAX_AGE``: seconds database connections are kept (default 0)
* ``DJTEST_REDIS_URL``: when set, the default cache is django-redis on that URL
* ``DJTEST_DEBUG``: ``1`` for DEBUG
* ``DJTEST_MOZLOG``: ``1`` to log ``request.summary`` as mozlog JSON to stdout
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit


def database_from_url(url: str, conn_max_age: int = 0) -> dict[str, Any]:
    """A ``DATABASES`` entry from a URL."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": unquote(parts.path)}
    if parts.scheme in ("postgres", "postgresql"):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": conn_max_age,
            "OPTIONS": {"connect_timeout": 5},
        }
    raise ValueError(f"unsupported database URL {url!r}")


BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "dockerflow-django-tests-not-a-secret-" + "x" * 40
DEBUG = os.environ.get("DJTEST_DEBUG", "") == "1"
ALLOWED_HOSTS = ["*"]
USE_TZ = True
ROOT_URLCONF = "djtestproject.urls"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "dockerflow.django",
    "djtestproject.shop",
]

MIDDLEWARE = [
    "djtestproject.middleware.worker_pid",
    "dockerflow.django.middleware.DockerflowMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

_default_db = "sqlite:///" + os.path.join(tempfile.gettempdir(), "djtestproject.sqlite3")
DATABASES = {
    "default": database_from_url(
        os.environ.get("DJTEST_DATABASE_URL", _default_db),
        int(os.environ.get("DJTEST_CONN_MAX_AGE", "0")),
    )
}

DOCKERFLOW_CHECKS = [
    "dockerflow.django.checks.check_database_connected",
    "dockerflow.django.checks.check_migrations_applied",
]

if os.environ.get("DJTEST_REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": os.environ["DJTEST_REDIS_URL"],
        }
    }
    DOCKERFLOW_CHECKS.append("dockerflow.django.checks.check_redis_connected")

if os.environ.get("DJTEST_MOZLOG") == "1":
    LOGGING = {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {
            "console": {"class": "dockerflow.logging.MozlogHandler", "name": "djtestproject"},
        },
        "loggers": {
            "request.summary": {"handlers": ["console"], "level": "DEBUG"},
            "dockerflow": {"handlers": ["console"], "level": "INFO"},
        },
    }
