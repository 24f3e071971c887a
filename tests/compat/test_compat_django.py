"""Differential scenarios for dockerflow-django: the same project, the same requests,
under the pinned reference and under ours (see ``compat_harness``).

Each scenario sets up the small project of :mod:`compat_django` in its own process.
"""

from __future__ import annotations

import socket
from typing import Any

from compat_harness import scenario


@scenario
def test_django_endpoints(obs: Any) -> None:
    import compat_django

    compat_django.setup()
    from django.test import Client

    client = Client(raise_request_exception=False)
    for path in ("/__version__", "/__version__/", "/__lbheartbeat__", "/__lbheartbeat__/"):
        compat_django.get(obs, path, client, path, HTTP_X_REQUEST_ID="rid-" + path.strip("/"))
    # The summary of a request to an endpoint carries the request id current when it is
    # logged: ours is that request's, the reference's the previous request's.
    compat_django.get(obs, "after_a_view/", client, "/", HTTP_X_REQUEST_ID="rid-view")
    compat_django.get(obs, "after_a_view __lbheartbeat__", client, "/__lbheartbeat__")


@scenario
def test_django_error_endpoint(obs: Any) -> None:
    import compat_django

    compat_django.setup()
    from django.test import Client

    client = Client(raise_request_exception=False)
    compat_django.get(obs, "__error__", client, "/__error__", HTTP_X_REQUEST_ID="rid-error")
    compat_django.get(obs, "__error__/", client, "/__error__/", HTTP_X_REQUEST_ID="rid-error-2")
    with compat_django.logs(obs, "raising __error___logs"):
        obs.outcome("raising __error__", Client().get, "/__error__")


@scenario
def test_django_view_exceptions(obs: Any) -> None:
    import compat_django

    compat_django.setup()
    from django.test import Client

    client = Client(raise_request_exception=False)
    compat_django.get(obs, "boom", client, "/boom/", HTTP_X_REQUEST_ID="rid-boom")
    compat_django.get(obs, "http404", client, "/missing/", HTTP_X_REQUEST_ID="rid-404")
    compat_django.get(obs, "no_route", client, "/no/such/page", HTTP_X_REQUEST_ID="rid-none")
    with compat_django.logs(obs, "raising_logs"):
        obs.outcome("raising", Client().get, "/boom/", HTTP_X_REQUEST_ID="rid-raise")


@scenario
def test_django_summary_fields(obs: Any) -> None:
    import compat_django

    compat_django.setup()
    from django.test import Client, override_settings

    client = Client()
    headers = {"HTTP_USER_AGENT": "compat/1.0", "HTTP_ACCEPT_LANGUAGE": "fr-CA"}
    compat_django.get(obs, "plain", client, "/?q=caf%C3%A9&page=2", **headers)
    compat_django.get(obs, "post", client, "/", HTTP_X_REQUEST_ID="tracked-value")
    with override_settings(DOCKERFLOW_SUMMARY_LOG_QUERYSTRING=True):
        compat_django.get(obs, "querystring", client, "/?q=caf%C3%A9&page=2")
    compat_django.get(obs, "querystring_off_again", client, "/?q=1")
    with override_settings(DOCKERFLOW_REQUEST_ID_HEADER_NAME="X-Cloud-Trace-Context"):
        compat_django.get(
            obs,
            "header_name",
            client,
            "/",
            HTTP_X_CLOUD_TRACE_CONTEXT="trace-42",
            HTTP_X_REQUEST_ID="ignored",
        )
    compat_django.get(obs, "generated", client, "/")


@scenario
def test_django_uid(obs: Any) -> None:
    import compat_django

    compat_django.setup()
    compat_django.migrate()
    from django.contrib.auth.models import User
    from django.test import Client

    user = User.objects.create_user("compat-user", password="x")
    client = Client()
    client.force_login(user)
    compat_django.get(obs, "logged_in", client, "/")
    compat_django.get(obs, "logged_in_whoami", client, "/whoami/")
    client.logout()
    compat_django.get(obs, "logged_out", client, "/whoami/")


