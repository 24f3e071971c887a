"""DOCKERFLOW_* settings parsing."""

from __future__ import annotations

import logging
import random

import pytest

from dockerflow.config import (
    DJANGO_SETTING_NAMES,
    SETTING_NAMES,
    ConfigurationError,
    DockerflowSettings,
    failure_status_warning,
    misspelled_settings,
    read_settings,
    settings_errors,
    warn_about_settings,
)


def _read(values, **kwargs):
    return read_settings(lambda name, default: values.get(name, default), **kwargs)


def test_defaults():
    assert _read({}) == DockerflowSettings()
    assert _read({}, include_details=False).heartbeat_include_details is False
    assert _read({}, check_timeout=2).check_timeout == 2.0


def test_values_from_the_environment_are_strings():
    settings = _read(
        {
            "DOCKERFLOW_CHECK_TIMEOUT": "2.5",
            "DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE": "503",
            "DOCKERFLOW_HEARTBEAT_CACHE_TTL": "10",
            "DOCKERFLOW_HEARTBEAT_INCLUDE_DETAILS": "off",
            "DOCKERFLOW_SUMMARY_LOG_QUERYSTRING": "true",
            "DOCKERFLOW_REQUEST_ID_HEADER_NAME": "X-Cloud-Trace",
            "DOCKERFLOW_ENABLE_ERROR_ENDPOINT": "0",
        },
        check_timeout=9,
    )
    assert settings == DockerflowSettings(
        check_timeout=2.5,
        heartbeat_failed_status_code=503,
        heartbeat_cache_ttl=10.0,
        heartbeat_include_details=False,
        summary_log_querystring=True,
        request_id_header_name="X-Cloud-Trace",
        enable_error_endpoint=False,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DOCKERFLOW_CHECK_TIMEOUT", "soon"),
        ("DOCKERFLOW_CHECK_TIMEOUT", 0),
        ("DOCKERFLOW_CHECK_TIMEOUT", -1),
        ("DOCKERFLOW_CHECK_TIMEOUT", float("nan")),
        ("DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE", "five hundred"),
        ("DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE", 99),
        ("DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE", True),
        ("DOCKERFLOW_HEARTBEAT_CACHE_TTL", -5),
        ("DOCKERFLOW_HEARTBEAT_INCLUDE_DETAILS", "maybe"),
        ("DOCKERFLOW_SUMMARY_LOG_QUERYSTRING", 2),
        ("DOCKERFLOW_REQUEST_ID_HEADER_NAME", 5),
        ("DOCKERFLOW_ENABLE_ERROR_ENDPOINT", "perhaps"),
    ],
)
def test_bad_values_name_the_setting(name, value):
    with pytest.raises(ConfigurationError, match=name):
        _read({name: value})
    errors = settings_errors({name: value}.get)
    assert [type(exc) for exc in errors] == [ConfigurationError]
    assert name in str(errors[0])


def test_falsy_header_name_means_default():
    assert (
        _read({"DOCKERFLOW_REQUEST_ID_HEADER_NAME": None}).request_id_header_name == "X-Request-ID"
    )


BAD = {
    "DOCKERFLOW_ENABLE_ERROR_ENDPOINT": "perhaps",
    "DOCKERFLOW_CHECK_TIMEOUT": "soon",
    "DOCKERFLOW_REQUEST_ID_HEADER_NAME": 5,
}


def test_settings_errors_lists_every_unusable_setting_in_read_order():
    errors = settings_errors(BAD.get)
    names = [str(exc).split()[0] for exc in errors]
    assert names == [
        "DOCKERFLOW_REQUEST_ID_HEADER_NAME",
        "DOCKERFLOW_CHECK_TIMEOUT",
        "DOCKERFLOW_ENABLE_ERROR_ENDPOINT",
    ]
    with pytest.raises(ConfigurationError) as raised:  # read_settings stops at the first
        _read(BAD)
    assert str(raised.value) == str(errors[0])
    assert settings_errors({}.get) == []
    # The integration's own default timeout is what is validated when none is set.
    assert settings_errors({}.get, check_timeout=2) == []


@pytest.mark.parametrize(
    ("code", "warned"), [(200, True), ("204", True), (399, True), (400, False), (500, False)]
)
def test_failure_status_warning(code, warned):
    text = failure_status_warning({"DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE": code}.get)
    if warned:
        assert text is not None and f"is {int(code)}: a failing heartbeat answers" in text
    else:
        assert text is None


def test_failure_status_warning_leaves_unusable_values_to_settings_errors():
    assert failure_status_warning({"DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE": "x"}.get) is None
    assert failure_status_warning({}.get) is None


