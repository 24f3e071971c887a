"""Dockerflow for Django.

Add the app and the middleware to your settings::

    INSTALLED_APPS = [..., "dockerflow.django"]
    MIDDLEWARE = ["dockerflow.django.middleware.DockerflowMiddleware", ...]
    BASE_DIR = Path(__file__).resolve().parent.parent  # where version.json lives

Modules:

* :mod:`dockerflow.django.middleware`: the endpoints and ``request.summary`` logging;
* :mod:`dockerflow.django.views` and :mod:`dockerflow.django.urls`: the endpoint
  views, to route yourself if you prefer;
* :mod:`dockerflow.django.checks`: database, migrations and Redis checks for
  Django's system check framework (``DOCKERFLOW_CHECKS``);
* :mod:`dockerflow.django.signals`: ``heartbeat_passed`` and ``heartbeat_failed``.
"""
