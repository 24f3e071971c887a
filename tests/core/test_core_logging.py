"""The mozlog formatter: schema, safety with any value, and the documented configuration styles."""

from __future__ import annotations

import datetime
import decimal
import io
import json
import logging
import logging.config
import os
import socket
import sys
import textwrap
import uuid

import pytest

from dockerflow.logging import (
    JsonLogFormatter,
    MozlogFormatter,
    MozlogHandler,
    RequestIdLogFilter,
    SafeJSONEncoder,
    request_id_context,
    safer_format_traceback,
)


def _record(msg="hello", *args, level=logging.INFO, name="myapp", exc_info=None, **extra):
    record = logging.LogRecord(name, level, "/src/app.py", 12, msg, args, exc_info)
    record.__dict__.update(extra)
    return record


def _format(record, **kwargs):
    line = MozlogFormatter(**kwargs).format(record)
    assert "\n" not in line
    return json.loads(line)


def test_mozlog_schema():
    record = _record("hello %s", "world", user=42)
    out = _format(record, logger_name="myproject")
    assert out == {
        "Timestamp": int(record.created * 1_000_000_000),
        "Type": "myapp",
        "Logger": "myproject",
        "Hostname": socket.gethostname(),
        "EnvVersion": "2.0",
        "Severity": 6,
        "severity": "info",
        "Pid": os.getpid(),
        "Fields": {"user": 42, "msg": "hello world"},
    }
    assert isinstance(out["Timestamp"], int)


@pytest.mark.parametrize(
    ("level", "syslog", "name"),
    [
        (logging.DEBUG, 7, "debug"),
        (logging.INFO, 6, "info"),
        (logging.WARNING, 4, "warning"),
        (logging.ERROR, 3, "error"),
        (logging.CRITICAL, 2, "critical"),
        (5, 7, "debug"),
        (25, 6, "info"),
        (45, 3, "error"),
        (70, 2, "critical"),
    ],
)
def test_severity_levels(level, syslog, name):
    out = _format(_record(level=level))
    assert (out["Severity"], out["severity"]) == (syslog, name)


def test_record_internals_are_excluded():
    record = _record()
    record.taskName = "Task-1"
    fields = _format(record)["Fields"]
    assert fields == {"msg": "hello"}


def test_empty_message_is_left_out():
    assert _format(_record("", errno=0))["Fields"] == {"errno": 0}


def test_jsonlike_message_is_kept():
    assert _format(_record('{"a": 1}'))["Fields"]["msg"] == '{"a": 1}'


class Opaque:
    def __repr__(self):
        return "<Opaque thing>"


class BadRepr:
    def __repr__(self):
        raise RuntimeError("no repr for you")


def test_any_extra_value_is_serialized():
    circular = []
    circular.append(circular)
    loop = {}
    loop["self"] = loop
    record = _record(
        obj=Opaque(),
        bad=BadRepr(),
        raw=b"\xff\xfeabc",
        tags={"b"},
        when=datetime.datetime(2026, 11, 24, 1, 2, 3, tzinfo=datetime.timezone.utc),
        day=datetime.date(2026, 11, 24),
        price=decimal.Decimal("1.10"),
        ident=uuid.UUID(int=1),
        circular=circular,
        loop=loop,
        nan=float("nan"),
        inf=float("-inf"),
        odd_keys={(1, 2): "tuple", None: "none", 3: "int"},
        nested={"list": [1, {"deep": Opaque()}]},
    )
    fields = _format(record)["Fields"]
    assert fields["obj"] == "<Opaque thing>"
    assert fields["bad"] == "<unrepresentable BadRepr>"
    assert fields["raw"] == "\\xff\\xfeabc"
    assert fields["tags"] == ["b"]
    assert fields["when"] == "2026-11-24T01:02:03+00:00"
    assert fields["day"] == "2026-11-24"
    assert fields["price"] == "1.10"
    assert fields["ident"] == str(uuid.UUID(int=1))
    assert fields["circular"] == ["<circular>"]
    assert fields["loop"] == {"self": "<circular>"}
    assert fields["nan"] == "NaN"
    assert fields["inf"] == "-Infinity"
    assert fields["odd_keys"] == {"(1, 2)": "tuple", "None": "none", "3": "int"}
    assert fields["nested"] == {"list": [1, {"deep": "<Opaque thing>"}]}


