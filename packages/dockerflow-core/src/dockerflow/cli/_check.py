"""``dockerflow check URL``: a running service against the Dockerflow spec, rule by rule.

Every rule is a :class:`Rule`: an ID (``heartbeat.body``), whether the spec requires
it, a result (``pass``, ``fail``, ``skip``) and why. The service is only ever sent
``GET`` and ``HEAD`` requests to its three Dockerflow endpoints; nothing here assumes
it is written with this library, or in Python.

Rules about bodies are lenient where the spec is: ``/__heartbeat__`` must answer a
JSON object with a ``status``; ``checks`` and ``details`` must have the documented
shape when they are there, and their absence (some integrations show them only to
staff or in debug mode) is reported by a recommended rule.
"""

from __future__ import annotations

import argparse
import http.client
import json
import secrets
import socket
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..version import version_problems
from . import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from ._probe import failing_checks
from ._rules import Rule, passed, render

#: The most of a body ``check`` reads.
MAX_BODY = 1 << 20
#: Heartbeat statuses that answer 200, and those that answer 5xx.
PASSING = ("ok", "debug", "info", "warning")
FAILING = ("error", "critical")
LEVELS = {"debug": 10, "info": 20, "ok": 0, "warning": 30, "error": 40, "critical": 50}
#: Below this median, a heartbeat is too fast to tell whether the load-balancer
#: heartbeat waits on the same backing services.
INDEPENDENCE_FLOOR = 0.2
#: The load-balancer heartbeat must answer within this (median), whatever else.
LB_BUDGET = 1.0


@dataclass
class Answer:
    """An HTTP answer, or why there was none (``error``)."""

    status: int = 0
    reason: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    seconds: float = 0.0
    error: str = ""

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    def describe(self) -> str:
        if self.error:
            return self.error
        return f"{self.status} {self.reason}".strip()


class Client:
    """Requests to one service, one connection per request."""

    def __init__(self, base: str, timeout: float) -> None:
        parts = urlsplit(base if "://" in base else "http://" + base)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base!r}")
        try:
            parts.port  # noqa: B018 (validates the port)
        except ValueError:
            raise ValueError(f"the port of {base!r} is not a number in 1-65535") from None
        self.scheme = parts.scheme
        self.netloc = parts.netloc
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout

    def url(self, path: str) -> str:
        return f"{self.scheme}://{self.netloc}{self.prefix}{path}"

    def request(self, method: str, path: str, headers: dict[str, str] | None = None) -> Answer:
        cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        conn = cls(self.netloc, timeout=self.timeout)
        started = time.perf_counter()
        try:
            conn.request(
                method,
                self.prefix + path,
                headers={"User-Agent": "dockerflow-check", **(headers or {})},
            )
            response = conn.getresponse()
            body = response.read(MAX_BODY) if method != "HEAD" else b""
            return Answer(
                status=response.status,
                reason=response.reason,
                headers={k.lower(): v for k, v in response.getheaders()},
                body=body,
                seconds=time.perf_counter() - started,
            )
        except TimeoutError:
            return Answer(error=f"no answer within {self.timeout:g} s")
        except ConnectionRefusedError:
            return Answer(error="connection refused")
        except socket.gaierror as exc:
            return Answer(error=f"cannot resolve the host ({exc.strerror})")
        except http.client.HTTPException as exc:
            return Answer(error=f"not a valid HTTP answer ({type(exc).__name__}: {exc})")
        except OSError as exc:
            return Answer(error=exc.strerror or type(exc).__name__)
        finally:
            conn.close()


def _json(answer: Answer) -> tuple[Any, str]:
    """The body as JSON, or ``(None, why not)``."""
    try:
        return json.loads(answer.body), ""
    except (ValueError, RecursionError):
        start = answer.body[:40].decode("utf-8", "replace").strip()
        return None, f"the body is not JSON (starts with {start!r})"


def check_version(client: Client) -> list[Rule]:
    """``/__version__``: 200 with the spec's object as JSON, or 404 without one."""
    answer = client.request("GET", "/__version__")
    if answer.error:
        return [Rule("version.status", True, "fail", f"GET /__version__: {answer.error}")]
    rules = []
    if answer.status == 404:
        return [Rule("version.status", True, "pass", "404: the service has no version.json")]
    if answer.status != 200:
        return [
            Rule(
                "version.status",
                True,
                "fail",
                f"GET /__version__ answered {answer.describe()}, expected 200 (or 404)",
            )
        ]
    rules.append(Rule("version.status", True, "pass", "200"))
    rules.append(_content_type_rule("version.content-type", answer))
    payload, why = _json(answer)
    if why:
        rules.append(Rule("version.body", True, "fail", why))
    else:
        problems = version_problems(payload)
        if problems:
            rules.append(Rule("version.body", True, "fail", "; ".join(problems)))
        else:
            rules.append(
                Rule("version.body", True, "pass", "source, version, commit, build: strings")
            )
    return rules


