"""request.summary written straight to the handlers (dockerflow.logging.direct), and
the configurations where it must go through the logger instead."""

from __future__ import annotations

import io
import json
import logging
import uuid

import pytest

from dockerflow.logging import MozlogFormatter, MozlogHandler, RequestIdLogFilter
from dockerflow.logging.direct import write_fields
from dockerflow.request import SUMMARY_LOGGER_NAME, log_summary, request_id_context


def _fields(**changes):
    fields = {
        "errno": 0,
        "code": 200,
        "agent": "curl/8.0",
        "lang": "en",
        "method": "GET",
        "path": "/p",
        "uid": "",
        "rid": "rid-1",
        "t": 3,
    }
    fields.update(changes)
    return fields


@pytest.fixture
def summary_logger():
    # pytest attaches its capture handlers to non-propagating loggers when a test
    # starts: each test sets the handlers it wants itself (``handlers[:] = ...``).
    logger = logging.getLogger(SUMMARY_LOGGER_NAME)
    saved = (logger.handlers[:], logger.filters[:], logger.level, logger.propagate)
    logger.handlers[:] = []
    logger.filters[:] = []
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger
    logger.handlers[:], logger.filters[:], level, logger.propagate = saved
    logger.setLevel(level)


def _stream_handler(cls=logging.StreamHandler, formatter=None):
    stream = io.StringIO()
    handler = cls(stream)
    handler.setFormatter(formatter or MozlogFormatter(logger_name="svc"))
    return handler, stream


def _lines(stream):
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def _without_timestamp(line):
    out = json.loads(line)
    del out["Timestamp"]
    return out


def test_the_direct_line_is_the_line_of_the_record(summary_logger):
    handler, stream = _stream_handler()
    summary_logger.handlers[:] = [handler]
    assert write_fields(summary_logger, logging.INFO, _fields())
    record = summary_logger.makeRecord(
        SUMMARY_LOGGER_NAME, logging.INFO, __file__, 0, "", (), None, extra=_fields()
    )
    direct = stream.getvalue()
    assert direct.endswith("\n") and direct.count("\n") == 1
    assert _without_timestamp(direct) == _without_timestamp(handler.format(record))
    # Same characters too, once the timestamp is set aside.
    assert direct.split(",", 1)[1] == handler.format(record).split(",", 1)[1] + "\n"


def test_log_summary_writes_directly_to_stream_handlers(summary_logger, monkeypatch):
    stream = io.StringIO()
    handler = MozlogHandler(stream, name="svc")
    summary_logger.handlers[:] = [handler]
    made = []
    factory = logging.getLogRecordFactory()
    monkeypatch.setattr(logging.LogRecord, "__init__", _spy(logging.LogRecord.__init__, made))
    assert logging.getLogRecordFactory() is factory
    log_summary(_fields())
    assert made == []  # no LogRecord was built
    (out,) = _lines(stream)
    assert out["Type"] == SUMMARY_LOGGER_NAME and out["Logger"] == "svc"
    assert out["Severity"] == 6 and out["Fields"] == _fields()


def _spy(init, made):
    def spying(self, *args, **kwargs):
        made.append(args)
        init(self, *args, **kwargs)

    return spying


def test_handler_levels_and_propagation_are_honoured():
    # Loggers of its own, made after pytest attached its handlers to the existing ones.
    parent = logging.getLogger("test_direct_propagation")
    child = logging.getLogger("test_direct_propagation.summary")
    parent.propagate = False
    quiet, quiet_stream = _stream_handler()
    quiet.setLevel(logging.WARNING)
    own, own_stream = _stream_handler()
    child.handlers[:] = [quiet, own]
    parent_handler, parent_stream = _stream_handler()
    parent.handlers[:] = [parent_handler]
    assert write_fields(child, logging.INFO, _fields())
    assert quiet_stream.getvalue() == ""
    assert _lines(own_stream)[0]["Fields"] == _fields()
    assert _lines(parent_stream)[0]["Type"] == "test_direct_propagation.summary"
    child.propagate = False
    assert write_fields(child, logging.INFO, _fields())
    assert len(_lines(own_stream)) == 2 and len(_lines(parent_stream)) == 1


@pytest.mark.parametrize(
    "configure",
    [
        pytest.param(lambda logger: logger.addFilter(lambda record: True), id="logger filter"),
        pytest.param(
            lambda logger: logger.handlers[0].addFilter(lambda record: True), id="handler filter"
        ),
        pytest.param(
            lambda logger: logger.handlers[0].setFormatter(logging.Formatter("%(message)s")),
            id="other formatter",
        ),
        pytest.param(
            lambda logger: logger.addHandler(logging.NullHandler()), id="another handler class"
        ),
        pytest.param(lambda logger: logger.handlers.clear(), id="no handler"),
    ],
)
def test_configurations_that_need_a_record_get_one(summary_logger, configure):
    handler, stream = _stream_handler()
    summary_logger.handlers[:] = [handler]
    configure(summary_logger)
    assert not write_fields(summary_logger, logging.INFO, _fields())
    assert stream.getvalue() == ""


def test_a_filter_on_the_logger_still_sees_the_summary(summary_logger):
    handler, stream = _stream_handler()
    summary_logger.handlers[:] = [handler]
    seen = []
    summary_logger.addFilter(lambda record: seen.append(record.path) or True)
    log_summary(_fields())
    assert seen == ["/p"]
    assert _lines(stream)[0]["Fields"]["path"] == "/p"


