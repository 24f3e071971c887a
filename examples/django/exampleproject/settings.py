"""Settings of the example project: everything comes from the environment.

=============================== ============================================ ===================
Variable                        Meaning                                      Default
=============================== ============================================ ===================
``DJANGO_SECRET_KEY``           Django's secret key                          required unless
                                                                             ``DJANGO_DEBUG``
``DJANGO_DEBUG``                ``true`` for debug mode                      ``false``
``DJANGO_ALLOWED_HOSTS``        comma-separated host names                   ``*``
``DATABASE_PATH``               the SQLite database file                     ``db.sqlite3`` here
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
    # The project itself, for its `migrate` command that logs (management/commands/).
    "exampleproject",
]

MIDDLEWARE = [
    "dockerflow.django.middleware.DockerflowMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "exampleproject.urls"
WSGI_APPLICATION = "exampleproject.wsgi.application"
USE_TZ = True
# Django sets the process time zone (TZ) from this: UTC, whatever the machine says.
TIME_ZONE = "UTC"
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

# Served over HTTPS by a TLS-terminating load balancer: the deployment checks Django runs
# in every heartbeat (DEBUG off) pass, so the heartbeat says "ok", not "warning".
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 31_536_000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# The platform probes /__heartbeat__ over plain HTTP: the redirect to HTTPS is the load
# balancer's job, not this service's.
SILENCED_SYSTEM_CHECKS = ["security.W008"]

# Every record as one line of mozlog JSON on stdout, the request id on each. The loggers
# that matter: request.summary (one INFO record per request), dockerflow (a failing
# heartbeat's check messages from dockerflow.checks.registry, a bad version.json from
# dockerflow.version, the middleware's own), django (django.request logs the traceback
# of every 500; configuring "django" here also removes Django's default console handler,
# which would print it as plain text when DEBUG is on; "django.server", runserver's
# request lines, does not propagate unless told to), and the project's own.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "dockerflow.logging.RequestIdLogFilter"}},
    "handlers": {
        "mozlog": {
            "class": "dockerflow.logging.MozlogHandler",
            "name": "exampleproject",
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["mozlog"], "level": "WARNING"},
    "loggers": {
        "request.summary": {"level": "INFO"},
        "dockerflow": {"level": "INFO"},
        "django": {"level": "INFO"},
        "django.server": {"level": "INFO", "propagate": True},
        "exampleproject": {"level": "INFO"},
    },
}