def _content_type_rule(rule_id: str, answer: Answer) -> Rule:
    if answer.content_type == "application/json":
        return Rule(rule_id, True, "pass", "application/json")
    found = answer.headers.get("content-type", "none")
    return Rule(rule_id, True, "fail", f"Content-Type is {found!r}, expected application/json")


def _heartbeat_shape(payload: Any) -> list[str]:
    """What keeps ``payload`` from being the documented heartbeat body."""
    if not isinstance(payload, dict):
        return [f"the body is a JSON {type(payload).__name__}, not an object"]
    problems = []
    status = payload.get("status")
    if status not in LEVELS:
        problems.append(f"'status' is {status!r}, expected one of {', '.join(LEVELS)}")
    checks = payload.get("checks")
    if checks is not None:
        if not isinstance(checks, dict):
            problems.append("'checks' is not an object")
        else:
            bad = [str(n) for n, s in checks.items() if s not in LEVELS]
            if bad:
                problems.append(f"'checks' has statuses that are not levels: {', '.join(bad)}")
    details = payload.get("details")
    if details is not None:
        if not isinstance(details, dict):
            problems.append("'details' is not an object")
        else:
            for name, detail in details.items():
                if not (
                    isinstance(detail, dict)
                    and detail.get("status") in LEVELS
                    and isinstance(detail.get("level"), int)
                    and isinstance(detail.get("messages"), dict)
                ):
                    problems.append(
                        f"details[{name!r}] is not {{'status', 'level' (int), 'messages' (object)}}"
                    )
    return problems


def check_heartbeat(client: Client) -> tuple[list[Rule], Answer]:
    """``/__heartbeat__``: 200 or 5xx, a JSON body of the documented shape."""
    answer = client.request("GET", "/__heartbeat__")
    if answer.error:
        return [
            Rule("heartbeat.status", True, "fail", f"GET /__heartbeat__: {answer.error}")
        ], answer
    rules = []
    if answer.status == 200 or 500 <= answer.status < 600:
        rules.append(Rule("heartbeat.status", True, "pass", answer.describe()))
    else:
        rules.append(
            Rule(
                "heartbeat.status",
                True,
                "fail",
                f"GET /__heartbeat__ answered {answer.describe()}, expected 200 or 5xx",
            )
        )
        return rules, answer
    rules.append(_content_type_rule("heartbeat.content-type", answer))
    payload, why = _json(answer)
    if why:
        rules.append(Rule("heartbeat.body", True, "fail", why))
        return rules, answer
    problems = _heartbeat_shape(payload)
    if problems:
        rules.append(Rule("heartbeat.body", True, "fail", "; ".join(problems)))
        return rules, answer
    status = payload["status"]
    checks = payload.get("checks")
    shown = f"{len(checks)} checks" if isinstance(checks, dict) else "no checks shown"
    rules.append(Rule("heartbeat.body", True, "pass", f"status {status!r}, {shown}"))
    if "checks" in payload and "details" in payload:
        rules.append(Rule("heartbeat.details", False, "pass", "'checks' and 'details' present"))
    else:
        rules.append(
            Rule(
                "heartbeat.details",
                False,
                "fail",
                "'checks' or 'details' missing (hidden from this client?)",
            )
        )
    expected_ok = status in PASSING
    if expected_ok == (answer.status == 200):
        rules.append(
            Rule("heartbeat.status-matches", True, "pass", f"{answer.status} for {status!r}")
        )
    else:
        expected = "200" if expected_ok else "5xx"
        why = f"{answer.status} for status {status!r}, expected {expected}"
        failing = failing_checks(payload)
        if failing:
            why += f" (failing: {'; '.join(failing)})"
        rules.append(Rule("heartbeat.status-matches", True, "fail", why))
    return rules, answer


