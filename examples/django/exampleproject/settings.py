"""Settings of the example project: everything comes from the environment.

=============================== ============================================ ===================
Variable                        Meaning                                      Default
=============================== ============================================ ===================
``DJANGO_SECRET_KEY``           Django's secret key                          required unless
                                                                             ``DJANGO_DEBUG``
``DJANGO_DEBUG``                ``true`` for debug mode                      ``false``
``DJANGO_ALLOWED_HOSTS``        comma-separated host names                   ``*``
``DATABASE_PATH``               the SQLite database file                     ``db.sqlite3``
``REDIS_URL``                   when set, cache in Redis and check it        unset
``DOCKERFLOW_CHECK_TIMEOUT``    seconds each heartbeat check may take        ``5``
=============================== ============================================ ===================
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


# The directory holding version.json (/app in the image).
BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG")
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set DJANGO_SECRET_KEY (or DJANGO_DEBUG=true for development)")
    SECRET_KEY = "insecure-development-key"
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "*").split(",")

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "dockerflow.django",
]

MIDDLEWARE = [
    "dockerflow.django.middleware.DockerflowMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

ROOT_URLCONF = "exampleproject.urls"
WSGI_APPLICATION = "exampleproject.wsgi.application"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DATABASE_PATH", str(BASE_DIR / "db.sqlite3")),
    }
}

DOCKERFLOW_CHECKS = [
    "dockerflow.django.checks.check_database_connected",
    "dockerflow.django.checks.check_migrations_applied",
]
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": os.environ["REDIS_URL"]}
    }
    DOCKERFLOW_CHECKS.append("dockerflow.django.checks.check_redis_connected")
DOCKERFLOW_CHECK_TIMEOUT = os.environ.get("DOCKERFLOW_CHECK_TIMEOUT", 5)

# Behind a TLS-terminating load balancer.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The platform probes /__heartbeat__ over plain HTTP: the deployment check about
# redirecting to HTTPS is answered by the load balancer, not here.
SILENCED_SYSTEM_CHECKS = ["security.W008"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "mozlog": {"()": "dockerflow.logging.MozlogFormatter", "logger_name": "exampleproject"},
    },
    "filters": {"request_id": {"()": "dockerflow.logging.RequestIdLogFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "mozlog",
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "request.summary": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "dockerflow": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "exampleproject": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