@scenario
def test_django_heartbeat(obs: Any) -> None:
    import compat_django

    compat_django.setup()
    compat_django.migrate()
    from django.core import checks
    from django.test import Client, override_settings

    from dockerflow.django.signals import heartbeat_failed, heartbeat_passed

    sent: list[Any] = []

    def passed(sender: Any, level: Any, **kwargs: Any) -> None:
        sent.append(["passed", getattr(sender, "__name__", repr(sender)), level])

    def failed(sender: Any, level: Any, **kwargs: Any) -> None:
        sent.append(["failed", getattr(sender, "__name__", repr(sender)), level])

    heartbeat_passed.connect(passed)
    heartbeat_failed.connect(failed)
    client = Client()
    compat_django.get(obs, "__heartbeat__ ok", client, "/__heartbeat__", HTTP_X_REQUEST_ID="hb-ok")
    with override_settings(DEBUG=True):
        compat_django.get(obs, "__heartbeat__ ok_debug", client, "/__heartbeat__/")

    def compat_warning(app_configs: Any, **kwargs: Any) -> list[Any]:
        return [checks.Warning("careful", id="compat.W001")]

    checks.register(compat_warning)
    compat_django.get(obs, "__heartbeat__ warning", client, "/__heartbeat__")
    with override_settings(DEBUG=True):
        compat_django.get(obs, "__heartbeat__ warning_debug", client, "/__heartbeat__")

    def compat_error(app_configs: Any, **kwargs: Any) -> list[Any]:
        return [checks.Error("broken", id="compat.E001"), checks.Info("fyi", id="compat.I001")]

    checks.register(compat_error)
    compat_django.get(
        obs, "__heartbeat__ error", client, "/__heartbeat__", HTTP_X_REQUEST_ID="hb-error"
    )
    with override_settings(DEBUG=True):
        compat_django.get(obs, "__heartbeat__ error_debug", client, "/__heartbeat__")
    with override_settings(SILENCED_SYSTEM_CHECKS=["compat.E001", "compat.W001"]):
        compat_django.get(obs, "__heartbeat__ silenced", client, "/__heartbeat__")
    obs.record("signals", sent)


@scenario
def test_django_heartbeat_failed_status_code(obs: Any) -> None:
    import compat_django

    compat_django.setup(DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE=503)
    from django.core import checks
    from django.test import Client

    def compat_error(app_configs: Any, **kwargs: Any) -> list[Any]:
        return [checks.Critical("down", id="compat.C001")]

    checks.register(compat_error)
    compat_django.get(obs, "__heartbeat__ failed", Client(), "/__heartbeat__")


@scenario
def test_django_database_checks(obs: Any) -> None:
    import compat_django

    compat_django.setup(DEBUG=True)
    from django.test import Client

    from dockerflow.django import checks

    client = Client()
    # The in-memory database has no table yet: every migration is unapplied (W001).
    obs.outcome("connected", checks.check_database_connected, None)
    migrations = obs.outcome("migrations", lambda: len(checks.check_migrations_applied(None)))
    obs.record("migration_ids", sorted({m.id for m in checks.check_migrations_applied(None)}))
    obs.record("migrations_counted", migrations is not None and migrations > 0)
    compat_django.get(obs, "__heartbeat__ unapplied", client, "/__heartbeat__")
    compat_django.migrate()
    obs.outcome("migrations_applied", checks.check_migrations_applied, None)
    compat_django.get(obs, "__heartbeat__ applied", client, "/__heartbeat__")


@scenario
def test_django_database_unreachable(obs: Any) -> None:
    import compat_django

    compat_django.setup(
        DEBUG=True,
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": "/nonexistent-compat-dir/db.sqlite3",
            }
        },
    )
    from django.test import Client

    from dockerflow.django import checks

    obs.outcome(
        "connected", lambda: [(m.id, m.level, m.msg) for m in checks.check_database_connected(None)]
    )
    obs.outcome(
        "migrations",
        lambda: [(m.id, m.level, m.msg) for m in checks.check_migrations_applied(None)],
    )
    compat_django.get(obs, "__heartbeat__", Client(), "/__heartbeat__")


@scenario(params=lambda request: {"redis_url": request.getfixturevalue("redis_service").url})
def test_django_redis_check(obs: Any) -> None:
    import compat_django

    compat_django.setup(
        DEBUG=True,
        CACHES={
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": obs.params["redis_url"],
            }
        },
        DOCKERFLOW_CHECKS=[
            "dockerflow.django.checks.check_database_connected",
            "dockerflow.django.checks.check_redis_connected",
        ],
    )
    from django.test import Client

    from dockerflow.django import checks

    obs.outcome("up", lambda: [(m.id, m.msg) for m in checks.check_redis_connected(None)])
    compat_django.get(obs, "__heartbeat__", Client(), "/__heartbeat__")


