"""Write the intersphinx inventories the documentation links through, offline.

The documentation is built where nothing but package indexes can be reached, so Sphinx
cannot download the ``objects.inv`` of the Python, Django, Flask, Werkzeug, Sanic,
FastAPI and redis-py documentation at build time. This script writes, for each of those
sites, a small inventory of exactly the objects our pages and docstrings link to, each
with the page and anchor where that site documents it (the URL scheme of the site's own
inventory: ``library/logging.html#logging.LogRecord`` on docs.python.org, ...). FastAPI
publishes no inventory at all (its site is not built with Sphinx): its entries point at
the anchors of its reference pages. The files are committed next to this script;
``docs/conf.py`` hands them to intersphinx with the sites' real base URLs, so every link
in the built pages goes to the real documentation.

Before writing, every name is imported from the installed packages (the docs
environment has them all), so an inventory never promises an object that does not
exist; a name added to the docs that no inventory knows makes ``sphinx-build -n -W``
fail, and belongs in ``ENTRIES`` below.

    uv run --group docs python docs/inventories/make_inventories.py          # write
    uv run --group docs python docs/inventories/make_inventories.py --check  # CI: up to date?
"""

from __future__ import annotations

import argparse
import importlib
import sys
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: project key: (project name, base URL given to intersphinx in docs/conf.py).
SITES: dict[str, tuple[str, str]] = {
    "python": ("Python", "https://docs.python.org/3/"),
    "django": ("Django", "https://docs.djangoproject.com/en/stable/"),
    "flask": ("Flask", "https://flask.palletsprojects.com/en/stable/"),
    "werkzeug": ("Werkzeug", "https://werkzeug.palletsprojects.com/en/stable/"),
    "sanic": ("Sanic", "https://sanic.readthedocs.io/en/stable/"),
    "fastapi": ("FastAPI", "https://fastapi.tiangolo.com/"),
    "redis": ("redis-py", "https://redis.readthedocs.io/en/stable/"),
}

_PY_LOGGING = "library/logging.html"

