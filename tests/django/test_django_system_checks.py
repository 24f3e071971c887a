"""``manage.py check`` reports DOCKERFLOW_* settings the endpoints could not use."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client, override_settings
from djtest_support import HERE, project_env

from dockerflow.django import checks as dockerflow_checks
from dockerflow.django import views
from dockerflow.django.system_checks import (
    WARNING_FAILED_STATUS_PASSES,
    WARNING_MISSPELT_SETTING,
    WARNING_UNUSABLE_SETTING,
    WARNING_VERSION_UNREADABLE,
    check_dockerflow_settings,
)


def _ids(messages: list) -> list[str]:
    return [message.id for message in messages]


def test_the_test_project_has_nothing_to_report() -> None:
    assert check_dockerflow_settings() == []


@override_settings(
    DOCKERFLOW_CHECK_TIMEOUT="soon",
    DOCKERFLOW_HEARTBEAT_CACHE_TTL=-1,
    DOCKERFLOW_SUMMARY_LOG_QUERYSTRING="maybe",
)
def test_every_unusable_setting_is_a_warning_of_its_own() -> None:
    messages = check_dockerflow_settings()
    assert _ids(messages) == [WARNING_UNUSABLE_SETTING] * 3
    texts = [message.msg for message in messages]
    assert texts == [
        "DOCKERFLOW_CHECK_TIMEOUT must be a number of seconds, not 'soon'",
        "DOCKERFLOW_HEARTBEAT_CACHE_TTL must be zero or more seconds, not -1",
        "DOCKERFLOW_SUMMARY_LOG_QUERYSTRING must be a boolean (true/false, 1/0, on/off), "
        "not 'maybe'",
    ]
    assert all(message.is_serious() is False for message in messages)  # never blocks a command
    assert "500" in messages[0].hint


@pytest.mark.parametrize(
    ("code", "expected"), [(200, True), ("302", True), (400, False), (503, False)]
)
def test_a_failure_status_a_probe_reads_as_healthy(code: object, expected: bool) -> None:
    with override_settings(DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE=code):
        messages = check_dockerflow_settings()
    assert _ids(messages) == ([WARNING_FAILED_STATUS_PASSES] if expected else [])
    if expected:
        assert f"answers {int(code)}" in messages[0].msg  # type: ignore[call-overload]


@pytest.mark.parametrize(
    ("overrides", "warning", "text"),
    [
        (  # reported once, as unusable, not also as a status that passes
            {"DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE": "five hundred"},
            WARNING_UNUSABLE_SETTING,
            "DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE must be an HTTP status code",
        ),
        (
            {"DOCKERFLOW_VERSION_CALLBACK": "myproject.nowhere.get_version"},
            WARNING_VERSION_UNREADABLE,
            "'myproject.nowhere.get_version' cannot be imported",
        ),
        ({"BASE_DIR": None}, WARNING_VERSION_UNREADABLE, "BASE_DIR setting is needed"),
        (  # neither a callable nor a dotted path: it crashed every command
            {"DOCKERFLOW_VERSION_CALLBACK": 42},
            WARNING_VERSION_UNREADABLE,
            "must be a callable or the dotted path of one, not 42",
        ),
        (
            {"DOCKERFLOW_VERSION_CALLBACK": "os.sep"},
            WARNING_VERSION_UNREADABLE,
            "'os.sep' is '/', which is not callable",
        ),
    ],
)
def test_one_problem_one_warning(overrides: dict, warning: str, text: str) -> None:
    with override_settings(**overrides):
        messages = check_dockerflow_settings()
        assert _ids(messages) == [warning]
        assert text in messages[0].msg
        if warning == WARNING_VERSION_UNREADABLE:  # what the warning foretells
            response = Client().get("/__version__")
            assert response.status_code == 500
            assert response.json() == {
                "status": "error",
                "error": "version information is unavailable",
            }


@override_settings(
    DOCKERFLOW_REQUEST_ID_HEADER="X-Trace-ID",
    DOCKERFLOW_OWN_SETTING=1,
    DOCKERFLOW_REDIS_CHECK_TIMEOUT=2,  # a word more: an app's own too
)
def test_a_misspelt_setting_is_a_warning_naming_the_one_it_means() -> None:
    messages = check_dockerflow_settings()
    assert _ids(messages) == [WARNING_MISSPELT_SETTING]  # an app's own name is left alone
    assert (
        messages[0].msg
        == "DOCKERFLOW_REQUEST_ID_HEADER is not a Dockerflow setting, so Dockerflow ignores it."
    )
    assert messages[0].hint == "Did you mean DOCKERFLOW_REQUEST_ID_HEADER_NAME?"
    # Ignored, as it says: the id is read from X-Request-ID, not from X-Trace-ID.
    headers = {"X-Trace-ID": "trace-1", "X-Request-ID": "rid-1"}
    assert Client().get("/whoami/", headers=headers).json()["request_id"] == "rid-1"


@override_settings(DOCKERFLOW_CHECK_TIMEOUT="soon")
def test_the_check_command_reports_it_and_fails_only_when_asked() -> None:
    err = io.StringIO()
    call_command("check", tags=[views.SETTINGS_TAG], stdout=io.StringIO(), stderr=err)
    assert f"({WARNING_UNUSABLE_SETTING}) DOCKERFLOW_CHECK_TIMEOUT" in err.getvalue()
    with pytest.raises(SystemCheckError, match="DOCKERFLOW_CHECK_TIMEOUT"):
        call_command("check", tags=[views.SETTINGS_TAG], fail_level="WARNING", stdout=io.StringIO())
    with override_settings(SILENCED_SYSTEM_CHECKS=[WARNING_UNUSABLE_SETTING]):
        call_command("check", tags=[views.SETTINGS_TAG], fail_level="WARNING", stdout=io.StringIO())


@override_settings(
    DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE=200, DOCKERFLOW_HEARTBEAT_INCLUDE_DETAILS=True
)
def test_the_heartbeat_does_not_run_it() -> None:
    assert "check_dockerflow_settings" not in dict(views.heartbeat_checks())
    response = Client().get("/__heartbeat__")
    body = json.loads(response.content)
    assert response.status_code == 200, body
    assert "check_database_connected" in body["checks"]
    assert "check_dockerflow_settings" not in body["checks"]
    assert WARNING_FAILED_STATUS_PASSES not in json.dumps(body)


def test_manage_py_check_of_a_project_with_a_typo(tmp_path: Path) -> None:
    """The whole command, as a developer runs it, in a process of its own."""
    (tmp_path / "typo_settings.py").write_text(
        "from djtestproject.settings import *  # noqa: F403\n"
        'DOCKERFLOW_HEARTBEAT_INCLUDE_DETAILS = "yse"\n'
        "DOCKERFLOW_CHECKTIMEOUT = 2\n"
    )
    env = project_env(DJANGO_SETTINGS_MODULE="typo_settings")
    env["PYTHONPATH"] = f"{tmp_path}:{env['PYTHONPATH']}"
    command = [sys.executable, "-m", "django", "check"]
    run = subprocess.run(command, env=env, cwd=HERE, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert (
        "?: (dockerflow.W001) DOCKERFLOW_HEARTBEAT_INCLUDE_DETAILS must be a boolean "
        "(true/false, 1/0, on/off), not 'yse'" in run.stderr
    )
    assert "HINT: Every /__heartbeat__ answers 500 until it is fixed." in run.stderr
    assert (
        "?: (dockerflow.W004) DOCKERFLOW_CHECKTIMEOUT is not a Dockerflow setting, so "
        "Dockerflow ignores it.\n\tHINT: Did you mean DOCKERFLOW_CHECK_TIMEOUT?" in run.stderr
    )
    assert "System check identified 2 issues (0 silenced)." in run.stderr
    strict = subprocess.run(  # as docs/django.rst says to run it in a pipeline
        [*command, "--tag", "dockerflow_settings", "--fail-level", "WARNING"],
        env=env,
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert strict.returncode == 1
    assert "dockerflow.W001" in strict.stderr
    fixed = subprocess.run(  # the same command passes once the settings are right
        [*command, "--tag", "dockerflow_settings", "--fail-level", "WARNING"],
        env=project_env(),
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert fixed.returncode == 0, fixed.stderr


@override_settings(DOCKERFLOW_CHECKS="dockerflow.django.checks.check_database_connected")
def test_dockerflow_checks_given_as_one_string_is_refused_clearly() -> None:
    with pytest.raises(ImproperlyConfigured, match="must be a list of dotted paths"):
        dockerflow_checks.register()