def _closed_port(request: Any) -> dict[str, Any]:
    with socket.socket() as probe:  # a free port: nothing listens there
        probe.bind(("127.0.0.1", 0))
        return {"port": probe.getsockname()[1]}


@scenario(params=_closed_port)
def test_django_redis_check_unreachable(obs: Any) -> None:
    import compat_django

    port = obs.params["port"]
    compat_django.setup(
        DEBUG=True,
        CACHES={
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": f"redis://127.0.0.1:{port}/0",
            }
        },
        DOCKERFLOW_CHECKS=["dockerflow.django.checks.check_redis_connected"],
    )
    from django.test import Client

    from dockerflow.django import checks

    obs.outcome("down", lambda: [(m.id, m.msg) for m in checks.check_redis_connected(None)])
    compat_django.get(
        obs, "__heartbeat__ down", Client(raise_request_exception=False), "/__heartbeat__"
    )


@scenario
def test_django_redis_check_not_a_redis_cache(obs: Any) -> None:
    import compat_django

    compat_django.setup(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
    )
    from dockerflow.django import checks

    obs.outcome(
        "check", lambda: [(m.id, m.level, m.msg) for m in checks.check_redis_connected(None)]
    )


@scenario
def test_django_version(obs: Any) -> None:
    import os

    import compat_django

    base_dir = compat_django.setup()
    from django.test import Client, override_settings

    client = Client()
    compat_django.get(obs, "__version__ present", client, "/__version__")
    os.remove(os.path.join(base_dir, "version.json"))
    compat_django.get(obs, "__version__ missing", client, "/__version__")
    with override_settings(BASE_DIR=os.path.join(base_dir, "elsewhere")):
        compat_django.get(obs, "__version__ elsewhere", client, "/__version__")


@scenario
def test_django_version_malformed(obs: Any) -> None:
    import os

    import compat_django

    base_dir = compat_django.setup()
    from django.test import Client

    with open(os.path.join(base_dir, "version.json"), "w") as fp:
        fp.write('{"version": ')
    compat_django.get(
        obs, "__version__ malformed", Client(raise_request_exception=False), "/__version__"
    )
    with compat_django.logs(obs, "raising __version___logs"):
        obs.outcome("raising __version__", lambda: Client().get("/__version__").status_code)


@scenario
def test_django_version_callback(obs: Any) -> None:
    import compat_django

    compat_django.setup(DOCKERFLOW_VERSION_CALLBACK="compat_django.version_callback")
    from django.test import Client

    compat_django.get(obs, "__version__ custom", Client(), "/__version__")


@scenario
def test_django_app_and_checks_registration(obs: Any) -> None:
    import compat_django

    compat_django.setup(
        DOCKERFLOW_CHECKS=[
            "dockerflow.django.checks.check_database_connected",
            "dockerflow.django.checks.check_redis_connected",
        ]
    )
    from django.apps import apps
    from django.core.checks.registry import registry

    config = apps.get_app_config("dockerflow")
    obs.record(
        "app",
        {
            "class": type(config).__name__,
            "module": type(config).__module__,
            "name": config.name,
            "label": config.label,
            "verbose_name": str(config.verbose_name),
        },
    )
    # The health checks Dockerflow registers. Our settings check (an addition, for
    # manage.py check only: the heartbeat leaves it out) carries a tag of its own.
    registered = sorted(
        f"{check.__module__}.{check.__name__}"
        for check in registry.get_checks(include_deployment_checks=True)
        if check.__module__.startswith("dockerflow")
        and "dockerflow_settings" not in getattr(check, "tags", ())
    )
    obs.record("registered", registered)
    from django.core.management import call_command

    obs.outcome("manage_check", call_command, "check", "--tag", "compat-none")