#: project key: [(name, role, page#anchor relative to the site's base URL), ...]
ENTRIES: dict[str, list[tuple[str, str, str]]] = {
    "python": [
        *(
            (module, "py:module", f"library/{module}.html#module-{module}")
            for module in (
                "argparse",
                "asyncio",
                "contextvars",
                "http.client",
                "json",
                "logging",
                "logging.config",
                "multiprocessing",
                "socket",
                "ssl",
                "urllib.parse",
            )
        ),
        *(
            (
                f"collections.abc.{name}",
                "py:class",
                f"library/collections.abc.html#collections.abc.{name}",
            )
            for name in (
                "Awaitable",
                "Callable",
                "Collection",
                "Iterable",
                "Iterator",
                "Mapping",
                "MutableMapping",
            )
        ),
        ("asyncio.to_thread", "py:function", "library/asyncio-task.html#asyncio.to_thread"),
        ("contextvars.ContextVar", "py:class", "library/contextvars.html#contextvars.ContextVar"),
        ("json.JSONEncoder", "py:class", "library/json.html#json.JSONEncoder"),
        # How Sphinx 8 (the last on Python 3.10) names these: by their defining module.
        ("json.encoder.JSONEncoder", "py:class", "library/json.html#json.JSONEncoder"),
        ("_contextvars.ContextVar", "py:class", "library/contextvars.html#contextvars.ContextVar"),
        *(
            (f"logging.{name}", "py:class", f"{_PY_LOGGING}#logging.{name}")
            for name in (
                "Filter",
                "Formatter",
                "Handler",
                "LogRecord",
                "Logger",
                "StreamHandler",
            )
        ),
        *(
            (f"logging.{name}", "py:method", f"{_PY_LOGGING}#logging.{name}")
            for name in ("Logger.handle", "Logger.info", "StreamHandler.emit", "Handler.emit")
        ),
        ("logging.getLogger", "py:function", f"{_PY_LOGGING}#logging.getLogger"),
        (
            "logging.setLogRecordFactory",
            "py:function",
            f"{_PY_LOGGING}#logging.setLogRecordFactory",
        ),
        ("logging.lastResort", "py:data", f"{_PY_LOGGING}#logging.lastResort"),
        *(
            (
                f"logging.config.{name}",
                "py:function",
                f"library/logging.config.html#logging.config.{name}",
            )
            for name in ("dictConfig", "fileConfig")
        ),
        ("os.PathLike", "py:class", "library/os.html#os.PathLike"),
        ("os.environ", "py:data", "library/os.html#os.environ"),
        ("os.urandom", "py:function", "library/os.html#os.urandom"),
        ("logging.FileHandler", "py:class", "library/logging.handlers.html#logging.FileHandler"),
        ("re.Pattern", "py:class", "library/re.html#re.Pattern"),
        ("sys.stdout", "py:data", "library/sys.html#sys.stdout"),
        ("time.perf_counter", "py:function", "library/time.html#time.perf_counter"),
        ("types.TracebackType", "py:class", "library/types.html#types.TracebackType"),
    ],
    "django": [
        ("django.apps.AppConfig", "py:class", "ref/applications/#django.apps.AppConfig"),
        # How autodoc names the base class of our AppConfig: its defining module.
        ("django.apps.config.AppConfig", "py:class", "ref/applications/#django.apps.AppConfig"),
        ("django.core.checks", "py:module", "ref/checks/#module-django.core.checks"),
        (
            "django.core.checks.register",
            "py:function",
            "topics/checks/#django.core.checks.register",
        ),
        ("django.http.Http404", "py:exception", "topics/http/views/#django.http.Http404"),
        (
            "django.utils.deprecation.MiddlewareMixin",
            "py:class",
            "topics/http/middleware/#django.utils.deprecation.MiddlewareMixin",
        ),
    ],
    "flask": [
        ("flask.Flask", "py:class", "api/#flask.Flask"),
        ("flask.app.Flask", "py:class", "api/#flask.Flask"),
        ("flask.Flask.root_path", "py:attribute", "api/#flask.Flask.root_path"),
        ("flask.Config.from_prefixed_env", "py:method", "api/#flask.Config.from_prefixed_env"),
        ("flask.Request", "py:class", "api/#flask.Request"),
        ("flask.wrappers.Request", "py:class", "api/#flask.Request"),
        ("flask.g", "py:data", "api/#flask.g"),
    ],
    "werkzeug": [
        (
            "werkzeug.exceptions.InternalServerError",
            "py:exception",
            "exceptions/#werkzeug.exceptions.InternalServerError",
        ),
    ],
    "sanic": [
        ("sanic.Sanic", "py:class", "sanic/api/app.html#sanic.app.Sanic"),
        ("sanic.app.Sanic", "py:class", "sanic/api/app.html#sanic.app.Sanic"),
        ("sanic.Sanic.url_for", "py:method", "sanic/api/app.html#sanic.app.Sanic.url_for"),
        ("sanic.request.Request", "py:class", "sanic/api/core.html#sanic.request.Request"),
        ("sanic.request.types.Request", "py:class", "sanic/api/core.html#sanic.request.Request"),
    ],
    "fastapi": [
        ("fastapi.FastAPI", "py:class", "reference/fastapi/#fastapi.FastAPI"),
        ("fastapi.applications.FastAPI", "py:class", "reference/fastapi/#fastapi.FastAPI"),
        ("fastapi.APIRouter", "py:class", "reference/apirouter/#fastapi.APIRouter"),
        ("fastapi.routing.APIRouter", "py:class", "reference/apirouter/#fastapi.APIRouter"),
        ("fastapi.Request", "py:class", "reference/request/#fastapi.Request"),
        ("starlette.requests.Request", "py:class", "reference/request/#fastapi.Request"),
        ("fastapi.Response", "py:class", "reference/response/#fastapi.Response"),
        ("starlette.responses.Response", "py:class", "reference/response/#fastapi.Response"),
    ],
    "redis": [
        ("redis.Redis", "py:class", "connections.html#redis.Redis"),
        ("redis.client.Redis", "py:class", "connections.html#redis.Redis"),
        ("redis.asyncio.Redis", "py:class", "connections.html#redis.asyncio.client.Redis"),
        ("redis.asyncio.client.Redis", "py:class", "connections.html#redis.asyncio.client.Redis"),
    ],
}


def _resolve(name: str) -> object:
    """Import ``name`` (a module, or an attribute path inside one)."""
    parts = name.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attribute in parts[split:]:
            obj = getattr(obj, attribute)
        return obj
    raise ImportError(name)


def inventory(key: str) -> bytes:
    """The ``objects.inv`` (Sphinx inventory version 2) of the site ``key``."""
    project, _ = SITES[key]
    lines = []
    for name, role, uri in sorted(ENTRIES[key]):
        # AttributeError / ImportError: the docs would link to nothing. An instance
        # attribute (py:attribute) exists only on instances: its class is checked.
        _resolve(name.rpartition(".")[0] if role == "py:attribute" else name)
        lines.append(f"{name} {role} 1 {uri} -\n")
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n"
        "# Version: \n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    return header.encode() + zlib.compress("".join(lines).encode(), 9)


def _text(data: bytes) -> str:
    """An inventory's content, uncompressed (zlib's bytes differ between its releases)."""
    header = b"".join(data.splitlines(keepends=True)[:4])
    return (header + zlib.decompress(data[len(header) :])).decode()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when a file is out of date")
    args = parser.parse_args(argv)
    stale = []
    for key in SITES:
        path = HERE / f"{key}.inv"
        data = inventory(key)
        if args.check:
            if not path.exists() or _text(path.read_bytes()) != _text(data):
                stale.append(path.name)
        else:
            path.write_bytes(data)
    if stale:
        print(f"out of date: {', '.join(stale)}; run {Path(__file__).name}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
