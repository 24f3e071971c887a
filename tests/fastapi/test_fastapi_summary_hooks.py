"""The reference's two hooks of ``MozlogRequestSummaryLogger``, ``_format(scope, info)``
and ``_log(scope, info)``: a subclass (or a patch) overriding them is called for every
request, with the ``info`` the reference passes."""

from __future__ import annotations

import logging
from typing import Any
from unittest import mock

from fastapi import FastAPI
from fastapi.testclient import TestClient

from dockerflow.fastapi import router
from dockerflow.fastapi.middleware import MozlogRequestSummaryLogger, RequestIdMiddleware


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _app(middleware: type[MozlogRequestSummaryLogger], logger: logging.Logger) -> TestClient:
    app = FastAPI()
    app.include_router(router)
    app.add_middleware(middleware, logger=logger)
    app.add_middleware(RequestIdMiddleware)

    @app.get("/boom")
    def boom() -> None:
        raise ValueError("boom")

    return TestClient(app, raise_server_exceptions=False)


def _logger(name: str) -> tuple[logging.Logger, _Records]:
    logger = logging.getLogger(name)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    records = _Records()
    logger.handlers[:] = [records]
    return logger, records


def test_an_overridden_format_builds_every_summary() -> None:
    class WithTenant(MozlogRequestSummaryLogger):
        def _format(self, scope: Any, info: Any) -> dict[str, Any]:
            fields = super()._format(scope, info)
            fields["tenant"] = info["request_headers"].get("x-tenant", "none")
            return fields

    logger, records = _logger("test.summary.format")
    client = _app(WithTenant, logger)
    assert client.get("/__lbheartbeat__", headers={"X-Tenant": "acme"}).status_code == 200
    assert client.get("/boom").status_code == 500
    ok, failed = records.records
    assert (ok.levelname, ok.tenant, ok.code, ok.errno) == ("INFO", "acme", 200, 0)  # type: ignore[attr-defined]
    # A request that raised: ERROR with its exception (our difference), the fields _format's.
    assert (failed.levelname, failed.tenant, failed.code) == ("ERROR", "none", 500)  # type: ignore[attr-defined]
    assert failed.errno == 500  # type: ignore[attr-defined]
    assert failed.exc_info is not None and failed.getMessage() == "boom"


def test_log_patched_after_the_app_is_built_gets_the_reference_info() -> None:
    logger, records = _logger("test.summary.log")
    client = _app(MozlogRequestSummaryLogger, logger)
    client.get("/__lbheartbeat__")  # the middleware stack is built
    records.records.clear()
    with mock.patch.object(MozlogRequestSummaryLogger, "_log", autospec=True) as log:
        client.get("/__lbheartbeat__", headers={"X-Tenant": "acme"})
        client.get("/boom")
    assert records.records == []  # the patch was called instead
    (_, scope, info), (_, _, failed) = (call.args for call in log.call_args_list)
    assert scope["path"] == "/__lbheartbeat__"
    assert info["response"]["status"] == 200 and info["response"]["type"] == "http.response.start"
    assert info["start_time"] <= info["end_time"]
    assert failed["response"]["status"] == 500 and isinstance(failed["exception"], ValueError)
    client.get("/__lbheartbeat__")  # unpatched again: our own path
    assert [r.code for r in records.records] == [200]  # type: ignore[attr-defined]


def test_summary_extra_is_called_even_when_the_custom_logger_is_off() -> None:
    called: list[str] = []

    class Counting(MozlogRequestSummaryLogger):
        def summary_extra(self, scope: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
            called.append(scope["path"])
            return super().summary_extra(scope, *args, **kwargs)

    logger, records = _logger("test.summary.off")
    logger.setLevel(logging.WARNING)
    _app(Counting, logger).get("/__lbheartbeat__")
    assert called == ["/__lbheartbeat__"]
    assert records.records == []
