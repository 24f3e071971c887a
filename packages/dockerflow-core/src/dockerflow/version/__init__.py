"""Reading ``version.json``, the build's identity card.

The Dockerflow spec asks every image to carry ``/app/version.json``::

    {
        "source": "https://github.com/mozilla-services/my-app",
        "version": "2024.1.0",
        "commit": "52ce614fbf99540a1bf6228e36be6cef63b4d73b",
        "build": "https://ci.example.com/builds/2223"
    }

:func:`get_version` returns it parsed, or ``None`` when there is no such file. A
file that exists but cannot be used (invalid JSON, not an object, unreadable)
raises :class:`VersionFileError` rather than passing garbage on.

:func:`load_version` and :func:`load_version_async` are what the ``/__version__``
views of every integration use: they call a version callback and turn its outcome
into an HTTP status and a JSON body, logging one error when it fails.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import os
from collections.abc import Callable
from typing import Any

__all__ = [
    "VERSION_FIELDS",
    "VERSION_FILENAME",
    "VERSION_NOT_FOUND_TEXT",
    "VersionFileError",
    "get_version",
    "load_version",
    "load_version_async",
    "read_version_file",
    "version_problems",
]


def _logger() -> logging.Logger:
    # Looked up when used, not created at import: see dockerflow.request.get_summary_logger.
    return logging.getLogger(__name__)


VERSION_FILENAME = "version.json"

#: The fields the Dockerflow spec asks ``version.json`` to hold, in the spec's order.
VERSION_FIELDS = ("source", "version", "commit", "build")

#: A version callback: given the configured root, returns the version dict or ``None``.
VersionCallback = Callable[[Any], Any]


class VersionFileError(ValueError):
    """``version.json`` exists but cannot be read or is not a JSON object."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        #: The path of the offending file.
        self.path = path
        #: Why it cannot be used.
        self.reason = reason


def get_version(root: str | os.PathLike[str]) -> dict[str, Any] | None:
    """Load and return the contents of ``version.json`` in the directory ``root``.

    :param root: the directory holding ``version.json``.
    :returns: the parsed object, or ``None`` when the file does not exist.
    :raises VersionFileError: when the file exists but is unreadable, is not valid
        UTF-8 JSON, or does not hold a JSON object.
    """
    try:
        return _read(os.path.join(os.fspath(root), VERSION_FILENAME))
    except FileNotFoundError:
        return None


def read_version_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Load the version file at ``path`` with the rules ``/__version__`` applies.

    Unlike :func:`get_version`, ``path`` names the file itself and a missing file is
    an error too: this is what ``dockerflow version-json --check PATH`` uses.

    :raises VersionFileError: when the file is missing, unreadable, not valid UTF-8
        JSON, or does not hold a JSON object.
    """
    path = os.fspath(path)
    try:
        return _read(path)
    except FileNotFoundError:
        raise VersionFileError(path, "does not exist") from None


def _read(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as fp:
            raw = fp.read()
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise VersionFileError(path, "is a directory, not a file") from None
    except OSError as exc:
        raise VersionFileError(
            path, f"cannot be read ({exc.strerror or type(exc).__name__})"
        ) from exc
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise VersionFileError(path, f"is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise VersionFileError(path, f"must hold a JSON object, not {type(data).__name__}")
    return data


def version_problems(version: Any) -> list[str]:
    """Return what keeps ``version`` from being the spec's version object.

    The spec's object holds the four :data:`VERSION_FIELDS` as strings (``version``
    may be empty on a build that is not a release; other fields may be added). An
    empty list means the object conforms. ``/__version__`` serves whatever object the
    file holds; the ``dockerflow`` command uses this to tell a build that its file is
    incomplete::

        >>> version_problems({"source": "https://example.com", "version": "",
        ...                   "commit": "abc", "build": 7})
        ["'build' must be a string, not int"]
    """
    if not isinstance(version, dict):
        return [f"must be a JSON object, not {type(version).__name__}"]
    problems = []
    for field in VERSION_FIELDS:
        if field not in version:
            problems.append(f"no {field!r} field")
        elif not isinstance(version[field], str):
            problems.append(f"{field!r} must be a string, not {type(version[field]).__name__}")
        elif field != "version" and not version[field].strip():
            problems.append(f"{field!r} is empty")
    return problems


_NOT_FOUND: dict[str, Any] = {"status": "error", "error": "version information not found"}
_FAILED: dict[str, Any] = {"status": "error", "error": "version information is unavailable"}


def _outcome(version: Any) -> tuple[int, dict[str, Any]]:
    if version is None:
        return 404, dict(_NOT_FOUND)
    if not isinstance(version, dict):
        _logger().error("The version callback returned %s, not a dict", type(version).__name__)
        return 500, dict(_FAILED)
    return 200, version


def _failed(exc: Exception) -> tuple[int, dict[str, Any]]:
    if isinstance(exc, VersionFileError):
        _logger().error("Cannot serve version information: %s", exc)
    else:
        _logger().error("The version callback raised %s", type(exc).__name__, exc_info=exc)
    return 500, dict(_FAILED)


#: The body of the 404 ``/__version__`` answers when there is no version information (the
#: reference library's text, which the Django, Flask and Sanic integrations answer with).
VERSION_NOT_FOUND_TEXT = "version.json not found"


def load_version(callback: VersionCallback, root: Any) -> tuple[int, dict[str, Any]]:
    """Call ``callback(root)`` and return ``(status, body)`` for ``/__version__``.

    200 with the version, 404 when there is none, 500 (with one logged error and no
    details in the body) when the file is malformed or the callback fails.
    """
    try:
        return _outcome(callback(root))
    except Exception as exc:
        return _failed(exc)


async def load_version_async(callback: VersionCallback, root: Any) -> tuple[int, dict[str, Any]]:
    """Like :func:`load_version`, without blocking the event loop.

    An ``async`` callback is awaited; a sync one (such as :func:`get_version`, which
    reads a file) runs in the loop's default executor.
    """
    try:
        if inspect.iscoroutinefunction(callback):
            version = await callback(root)
        else:
            loop = asyncio.get_running_loop()
            version = await loop.run_in_executor(None, callback, root)
            if inspect.isawaitable(version):
                version = await version
        return _outcome(version)
    except Exception as exc:
        return _failed(exc)
