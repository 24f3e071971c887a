"""DockerflowMiddleware has the reference library's class shape: a MiddlewareMixin with
public hooks, a ``summary_logger``, ``viewpatterns`` and ``_build_extra_meta``."""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import uuid
from typing import Any
from unittest import mock

import pytest
from asgiref.sync import iscoroutinefunction
from django.contrib.auth.models import User
from django.db import connection
from django.http import Http404, HttpResponse
from django.test import AsyncClient, Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils.deprecation import MiddlewareMixin
from djtest_support import run_async

from dockerflow.django import views
from dockerflow.django.middleware import DockerflowMiddleware, extract_request_id
from dockerflow.request import request_id_context

PROJECT_MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]


@pytest.fixture
def summaries(caplog: pytest.LogCaptureFixture) -> Any:
    caplog.set_level(logging.DEBUG, logger="request.summary")
    return lambda: [r for r in caplog.records if r.name == "request.summary"]


@pytest.fixture
def user() -> Any:
    created = User.objects.create_user(f"user-{uuid.uuid4().hex[:8]}", password="x")
    yield created
    created.delete()


def test_the_class_shape_of_the_reference() -> None:
    assert issubclass(DockerflowMiddleware, MiddlewareMixin)
    assert DockerflowMiddleware.sync_capable and DockerflowMiddleware.async_capable
    middleware = DockerflowMiddleware(lambda request: HttpResponse("inner"))
    assert middleware.summary_logger is logging.getLogger("request.summary")
    assert [p.pattern for p, _ in DockerflowMiddleware.viewpatterns] == [
        r"/__version__/?$",
        r"/__heartbeat__/?$",
        r"/__lbheartbeat__/?$",
        r"/__error__/?$",
    ]
    assert [v for _, v in DockerflowMiddleware.viewpatterns] == [
        views.version,
        views.heartbeat,
        views.lbheartbeat,
        views.error,
    ]


def test_handlers_configured_through_summary_logger_get_the_summary() -> None:
    middleware = DockerflowMiddleware(lambda request: HttpResponse("inner"))
    got: list[logging.LogRecord] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = got.append  # type: ignore[method-assign]
    middleware.summary_logger.addHandler(handler)
    old_level = middleware.summary_logger.level
    middleware.summary_logger.setLevel(logging.INFO)
    try:
        middleware(RequestFactory().get("/page", HTTP_X_REQUEST_ID="via-summary-logger"))
    finally:
        middleware.summary_logger.removeHandler(handler)
        middleware.summary_logger.setLevel(old_level)
    assert [(r.path, r.rid) for r in got] == [("/page", "via-summary-logger")]  # type: ignore[attr-defined]


def test_a_summary_logger_set_on_the_instance_is_used() -> None:
    middleware = DockerflowMiddleware(lambda request: HttpResponse("inner"))
    middleware.summary_logger = logging.getLogger("myproject.requests")
    got: list[logging.LogRecord] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = got.append  # type: ignore[method-assign]
    middleware.summary_logger.addHandler(handler)
    middleware.summary_logger.setLevel(logging.INFO)
    try:
        middleware(RequestFactory().get("/page"))
    finally:
        middleware.summary_logger.removeHandler(handler)
    assert [(r.name, r.path, r.code) for r in got] == [("myproject.requests", "/page", 200)]  # type: ignore[attr-defined]


def test_the_hooks_called_one_by_one_do_the_work(summaries: Any) -> None:
    """The work happens in process_request / process_response / process_exception,
    so code driving them directly (as the reference's own tests did) sees it."""
    middleware = DockerflowMiddleware(lambda request: HttpResponse("inner"))
    request = RequestFactory().get("/page?x=1", HTTP_X_REQUEST_ID="hooks", HTTP_USER_AGENT="ua")
    assert middleware.process_request(request) is None
    assert request._id == request.request_id == "hooks"
    assert request_id_context.get() == "hooks"
    assert isinstance(request._start_timestamp, float)
    response = middleware.process_response(request, HttpResponse(status=201))
    assert response.status_code == 201
    [record] = summaries()
    assert (record.levelno, record.errno, record.code, record.rid, record.agent) == (
        logging.INFO,
        0,
        201,
        "hooks",
        "ua",
    )

    failing = RequestFactory().get("/boom")
    middleware.process_request(failing)
    assert middleware.process_exception(failing, ValueError("exception message")) is None
    assert failing._has_exception is True
    middleware.process_response(failing, HttpResponse(status=500))  # logged already
    error = summaries()[1:]
    assert [(r.levelno, r.getMessage(), r.errno, r.code) for r in error] == [
        (logging.ERROR, "exception message", 500, 500)
    ]