def test_non_string_messages_and_bad_format_args():
    assert _format(_record(Opaque()))["Fields"]["msg"] == "<Opaque thing>"
    assert _format(_record({"k": 1}))["Fields"]["msg"] == "{'k': 1}"
    fields = _format(_record("%s and %s", "only one"))["Fields"]
    assert fields["msg"] == "'%s and %s' % ('only one',)"


def test_exception_and_stack_info():
    try:
        raise ValueError("bad\ninput\x1b[31m")
    except ValueError:
        record = _record("failed", level=logging.ERROR, exc_info=sys.exc_info())
    record.stack_info = "Stack (most recent call last):\n  here"
    fields = _format(record)["Fields"]
    assert fields["error"] == repr(ValueError("bad\ninput\x1b[31m"))
    assert fields["traceback"].startswith("Uncaught exception:\n")
    assert "test_exception_and_stack_info" in fields["traceback"]
    # The exception text is escaped: it cannot forge a log line of its own.
    assert "bad\ninput" not in fields["traceback"]
    assert fields["stack"].startswith("Stack")


def test_safer_format_traceback_escapes_the_exception():
    try:
        raise KeyError("x\ny")
    except KeyError:
        text = safer_format_traceback(*sys.exc_info())
    assert text.splitlines()[-1] == repr(KeyError("x\ny"))
    assert "<class 'KeyError'>" in text


def test_output_is_valid_json_without_nan_literals():
    line = MozlogFormatter().format(_record(value=float("nan")))
    assert "NaN" not in line.replace('"NaN"', "")
    json.loads(line, parse_constant=lambda c: pytest.fail(f"invalid constant {c}"))


def test_safe_json_encoder_default():
    encoder = SafeJSONEncoder()
    assert json.loads(encoder.encode({"a": Opaque(), "s": frozenset([1])})) == {
        "a": "<Opaque thing>",
        "s": [1],
    }


def test_broken_convert_record_subclass_still_logs():
    class Broken(MozlogFormatter):
        def convert_record(self, record):
            raise RuntimeError("subclass bug")

    out = json.loads(Broken().format(_record("kept")))
    assert out["Fields"]["msg"] == "'kept'"
    assert "subclass bug" in out["Fields"]["formatter_error"]


def test_json_log_formatter_is_deprecated_but_works():
    with pytest.warns(DeprecationWarning, match="MozlogFormatter"):
        formatter = JsonLogFormatter(logger_name="old")
    assert isinstance(formatter, MozlogFormatter)
    assert json.loads(formatter.format(_record()))["Logger"] == "old"
    assert formatter.is_value_jsonlike('{"a": 1}')
    assert not formatter.is_value_jsonlike("plain")


def _reset_logger(name):
    logger = logging.getLogger(name)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    logger.propagate = True


def test_dict_config_as_documented(capsys):
    cfg = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {"()": "dockerflow.logging.JsonLogFormatter", "logger_name": "myproject"}
        },
        "handlers": {
            "console": {
                "level": "DEBUG",
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "json",
            }
        },
        "loggers": {"myproject": {"handlers": ["console"], "level": "DEBUG"}},
    }
    with pytest.warns(DeprecationWarning):
        logging.config.dictConfig(cfg)
    try:
        logging.getLogger("myproject").info("I am logging in mozlog format now! woo hoo!")
        out = json.loads(capsys.readouterr().out.strip())
        assert out["Logger"] == "myproject"
        assert out["Fields"]["msg"] == "I am logging in mozlog format now! woo hoo!"
    finally:
        _reset_logger("myproject")


def test_file_config_as_documented(tmp_path, capsys):
    ini = tmp_path / "logging.ini"
    ini.write_text(
        textwrap.dedent(
            """
            [loggers]
            keys = root, inimyproject

            [handlers]
            keys = console

            [formatters]
            keys = json

            [logger_root]
            level = INFO
            handlers =

            [logger_inimyproject]
            level = DEBUG
            handlers = console
            qualname = inimyproject
            propagate = 0

            [handler_console]
            class = StreamHandler
            level = DEBUG
            args = (sys.stdout,)
            formatter = json

            [formatter_json]
            class = dockerflow.logging.MozlogFormatter
            """
        )
    )
    logging.config.fileConfig(ini, disable_existing_loggers=False)
    try:
        logging.getLogger("inimyproject").info("from an ini file")
        out = json.loads(capsys.readouterr().out.strip())
        assert out["Fields"]["msg"] == "from an ini file"
        assert out["Logger"] == "Dockerflow"
    finally:
        _reset_logger("inimyproject")


