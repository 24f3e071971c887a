"""DOCKERFLOW_* settings parsing."""

from __future__ import annotations

import pytest

from dockerflow.config import ConfigurationError, DockerflowSettings, read_settings


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


def test_falsy_header_name_means_default():
    assert (
        _read({"DOCKERFLOW_REQUEST_ID_HEADER_NAME": None}).request_id_header_name == "X-Request-ID"
    )
