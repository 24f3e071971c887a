"""``dockerflow probe``: a health probe for images without curl.

Over ``http://`` the probe speaks HTTP/1.0 on a plain socket: it needs neither
:mod:`http.client` nor :mod:`ssl` (which together double the start-up time of a
bare interpreter), and an HTTP/1.0 request gets a body without chunked encoding,
read until the server closes the connection. ``https://`` URLs go through
:mod:`http.client`, imported only then.

One deadline bounds everything (name resolution aside, which the system resolver
owns): connecting, sending, and every read gets what is left of ``--timeout``, so
a server that accepts and never answers, or answers a byte at a time, fails the
probe in time.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from . import EXIT_FAILED, EXIT_OK, EXIT_USAGE

#: The most of a body the probe reads (a heartbeat's JSON is far smaller).
MAX_BODY = 1 << 20
#: The most the probe says on stderr.
MAX_LINE = 300


class ProbeError(Exception):
    """The service could not be asked, or did not answer: the message says why."""


def default_url(heartbeat: bool, environ: Mapping[str, str] = os.environ) -> str:
    """``http://127.0.0.1:$PORT/__lbheartbeat__`` (or ``/__heartbeat__``), PORT 8000."""
    port = environ.get("PORT", "").strip() or "8000"
    return f"http://127.0.0.1:{port}{_path(heartbeat)}"


def _path(heartbeat: bool) -> str:
    return "/__heartbeat__" if heartbeat else "/__lbheartbeat__"


def resolve_url(url: str | None, heartbeat: bool, environ: Mapping[str, str] = os.environ) -> str:
    """The URL to probe: ``url`` completed with a scheme and the default path."""
    if not url:
        return default_url(heartbeat, environ)
    if "://" not in url:
        url = "http://" + url
    parts = urlsplit(url)
    if parts.path in ("", "/"):
        url = parts._replace(path=_path(heartbeat)).geturl()
    return url


def fetch(url: str, timeout: float) -> tuple[int, str, bytes]:
    """GET ``url`` and return ``(status, reason, body)``.

    :raises ProbeError: when the URL is not usable or the service does not answer
        an HTTP response within ``timeout`` seconds.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ProbeError(f"unsupported URL scheme {parts.scheme!r} (http or https)")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise ProbeError("the URL's port is not a number in 1-65535") from None
    host = parts.hostname
    if not host:
        raise ProbeError("the URL has no host")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    deadline = time.monotonic() + timeout
    try:
        if scheme == "https":
            return _fetch_https(host, port, target, timeout)
        return _fetch_http(host, port, target, deadline)
    except ProbeError:
        raise
    except TimeoutError:
        raise ProbeError(f"no answer within {timeout:g} s") from None
    except ConnectionRefusedError:
        raise ProbeError(f"connection refused on {host}:{port}") from None
    except socket.gaierror as exc:
        raise ProbeError(f"cannot resolve {host!r} ({exc.strerror})") from None
    except OSError as exc:
        raise ProbeError(f"{exc.strerror or type(exc).__name__} ({host}:{port})") from None


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    return left


def _fetch_http(host: str, port: int, target: str, deadline: float) -> tuple[int, str, bytes]:
    host_header = f"[{host}]" if ":" in host else host
    if port != 80:
        host_header += f":{port}"
    request = (
        f"GET {target} HTTP/1.0\r\nHost: {host_header}\r\n"
        "User-Agent: dockerflow-probe\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    ).encode("latin-1", "replace")
    with socket.create_connection((host, port), timeout=_remaining(deadline)) as sock:
        sock.sendall(request)
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_BODY:
            sock.settimeout(_remaining(deadline))
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    raw = b"".join(chunks)
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = raw.partition(b"\n\n")
    status_line = head.split(b"\n", 1)[0].strip().decode("latin-1")
    fields = status_line.split(" ", 2)
    if len(fields) < 2 or not fields[0].startswith("HTTP/") or not fields[1].isdigit():
        if not raw:
            raise ProbeError("the connection was closed without an answer")
        raise ProbeError(f"not an HTTP response: {status_line[:60]!r}")
    return int(fields[1]), fields[2] if len(fields) > 2 else "", body


def _fetch_https(host: str, port: int, target: str, timeout: float) -> tuple[int, str, bytes]:
    import http.client

    conn = http.client.HTTPSConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", target, headers={"User-Agent": "dockerflow-probe"})
        response = conn.getresponse()
        return response.status, response.reason, response.read(MAX_BODY)
    except http.client.HTTPException as exc:
        raise ProbeError(f"not an HTTP response ({type(exc).__name__})") from None
    finally:
        conn.close()


def failing_checks(payload: Any) -> list[str]:
    """The failing checks of a heartbeat body, with their message IDs.

    ``["check_database_connected (dockerflow.health.E001)", ...]``: the checks whose
    level is ``ERROR`` or worse in ``details``, or, without details, whose status in
    ``checks`` is ``error`` or ``critical``. Anything else in the body is ignored.
    """
    if not isinstance(payload, dict):
        return []
    failing: list[str] = []
    details = payload.get("details")
    if isinstance(details, dict):
        for name, detail in details.items():
            if not isinstance(detail, dict):
                continue
            level = detail.get("level")
            status = detail.get("status")
            if (isinstance(level, int) and level >= 40) or status in ("error", "critical"):
                messages = detail.get("messages")
                ids = ", ".join(map(str, messages)) if isinstance(messages, dict) else ""
                failing.append(f"{name} ({ids})" if ids else str(name))
    checks = payload.get("checks")
    if not failing and isinstance(checks, dict):
        failing = [str(n) for n, status in checks.items() if status in ("error", "critical")]
    return failing


def describe_failure(status: int, reason: str, body: bytes) -> str:
    """What a non-2xx answer says: the status, and the failing checks of a heartbeat."""
    text = f"{status} {reason}".strip()
    try:
        import json

        payload = json.loads(body)
    except (ValueError, RecursionError):
        return text
    failing = failing_checks(payload)
    if failing:
        text += "; failing: " + "; ".join(failing)
    elif isinstance(payload, dict) and isinstance(payload.get("status"), str):
        text += f"; status {payload['status']!r}"
    return text


def _say(message: str) -> None:
    line = message.replace("\n", " ")
    if len(line) > MAX_LINE:
        line = line[: MAX_LINE - 3] + "..."
    sys.stderr.write(f"dockerflow probe: {line}\n")


def run(args: argparse.Namespace) -> int:
    """Probe once; 0 on 2xx, 1 otherwise (and one line on stderr)."""
    url = resolve_url(args.url, args.heartbeat)
    try:
        status, reason, body = fetch(url, args.timeout)
    except ProbeError as exc:
        if str(exc).startswith(("unsupported URL", "the URL")):
            _say(f"{url}: {exc}")
            return EXIT_USAGE
        _say(f"{url}: {exc}")
        return EXIT_FAILED
    if 200 <= status < 300:
        return EXIT_OK
    _say(f"{url}: {describe_failure(status, reason, body)}")
    return EXIT_FAILED
