"""request.summary, request ids and the sync/async modes of DockerflowMiddleware."""

from __future__ import annotations

import logging
import threading
import uuid
from typing import Any

import pytest
from asgiref.sync import iscoroutinefunction
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import AsyncClient, Client, RequestFactory, override_settings
from djtest_support import run_async

from dockerflow.django.middleware import DockerflowMiddleware
from dockerflow.logging import RequestIdLogFilter
from dockerflow.request import request_id_context

SUMMARY_FIELDS = {"errno", "code", "agent", "lang", "method", "path", "uid", "rid", "t"}


@pytest.fixture
def summaries(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The request.summary records logged during the test (a live list)."""
    caplog.set_level(logging.DEBUG, logger="request.summary")

    class View(list[logging.LogRecord]):
        def __iter__(self) -> Any:
            return iter([r for r in caplog.records if r.name == "request.summary"])

        def __len__(self) -> int:
            return len(list(iter(self)))

        def __getitem__(self, i: Any) -> Any:
            return list(iter(self))[i]

    return View()


def fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: getattr(record, k) for k in (*SUMMARY_FIELDS, "querystring") if hasattr(record, k)}


def test_summary_of_a_request(summaries: list[logging.LogRecord]) -> None:
    response = Client().get(
        "/?page=2",
        HTTP_USER_AGENT="probe/1.0",
        HTTP_ACCEPT_LANGUAGE="fr-CA",
        HTTP_X_REQUEST_ID="tracked-value",
    )
    assert response.status_code == 200
    [record] = summaries
    assert record.levelno == logging.INFO
    got = fields(record)
    assert set(got) == SUMMARY_FIELDS  # no querystring unless asked for
    assert got["errno"] == 0
    assert got["code"] == 200
    assert got["agent"] == "probe/1.0"
    assert got["lang"] == "fr-CA"
    assert got["method"] == "GET"
    assert got["path"] == "/"
    assert got["uid"] == ""
    assert got["rid"] == "tracked-value"
    assert isinstance(got["t"], int) and got["t"] >= 0


def test_summary_code_is_the_response_status(summaries: list[logging.LogRecord]) -> None:
    assert Client().get("/no/such/page").status_code == 404
    [record] = summaries
    assert (record.errno, record.code, record.levelno) == (0, 404, logging.INFO)


def test_missing_headers_are_empty_strings(summaries: list[logging.LogRecord]) -> None:
    Client().post("/")
    [record] = summaries
    assert (record.agent, record.lang, record.method) == ("", "", "POST")


@override_settings(DOCKERFLOW_SUMMARY_LOG_QUERYSTRING=True)
def test_querystring_is_logged_decoded_when_asked(summaries: list[logging.LogRecord]) -> None:
    Client().get("/?q=caf%C3%A9&page=2")
    assert summaries[0].querystring == "q=café&page=2"


@override_settings(DOCKERFLOW_SUMMARY_LOG_QUERYSTRING="false")
def test_querystring_setting_from_the_environment_as_string(
    summaries: list[logging.LogRecord],
) -> None:
    Client().get("/?q=1")
    assert not hasattr(summaries[0], "querystring")


@override_settings(DOCKERFLOW_SUMMARY_LOG_QUERYSTRING="ture")
def test_a_typo_in_the_querystring_flag_does_not_break_requests(
    summaries: list[logging.LogRecord], caplog: Any
) -> None:
    response = Client().get("/?q=1")
    assert response.status_code == 200
    assert not hasattr(summaries[0], "querystring")
    assert any("DOCKERFLOW_SUMMARY_LOG_QUERYSTRING" in r.getMessage() for r in caplog.records)


def test_settings_changes_apply_to_the_next_request(summaries: list[logging.LogRecord]) -> None:
    client = Client()
    client.get("/?a=1")
    with override_settings(DOCKERFLOW_SUMMARY_LOG_QUERYSTRING=True):
        client.get("/?a=2")
    client.get("/?a=3")
    assert [getattr(r, "querystring", None) for r in summaries] == [None, "a=2", None]


def test_view_exception_is_errno_500_logged_once_at_error(
    summaries: list[logging.LogRecord],
) -> None:
    response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    [record] = summaries
    assert record.levelno == logging.ERROR
    assert (record.errno, record.code) == (500, 500)
    assert record.exc_info is not None and isinstance(record.exc_info[1], ValueError)


def test_http404_raised_by_a_view_counts_as_errno_500_like_the_reference(
    summaries: list[logging.LogRecord],
) -> None:
    assert Client().get("/missing/").status_code == 404
    [record] = summaries
    assert (record.errno, record.code) == (500, 404)


@run_async
async def test_async_view_exception_is_logged_once(summaries: list[logging.LogRecord]) -> None:
    response = await AsyncClient(raise_request_exception=False).get("/async-boom/")
    assert response.status_code == 500
    [record] = summaries
    assert (record.errno, record.code, record.levelno) == (500, 500, logging.ERROR)


def test_uid_of_an_authenticated_user(summaries: list[logging.LogRecord]) -> None:
    user = User.objects.create_user(f"user-{uuid.uuid4().hex[:8]}", password="x")
    pk = user.pk
    try:
        client = Client()
        client.force_login(user)
        client.get("/")  # the view never touches request.user
        client.get("/whoami/")  # this one does
        client.logout()
        client.get("/")
    finally:
        user.delete()
    assert [r.uid for r in summaries] == [pk, pk, ""]


def test_anonymous_uid_of_an_untouched_session(summaries: list[logging.LogRecord]) -> None:
    # No session cookie and a view that never reads the session: the summary knows the
    # user is anonymous without loading the user; the session counts as read, as it
    # does when the user is loaded.
    response = Client().get("/")
    assert response.status_code == 200
    assert [r.uid for r in summaries] == [""]
    assert response.wsgi_request.session.accessed
    assert "_cached_user" not in response.wsgi_request.__dict__


@override_settings(
    MIDDLEWARE=[
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "dockerflow.django.middleware.DockerflowMiddleware",
    ]
)
def test_summary_after_the_session_middleware_reads_the_session(
    summaries: list[logging.LogRecord],
) -> None:
    # Listed after SessionMiddleware, the summary's reading of the user (of the
    # session) happens before SessionMiddleware answers: it adds Vary: Cookie, as it
    # does when the user is loaded, and sets no cookie for the empty session.
    response = Client().get("/")
    assert response.status_code == 200
    assert [r.uid for r in summaries] == [""]
    assert "Cookie" in response.headers.get("Vary", "")
    assert not response.cookies


def test_uid_of_a_user_written_into_a_new_session(summaries: list[logging.LogRecord]) -> None:
    # No session cookie, but the view writes a user into the session without touching
    # request.user: the summary loads that user, as request.user would.
    user = User.objects.create_user(f"user-{uuid.uuid4().hex[:8]}", password="x")
    pk = user.pk
    try:
        saved = Client().get("/session-login/", {"username": user.username})
        # An error response: SessionMiddleware does not save the session (no key yet).
        unsaved = Client().get("/session-login/", {"username": user.username, "status": 500})
    finally:
        user.delete()
    assert (saved.status_code, unsaved.status_code) == (200, 500)
    assert unsaved.wsgi_request.session.session_key is None
    assert [r.uid for r in summaries] == [pk, pk]


@run_async
async def test_uid_under_asgi(summaries: list[logging.LogRecord]) -> None:
    from asgiref.sync import sync_to_async

    name = f"user-{uuid.uuid4().hex[:8]}"
    user = await sync_to_async(User.objects.create_user)(name, password="x")
    pk = user.pk
    try:
        client = AsyncClient()
        if hasattr(client, "aforce_login"):  # Django 5.0+
            await client.aforce_login(user)
        else:
            await sync_to_async(client.force_login)(user)
        await client.get("/async/")  # an async view never touching request.user
        anonymous = AsyncClient()
        await anonymous.get("/async/")
    finally:
        await sync_to_async(user.delete)()
    assert [r.uid for r in summaries] == [pk, ""]


def test_request_id_is_on_the_request_and_in_the_context(
    summaries: list[logging.LogRecord],
) -> None:
    data = Client().get("/whoami/", HTTP_X_REQUEST_ID="abc-123").json()
    assert data["request_id"] == data["_id"] == "abc-123"
    assert summaries[0].rid == "abc-123"
    # The records Django's handler logs once the middleware is done ("Not Found: ...")
    # carry the id (see below); once the response is closed, the id is released (the
    # reference library left it set: the test's later records would carry it).
    assert request_id_context.get() is None


def test_records_django_logs_after_the_middleware_carry_the_request_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.handler.addFilter(RequestIdLogFilter())
    try:
        with caplog.at_level(logging.INFO):
            Client().get("/no/such/page", HTTP_X_REQUEST_ID="rid-404")
    finally:
        caplog.handler.filters.clear()
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.getMessage() == "Not Found: /no/such/page"
    assert record.rid == "rid-404"  # type: ignore[attr-defined]


@run_async
async def test_a_finished_request_releases_its_id_under_asgi() -> None:
    await AsyncClient().get("/async/", headers={"X-Request-ID": "rid-released"})
    assert request_id_context.get() is None


def test_a_request_whose_endpoint_raised_releases_its_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """/__error__ raises out of the middleware, so Django answers outside it: the id
    is still on Django's "Internal Server Error" record, and released once the
    response is closed."""
    caplog.handler.addFilter(RequestIdLogFilter())
    try:
        with caplog.at_level(logging.INFO):
            response = Client(raise_request_exception=False).get(
                "/__error__", HTTP_X_REQUEST_ID="rid-raised"
            )
    finally:
        caplog.handler.filters.clear()
    assert response.status_code == 500
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.getMessage() == "Internal Server Error: /__error__"
    assert record.rid == "rid-raised"  # type: ignore[attr-defined]
    assert request_id_context.get() is None


@run_async
async def test_a_request_whose_endpoint_raised_releases_its_id_under_asgi() -> None:
    client = AsyncClient(raise_request_exception=False)
    response = await client.get("/__error__", headers={"X-Request-ID": "rid-raised"})
    assert response.status_code == 500
    assert request_id_context.get() is None


@pytest.mark.parametrize(
    "sent", ["", "has space", "x" * 129, "new\nline", "caf\u00e9", "<script>", "a/b"]
)
def test_unsafe_request_ids_are_replaced(sent: str, summaries: list[logging.LogRecord]) -> None:
    data = Client().get("/whoami/", HTTP_X_REQUEST_ID=sent).json()
    assert data["request_id"] != sent
    assert str(uuid.UUID(data["request_id"])) == data["request_id"]
    assert summaries[0].rid == data["request_id"]


def test_request_id_is_generated_when_missing() -> None:
    first = Client().get("/whoami/").json()["request_id"]
    second = Client().get("/whoami/").json()["request_id"]
    assert first != second
    uuid.UUID(first)


@override_settings(DOCKERFLOW_REQUEST_ID_HEADER_NAME="X-Cloud-Trace-Context")
def test_request_id_header_name_setting() -> None:
    data = (
        Client()
        .get("/whoami/", HTTP_X_CLOUD_TRACE_CONTEXT="trace-42", HTTP_X_REQUEST_ID="ignored")
        .json()
    )
    assert data["request_id"] == "trace-42"


def test_request_id_reaches_log_records_through_the_filter(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.handler.addFilter(RequestIdLogFilter())
    try:
        with caplog.at_level(logging.INFO):
            Client().get("/log/", HTTP_X_REQUEST_ID="rid-in-view")
            inside = [r for r in caplog.records if r.getMessage() == "inside the view"]
            assert [r.rid for r in inside] == ["rid-in-view"]  # type: ignore[attr-defined]
    finally:
        caplog.handler.filters.clear()


@run_async
async def test_request_id_reaches_async_view_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.handler.addFilter(RequestIdLogFilter())
    try:
        with caplog.at_level(logging.INFO):
            await AsyncClient().get("/async/", headers={"X-Request-ID": "rid-async"})
        inside = [r for r in caplog.records if r.getMessage() == "inside the async view"]
        assert [r.rid for r in inside] == ["rid-async"]  # type: ignore[attr-defined]
        summary = [r for r in caplog.records if r.name == "request.summary"]
        assert [(r.rid, r.code) for r in summary] == [("rid-async", 200)]  # type: ignore[attr-defined]
    finally:
        caplog.handler.filters.clear()


def test_sync_chain_gets_a_sync_middleware() -> None:
    middleware = DockerflowMiddleware(lambda request: HttpResponse("inner"))
    assert not iscoroutinefunction(middleware)
    response = middleware(RequestFactory().get("/"))
    assert response.content == b"inner"


@run_async
async def test_async_chain_runs_in_the_event_loop_thread() -> None:
    seen: list[int] = []

    async def get_response(request: Any) -> HttpResponse:
        seen.append(threading.get_ident())
        return HttpResponse("inner")

    middleware = DockerflowMiddleware(get_response)
    assert iscoroutinefunction(middleware)
    response = await middleware(RequestFactory().get("/"))
    assert response.content == b"inner"
    assert seen == [threading.get_ident()]  # no sync_to_async hop
    lb = await middleware(RequestFactory().get("/__lbheartbeat__"))
    assert lb.status_code == 200 and seen == [threading.get_ident()]


def test_middleware_needs_get_response() -> None:
    with pytest.raises(ValueError):
        DockerflowMiddleware(None)  # type: ignore[arg-type]


@run_async
async def test_asgi_summary_fields(summaries: list[logging.LogRecord]) -> None:
    headers = {"User-Agent": "async-probe", "Accept-Language": "de"}
    response = await AsyncClient().get("/async/", headers=headers)
    assert response.status_code == 200
    [record] = summaries
    got = fields(record)
    assert got["agent"] == "async-probe" and got["lang"] == "de"
    assert (got["errno"], got["code"], got["path"], got["method"]) == (0, 200, "/async/", "GET")
