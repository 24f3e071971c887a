"""The test-only views, and the middleware adding the worker's pid to every response."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.http import HttpResponse
from django.utils.decorators import sync_and_async_middleware

from faults_apps import PID_HEADER, occupy


@sync_and_async_middleware
def worker_pid_middleware(get_response: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Sync under WSGI, async under ASGI: no thread hop added in front of Dockerflow's."""
    if iscoroutinefunction(get_response):

        async def async_middleware(request: Any) -> Any:
            response = await get_response(request)
            response[PID_HEADER] = str(os.getpid())
            return response

        return async_middleware

    def middleware(request: Any) -> Any:
        response = get_response(request)
        response[PID_HEADER] = str(os.getpid())
        return response

    return middleware


def pid(request: Any) -> HttpResponse:
    return HttpResponse(str(os.getpid()))


def occupied(request: Any) -> HttpResponse:
    # Under gunicorn's sync worker this holds the worker's only thread.
    return HttpResponse(str(occupy(request.GET.get("token", ""))))
