"""Test-only middleware: which worker process answered (``X-Worker-Pid``), and
subclasses of ``DockerflowMiddleware`` as projects write them."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.utils.decorators import sync_and_async_middleware
from django.utils.functional import empty

from dockerflow.django.middleware import DockerflowMiddleware


@sync_and_async_middleware
def worker_pid(get_response: Callable[[Any], Any]) -> Callable[[Any], Any]:
    pid = str(os.getpid())
    if iscoroutinefunction(get_response):

        async def amiddleware(request: Any) -> Any:
            response = await get_response(request)
            response["X-Worker-Pid"] = pid
            return response

        return amiddleware

    def middleware(request: Any) -> Any:
        response = get_response(request)
        response["X-Worker-Pid"] = pid
        return response

    return middleware


class SummaryWithoutUser(DockerflowMiddleware):
    """A project's subclass: the summary never touches ``request.user`` (its
    authentication backend would create users), and carries a field of its own."""

    def _build_extra_meta(self, request: Any) -> dict[str, Any]:
        seen = request.__dict__.get("user")  # AuthenticationMiddleware's lazy user, unread
        extra = {
            "errno": 0,
            "agent": request.META.get("HTTP_USER_AGENT", ""),
            "lang": request.META.get("HTTP_ACCEPT_LANGUAGE", ""),
            "method": request.method,
            "path": request.path,
            "rid": request._id,
            "t": int(1000 * (time.time() - request._start_timestamp)),
            "tenant": "acme",
        }
        extra["user_loaded"] = seen is not None and seen._wrapped is not empty
        return extra


class ExtraResponseHook(DockerflowMiddleware):
    """A subclass extending ``process_response``: under ASGI it runs in a thread."""

    def process_response(self, request: Any, response: Any) -> Any:
        response["X-Summary-Thread"] = str(threading.get_ident())
        return super().process_response(request, response)
