"""Helpers shared by the Sanic tests: HTTP with the standard library, a live server."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

import pytest
from sanic import Sanic
from services import free_port


def summaries(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The ``request.summary`` records captured so far."""
    return [r for r in caplog.records if r.name == "request.summary"]


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


def http_get(url: str, headers: dict[str, str] | None = None, timeout: float = 30) -> Answer:
    """GET ``url`` with the standard library; any status is an answer, not an error."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return Answer(resp.status, resp.read(), dict(resp.headers))
    except urllib.error.HTTPError as err:
        return Answer(err.code, err.read(), dict(err.headers))


class LiveServer:
    """A Sanic server for one app, serving on ``self.url`` from a background thread."""

    def __init__(self, app: Sanic) -> None:
        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._test_mode = False
        self._thread = threading.Thread(target=self._run, name="sanic-live-server", daemon=True)

    def start(self) -> LiveServer:
        # Sanic rewrites some of its methods at startup ("touchup"); test mode lets it
        # do that again for every app a test session starts, as sanic-testing does.
        self._test_mode = Sanic.test_mode
        Sanic.test_mode = True
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("the Sanic server did not start")
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        if self.loop is not None and self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)
        Sanic.test_mode = self._test_mode

    def get(self, path: str, headers: dict[str, str] | None = None, timeout: float = 30) -> Answer:
        return http_get(self.url + path, headers, timeout)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:
            self._error = exc
            self._ready.set()

    async def _serve(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        server = await self.app.create_server(
            host="127.0.0.1", port=self.port, return_asyncio_server=True, access_log=False
        )
        assert server is not None
        await server.startup()
        await server.before_start()
        await server.after_start()
        await server.start_serving()
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await server.before_stop()
            server.close()
            await server.wait_closed()
            await server.after_stop()