def test_mozlog_handler_defaults_to_stdout(capsys):
    handler = MozlogHandler(name="svc")
    logger = logging.getLogger("test.mozlog.handler")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        logger.warning("to stdout")
    finally:
        logger.removeHandler(handler)
    out = json.loads(capsys.readouterr().out)
    assert out["Logger"] == "svc"
    assert out["Severity"] == 4


def test_mozlog_handler_in_dict_config():
    stream = io.StringIO()
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "handlers": {
                "mozlog": {
                    "class": "dockerflow.logging.MozlogHandler",
                    "name": "cfg",
                    "stream": stream,
                }
            },
            "loggers": {"cfgtest": {"handlers": ["mozlog"], "level": "INFO", "propagate": False}},
        }
    )
    try:
        logging.getLogger("cfgtest").info("configured")
    finally:
        _reset_logger("cfgtest")
    out = json.loads(stream.getvalue())
    assert (out["Logger"], out["Fields"]["msg"]) == ("cfg", "configured")


def test_mozlog_handler_name_wins_over_an_attached_formatter_in_dict_config():
    stream = io.StringIO()
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.logger_name)  # type: ignore[attr-defined]

    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"json": {"()": "dockerflow.logging.MozlogFormatter"}},
            "handlers": {
                "mozlog": {
                    "class": "dockerflow.logging.MozlogHandler",
                    "name": "myproject",
                    "formatter": "json",
                    "stream": stream,
                },
                "keep": {"()": lambda: Keep()},
            },
            "loggers": {
                "cfgname": {"handlers": ["mozlog", "keep"], "level": "INFO", "propagate": False}
            },
        }
    )
    logger = logging.getLogger("cfgname")
    try:
        assert logger.handlers[0].logger_name == "myproject"  # type: ignore[attr-defined]
        logger.info("configured")
    finally:
        _reset_logger("cfgname")
    out = json.loads(stream.getvalue())
    assert (out["Logger"], out["Fields"]["msg"]) == ("myproject", "configured")
    assert "logger_name" not in out["Fields"]
    assert seen == ["myproject"]  # the handlers after it see the name on the record


def test_mozlog_handler_in_file_config(tmp_path):
    ini = tmp_path / "logging.ini"
    ini.write_text(
        "[loggers]\nkeys=root,fromini\n\n"
        "[handlers]\nkeys=mozlog\n\n"
        "[formatters]\nkeys=json\n\n"
        "[logger_root]\nlevel=WARNING\nhandlers=\n\n"
        "[logger_fromini]\nlevel=INFO\nhandlers=mozlog\nqualname=fromini\npropagate=0\n\n"
        "[handler_mozlog]\nclass=dockerflow.logging.MozlogHandler\nformatter=json\n"
        "args=(sys.stderr, 'from-ini')\n\n"
        "[formatter_json]\nclass=dockerflow.logging.MozlogFormatter\n"
    )
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    logging.config.fileConfig(ini, disable_existing_loggers=False)
    root.handlers[:] = saved_handlers  # fileConfig replaced the root's (pytest's) handlers
    root.setLevel(saved_level)
    logger = logging.getLogger("fromini")
    stream = io.StringIO()
    try:
        (handler,) = logger.handlers
        assert isinstance(handler, MozlogHandler) and handler.logger_name == "from-ini"
        handler.setStream(stream)
        logger.info("from %s", "ini")
    finally:
        _reset_logger("fromini")
    out = json.loads(stream.getvalue())
    assert (out["Logger"], out["Fields"]["msg"]) == ("from-ini", "from ini")


def test_request_id_filter_adds_rid():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(MozlogFormatter())
    handler.addFilter(RequestIdLogFilter())
    logger = logging.getLogger("test.rid")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        token = request_id_context.set("abc-123")
        try:
            logger.warning("inside")
        finally:
            request_id_context.reset(token)
        logger.warning("outside")
    finally:
        logger.removeHandler(handler)
    inside, outside = (json.loads(line) for line in stream.getvalue().splitlines())
    assert inside["Fields"]["rid"] == "abc-123"
    assert outside["Fields"]["rid"] is None