def check_lbheartbeat(client: Client, samples: int) -> tuple[list[Rule], Answer]:
    """``/__lbheartbeat__``: 200, fast, and not waiting on the backing services."""
    answer = client.request("GET", "/__lbheartbeat__")
    if answer.error:
        return [
            Rule("lbheartbeat.status", True, "fail", f"GET /__lbheartbeat__: {answer.error}")
        ], answer
    if answer.status != 200:
        return [
            Rule(
                "lbheartbeat.status",
                True,
                "fail",
                f"GET /__lbheartbeat__ answered {answer.describe()}, expected 200",
            )
        ], answer
    rules = [Rule("lbheartbeat.status", True, "pass", "200")]
    lb = [answer.seconds, *_latencies(client, "/__lbheartbeat__", samples - 1)]
    hb = _latencies(client, "/__heartbeat__", samples)
    if not hb or len(lb) < samples:
        rules.append(
            Rule(
                "lbheartbeat.fast", True, "fail", "some requests failed while timing the endpoints"
            )
        )
        return rules, answer
    lb_median, hb_median = statistics.median(lb), statistics.median(hb)
    timing = f"median {lb_median * 1000:.1f} ms, heartbeat {hb_median * 1000:.1f} ms"
    if lb_median > LB_BUDGET:
        rules.append(Rule("lbheartbeat.fast", True, "fail", f"{timing}: over {LB_BUDGET:g} s"))
    elif hb_median < INDEPENDENCE_FLOOR:
        rules.append(
            Rule(
                "lbheartbeat.fast",
                True,
                "pass",
                f"{timing} (the heartbeat is too fast to tell whether it waits on the same services)",
            )
        )
    elif lb_median > hb_median / 2:
        rules.append(
            Rule(
                "lbheartbeat.fast",
                True,
                "fail",
                f"{timing}: it seems to wait on what the heartbeat checks",
            )
        )
    else:
        rules.append(Rule("lbheartbeat.fast", True, "pass", timing))
    return rules, answer


def _latencies(client: Client, path: str, count: int) -> list[float]:
    seconds = []
    for _ in range(count):
        answer = client.request("GET", path)
        if answer.error:
            return []
        seconds.append(answer.seconds)
    return seconds


def check_head(client: Client) -> list[Rule]:
    """``HEAD`` on the heartbeats: what load balancers and uptime monitors send."""
    rules = []
    for path in ("/__lbheartbeat__", "/__heartbeat__"):
        answer = client.request("HEAD", path)
        name = f"head.{path.strip('/_')}"
        if answer.error:
            rules.append(Rule(name, False, "fail", f"HEAD {path}: {answer.error}"))
        elif answer.status == 200 or (path == "/__heartbeat__" and 500 <= answer.status < 600):
            rules.append(Rule(name, False, "pass", f"HEAD {path}: {answer.describe()}"))
        else:
            rules.append(Rule(name, False, "fail", f"HEAD {path}: {answer.describe()}"))
    return rules


def check_request_id(client: Client) -> Rule:
    """An ``X-Request-ID`` sent is the one echoed, when the service echoes one."""
    sent = "dockerflow-check-" + secrets.token_hex(8)
    answer = client.request("GET", "/__lbheartbeat__", {"X-Request-ID": sent})
    if answer.error:
        return Rule("request-id.echo", True, "fail", f"GET /__lbheartbeat__: {answer.error}")
    echoed = answer.headers.get("x-request-id")
    if echoed is None:
        return Rule("request-id.echo", True, "skip", "the service sends no X-Request-ID header")
    if echoed == sent:
        return Rule("request-id.echo", True, "pass", "X-Request-ID echoed")
    return Rule(
        "request-id.echo", True, "fail", f"sent X-Request-ID {sent!r}, the answer has {echoed!r}"
    )


def run_checks(client: Client, samples: int = 5) -> list[Rule]:
    """Every rule, in report order."""
    rules = check_version(client)
    heartbeat_rules, _ = check_heartbeat(client)
    rules += heartbeat_rules
    lb_rules, lb_answer = check_lbheartbeat(client, samples)
    rules += lb_rules
    if lb_answer.error:
        return rules  # the service is not there: HEAD and request ids would say the same
    rules += check_head(client)
    rules.append(check_request_id(client))
    return rules


def report(url: str, rules: list[Rule], as_json: bool) -> str:
    """The report: one line per rule, or one JSON object."""
    if as_json:
        return json.dumps(
            {"url": url, "passed": passed(rules), "rules": [asdict(r) for r in rules]}, indent=2
        )
    lines = [f"Dockerflow check of {url}", *render(rules)]
    failed = [r.id for r in rules if r.required and r.result == "fail"]
    if failed:
        lines.append(f"FAILED: {len(failed)} required rule(s): {', '.join(failed)}")
    else:
        lines.append("PASSED: every required rule")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Check the service at ``args.url``; 0 when every required rule passes."""
    try:
        client = Client(args.url, args.timeout)
    except ValueError as exc:
        sys.stderr.write(f"dockerflow check: {exc}\n")
        return EXIT_USAGE
    rules = run_checks(client, args.samples)
    sys.stdout.write(report(client.url(""), rules, args.json) + "\n")
    return EXIT_OK if passed(rules) else EXIT_FAILED