def test_a_record_factory_still_makes_the_summary(summary_logger):
    handler, stream = _stream_handler()
    summary_logger.handlers[:] = [handler]
    original = logging.getLogRecordFactory()

    def factory(*args, **kwargs):
        record = original(*args, **kwargs)
        record.service = "billing"
        return record

    logging.setLogRecordFactory(factory)
    try:
        log_summary(_fields())
    finally:
        logging.setLogRecordFactory(original)
    assert _lines(stream)[0]["Fields"]["service"] == "billing"


@pytest.mark.parametrize(
    "changes",
    [
        {"uid": uuid.UUID(int=5)},  # not a plain value
        {"msg": "mine"},  # a LogRecord attribute
        {"logger_name": "other"},  # overrides the Logger field of a record
    ],
)
def test_fields_that_need_a_record_get_one(summary_logger, changes):
    handler, stream = _stream_handler()
    summary_logger.handlers[:] = [handler]
    assert not write_fields(summary_logger, logging.INFO, _fields(**changes))
    assert stream.getvalue() == ""


def test_non_ascii_fields_are_escaped_as_the_stdlib_does(summary_logger):
    handler, stream = _stream_handler()
    summary_logger.handlers[:] = [handler]
    assert write_fields(summary_logger, logging.INFO, _fields(agent="caf\u00e9\x7f", t=2**70))
    line = stream.getvalue()
    assert line.isascii() and "\\u00e9\\u007f" in line
    assert json.loads(line)["Fields"]["t"] == 2**70


def test_request_id_filter_is_applied_as_it_would_be(summary_logger):
    handler, stream = _stream_handler()
    handler.addFilter(RequestIdLogFilter())
    summary_logger.handlers[:] = [handler]
    token = request_id_context.set("rid-1")
    try:
        assert write_fields(summary_logger, logging.INFO, _fields(rid="rid-1"))
        # The filter would replace a different rid with the current one: a record it is.
        assert not write_fields(summary_logger, logging.INFO, _fields(rid="other"))
        log_summary(_fields(rid="other"))
    finally:
        request_id_context.reset(token)
    assert [line["Fields"]["rid"] for line in _lines(stream)] == ["rid-1", "rid-1"]


def test_a_failing_stream_is_reported_by_the_handler(summary_logger, capsys):
    class Broken(io.StringIO):
        def write(self, text):
            raise OSError("disk full")

    handler = logging.StreamHandler(Broken())
    handler.setFormatter(MozlogFormatter())
    summary_logger.handlers[:] = [handler]
    assert write_fields(summary_logger, logging.INFO, _fields())
    err = capsys.readouterr().err
    assert "--- Logging error ---" in err and "disk full" in err


def test_the_direct_path_writes_the_mozlog_handlers_name_as_the_record_path_does(summary_logger):
    # A MozlogHandler's name wins over its formatter's, and the handlers after it write
    # it too (it set record.logger_name); the handlers before it do not.
    before, before_stream = _stream_handler()
    named = MozlogHandler(io.StringIO(), name="named")
    named.setFormatter(MozlogFormatter(logger_name="formatter-name"))
    after, after_stream = _stream_handler()
    summary_logger.handlers[:] = [before, named, after]
    assert write_fields(summary_logger, logging.INFO, _fields())
    direct = [_lines(s)[0]["Logger"] for s in (before_stream, named.stream, after_stream)]
    assert direct == ["svc", "named", "named"]

    for stream in (before_stream, named.stream, after_stream):
        stream.seek(0)
        stream.truncate()
    summary_logger.handle(
        summary_logger.makeRecord(
            SUMMARY_LOGGER_NAME, logging.INFO, __file__, 0, "", (), None, extra=_fields()
        )
    )
    through_logging = [_lines(s)[0]["Logger"] for s in (before_stream, named.stream, after_stream)]
    assert through_logging == direct


def test_an_open_file_handler_is_written_directly(summary_logger, tmp_path, monkeypatch):
    path = tmp_path / "summary.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(MozlogFormatter(logger_name="svc"))
    summary_logger.handlers[:] = [handler]
    made = []
    monkeypatch.setattr(logging.LogRecord, "__init__", _spy(logging.LogRecord.__init__, made))
    try:
        log_summary(_fields())
        log_summary(_fields(rid="rid-2"))
    finally:
        handler.close()
    assert made == []  # no LogRecord was built
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [(line["Type"], line["Logger"], line["Fields"]) for line in lines] == [
        (SUMMARY_LOGGER_NAME, "svc", _fields()),
        (SUMMARY_LOGGER_NAME, "svc", _fields(rid="rid-2")),
    ]


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda path: logging.FileHandler(path, delay=True), id="file not open yet"),
        pytest.param(
            lambda path: __import__("logging.handlers").handlers.RotatingFileHandler(path),
            id="a subclass that rotates",
        ),
    ],
)
def test_file_handlers_that_must_emit_get_a_record(summary_logger, tmp_path, make):
    path = tmp_path / "summary.log"
    handler = make(path)
    handler.setFormatter(MozlogFormatter(logger_name="svc"))
    summary_logger.handlers[:] = [handler]
    try:
        assert not write_fields(summary_logger, logging.INFO, _fields())
        log_summary(_fields())  # through the handler's own emit (which opens the file)
    finally:
        handler.close()
    (line,) = path.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["Fields"] == _fields()