@pytest.mark.parametrize(
    "extra",
    [
        {"errno": 0, "path": "/", "uid": None, "ok": True, "t": 12},
        {"agent": "caf\u00e9 \u2028 \U0001f600", "n": 2**70},
        {"ctl": 'a\x00b\x1fc\x7fd\\e"f\n', "big": -(2**63)},
        {"f": 1e-07, "g": 1.5, "nested": {"a": [1, 2.5e-9]}},
        {"when": datetime.date(2026, 1, 2), "odd": Opaque()},
    ],
)
def test_fast_backend_output_is_identical_to_the_stdlib(monkeypatch, extra):
    # With orjson installed (the dev environment, the newest matrix corner) the two
    # paths are compared; without it (the oldest corner) the stdlib path alone runs.
    import dockerflow.logging.formatter as formatter_module

    for msg, args in (("msg %s", ("\u00e9t\u00e9",)), ("", ())):
        record = _record(msg, *args, **extra)
        fast = MozlogFormatter().format(record)
        with monkeypatch.context() as patched:
            patched.setattr(formatter_module, "_orjson", None)
            assert MozlogFormatter().format(record) == fast
        assert fast.isascii()
        assert json.loads(fast)["Fields"].keys() == {*extra, *(["msg"] if msg else [])}
        if "odd" not in extra and "f" not in extra:  # values the stdlib encodes as they are
            formatter = MozlogFormatter()
            assert fast == formatter.encoder.encode(formatter.convert_record(record))


def test_record_logger_name_overrides_the_formatter():
    out = _format(_record(logger_name="from-record", user=1), logger_name="from-formatter")
    assert out["Logger"] == "from-record"
    assert out["Fields"] == {"user": 1, "msg": "hello"}


def test_subclass_extension_points_of_the_reference():
    class Custom(MozlogFormatter):
        EXCLUDED_LOGRECORD_ATTRS = MozlogFormatter.EXCLUDED_LOGRECORD_ATTRS | {"secret"}
        SYSLOG_LEVEL_MAP = {**MozlogFormatter.SYSLOG_LEVEL_MAP, 25: 5}
        DEFAULT_SYSLOG_LEVEL = 1

    out = json.loads(Custom().format(_record(level=25, secret="x", kept="y")))
    assert out["Fields"] == {"kept": "y", "msg": "hello"}
    assert out["Severity"] == 5
    assert json.loads(Custom().format(_record(level=35)))["Severity"] == 1
    assert _format(_record(level=35))["Severity"] == 4


def test_documented_dict_config_after_import_keeps_dockerflow_loggers_enabled(tmp_path):
    # dictConfig disables the loggers that exist when it runs (disable_existing_loggers
    # defaults to True); the documented configurations run it after importing dockerflow.
    import subprocess

    script = tmp_path / "app.py"
    script.write_text(
        textwrap.dedent(
            """
            import logging, logging.config, sys
            import dockerflow.logging
            from dockerflow import checks
            from dockerflow.request import log_summary, summary_fields

            @checks.register
            def check_broken():
                raise RuntimeError("boom")

            logging.config.dictConfig({
                "version": 1,
                "formatters": {"json": {"()": "dockerflow.logging.MozlogFormatter"}},
                "handlers": {"console": {"class": "logging.StreamHandler",
                                         "stream": "ext://sys.stdout", "formatter": "json"}},
                "root": {"handlers": ["console"], "level": "INFO"},
            })
            checks.run_checks(checks.get_checks().items())
            log_summary(summary_fields(method="GET", path="/", agent="", lang="", uid="",
                                       rid="r", t=0, errno=0, code=200))
            """
        )
    )
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=True
    ).stdout
    records = [json.loads(line) for line in out.splitlines()]
    types = [record["Type"] for record in records]
    assert "dockerflow.checks.registry" in types
    assert "request.summary" in types
    raised = [r for r in records if "traceback" in r["Fields"]]
    assert raised and "RuntimeError" in raised[0]["Fields"]["traceback"]


def test_mozlog_handler_is_not_affected_by_patches_of_stream_handler(monkeypatch):
    stream = io.StringIO()
    handler = MozlogHandler(stream=stream)

    def patched_emit(self, record):
        self.stream.write("patched\n")

    monkeypatch.setattr(logging.StreamHandler, "emit", patched_emit)
    handler.handle(_record("one line"))
    assert json.loads(stream.getvalue())["Fields"]["msg"] == "one line"