def test_process_request_answers_the_dockerflow_paths() -> None:
    middleware = DockerflowMiddleware(lambda request: HttpResponse("inner"))
    response = middleware.process_request(RequestFactory().get("/__lbheartbeat__/"))
    assert response is not None and response.status_code == 200
    assert middleware.process_request(RequestFactory().get("/__lbheartbeat__x")) is None


def test_extract_request_id() -> None:
    request = RequestFactory().get("/", HTTP_X_REQUEST_ID="from-header")
    assert extract_request_id(request) == "from-header"
    assert request._id == "from-header" and request_id_context.get() == "from-header"
    fresh = RequestFactory().get("/")
    rid = extract_request_id(fresh)
    assert str(uuid.UUID(rid)) == rid == fresh._id


def test_view_exception_summary_has_the_exception_text_and_comes_first(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO):
        response = Client(raise_request_exception=False).get("/boom/", HTTP_X_REQUEST_ID="b")
    assert response.status_code == 500
    records = [(r.name, r.levelname, r.getMessage()) for r in caplog.records]
    assert records == [
        # As with the reference: the exception's text, logged before Django's record.
        ("request.summary", "ERROR", "boom from the view"),
        ("django.request", "ERROR", "Internal Server Error: /boom/"),
    ]
    summary = caplog.records[0]
    assert (summary.errno, summary.code, summary.rid) == (500, 500, "b")  # type: ignore[attr-defined]
    assert summary.exc_info is not None and isinstance(summary.exc_info[1], ValueError)


@run_async
async def test_async_view_exception_summary_has_the_exception_text(summaries: Any) -> None:
    response = await AsyncClient(raise_request_exception=False).get("/async-boom/")
    assert response.status_code == 500
    assert [(r.levelname, r.getMessage(), r.errno) for r in summaries()] == [
        ("ERROR", "boom from the async view", 500)
    ]