@scenario
def test_django_asgi(obs: Any) -> None:
    import asyncio

    import compat_django

    compat_django.setup()
    from django.test import AsyncClient

    async def run() -> None:
        client = AsyncClient(raise_request_exception=False)
        for key, path, rid in (
            ("view", "/async/", "rid-async"),
            ("sync_view", "/", "rid-sync"),
            ("boom", "/async-boom/", "rid-async-boom"),
            ("__lbheartbeat__", "/__lbheartbeat__", "rid-lb"),
            ("__version__", "/__version__", "rid-version"),
            ("__heartbeat__", "/__heartbeat__", "rid-heartbeat"),
            ("__error__", "/__error__", "rid-async-error"),
        ):
            with compat_django.logs(obs, f"{key}_logs", sort=key == "__heartbeat__"):
                response = await client.get(path, headers={"X-Request-ID": rid})
            obs.response(key, response.status_code, response.items(), response.content)

    asyncio.run(run())


@scenario
def test_django_middleware_class(obs: Any) -> None:
    import inspect
    import logging

    import compat_django

    compat_django.setup()
    from django.http import HttpResponse
    from django.test import RequestFactory
    from django.utils.deprecation import MiddlewareMixin

    from dockerflow.django.middleware import DockerflowMiddleware

    obs.record("is_middleware_mixin", issubclass(DockerflowMiddleware, MiddlewareMixin))
    obs.record(
        "viewpatterns",
        [[p.pattern, v.__name__] for p, v in DockerflowMiddleware.viewpatterns],
    )
    obs.record(
        "init",
        [
            [p.name, p.kind.name, p.default is not p.empty]
            for p in inspect.signature(DockerflowMiddleware.__init__).parameters.values()
        ],
    )
    middleware = DockerflowMiddleware(lambda request: HttpResponse("inner"))
    obs.record("summary_logger", middleware.summary_logger.name)
    obs.record("is_the_logger", middleware.summary_logger is logging.getLogger("request.summary"))
    obs.record("sync", [DockerflowMiddleware.sync_capable, DockerflowMiddleware.async_capable])
    obs.outcome("no_get_response", DockerflowMiddleware, None)

    factory = RequestFactory()
    request = factory.get("/page?x=1", HTTP_X_REQUEST_ID="hooks", HTTP_USER_AGENT="ua")
    with compat_django.logs(obs, "hooks_logs"):
        obs.record("process_request", middleware.process_request(request))
        obs.record("request_id", request._id)
        obs.record("has_start", isinstance(request._start_timestamp, float))
        meta = middleware._build_extra_meta(request)
        obs.record("extra_meta", meta)
        response = middleware.process_response(request, HttpResponse(status=201))
        obs.record("process_response", response.status_code)
        failing = factory.get("/boom", HTTP_X_REQUEST_ID="failing")
        middleware.process_request(failing)
        obs.record("process_exception", middleware.process_exception(failing, ValueError("text")))
        obs.record("has_exception", failing._has_exception)
        middleware.process_response(failing, HttpResponse(status=500))
    endpoint = factory.get("/__lbheartbeat__/", HTTP_X_REQUEST_ID="hooks-lb")
    with compat_django.logs(obs, "__lbheartbeat___logs"):
        answer = middleware(endpoint)
    obs.response("__lbheartbeat__", answer.status_code, answer.items(), answer.content)


@scenario
def test_django_hooks_patched_after_the_middleware_is_built(obs: Any) -> None:
    import asyncio
    from unittest import mock

    import compat_django

    compat_django.setup()
    from django.http import HttpResponse
    from django.test import RequestFactory

    from dockerflow.django.middleware import DockerflowMiddleware

    async def inner_async(request: Any) -> HttpResponse:
        return HttpResponse("inner")

    sync = DockerflowMiddleware(lambda request: HttpResponse("inner"))
    asynchronous = DockerflowMiddleware(inner_async)
    factory = RequestFactory()
    for hook in ("process_request", "process_response", "_build_extra_meta"):
        own = getattr(DockerflowMiddleware, hook)
        for mode, middleware in (("wsgi", sync), ("asgi", asynchronous)):
            key = f"{mode}_{hook}"
            with (
                mock.patch.object(
                    DockerflowMiddleware, hook, autospec=True, side_effect=own
                ) as spy,
                compat_django.logs(obs, f"{key}_logs"),
            ):
                request = factory.get("/", HTTP_X_REQUEST_ID=f"patched-{key}")
                response = middleware(request)
                if mode == "asgi":
                    response = asyncio.run(response)
            obs.record(f"{key}_calls", spy.call_count)
            obs.record(f"{key}_answer", [response.status_code, response.content.decode()])
            # Onto the instance this time.
            key = f"{mode}_instance_{hook}"
            bound = getattr(middleware, hook)
            with (
                mock.patch.object(middleware, hook, wraps=bound) as spy,
                compat_django.logs(obs, f"{key}_logs"),
            ):
                response = middleware(factory.get("/", HTTP_X_REQUEST_ID=f"patched-{key}"))
                if mode == "asgi":
                    response = asyncio.run(response)
            obs.record(f"{key}_calls", spy.call_count)


