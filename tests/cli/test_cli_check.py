"""``dockerflow check`` against the examples, a server breaking the rules and one that hangs."""

from __future__ import annotations

import json

import pytest
from cli_support import EXAMPLES, dockerflow
from services import free_port

REQUIRED = {
    "version.status",
    "heartbeat.status",
    "heartbeat.body",
    "heartbeat.status-matches",
    "lbheartbeat.status",
    "lbheartbeat.fast",
    "request-id.echo",
}


def report(*args: str) -> tuple[int, dict[str, dict[str, object]], dict[str, object]]:
    result = dockerflow("check", "--json", *args, timeout=120)
    assert result.stderr == ""
    data = json.loads(result.stdout)
    return result.returncode, {rule["id"]: rule for rule in data["rules"]}, data


EXAMPLE_NAMES = sorted(p.name for p in EXAMPLES.iterdir() if (p / "Dockerfile").exists())


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_check_passes_against_every_example(example, name):
    server = example(name)
    status, rules, data = report(server.url)
    assert data["passed"] is True, rules
    assert status == 0
    assert set(rules) >= REQUIRED
    for rule_id in REQUIRED - {"request-id.echo"}:
        assert rules[rule_id]["result"] == "pass", rules[rule_id]
    # Our examples serve their version.json and show the heartbeat's details.
    for rule_id in ("version.content-type", "version.body", "heartbeat.content-type"):
        assert rules[rule_id]["result"] == "pass", rules[rule_id]
    # and HEAD answers on both heartbeats.
    assert rules["head.lbheartbeat"]["result"] == "pass", rules["head.lbheartbeat"]

    human = dockerflow("check", server.url, timeout=120)
    assert human.returncode == 0
    lines = human.stdout.splitlines()
    assert lines[0] == f"Dockerflow check of {server.url}"
    assert lines[-1] == "PASSED: every required rule"
    assert any(line.startswith("PASS  heartbeat.body ") for line in lines)


def test_check_fails_against_the_broken_server_naming_each_rule(test_server):
    server = test_server("broken")
    status, rules, data = report(server.url)
    assert status == 1
    assert data["passed"] is False
    failed = {rule_id for rule_id, rule in rules.items() if rule["result"] == "fail"}
    assert failed == {
        "version.content-type",  # text/plain
        "version.body",  # {"version": 3}
        "heartbeat.content-type",  # text/html
        "heartbeat.body",  # an HTML page
        "lbheartbeat.status",  # 302
        "head.lbheartbeat",  # 405 (recommended)
        "head.heartbeat",  # 405 (recommended)
        "request-id.echo",  # X-Request-ID: not-yours
    }
    assert not rules["head.heartbeat"]["required"]
    assert "the answer has 'not-yours'" in rules["request-id.echo"]["detail"]
    assert "no 'source' field" in rules["version.body"]["detail"]
    assert "'version' must be a string, not int" in rules["version.body"]["detail"]
    assert "not JSON" in rules["heartbeat.body"]["detail"]
    assert "302" in rules["lbheartbeat.status"]["detail"]

    human = dockerflow("check", server.url)
    assert human.returncode == 1
    assert "FAIL  heartbeat.body " in human.stdout
    assert "WARN  head.heartbeat " in human.stdout
    assert human.stdout.splitlines()[-1] == (
        "FAILED: 6 required rule(s): version.content-type, version.body, "
        "heartbeat.content-type, heartbeat.body, lbheartbeat.status, request-id.echo"
    )


def test_check_a_failing_heartbeat_is_still_conforming(test_server):
    """A 500 with the documented body is the spec at work, not a violation."""
    server = test_server("failing")
    status, rules, _ = report(server.url)
    assert status == 0
    assert rules["heartbeat.status"]["detail"] == "500 Internal Server Error"
    assert rules["heartbeat.status-matches"]["result"] == "pass"
    assert rules["version.status"]["detail"] == "404: the service has no version.json"
    assert rules["request-id.echo"]["result"] == "pass"


def test_check_lbheartbeat_that_waits_on_the_backing_services(test_server):
    server = test_server("slow")
    status, rules, _ = report("--samples", "3", server.url)
    assert status == 1
    assert rules["lbheartbeat.fast"]["result"] == "fail"
    assert "wait on what the heartbeat checks" in rules["lbheartbeat.fast"]["detail"]


def test_check_against_a_server_that_never_answers(test_server):
    server = test_server("hang")
    status, rules, _ = report("--timeout", "0.5", server.url)
    assert status == 1
    assert set(rules) == {"version.status", "heartbeat.status", "lbheartbeat.status"}
    for rule in rules.values():
        assert rule["result"] == "fail"
        assert rule["detail"].endswith("no answer within 0.5 s")


def test_check_nothing_listening():
    port = free_port()
    status, rules, _ = report(f"http://127.0.0.1:{port}")
    assert status == 1
    assert all(rule["detail"].endswith("connection refused") for rule in rules.values())


def test_check_usage_error():
    result = dockerflow("check", "ftp://example.com")
    assert result.returncode == 2
    assert result.stderr == "dockerflow check: not an http(s) URL: 'ftp://example.com'\n"


def test_check_a_service_in_another_language(test_server):
    """Perl, HTTP/1.1 chunked bodies, a warning that answers 200, an echoed request id."""
    server = test_server("perl")
    status, rules, data = report(server.url)
    assert (status, data["passed"]) == (0, True)
    assert {rule["result"] for rule in rules.values()} == {"pass"}
    assert rules["heartbeat.body"]["detail"] == "status 'warning', 2 checks"
    assert rules["request-id.echo"]["detail"] == "X-Request-ID echoed"
    probe = dockerflow("probe", "--heartbeat", server.url)
    assert (probe.returncode, probe.stderr) == (0, "")


def test_check_a_warning_must_answer_200(test_server):
    server = test_server("perl:warning-503")
    status, rules, _ = report(server.url)
    assert status == 1
    failed = [rule_id for rule_id, rule in rules.items() if rule["result"] == "fail"]
    assert failed == ["heartbeat.status-matches"]
    assert rules["heartbeat.status-matches"]["detail"] == "503 for status 'warning', expected 200"
    probe = dockerflow("probe", "--heartbeat", server.url)
    assert probe.returncode == 1
    assert probe.stderr.strip().endswith("503 Service Unavailable; status 'warning'")
