"""Per-request overhead of DockerflowMiddleware, measured in one process.

Two WSGI handlers serve the same small Django project (the middleware list of
``django-admin startproject``, a view answering ``ok``); one also has
``DockerflowMiddleware`` with ``request.summary`` formatted by ``MozlogFormatter``
into a handler writing to ``/dev/null``. Both are called directly with a prepared
WSGI environ, in interleaved rounds; the overhead is the median ratio of their
per-request times, minus one.

    uv run python benchmarks/bench_django.py [--rounds 60] [--requests 500] [--bare] [--configure]

``--bare`` measures against a project with no other middleware (the worst case
for the ratio). ``--reference`` measures the reference library's middleware
instead (run it in a virtualenv where that library is installed).

``--floor`` also measures, in the same way, the project with a hand-written
middleware in its place that does only the observable work, inline: the request id
read and checked, set as ``request.request_id`` and for the request's records, the
Dockerflow paths looked up, the start time, the session marked accessed as reading
the user's id marks it (the response's ``Vary: Cookie``), the nine fields
serialized, written and flushed into the same handler's stream under its lock. No
settings, no checks of the logging configuration, no error path, no hooks a subclass
could override: what any implementation must spend, a yardstick for the ratio.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import statistics
import sys
import time
import types
from typing import Any

STARTPROJECT_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]


#: The project's urlconf (this module is ``ROOT_URLCONF``), filled in by :func:`setup`.
urlpatterns: list[Any] = []


def ok(request: Any) -> Any:
    from django.http import HttpResponse

    return HttpResponse("ok")


def setup(reference: bool, configure: bool = False) -> None:
    """Set the project up as ``django-admin startproject`` does: from a settings module
    (``DJANGO_SETTINGS_MODULE``), or with ``configure=True`` through
    ``settings.configure()``, as a test setup may (every setting read past ``LazySettings``
    then walks its ``UserSettingsHolder``)."""
    import django
    from django.conf import settings

    formatter = (
        "dockerflow.logging.JsonLogFormatter" if reference else "dockerflow.logging.MozlogFormatter"
    )
    values = {
        "DEBUG": False,
        "SECRET_KEY": "bench-" + "x" * 50,
        "ALLOWED_HOSTS": ["*"],
        "ROOT_URLCONF": __name__,
        "INSTALLED_APPS": [
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "django.contrib.sessions",
            "django.contrib.messages",
            "dockerflow.django",
        ],
        "DATABASES": {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        "USE_TZ": True,
        "LOGGING": {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"mozlog": {"()": formatter, "logger_name": "bench"}},
            "handlers": {
                "devnull": {
                    "class": "logging.FileHandler",
                    "filename": os.devnull,
                    "formatter": "mozlog",
                }
            },
            "loggers": {
                "request.summary": {"handlers": ["devnull"], "level": "INFO", "propagate": False}
            },
        },
    }
    if configure:
        settings.configure(**values)
    else:
        module = types.ModuleType("bench_django_settings")
        module.__dict__.update(values)
        sys.modules[module.__name__] = module
        os.environ["DJANGO_SETTINGS_MODULE"] = module.__name__
    import warnings

    warnings.simplefilter("ignore", DeprecationWarning)
    django.setup()
    from django.urls import path

    urlpatterns.append(path("items/", ok))


#: The paths a Dockerflow middleware answers itself (the floor only looks them up).
FLOOR_ENDPOINTS = frozenset(
    f"/{name}{slash}"
    for name in ("__version__", "__heartbeat__", "__lbheartbeat__", "__error__")
    for slash in ("", "/")
)


def floor_middleware(get_response: Any) -> Any:
    """The least a Dockerflow middleware does per request (see ``--floor``)."""
    from _common import FloorWriter

    from dockerflow.request import generate_request_id, is_valid_request_id, request_id_context

    write = FloorWriter().write

    def middleware(request: Any) -> Any:
        start = time.perf_counter()
        meta = request.META
        rid = meta.get("HTTP_X_REQUEST_ID")
        if not is_valid_request_id(rid):
            rid = generate_request_id()
        request.request_id = rid
        request_id_context.set(rid)
        if request.path_info in FLOOR_ENDPOINTS:  # never, here: the cost of the lookup
            raise AssertionError("the floor serves no Dockerflow endpoint")
        response = get_response(request)
        session = request.session
        if session.session_key is None:  # no session cookie: anonymous
            session.accessed = True  # as reading the user id would (Vary: Cookie)
            uid = ""
        else:
            user = request.user
            uid = user.pk if user.is_authenticated else ""
        write(
            {
                "errno": 0,
                "code": response.status_code,
                "agent": meta.get("HTTP_USER_AGENT", ""),
                "lang": meta.get("HTTP_ACCEPT_LANGUAGE", ""),
                "method": request.method,
                "path": request.path,
                "uid": uid,
                "rid": rid,
                "t": int((time.perf_counter() - start) * 1000),
            }
        )
        return response

    return middleware


def make_handler(middleware: list[str]) -> Any:
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler

    settings.MIDDLEWARE = middleware
    return WSGIHandler()


def environ() -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/items/",
        "QUERY_STRING": "page=2",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "HTTP_USER_AGENT": "bench/1.0",
        "HTTP_ACCEPT_LANGUAGE": "en-US",
        "HTTP_X_REQUEST_ID": "0b8f4e3a-1f7c-4c7e-9a57-1c2b3d4e5f60",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }


def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
    return None


def per_request(handler: Any, n: int) -> float:
    """CPU seconds per request (process time: robust against other busy processes)."""
    env = environ()
    start = time.process_time()
    for _ in range(n):
        response = handler(dict(env), start_response)
        response.close()
    return (time.process_time() - start) / n


class ClientHandler:
    """Requests through ``django.test.Client`` (which builds the environ and keeps
    cookies) instead of calling the WSGI handler directly."""

    def __init__(self, middleware: list[str]) -> None:
        from django.conf import settings
        from django.test import Client

        settings.MIDDLEWARE = middleware
        self.client = Client(
            HTTP_USER_AGENT="bench/1.0",
            HTTP_ACCEPT_LANGUAGE="en-US",
            HTTP_X_REQUEST_ID="0b8f4e3a-1f7c-4c7e-9a57-1c2b3d4e5f60",
        )
        self.client.get("/items/")  # loads the middleware with these settings

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        response = self.client.get("/items/", {"page": "2"})
        assert response.status_code == 200
        start_response(f"{response.status_code} {response.reason_phrase}", [])
        return response


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--bare", action="store_true", help="no other middleware")
    parser.add_argument("--reference", action="store_true", help="the reference library")
    parser.add_argument("--client", action="store_true", help="through django.test.Client")
    parser.add_argument(
        "--configure", action="store_true", help="settings.configure() instead of a settings module"
    )
    parser.add_argument(
        "--floor", action="store_true", help="also measure a minimal hand-written middleware"
    )
    args = parser.parse_args()
    if args.floor and args.reference:
        parser.error("--floor measures our yardstick: run it without --reference")

    setup(args.reference, configure=args.configure)
    base = [] if args.bare else STARTPROJECT_MIDDLEWARE
    dockerflow = ["dockerflow.django.middleware.DockerflowMiddleware", *base]
    factory = ClientHandler if args.client else make_handler
    without, with_df = factory(base), factory(dockerflow)

    # The middleware really logs: one record per request, formatted, to /dev/null.
    records: list[logging.LogRecord] = []
    probe = logging.Handler()
    probe.emit = records.append  # type: ignore[method-assign]
    logging.getLogger("request.summary").addHandler(probe)
    status: list[str] = []
    env = environ()
    with_df(env, lambda code, headers, exc_info=None: status.append(code)).close()
    logging.getLogger("request.summary").removeHandler(probe)
    assert len(records) == 1, "the middleware did not log request.summary"
    assert status == ["200 OK"], f"the view did not answer 200 OK: {status}"
    floor = None
    if args.floor:
        floor = factory([f"{__name__}.floor_middleware", *base])
        # The floor's response is ours, headers included (the session's Vary: Cookie).
        answers = []
        for handler in (with_df, floor):
            seen: list[Any] = []

            def note(code: str, headers: Any, exc_info: Any = None, seen: list[Any] = seen) -> None:
                seen.append((code, headers))

            handler(environ(), note).close()
            answers.append(seen)
        assert answers[0] == answers[1], f"the floor answers otherwise: {answers}"

    label = "reference dockerflow" if args.reference else "dockerflow-django"
    project = "bare project" if args.bare else "startproject middleware"
    how = "django.test.Client" if args.client else "WSGIHandler"
    where = "settings.configure()" if args.configure else "a settings module"
    print(f"{label}, {project}, {how}, {where}, {args.rounds} rounds x {args.requests} requests")
    summary = logging.getLogger("request.summary")
    for logged in (True, False):
        summary.disabled = not logged
        base_us, with_us, ratio = measure(without, with_df, args.rounds, args.requests)
        what = "request.summary to /dev/null" if logged else "request.summary logger disabled"
        print(f"  {what}:")
        print(f"    without middleware: {base_us:8.1f} us CPU/request (median)")
        print(f"    with middleware:    {with_us:8.1f} us CPU/request (median)")
        print(f"    overhead: {(ratio - 1) * 100:+.1f}% (median of per-round ratios)")
        if floor is not None and logged:
            base_us, floor_us, ratio = measure(without, floor, args.rounds, args.requests)
            print("  the floor, a hand-written middleware doing only the observable work:")
            print(f"    without middleware: {base_us:8.1f} us CPU/request (median)")
            print(f"    with the floor:     {floor_us:8.1f} us CPU/request (median)")
            print(f"    overhead: {(ratio - 1) * 100:+.1f}% (median of per-round ratios)")
    summary.disabled = False


def measure(without: Any, with_df: Any, rounds: int, requests: int) -> tuple[float, float, float]:
    """Interleaved rounds; medians of per-request CPU time and of the per-round ratio."""
    for handler in (without, with_df):  # warm up
        per_request(handler, requests // 4)
    ratios, bases, withs = [], [], []
    for i in range(rounds):
        order = (without, with_df) if i % 2 == 0 else (with_df, without)
        times = {id(h): per_request(h, requests) for h in order}
        bases.append(times[id(without)])
        withs.append(times[id(with_df)])
        ratios.append(times[id(with_df)] / times[id(without)])
    return statistics.median(bases) * 1e6, statistics.median(withs) * 1e6, statistics.median(ratios)


if __name__ == "__main__":
    main()