@scenario
def test_django_viewpatterns_changed_after_the_middleware_is_built(obs: Any) -> None:
    import asyncio
    import re
    from unittest import mock

    import compat_django

    compat_django.setup()
    from django.http import HttpResponse
    from django.test import RequestFactory

    from dockerflow.django.middleware import DockerflowMiddleware

    def pong(request: Any) -> HttpResponse:
        return HttpResponse("pong")

    async def inner_async(request: Any) -> HttpResponse:
        return HttpResponse("inner")

    ping = (re.compile(r"/__ping__/?$"), pong)
    built = {
        "wsgi": DockerflowMiddleware(lambda request: HttpResponse("inner")),
        "asgi": DockerflowMiddleware(inner_async),
    }
    factory = RequestFactory()

    def answers(key: str) -> None:
        for mode, middleware in built.items():
            for path in ("/__ping__", "/__lbheartbeat__", "/__lbheartbeat__/\n", "/other"):
                request = factory.get("/")
                # As a server hands it over: ``%0A`` decoded (RequestFactory strips it).
                request.path = request.path_info = path
                response = middleware(request)
                if mode == "asgi":
                    response = asyncio.run(response)
                obs.record(f"{key}_{mode}_{path}", [response.status_code, response.content])

    answers("default")
    DockerflowMiddleware.viewpatterns.append(ping)  # in place, on the class
    try:
        answers("appended")
    finally:
        DockerflowMiddleware.viewpatterns.remove(ping)
    answers("removed")
    with mock.patch.object(DockerflowMiddleware, "viewpatterns", [ping]):
        answers("replaced")


@scenario
def test_django_build_extra_meta_override(obs: Any) -> None:
    import time

    import compat_django

    compat_django.setup(
        MIDDLEWARE=["compat_django.SummaryWithoutUser", *compat_django.MIDDLEWARE[1:]]
    )
    compat_django.migrate()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    user = User.objects.create_user("compat-user", password="x")
    client = Client()
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        compat_django.get(obs, "view", client, "/", HTTP_X_REQUEST_ID="no-user")
    obs.record("user_queries", [q for q in queries.captured_queries if "auth_user" in q["sql"]])
    compat_django.get(
        obs, "__lbheartbeat__", client, "/__lbheartbeat__", HTTP_X_REQUEST_ID="no-user-lb"
    )
    obs.record("start_is_wall_clock", abs(time.time() - compat_django.LAST_START[0]) < 60)


@scenario
def test_django_documented_logging(obs: Any) -> None:
    import io
    import json
    import logging
    import warnings

    import compat_django

    stream = io.StringIO()
    compat_django.setup(
        LOGGING={
            "version": 1,
            "formatters": {
                "json": {"()": "dockerflow.logging.JsonLogFormatter", "logger_name": "myproject"}
            },
            "handlers": {
                "console": {
                    "level": "DEBUG",
                    "class": "logging.StreamHandler",
                    "formatter": "json",
                    "stream": stream,
                },
            },
            "loggers": {"request.summary": {"handlers": ["console"], "level": "DEBUG"}},
        }
    )
    from django.test import Client

    warnings.simplefilter("ignore", DeprecationWarning)
    client = Client(raise_request_exception=False)
    client.get("/?a=1", HTTP_USER_AGENT="probe", HTTP_X_REQUEST_ID="rid-1")
    client.get("/boom/", HTTP_X_REQUEST_ID="rid-2")
    client.get("/__lbheartbeat__", HTTP_X_REQUEST_ID="rid-3")
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    for line in lines:
        line.get("Fields", {}).pop("traceback", None)  # ours adds the traceback
    obs.record("lines", lines)
    obs.record("logger_disabled", logging.getLogger("request.summary").disabled)


