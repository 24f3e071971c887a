"""Settings: PostgreSQL with persistent connections (``CONN_MAX_AGE``), django-redis as
the default cache, the database and Redis checks in the heartbeat."""

from __future__ import annotations

from urllib.parse import urlsplit

from faults_apps import check_timeout, redis_options, redis_url
from faults_apps import database_url as _database_url

_db = urlsplit(_database_url())

SECRET_KEY = "faults-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
ROOT_URLCONF = "faults_apps.faultsite.urls"
INSTALLED_APPS = ["dockerflow.django"]
MIDDLEWARE = [
    "faults_apps.faultsite.views.worker_pid_middleware",
    "dockerflow.django.middleware.DockerflowMiddleware",
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _db.path.lstrip("/"),
        "USER": _db.username,
        "HOST": _db.hostname,
        "PORT": _db.port,
        "CONN_MAX_AGE": 600,
    }
}
_redis = redis_options()
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": redis_url(),
        "OPTIONS": {
            "SOCKET_CONNECT_TIMEOUT": _redis["socket_connect_timeout"],
            "SOCKET_TIMEOUT": _redis["socket_timeout"],
        },
    }
}
DOCKERFLOW_CHECKS = [
    "dockerflow.django.checks.check_database_connected",
    "dockerflow.django.checks.check_redis_connected",
]
DOCKERFLOW_CHECK_TIMEOUT = check_timeout()
DOCKERFLOW_HEARTBEAT_INCLUDE_DETAILS = True
LOGGING = {"version": 1, "disable_existing_loggers": False}