def test_a_summary_of_an_exception_whose_text_fails(summaries: Any) -> None:
    class Unprintable(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no text")

    middleware = DockerflowMiddleware(lambda request: HttpResponse())
    request = RequestFactory().get("/")
    middleware.process_request(request)
    middleware.process_exception(request, Unprintable())
    assert [r.getMessage() for r in summaries()] == ["Unprintable"]


@pytest.mark.parametrize(
    ("exception", "code"),
    [(Http404("gone"), 404), (PermissionError("no"), 500), (ValueError("bad"), 500)],
)
def test_the_code_of_an_exception_summary_is_djangos_answer(
    exception: Exception, code: int, summaries: Any
) -> None:
    middleware = DockerflowMiddleware(lambda request: HttpResponse())
    request = RequestFactory().get("/")
    middleware.process_request(request)
    middleware.process_exception(request, exception)
    assert [(r.errno, r.code) for r in summaries()] == [(500, code)]


@override_settings(MIDDLEWARE=["djtestproject.middleware.SummaryWithoutUser", *PROJECT_MIDDLEWARE])
def test_build_extra_meta_overridden_never_touching_the_user(summaries: Any, user: Any) -> None:
    client = Client()
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/", HTTP_X_REQUEST_ID="no-user")
    assert response.status_code == 200
    [record] = summaries()
    assert (record.tenant, record.rid, record.user_loaded) == ("acme", "no-user", False)  # type: ignore[attr-defined]
    assert not hasattr(record, "uid")
    assert record.code == 200  # type: ignore[attr-defined]
    # The session was never read, so neither the session nor the user table was queried.
    assert not [q for q in queries.captured_queries if "auth_user" in q["sql"]]


@override_settings(
    MIDDLEWARE=["dockerflow.django.middleware.DockerflowMiddleware", *PROJECT_MIDDLEWARE]
)
def test_the_default_summary_loads_the_user(summaries: Any, user: Any) -> None:
    """The counterpart of the test above: the override is what spares the user."""
    client = Client()
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        client.get("/")
    assert [r.uid for r in summaries()] == [user.pk]
    assert [q for q in queries.captured_queries if "auth_user" in q["sql"]]


@override_settings(MIDDLEWARE=["djtestproject.middleware.SummaryWithoutUser", *PROJECT_MIDDLEWARE])
@run_async
async def test_build_extra_meta_overridden_under_asgi(summaries: Any) -> None:
    response = await AsyncClient().get("/async/", headers={"X-Request-ID": "async-no-user"})
    assert response.status_code == 200
    [record] = summaries()
    assert (record.tenant, record.rid, record.code) == ("acme", "async-no-user", 200)


@override_settings(MIDDLEWARE=["djtestproject.middleware.ExtraResponseHook", *PROJECT_MIDDLEWARE])
@run_async
async def test_an_overridden_hook_runs_in_a_thread_under_asgi(summaries: Any) -> None:
    response = await AsyncClient().get("/async/")
    assert response.status_code == 200
    assert int(response["X-Summary-Thread"]) != threading.get_ident()
    assert [r.path for r in summaries()] == ["/async/"]


@override_settings(MIDDLEWARE=["djtestproject.middleware.ExtraResponseHook", *PROJECT_MIDDLEWARE])
def test_an_overridden_hook_under_wsgi(summaries: Any) -> None:
    response = Client().get("/__lbheartbeat__")
    assert response["X-Summary-Thread"] == str(threading.get_ident())
    assert [(r.path, r.code) for r in summaries()] == [("/__lbheartbeat__", 200)]


def pong(request: Any) -> HttpResponse:
    return HttpResponse("pong")


class WithPing(DockerflowMiddleware):
    viewpatterns = [*DockerflowMiddleware.viewpatterns, (re.compile(r"/__ping__/?$"), pong)]


_DEFAULTS = list(DockerflowMiddleware.viewpatterns)


class WithoutError(DockerflowMiddleware):
    viewpatterns = [(p, v) for p, v in DockerflowMiddleware.viewpatterns if v is not views.error]


def test_viewpatterns_of_a_subclass_are_served(summaries: Any) -> None:
    inner = WithPing(lambda request: HttpResponse("inner"))
    assert inner(RequestFactory().get("/__ping__")).content == b"pong"
    assert inner(RequestFactory().get("/__lbheartbeat__")).status_code == 200
    assert inner(RequestFactory().get("/other")).content == b"inner"
    assert [r.path for r in summaries()] == ["/__ping__", "/__lbheartbeat__", "/other"]
    no_error = WithoutError(lambda request: HttpResponse("inner"))
    assert no_error(RequestFactory().get("/__error__")).content == b"inner"


@run_async
async def test_viewpatterns_of_a_subclass_under_asgi() -> None:
    async def inner(request: Any) -> HttpResponse:
        return HttpResponse("inner")

    middleware = WithPing(inner)
    assert iscoroutinefunction(middleware)
    assert (await middleware(RequestFactory().get("/__ping__/"))).content == b"pong"
    assert (await middleware(RequestFactory().get("/x"))).content == b"inner"


@pytest.mark.parametrize(
    "path",
    [
        *(
            f"/{n}{end}"
            for n in ("__version__", "__heartbeat__", "__lbheartbeat__", "__error__")
            for end in ("", "/", "\n", "/\n", "//", "/\n\n", "x", "\r", " ")
        ),
        "/__LBHEARTBEAT__",
        "/x/__lbheartbeat__",
        "__lbheartbeat__",
        "/",
        "",
    ],
)
def test_the_default_path_lookup_is_what_the_default_patterns_match(path: str) -> None:
    from dockerflow.django.middleware import _ENDPOINTS

    matched = next((v for p, v in DockerflowMiddleware.viewpatterns if p.match(path)), None)
    assert _ENDPOINTS.get(path) is matched


def test_a_server_decoded_newline_after_the_path_is_served_as_the_patterns_do() -> None:
    middleware = DockerflowMiddleware(lambda request: HttpResponse("inner"))
    request = RequestFactory().get("/")
    request.path = request.path_info = "/__lbheartbeat__\n"  # %0A, decoded by the server
    response = middleware(request)
    assert (response.status_code, response.content) == (200, b"")


def test_viewpatterns_changed_after_the_middleware_is_built_count_at_once() -> None:
    middleware = DockerflowMiddleware(lambda request: HttpResponse("inner"))
    ping = (re.compile(r"/__ping__/?$"), pong)
    assert middleware(RequestFactory().get("/__ping__")).content == b"inner"
    DockerflowMiddleware.viewpatterns.append(ping)
    try:
        assert middleware(RequestFactory().get("/__ping__")).content == b"pong"
    finally:
        DockerflowMiddleware.viewpatterns.remove(ping)
    assert middleware(RequestFactory().get("/__ping__")).content == b"inner"
    with mock.patch.object(DockerflowMiddleware, "viewpatterns", [ping]):
        assert middleware(RequestFactory().get("/__ping__/")).content == b"pong"
        assert middleware(RequestFactory().get("/__lbheartbeat__")).content == b"inner"
    assert middleware(RequestFactory().get("/__lbheartbeat__")).content == b""


@run_async
async def test_viewpatterns_changed_after_the_middleware_is_built_under_asgi() -> None:
    async def inner(request: Any) -> HttpResponse:
        return HttpResponse("inner")

    middleware = DockerflowMiddleware(inner)
    ping = (re.compile(r"/__ping__/?$"), pong)
    with mock.patch.object(DockerflowMiddleware, "viewpatterns", [*_DEFAULTS, ping]):
        assert (await middleware(RequestFactory().get("/__ping__"))).content == b"pong"
        assert (await middleware(RequestFactory().get("/__lbheartbeat__"))).status_code == 200
    assert (await middleware(RequestFactory().get("/__ping__"))).content == b"inner"


@run_async
async def test_native_async_path_serves_the_endpoints_without_a_thread_hop() -> None:
    seen: list[int] = []

    async def inner(request: Any) -> HttpResponse:
        seen.append(threading.get_ident())
        return HttpResponse("inner")

    for middleware in (DockerflowMiddleware(inner), WithPing(inner)):
        # Other viewpatterns keep it in the event loop too.
        seen.clear()
        lb = await middleware(RequestFactory().get("/__lbheartbeat__"))
        assert lb.status_code == 200 and seen == []
        await middleware(RequestFactory().get("/"))
        assert seen == [threading.get_ident()]


@pytest.mark.parametrize("hook", ["process_request", "process_response", "_build_extra_meta"])
def test_a_hook_patched_after_the_middleware_is_built_is_called(hook: str) -> None:
    middleware = DockerflowMiddleware(lambda request: HttpResponse("inner"))
    own = getattr(DockerflowMiddleware, hook)
    with mock.patch.object(DockerflowMiddleware, hook, autospec=True, side_effect=own) as spy:
        response = middleware(RequestFactory().get("/"))
    assert response.content == b"inner"
    assert spy.call_count == 1


@pytest.mark.parametrize("hook", ["process_request", "process_response", "_build_extra_meta"])
def test_a_hook_patched_onto_the_instance_is_called(hook: str) -> None:
    async def inner(request: Any) -> HttpResponse:
        return HttpResponse("inner")

    for middleware in (
        DockerflowMiddleware(lambda request: HttpResponse("inner")),
        DockerflowMiddleware(inner),
    ):
        with mock.patch.object(middleware, hook, wraps=getattr(middleware, hook)) as spy:
            response = middleware(RequestFactory().get("/"))
            mode = "asgi" if asyncio.iscoroutine(response) else "wsgi"
            if mode == "asgi":
                response = asyncio.run(response)
        assert response.content == b"inner"
        assert spy.call_count == 1, (hook, mode)


@run_async
async def test_a_hook_patched_after_the_middleware_is_built_is_called_under_asgi() -> None:
    async def inner(request: Any) -> HttpResponse:
        return HttpResponse("inner")

    middleware = DockerflowMiddleware(inner)
    own = DockerflowMiddleware.process_response
    with mock.patch.object(
        DockerflowMiddleware, "process_response", autospec=True, side_effect=own
    ) as spy:
        response = await middleware(RequestFactory().get("/__lbheartbeat__"))
    assert response.status_code == 200
    assert spy.call_count == 1


@override_settings(
    MIDDLEWARE=["dockerflow.django.middleware.DockerflowMiddleware", *PROJECT_MIDDLEWARE]
)
def test_the_summary_is_built_even_when_its_logger_is_off(user: Any) -> None:
    """With request.summary off, the summary's fields are still built, as with the
    reference: the logged-in user is loaded (one query a test suite may count)."""
    summary_logger = logging.getLogger("request.summary")
    client = Client()
    client.force_login(user)
    old_level = summary_logger.level
    summary_logger.setLevel(logging.WARNING)
    try:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/").status_code == 200
    finally:
        summary_logger.setLevel(old_level)
    assert len([q for q in queries.captured_queries if "auth_user" in q["sql"]]) == 1


def test_a_subclass_build_extra_meta_is_called_even_when_the_logger_is_off() -> None:
    called: list[str] = []

    class Counting(DockerflowMiddleware):
        def _build_extra_meta(self, request: Any) -> dict[str, Any]:
            called.append(request.path)
            return super()._build_extra_meta(request)

    summary_logger = logging.getLogger("request.summary")
    old_level = summary_logger.level
    summary_logger.setLevel(logging.WARNING)
    try:
        Counting(lambda request: HttpResponse())(RequestFactory().get("/counted"))
    finally:
        summary_logger.setLevel(old_level)
    assert called == ["/counted"]  # as with the reference, which always built it