@scenario
def test_django_check_that_logs(obs: Any) -> None:
    import logging

    import compat_django

    compat_django.setup()
    from django.core import checks
    from django.test import Client

    def compat_logging_check(app_configs: Any, **kwargs: Any) -> list[Any]:
        logging.getLogger("compat.check").info("checking")
        return []

    checks.register(compat_logging_check)
    client = Client()
    compat_django.get(obs, "first", client, "/", HTTP_X_REQUEST_ID="rid-first")
    compat_django.get(obs, "__heartbeat__", client, "/__heartbeat__", HTTP_X_REQUEST_ID="rid-hb")


@scenario
def test_django_signal_receiver_that_raises(obs: Any) -> None:
    import compat_django

    compat_django.setup()
    from django.test import Client

    from dockerflow.django.signals import heartbeat_passed

    def broken(sender: Any, level: Any, **kwargs: Any) -> None:
        raise RuntimeError("receiver broke")

    heartbeat_passed.connect(broken)
    compat_django.get(obs, "__heartbeat__", Client(raise_request_exception=False), "/__heartbeat__")
    with compat_django.logs(obs, "raising __heartbeat___logs"):
        obs.outcome("raising __heartbeat__", lambda: Client().get("/__heartbeat__").status_code)


@scenario
def test_django_settings_changed_after_startup(obs: Any) -> None:
    import compat_django

    compat_django.setup()
    from django.core import checks
    from django.test import Client, override_settings

    def compat_error(app_configs: Any, **kwargs: Any) -> list[Any]:
        return [checks.Error("down", id="compat.E001")]

    checks.register(compat_error)
    client = Client()
    with override_settings(DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE=503):
        compat_django.get(obs, "__heartbeat__ overridden", client, "/__heartbeat__")
    with override_settings(DOCKERFLOW_VERSION_CALLBACK="compat_django.version_callback"):
        compat_django.get(obs, "__version__ overridden", client, "/__version__")


@scenario
def test_django_records_after_a_request(obs: Any) -> None:
    import logging

    import compat_django

    compat_django.setup()
    from django.test import Client

    client = Client(raise_request_exception=False)
    logger = logging.getLogger("compat.test")
    with compat_django.logs(obs, "during_logs"):
        client.get("/no/such/page", HTTP_X_REQUEST_ID="rid-not-found")  # Django's own record
        client.get("/boom/", HTTP_X_REQUEST_ID="rid-boom")
    with compat_django.logs(obs, "released after_logs"):
        logger.info("after the requests")


@scenario
def test_django_settings_assigned_directly_after_a_request(obs: Any) -> None:
    from unittest import mock

    import compat_django

    compat_django.setup()
    from django.conf import settings
    from django.test import Client

    client = Client()
    compat_django.get(obs, "first", client, "/?a=1", HTTP_X_REQUEST_ID="first-1")
    settings.DOCKERFLOW_SUMMARY_LOG_QUERYSTRING = True
    compat_django.get(obs, "querystring_assigned", client, "/?a=2", HTTP_X_REQUEST_ID="r-2")
    with mock.patch.object(
        settings, "DOCKERFLOW_REQUEST_ID_HEADER_NAME", "X-Trace-Id", create=True
    ):
        compat_django.get(obs, "header_patched", client, "/?a=3", HTTP_X_TRACE_ID="trace-3")


@scenario
def test_django_views_logger_patched_with_mock(obs: Any) -> None:
    from unittest import mock

    import compat_django

    compat_django.setup()
    from django.test import Client

    client = Client(raise_request_exception=False)
    with mock.patch("dockerflow.django.views.logger") as logger:
        response = client.get("/__error__")
    obs.record("status", response.status_code)
    obs.record("patched_logger_calls", [str(c) for c in logger.mock_calls])


@scenario
def test_django_checks_and_settings_for_the_heartbeat_changed_later(obs: Any) -> None:
    import compat_django

    compat_django.setup(DEBUG=True)
    compat_django.migrate()
    from django.conf import settings
    from django.core import checks as django_checks
    from django.test import Client

    client = Client()
    compat_django.get(obs, "__heartbeat__ before", client, "/__heartbeat__")

    @django_checks.register
    def compat_late(app_configs: Any, **kwargs: Any) -> list[Any]:
        return [django_checks.Warning("late", id="compat.W001")]

    compat_django.get(obs, "__heartbeat__ registered later", client, "/__heartbeat__")
    settings.SILENCED_SYSTEM_CHECKS = ["compat.W001"]
    compat_django.get(obs, "__heartbeat__ silenced by assignment", client, "/__heartbeat__")
    settings.DEBUG = False
    compat_django.get(obs, "__heartbeat__ debug off by assignment", client, "/__heartbeat__")