def test_warn_about_settings_logs_each_problem(caplog):
    logger = logging.getLogger("tests.config")
    values = {**BAD, "DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE": 302}
    with caplog.at_level(logging.DEBUG, logger="tests.config"):
        logged = warn_about_settings(values.get, logger)
    assert [r.getMessage() for r in caplog.records] == logged
    assert {r.levelno for r in caplog.records} == {logging.WARNING}
    assert len(logged) == 4
    assert logged[0].endswith(": every /__heartbeat__ answers 500 until it is fixed")
    assert logged[-1].startswith("DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE is 302")
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="tests.config"):
        assert warn_about_settings({}.get, logger) == []
    assert caplog.records == []


@pytest.mark.parametrize(
    ("name", "meant"),
    [
        # A few letters wrong, case and separators aside.
        ("DOCKERFLOW_CHECKTIMEOUT", "DOCKERFLOW_CHECK_TIMEOUT"),
        ("DOCKERFLOW_CHECKS_TIMEOUT", "DOCKERFLOW_CHECK_TIMEOUT"),
        ("DOCKERFLOW_HEARTBEAT_FAIL_STATUS_CODE", "DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE"),
        ("DOCKERFLOW_SUMMARY_LOG_QUERY_STRING", "DOCKERFLOW_SUMMARY_LOG_QUERYSTRING"),
        ("DOCKERFLOW_ENABLE_ERROR_ENDPOINTS", "DOCKERFLOW_ENABLE_ERROR_ENDPOINT"),
        ("dockerflow_request_id_header_name", "DOCKERFLOW_REQUEST_ID_HEADER_NAME"),
        ("DOCKERFLOW-HEARTBEAT-CACHE-TTL", "DOCKERFLOW_HEARTBEAT_CACHE_TTL"),
        ("DOKCERFLOW_CHECK_TIMEOUT", "DOCKERFLOW_CHECK_TIMEOUT"),  # in the prefix
        ("DOCKER_FLOW_CHECK_TIMOUT", "DOCKERFLOW_CHECK_TIMEOUT"),
        ("DOKCERFOLW_CHECK_TIMEOUT", "DOCKERFLOW_CHECK_TIMEOUT"),
        # Words left out or swapped round.
        ("DOCKERFLOW_TIMEOUT", "DOCKERFLOW_CHECK_TIMEOUT"),
        ("DOCKERFLOW_CACHE_TTL", "DOCKERFLOW_HEARTBEAT_CACHE_TTL"),
        ("DOCKERFLOW_FAILED_STATUS_CODE", "DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE"),
        ("DOCKERFLOW_FAILED_HEARTBEAT_STATUS_CODE", "DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE"),
        ("DOCKERFLOW_INCLUDE_HEARTBEAT_DETAILS", "DOCKERFLOW_HEARTBEAT_INCLUDE_DETAILS"),
        ("DOCKERFLOW_INCLUDE_DETAILS", "DOCKERFLOW_HEARTBEAT_INCLUDE_DETAILS"),
        ("DOCKERFLOW_LOG_QUERYSTRING", "DOCKERFLOW_SUMMARY_LOG_QUERYSTRING"),
        ("DOCKERFLOW_REQUEST_ID_HEADER", "DOCKERFLOW_REQUEST_ID_HEADER_NAME"),
        ("DOCKERFLOW_ERROR_ENDPOINT", "DOCKERFLOW_ENABLE_ERROR_ENDPOINT"),
    ],
)
def test_a_misspelt_setting_names_the_one_it_means(name: str, meant: str) -> None:
    assert misspelled_settings(["DEBUG", name, "SECRET_KEY"]) == [(name, meant)]


@pytest.mark.parametrize(
    ("name", "meant"),
    [
        ("dockerflow_checks", "DOCKERFLOW_CHECKS"),
        ("DOCKER_FLOW_CHECKS", "DOCKERFLOW_CHECKS"),
        ("DOCKERFLOW_CHECK", "DOCKERFLOW_CHECKS"),
        ("Dockerflow_Version_Callback", "DOCKERFLOW_VERSION_CALLBACK"),
        ("DOCKERFLOW_CALLBACK", "DOCKERFLOW_VERSION_CALLBACK"),
    ],
)
def test_the_django_settings_count_when_they_are_known(name: str, meant: str) -> None:
    assert misspelled_settings([name], SETTING_NAMES | DJANGO_SETTING_NAMES) == [(name, meant)]
    assert misspelled_settings([name]) == []  # no other integration reads them


