"""The one list of intended differences from the reference library.

Every difference the compat suite finds between the reference (``dockerflow==2026.3.4``)
and our packages must be covered by an entry here; any other difference fails. An entry
exists only where the reference is defective (a crash, a hang, a leak, a lost or garbled
log record, a security exposure) and names its entry in ``docs/migration.rst`` (a text
that must appear there: ``test_compat_core.py`` checks it does).

Entries match by scenario name and observation path, both shell-style patterns
(``fnmatch``): ``logs[*].fields.msg`` matches that field of every captured record.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any


@dataclass(frozen=True)
class Intended:
    """An intended difference.

    :param scenarios: the scenario names it applies to (patterns).
    :param path: the observation path (pattern).
    :param reason: why we differ: the reference's defect.
    :param migration: a text of ``docs/migration.rst`` that documents it.
    """

    scenarios: str
    path: str
    reason: str
    migration: str

    def covers(self, difference: Any) -> bool:
        return fnmatchcase(difference.scenario, self.scenarios) and fnmatchcase(
            difference.path, self.path
        )


INTENDED: tuple[Intended, ...] = (
    Intended(
        scenarios="core_formatter_jsonlike_message",
        path="*.Fields.msg",
        reason="The reference formatter drops the message of a record whose text starts with "
        "'{' and ends with '}': the record's text is lost.",
        migration="**A message that looks like JSON is logged.**",
    ),
    Intended(
        scenarios="flask_init_rejects_what_cannot_work",
        path="cannot_work_*",
        reason="The reference accepts an object argument that can never work (the redis "
        "module instead of a client, a URL instead of Flask-SQLAlchemy): every heartbeat "
        "then fails with E100, long after the deployment.",
        migration="**What can never work is refused at setup.**",
    ),
    Intended(
        scenarios="flask_summary_extra_that_raises",
        path="*",
        reason="A summary_extra() override that raises crashes every request under the "
        "reference (the exception escapes its after_request function and its exception "
        "handler), and no request.summary is logged; ours answers the request, logs the "
        "summary with the default fields, and logs the failure once per process.",
        migration="**An overridden** ``summary_extra()`` **that raises breaks no request.**",
    ),
    # FastAPI (docs/migration.rst, "Per framework", FastAPI).
    Intended(
        scenarios="fastapi_version_missing",
        path="version.*",
        reason="The reference answers a missing version.json with 200 and null: a probe "
        "cannot tell a build without version information from one with it.",
        migration="**A missing** ``version.json`` **answers 404**",
    ),
    Intended(
        scenarios="fastapi_summary_of_an_exception",
        path="logs*.level",
        reason="The reference logs the summary of a request that raised at INFO without its "
        "exception, like a success: the failure is lost from the request's record.",
        migration="**A request that raised is logged at ERROR with its exception**",
    ),
    Intended(
        scenarios="fastapi_summary_of_an_exception",
        path="logs*.message",
        reason="The reference logs the summary of a request that raised at INFO without its "
        "exception, like a success: the failure is lost from the request's record.",
        migration="**A request that raised is logged at ERROR with its exception**",
    ),
    Intended(
        scenarios="fastapi_summary_logger_subclass_overriding_format_and_log",
        path="*_logs[[]4].level",
        reason="The reference logs the summary of a request that raised at INFO without its "
        "exception, like a success, with an overridden _format or _log too.",
        migration="**A request that raised is logged at ERROR with its exception**",
    ),
    Intended(
        scenarios="fastapi_summary_logger_subclass_overriding_format_and_log",
        path="*_logs[[]4].message",
        reason="The reference logs the summary of a request that raised at INFO without its "
        "exception, like a success, with an overridden _format or _log too.",
        migration="**A request that raised is logged at ERROR with its exception**",
    ),
    Intended(
        scenarios="fastapi_summary_handlers",
        path="handlers",
        reason="The reference adds a handler each time the middleware is built: every "
        "summary is written twice with two apps or a rebuilt middleware stack.",
        migration="**One handler, however many apps**",
    ),
    Intended(
        scenarios="fastapi_summary_records",
        path="*rid",
        reason="The reference looks the configured request-id header up, capitals and all, "
        "among lowercased names: DOCKERFLOW_REQUEST_ID_HEADER_NAME never works.",
        migration="**A custom request-id header works**",
    ),
    Intended(
        scenarios="fastapi_hostile_request_ids",
        path="rid*.body.rid",
        reason="The reference keeps any request id (too long, spaces, separators): a client "
        "writes arbitrary text into the logs.",
        migration="**Request ids are validated.**",
    ),
    # Flask (docs/migration.rst, "Flask").
    Intended(
        scenarios="flask_heartbeat_signals",
        path="after_*",
        reason="The reference sends the Flask heartbeat signals with the extension as sender, "
        "so a receiver connected with connect_via(app), as its documentation shows, never "
        "runs: the signal is lost. Ours runs it (once), besides the receivers of the "
        "extension and of any sender.",
        migration="**Heartbeat signal receivers connected to the application run.**",
    ),
    Intended(
        scenarios="flask_each_request_in_one_app_context_has_its_own_id",
        path="second.body.rid",
        reason="Inside one pushed application context, the reference gives the second "
        "request the first request's g.request_id (while its log records carry the second "
        "id): a garbled record of which request did what.",
        migration="**Each request has its own** ``g.request_id``",
    ),
    Intended(
        scenarios="flask_hooks_driven_by_hand",
        path="rid_after",
        reason="A request driven through Flask's hooks by hand (preprocess_request, then "
        "process_response) leaves its id in the reference's request-id context variable "
        "after it is over, so every later record of the caller carries a stale rid.",
        migration="**A finished request releases its id**",
    ),
    Intended(
        scenarios="flask_documented_settings_and_request_id_filter",
        path="rid_after_request",
        reason="After a test-client request, the reference leaves that request's id as the "
        "current one (it never resets its context variable), so every later record of the "
        "test carries a stale rid.",
        migration="**A finished request releases its id**",
    ),
    # -- Django (the scenarios of test_compat_django.py name the observations of a request
    # to a Dockerflow endpoint after the endpoint, e.g. "__heartbeat__ failing_logs")
    Intended(
        scenarios="django_*",
        path="*__*__*.fields.rid",
        reason="The reference gives a request to a Dockerflow endpoint no request id of its "
        "own: its request.summary, and every record logged while the endpoint answers, carry "
        "the previous request's id (or none): garbled records. Ours carry that request's id.",
        migration="**Requests to the Dockerflow endpoints have their own request id.**",
    ),
    Intended(
        scenarios="django_documented_logging",
        path="lines[[]2].Fields.rid",
        reason="The third line is the summary of a request to /__lbheartbeat__, which the "
        "reference logs with the previous request's id (see the entry above).",
        migration="**Requests to the Dockerflow endpoints have their own request id.**",
    ),
    Intended(
        scenarios="django_*",
        path="*__error__*_logs_summary",
        reason="The reference logs no request.summary for a request to /__error__ (the "
        "exception escapes its process_request): the one record per request is lost. Ours "
        "logs the ERROR summary of that exception.",
        migration="``/__error__`` **has its** ``request.summary``",
    ),
    Intended(
        scenarios="django_heartbeat",
        path="__heartbeat__ silenced_logs[[]*].*",
        reason="The reference logs the messages of silenced checks at their own level (ERROR, "
        "WARNING) on every heartbeat, which defeats silencing and trips log-based alerts; "
        "ours logs them at DEBUG, marked (silenced).",
        migration="**Silenced check messages are logged at DEBUG**",
    ),
    Intended(
        scenarios="django_checks_and_settings_for_the_heartbeat_changed_later",
        path="__heartbeat__ * by assignment_logs[[]*].*",
        reason="The same defect, with the silencing settings assigned at run time: the "
        "reference logs the silenced messages at their own level on every heartbeat; "
        "ours logs them at DEBUG, marked (silenced).",
        migration="**Silenced check messages are logged at DEBUG**",
    ),
    Intended(
        scenarios="django_redis_check_unreachable",
        path="*down*",
        reason="With Redis refusing connections, the reference's check_redis_connected raises "
        "ConnectionError (from PING): the heartbeat crashes with Django's error page. Ours "
        "reports dockerflow.health.E004 and answers the heartbeat's JSON with the failure "
        "status.",
        migration="``check_redis_connected`` **reports a refused connection**",
    ),
    Intended(
        scenarios="django_version_malformed",
        path="*__version__*",
        reason="The reference's /__version__ crashes on a malformed version.json "
        "(JSONDecodeError escapes the view); ours answers a JSON 500 and logs the cause once.",
        migration="A malformed ``version.json``",
    ),
    Intended(
        scenarios="django_signal_receiver_that_raises",
        path="*__heartbeat__*",
        reason="A heartbeat signal receiver that raises crashes the reference's heartbeat "
        "(Signal.send): Django's error page instead of the heartbeat. Ours calls receivers "
        "with send_robust: the error is logged and the heartbeat answers as usual.",
        migration="with ``send_robust``: one that raises is logged",
    ),
    Intended(
        scenarios="django_request_id_header_setting_that_is_not_a_string",
        path="*",
        reason="With DOCKERFLOW_REQUEST_ID_HEADER_NAME set to something other than a "
        "string (a list, a number), the reference fails every request with a 500; ours "
        "reads the default header and reports the setting as dockerflow.W001.",
        migration="**A request-id header setting that is not a string breaks no request.**",
    ),
    Intended(
        scenarios="django_settings_changed_after_startup",
        path="__version__ overridden.body*",
        reason="The reference reads DOCKERFLOW_VERSION_CALLBACK (and "
        "DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE) once, when its views module is first "
        "imported: a value set afterwards (override_settings, a setting changed at run "
        "time) is silently ignored. Ours reads the settings when a request comes in.",
        migration="**Settings are read when a request comes in**",
    ),
    Intended(
        scenarios="django_records_after_a_request",
        path="released after_logs[[]*].fields.rid",
        reason="The reference leaves the last request's id current after the request: the "
        "records logged afterwards in that thread (or in a test after client.get()) carry a "
        "stale rid. Ours releases it when the response is closed (request_finished), after "
        "Django's own records of the response.",
        migration="**A finished request releases its id**",
    ),
    # Sanic (docs/migration.rst, "Sanic").
    Intended(
        scenarios="sanic_not_found_and_missing_version",
        path="/missing_logs[[]0[]].*",
        reason="The reference's catch-all exception handler logs an answer below 500 (a 404 "
        "for an unknown URL, a 400) as a failed request: ERROR, errno 500, with a traceback. "
        "Dashboards counting errno 500 count client errors as server failures.",
        migration="**A 4xx answer is not a failed request**",
    ),
    # Every integration (docs/migration.rst, "Health checks and the heartbeat", "version.json",
    # "Logging", "Requests").
    Intended(
        scenarios="core_logging_configured_after_import",
        path="logs",
        reason="The reference creates its loggers when imported, so a dictConfig applied "
        "after the imports (disable_existing_loggers defaults to True) disables them and "
        "their records are lost; ours creates them when first used.",
        migration="**No dockerflow logger exists before it is used.**",
    ),
    Intended(
        scenarios="flask_misbehaving_checks_and_version",
        path="silenced_logs[[]*[]].*",
        reason="The reference logs the messages of silenced checks at their own level "
        "(ERROR, WARNING) on every heartbeat, which defeats silencing and trips log-based "
        "alerts; ours logs them at DEBUG, marked (silenced).",
        migration="**Silenced check messages are logged at DEBUG**",
    ),
    Intended(
        scenarios="*_misbehaving_checks*",
        path="raising_check.*",
        reason="A check that raises crashes the reference's heartbeat (the framework's "
        "HTML or text error page); ours reports it as dockerflow.health.E100 in the "
        "heartbeat's JSON, with the failure status.",
        migration="**A misbehaving check no longer breaks the heartbeat.**",
    ),
    Intended(
        scenarios="*_misbehaving_checks*",
        path="malformed_version.*",
        reason="A malformed version.json crashes the reference's /__version__ (the "
        "JSONDecodeError escapes the view); ours answers a JSON 500 and logs the cause once.",
        migration="A malformed ``version.json``",
    ),
    Intended(
        scenarios="*hostile_request_ids",
        path="*.body.rid",
        reason="The reference keeps any request id (too long, spaces, separators), so a "
        "client writes arbitrary text into the logs; ours replaces an unsafe one by a UUID4.",
        migration="**Request ids are validated.**",
    ),
    Intended(
        scenarios="sanic_misbehaving_checks_version_and_request_ids",
        path="*.body.rid",
        reason="As above: the reference keeps any request id, ours replaces an unsafe one.",
        migration="**Request ids are validated.**",
    ),
)
