"""A test-only middleware: tells which worker process answered (``X-Worker-Pid``)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.utils.decorators import sync_and_async_middleware


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
