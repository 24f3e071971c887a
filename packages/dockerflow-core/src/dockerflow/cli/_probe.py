"""``dockerflow probe``: a health probe for images without curl.

Over ``http://`` the probe speaks HTTP/1.0 on a plain socket: it needs neither
:mod:`http.client` nor :mod:`ssl` (which together double the start-up time of a
bare interpreter), and an HTTP/1.0 request gets a body without chunked encoding,
read until the server closes the connection. ``https://`` URLs go through
:mod:`http.client`, imported only then.

URLs are split here rather than by :mod:`urllib.parse` (which imports :mod:`ipaddress`),
and host names are passed to the resolver as bytes (a ``str`` makes :mod:`socket` load
the IDNA codec and :mod:`stringprep`): both only to start faster.

One deadline bounds everything (name resolution aside, which the system resolver
owns): connecting, sending, and every read gets what is left of ``--timeout``, so
a server that accepts and never answers, or answers a byte at a time, fails the
probe in time.
"""

from __future__ import annotations

# _socket, not socket: the C module is all a probe needs, and socket.py's imports
# (selectors, enum, collections, ...) would add to every probe's start-up.
import _socket
import os
import sys
import time

from . import EXIT_FAILED, EXIT_OK

# Annotations only: typing, collections.abc and urllib.parse would each add to the
# start-up time of every probe (see benchmarks/bench_cli_startup.py).
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Mapping
    from typing import Any

#: The most of a body the probe reads (a heartbeat's JSON is far smaller).
MAX_BODY = 1 << 20
#: The most the probe says on stderr.
MAX_LINE = 300


class ProbeArgs:
    """The probe's options, as :func:`quick_args` reads them (without :mod:`argparse`)."""

    def __init__(self, url: str | None, heartbeat: bool, timeout: float) -> None:
        self.url = url
        self.heartbeat = heartbeat
        self.timeout = timeout


def quick_args(argv: list[str]) -> ProbeArgs | None:
    """Read ``[URL] [--heartbeat] [--timeout SECONDS]`` without :mod:`argparse`.

    Importing :mod:`argparse` is the largest part of the probe's start-up, paid at every
    ``HEALTHCHECK``. Anything but these plain forms (``--help``, an unknown option, a
    bad value) returns ``None``: :mod:`argparse` then parses, and reports errors, as for
    every other command.
    """
    url: str | None = None
    heartbeat = False
    timeout = 2.0
    index = 0
    while index < len(argv):
        word = argv[index]
        if word == "--heartbeat":
            heartbeat = True
        elif word == "--timeout" or word.startswith("--timeout="):
            if word == "--timeout":
                index += 1
                if index == len(argv):
                    return None
                text = argv[index]
            else:
                text = word.partition("=")[2]
            try:
                timeout = float(text)
            except ValueError:
                return None
            if not 0 < timeout < float("inf"):
                return None
        elif word.startswith("-") or url is not None:
            return None
        else:
            url = word
        index += 1
    return ProbeArgs(url, heartbeat, timeout)


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
    scheme, _, rest = url.partition("://")
    cut = min((i for i in map(rest.find, "/?#") if i >= 0), default=len(rest))
    netloc, tail = rest[:cut], rest[cut:]
    if tail.split("#", 1)[0].split("?", 1)[0] in ("", "/"):
        query = tail.split("#", 1)[0].partition("?")[2]
        url = f"{scheme}://{netloc}{_path(heartbeat)}" + (f"?{query}" if query else "")
    return url


def split_url(url: str) -> tuple[str, str, int, str]:
    """``(scheme, host, port, target)`` of an http(s) URL.

    :raises ProbeError: when the URL is not an http(s) URL with a host and a valid port.
    """
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in ("http", "https"):
        raise ProbeError(f"unsupported URL scheme {scheme!r} (http or https)")
    rest = rest.split("#", 1)[0]
    cut = min((i for i in map(rest.find, "/?") if i >= 0), default=len(rest))
    netloc, target = rest[:cut], rest[cut:]
    if not target.startswith("/"):
        target = "/" + target
    netloc = netloc.rpartition("@")[2]  # credentials are not sent
    if netloc.startswith("["):  # [IPv6]:port
        host, _, port_text = netloc[1:].partition("]")
        port_text = port_text.removeprefix(":")
    else:
        host, _, port_text = netloc.partition(":")
    if not host:
        raise ProbeError("the URL has no host")
    if not port_text:
        return scheme, host, 443 if scheme == "https" else 80, target
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ProbeError("the URL's port is not a number in 1-65535")
    return scheme, host, int(port_text), target


def fetch(url: str, timeout: float) -> tuple[int, str, bytes]:
    """GET ``url`` and return ``(status, reason, body)``.

    :raises ProbeError: when the URL is not usable or the service does not answer
        an HTTP response within ``timeout`` seconds.
    """
    scheme, host, port, target = split_url(url)
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
    except _socket.gaierror as exc:
        raise ProbeError(f"cannot resolve {host!r} ({exc.strerror})") from None
    except OSError as exc:
        raise ProbeError(f"{exc.strerror or type(exc).__name__} ({host}:{port})") from None


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    return left


def _connect(host: str, port: int, deadline: float) -> _socket.socket:
    """A connected socket to ``host:port``: each address the resolver gives, in turn."""
    address = host.encode("ascii") if host.isascii() else host
    error: OSError | None = None
    for family, kind, proto, _, sockaddr in _socket.getaddrinfo(
        address, port, 0, _socket.SOCK_STREAM
    ):
        sock = _socket.socket(family, kind, proto)
        try:
            sock.settimeout(_remaining(deadline))
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            sock.close()
            error = exc
    raise error or OSError(f"no address for {host}")


def _fetch_http(host: str, port: int, target: str, deadline: float) -> tuple[int, str, bytes]:
    host_header = f"[{host}]" if ":" in host else host
    if port != 80:
        host_header += f":{port}"
    request = (
        f"GET {target} HTTP/1.0\r\nHost: {host_header}\r\n"
        "User-Agent: dockerflow-probe\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    ).encode("latin-1", "replace")
    chunks: list[bytes] = []
    size = 0
    sock = _connect(host, port, deadline)
    try:
        sock.settimeout(_remaining(deadline))
        sock.sendall(request)
        while size <= MAX_BODY:
            sock.settimeout(_remaining(deadline))
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        sock.close()
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


def run(args: argparse.Namespace | ProbeArgs) -> int:
    """Probe once; 0 on 2xx, 1 otherwise (and one line on stderr)."""
    url = resolve_url(args.url, args.heartbeat)
    try:
        status, reason, body = fetch(url, args.timeout)
    except ProbeError as exc:
        # A URL that cannot be used (say, PORT=abc in the environment) is a failed probe
        # too, exit status 1: Docker reserves 2 in HEALTHCHECK commands.
        _say(f"{url}: {exc}")
        return EXIT_FAILED
    if 200 <= status < 300:
        return EXIT_OK
    _say(f"{url}: {describe_failure(status, reason, body)}")
    return EXIT_FAILED