@scenario
def test_django_subclass_with_its_own_summary_logger(obs: Any) -> None:
    import logging

    import compat_django

    compat_django.setup()
    from django.http import HttpResponse
    from django.test import RequestFactory

    from dockerflow.django.middleware import DockerflowMiddleware

    class Mine(DockerflowMiddleware):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.summary_logger = logging.getLogger("compat.summary")

    def boom(request: Any) -> Any:
        raise ValueError("boom")

    middleware = Mine(lambda request: HttpResponse("inner"))
    with obs.capture_logs("logs", loggers=("compat.summary", "request.summary")):
        middleware(RequestFactory().get("/", HTTP_X_REQUEST_ID="mine-1"))
        middleware.process_exception(RequestFactory().get("/x"), ValueError("boom"))


@scenario
def test_django_request_id_header_setting_that_is_not_a_string(obs: Any) -> None:
    import compat_django

    compat_django.setup()
    from django.test import Client, override_settings

    for key, value in (("list", ["X-Trace-Id"]), ("number", 42)):
        with override_settings(DOCKERFLOW_REQUEST_ID_HEADER_NAME=value):
            client = Client(raise_request_exception=False)
            with compat_django.logs(obs, f"{key}_logs"):
                response = client.get("/", HTTP_X_REQUEST_ID=f"rid-{key}")
            obs.record(f"{key}_status", response.status_code)


@scenario
def test_django_summary_logger_switched_off(obs: Any) -> None:
    """With ``request.summary`` off (a level above INFO, or disabled, as test settings
    often have it), the summary's fields are still built: the user is loaded from the
    session (a query) and the session marked accessed (``Vary: Cookie``), as a test
    suite counting queries sees them."""
    import asyncio
    import logging

    import compat_django

    compat_django.setup()
    compat_django.migrate()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import AsyncClient, Client
    from django.test.utils import CaptureQueriesContext

    user = User.objects.create_user("compat-off", password="x")
    summary = logging.getLogger("request.summary")
    old_level, old_disabled = summary.level, summary.disabled

    def user_queries(queries: Any) -> int:
        return len([q for q in queries.captured_queries if "auth_user" in q["sql"]])

    try:
        for how in ("level", "disabled"):
            if how == "level":
                summary.setLevel(logging.WARNING)
            else:
                summary.setLevel(old_level)
                summary.disabled = True
            client = Client()
            client.force_login(user)
            with CaptureQueriesContext(connection) as queries:
                response = client.get("/")
            obs.response(f"{how}_logged_in", response.status_code, response.items(), b"")
            obs.record(f"{how}_logged_in_user_queries", user_queries(queries))
            response = Client().get("/")
            obs.response(f"{how}_anonymous", response.status_code, response.items(), b"")

        async def run() -> None:
            response = await AsyncClient().get("/async/")
            obs.response("asgi_anonymous", response.status_code, response.items(), b"")

        asyncio.run(run())
    finally:
        summary.setLevel(old_level)
        summary.disabled = old_disabled


@scenario
def test_django_run_checks_patched_with_mock(obs: Any) -> None:
    """A test replacing ``dockerflow.checks.run_checks`` decides the heartbeat's answer."""
    from unittest import mock

    import compat_checks
    import compat_django

    compat_django.setup()
    from django.test import Client

    seen: list[Any] = []
    fake_run = compat_checks.fake_run_checks(seen)

    with mock.patch("dockerflow.checks.run_checks", fake_run):
        compat_django.get(obs, "patched __heartbeat__", Client(), "/__heartbeat__")

        async def run() -> None:
            from django.test import AsyncClient

            response = await AsyncClient().get("/__heartbeat__")
            obs.response("patched asgi __heartbeat__", response.status_code, [], response.content)

        import asyncio

        asyncio.run(run())
    obs.record("calls", len(seen))
