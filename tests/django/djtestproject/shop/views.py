from __future__ import annotations

import logging
import time
from typing import Any

from django.http import Http404, HttpResponse, JsonResponse

from .models import Item

logger = logging.getLogger("djtestproject")


def index(request: Any) -> HttpResponse:
    return HttpResponse("hello")


def items(request: Any) -> JsonResponse:
    return JsonResponse({"count": Item.objects.count()})


def boom(request: Any) -> HttpResponse:
    raise ValueError("boom from the view")


def missing(request: Any) -> HttpResponse:
    raise Http404("no such thing")


def whoami(request: Any) -> JsonResponse:
    return JsonResponse(
        {
            "request_id": getattr(request, "request_id", None),
            "_id": getattr(request, "_id", None),
            "user": request.user.pk if request.user.is_authenticated else None,
        }
    )


def log_something(request: Any) -> HttpResponse:
    logger.info("inside the view")
    return HttpResponse("logged")


def sleep(request: Any) -> HttpResponse:
    time.sleep(float(request.GET.get("s", "1")))
    return HttpResponse("slept")


async def async_view(request: Any) -> HttpResponse:
    logger.info("inside the async view")
    return HttpResponse("async hello")


async def async_boom(request: Any) -> HttpResponse:
    raise ValueError("boom from the async view")


def session_login(request: Any) -> HttpResponse:
    """Log a user in by writing the session keys only (``request.user`` stays the lazy
    anonymous user Django's ``AuthenticationMiddleware`` set). With ``status=500`` the
    response is an error, so ``SessionMiddleware`` does not save the session: it stays
    without a key."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User

    user = User.objects.get(username=request.GET["username"])
    request.session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    request.session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    request.session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    return HttpResponse("session written", status=int(request.GET.get("status", "200")))
