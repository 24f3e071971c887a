"""Mozilla's Dockerflow for FastAPI.

::

    from fastapi import FastAPI
    from dockerflow.fastapi import router
    from dockerflow.fastapi.middleware import MozlogRequestSummaryLogger, RequestIdMiddleware

    app = FastAPI()
    app.include_router(router)
    app.add_middleware(MozlogRequestSummaryLogger)
    app.add_middleware(RequestIdMiddleware)

:data:`router` serves ``/__lbheartbeat__``, ``/__heartbeat__``, ``/__version__`` and
``/__error__`` (:mod:`dockerflow.fastapi.views`); :mod:`dockerflow.fastapi.middleware`
gives requests their ids and logs ``request.summary``; :mod:`dockerflow.fastapi.checks`
holds the built-in checks (SQLAlchemy, Redis) and the check message classes.
"""

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute

from .views import error, heartbeat, lbheartbeat, version

__all__ = ["router"]


def _route(path: str, endpoint: Callable[..., Any], method: str) -> APIRoute:
    return APIRoute(path, endpoint=endpoint, methods=[method], tags=["Dockerflow"])


#: The Dockerflow endpoints; ``app.include_router(router)`` adds them to an app.
#:
#: ``GET`` and ``HEAD`` are routes of their own, so each has its own OpenAPI operation id
#: (one route for both gives the two operations the same id, which the OpenAPI
#: specification forbids and FastAPI warns about).
router = APIRouter(
    tags=["Dockerflow"],
    routes=[
        _route("/__lbheartbeat__", lbheartbeat, "GET"),
        _route("/__lbheartbeat__", lbheartbeat, "HEAD"),
        _route("/__heartbeat__", heartbeat, "GET"),
        _route("/__heartbeat__", heartbeat, "HEAD"),
        _route("/__version__", version, "GET"),
        _route("/__error__", error, "GET"),
    ],
)