def test_a_record_with_a_broken_created_time_is_still_logged():
    record = _record("kept")
    record.created = float("nan")
    out = json.loads(MozlogFormatter().format(record))
    assert out["Timestamp"] == 0
    assert "kept" in out["Fields"]["msg"]


def _general_line(formatter, record):
    # What the general path writes: convert_record's dict encoded in one piece.
    return formatter.encoder.encode(formatter.convert_record(record))


def test_plain_records_are_written_as_the_general_path_writes_them():
    formatter = MozlogFormatter(logger_name="svc")
    records = [
        _record(errno=0, path="/", t=3),
        _record(level=logging.WARNING, name="other", rid="r-1", ok=False),
        _record(level=logging.ERROR, big=2**80, text="caf\u00e9\x7f"),
        _record(level=25, nothing=None),  # between two standard levels
        _record("%d items", 3, level=logging.DEBUG, n=1),
        _record(name=42),  # odd record names are encoded like any value
        _record("failed", exc_info=_exc_info(), rid="r-2"),  # the general path's records
        _record(logger_name="from-record", n=1),
        _record(logger_name=["unhashable"], n=2),
        _record(stack="x"),
    ]
    records[-1].stack_info = "Stack (most recent call last):\n  here"
    for record in records:
        line = formatter.format(record)
        assert line == _general_line(formatter, record)
        assert "\n" not in line and line.isascii()


def _exc_info():
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        return sys.exc_info()


def test_attributes_set_by_another_formatter_stay_out_of_fields():
    record = _record("hi %s", "there", user=7)
    logging.Formatter("%(asctime)s %(message)s").format(record)  # sets message, asctime
    out = json.loads(MozlogFormatter().format(record))
    assert out["Fields"] == {"user": 7, "msg": "hi there"}


def test_a_record_missing_a_standard_attribute_keeps_every_field():
    record = _record(user=7, path="/x")
    del record.exc_text
    record.late = "added"
    out = json.loads(MozlogFormatter().format(record))
    assert out["Fields"] == {"user": 7, "path": "/x", "late": "added", "msg": "hello"}


def test_a_record_class_that_sets_attributes_first_keeps_every_field():
    class EarlyRecord(logging.LogRecord):
        def __init__(self, *args, **kwargs):
            self.tenant = "acme"
            super().__init__(*args, **kwargs)

    record = EarlyRecord("app", logging.INFO, "/src/app.py", 1, "hello", (), None)
    record.user = 7
    out = json.loads(MozlogFormatter().format(record))
    assert out["Fields"] == {"tenant": "acme", "user": 7, "msg": "hello"}


def test_a_subclass_may_keep_standard_attributes_in_fields():
    class WithLine(MozlogFormatter):
        EXCLUDED_LOGRECORD_ATTRS = MozlogFormatter.EXCLUDED_LOGRECORD_ATTRS - {"lineno"}

    out = json.loads(WithLine().format(_record(user=7)))
    assert out["Fields"] == {"lineno": 12, "user": 7, "msg": "hello"}


def test_envelope_follows_the_record_and_the_formatter():
    formatter = MozlogFormatter(logger_name="first")
    record = _record(user=1)
    assert json.loads(formatter.format(record))["Logger"] == "first"
    formatter.logger_name = "second"
    formatter.hostname = "renamed-host"
    out = json.loads(formatter.format(record))
    assert (out["Logger"], out["Hostname"]) == ("second", "renamed-host")
    record.process = 4242  # as in a forked worker
    record.levelno = logging.CRITICAL
    out = json.loads(formatter.format(record))
    assert (out["Pid"], out["Severity"], out["severity"]) == (4242, 2, "critical")


def test_many_loggers_do_not_grow_the_formatter_without_bound():
    import dockerflow.logging.formatter as formatter_module

    formatter = MozlogFormatter()
    for index in range(formatter_module._ENVELOPES_KEPT + 50):
        record = _record(name=f"logger.{index}", n=index)
        out = json.loads(formatter.format(record))
        assert (out["Type"], out["Fields"]["n"]) == (f"logger.{index}", index)
    assert len(formatter._envelopes) <= formatter_module._ENVELOPES_KEPT