@pytest.mark.parametrize(
    "name",
    [
        *sorted(SETTING_NAMES),  # the right names
        # An application's own settings: a word more, or words of no setting.
        "DOCKERFLOW_CHECKS_EXTRA",
        "DOCKERFLOW_SENTRY_DSN",
        "DOCKERFLOW_REDIS_URL",
        "DOCKERFLOW_VERSION",
        "DOCKERFLOW_REDIS_CHECK_TIMEOUT",
        "DOCKERFLOW_CHECK_TIMEOUT_REDIS",
        "DOCKERFLOW_CHECK_TIMEOUT_MS",
        "DOCKERFLOW_VERSION_CALLBACK_ARGS",
        "DOCKERFLOW_REQUEST_ID_HEADERS",
        "DOCKERFLOW_HEARTBEAT_CACHE_SIZE",
        "DOCKERFLOW_HEARTBEAT_INCLUDE_VERSION",
        "DOCKERFLOW_ENABLE_VERSION_ENDPOINT",
        "DOCKERFLOW_ENABLE_HEARTBEAT_ENDPOINT",  # HEARTBEAT is no word of that setting
        "DOCKERFLOW_HEARTBEAT_TIMEOUT",
        "WORKFLOW_CHECK_TIMEOUT",
        # Close in letters, opposite in meaning: renaming them would be wrong.
        "DOCKERFLOW_DISABLE_ERROR_ENDPOINT",
        "DOCKERFLOW_HEARTBEAT_OK_STATUS_CODE",
        "DOCKERFLOW_HEARTBEAT_WARNING_STATUS_CODE",
        "DOCKERFLOW_HEARTBEAT_EXCLUDE_DETAILS",  # two letters from INCLUDE
        "DOCKERFLOW_NO_CHECKS",
        # Too little of any one setting.
        "DOCKERFLOW_HEARTBEAT",
        "DOCKERFLOW_HEARTBEAT_TTL",  # HEARTBEAT is in three settings: TTL alone is little
        "DOCKERFLOW_CODE",
        "DOCKERFLOW_REQUEST_ID",
        "DOCKER_HOST",
        "CHECK_TIMEOUT",
        "SECRET_KEY",
        42,  # not a name at all
    ],
)
def test_other_names_are_left_alone(name: object) -> None:
    assert misspelled_settings([name], SETTING_NAMES | DJANGO_SETTING_NAMES) == []


def test_warn_about_settings_reports_misspelt_names_in_order(caplog):
    logger = logging.getLogger("tests.config")
    names = [
        "dockerflow_check_timeout",
        "A",
        "DOCKERFLOW_TIMEOUT",
        "DOCKERFLOW_CHECKS",
        "DOCKERFLOW_VERSION_CALLBAK",
    ]
    with caplog.at_level(logging.DEBUG, logger="tests.config"):
        logged = warn_about_settings({}.get, logger, names=names)
    assert logged == [
        "DOCKERFLOW_CHECKS is read by dockerflow-django only, so it is ignored here",
        "dockerflow_check_timeout is not a Dockerflow setting, so Dockerflow ignores it: "
        "did you mean DOCKERFLOW_CHECK_TIMEOUT?",
        "DOCKERFLOW_TIMEOUT is not a Dockerflow setting, so Dockerflow ignores it: "
        "did you mean DOCKERFLOW_CHECK_TIMEOUT?",
        "DOCKERFLOW_VERSION_CALLBAK is not a Dockerflow setting, so Dockerflow ignores it; "
        "it looks like DOCKERFLOW_VERSION_CALLBACK, which dockerflow-django alone reads",
    ]
    assert [r.getMessage() for r in caplog.records] == logged


def _full_distance(given: str, meant: str) -> int:
    # The optimal string alignment distance, every cell computed: what _typos bands.
    d = [[i + j if i * j == 0 else 0 for j in range(len(meant) + 1)] for i in range(len(given) + 1)]
    for i in range(1, len(given) + 1):
        for j in range(1, len(meant) + 1):
            d[i][j] = min(
                d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (given[i - 1] != meant[j - 1])
            )
            if i > 1 and j > 1 and given[i - 1] == meant[j - 2] and given[i - 2] == meant[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


def test_the_banded_letter_count_agrees_with_the_full_distance_up_to_three() -> None:
    from dockerflow.config import _typos

    rng = random.Random(20261207)
    for _ in range(5000):
        meant = "".join(rng.choice("ABC") for _ in range(rng.randint(0, 8)))
        given = list(meant)
        for _ in range(rng.randint(0, 4)):  # letters left out, added, replaced, swapped
            where = rng.randrange(len(given) + 1)
            edit = rng.randrange(4)
            if edit == 0 and where < len(given):
                del given[where]
            elif edit == 1:
                given.insert(where, rng.choice("ABC"))
            elif edit == 2 and where < len(given):
                given[where] = rng.choice("ABC")
            elif edit == 3 and where + 1 < len(given):
                given[where], given[where + 1] = given[where + 1], given[where]
        text = "".join(given)
        assert _typos(text, meant) == min(_full_distance(text, meant), 3), (text, meant)
