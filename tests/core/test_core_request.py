"""Request ids and request.summary fields."""

from __future__ import annotations

import json
import logging
import os
import uuid

import pytest

from dockerflow.logging import MozlogFormatter, get_or_generate_request_id
from dockerflow.request import is_valid_request_id, log_summary, summary_fields


class CaseInsensitive(dict):
    def get(self, key, default=None):
        for name, value in self.items():
            if name.lower() == key.lower():
                return value
        return default


def _is_uuid4(value):
    return uuid.UUID(value).version == 4


@pytest.mark.parametrize(
    "value",
    [
        "tracked-value",
        str(uuid.uuid4()),
        "0123456789abcdef0123456789abcdef",
        "a:b.c_d-e",
        "x" * 128,
    ],
)
def test_safe_ids_are_kept(value):
    assert get_or_generate_request_id(CaseInsensitive({"X-Request-ID": value})) == value
    assert is_valid_request_id(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "x" * 129,
        "evil\r\nSet-Cookie: a=b",
        "line\nbreak",
        "tab\there",
        "with space",
        "caf\u00e9",
        "\x00null",
        "semi;colon",
        '"quoted"',
        "ok\n",
    ],
)
def test_unsafe_ids_are_replaced(value):
    rid = get_or_generate_request_id(CaseInsensitive({"X-Request-ID": value}))
    assert rid != value
    assert _is_uuid4(rid)
    assert not is_valid_request_id(value)


def test_missing_id_is_generated_and_unique():
    first = get_or_generate_request_id({})
    second = get_or_generate_request_id({})
    assert _is_uuid4(first) and _is_uuid4(second)
    assert first != second


def test_generated_ids_are_distinct_uuid4s_across_threads_and_refills():
    # Ids come from os.urandom 64 at a time: many refills, from several threads at once.
    import threading

    from dockerflow.request import generate_request_id

    seen: list[str] = []

    def draw() -> None:
        seen.extend(generate_request_id() for _ in range(2000))

    threads = [threading.Thread(target=draw) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 8000 == len(set(seen))
    assert all(_is_uuid4(rid) and str(uuid.UUID(rid)) == rid for rid in seen)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork")
def test_a_forked_child_never_repeats_its_parents_ids():
    from dockerflow.request import generate_request_id

    generate_request_id()  # the parent holds ids drawn for later requests
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: send ten ids, exit at once
        try:
            os.write(write_end, ",".join(generate_request_id() for _ in range(10)).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        child = pipe.read().split(",")
    os.waitpid(pid, 0)
    parent = [generate_request_id() for _ in range(64)]
    assert len(child) == 10 and all(_is_uuid4(rid) for rid in child)
    assert not set(child) & set(parent)


def test_configured_header_name_and_plain_dicts():
    headers = {"x-correlation-id": "corr-1", "X-Request-ID": "ignored"}
    assert get_or_generate_request_id(headers, header_name="X-Correlation-ID") == "corr-1"
    assert get_or_generate_request_id({"x-request-id": "lower"}) == "lower"
    assert get_or_generate_request_id({"X-Request-ID": b"bytes-id"}) == "bytes-id"


def test_summary_fields():
    fields = summary_fields(
        method="GET", path="/", agent="curl", lang="en", uid=None, rid="r", t=3, errno=0, code=200
    )
    assert fields == {
        "errno": 0,
        "code": 200,
        "agent": "curl",
        "lang": "en",
        "method": "GET",
        "path": "/",
        "uid": "",
        "rid": "r",
        "t": 3,
    }
    with_qs = summary_fields(
        method="GET",
        path="/",
        agent="",
        lang="",
        uid=7,
        rid="r",
        t=0,
        errno=0,
        code=200,
        querystring="a=1",
    )
    assert with_qs["querystring"] == "a=1"
    assert with_qs["uid"] == 7


def test_log_summary_info_and_error(caplog):
    caplog.set_level(logging.INFO, logger="request.summary")
    fields = summary_fields(
        method="GET", path="/x", agent="", lang="", uid="", rid="r", t=1, errno=0, code=200
    )
    log_summary(fields)
    try:
        raise KeyError("boom")
    except KeyError as exc:
        log_summary({**fields, "errno": 500, "code": 500}, exc)
    info, error = caplog.records
    assert info.levelno == logging.INFO and info.path == "/x" and info.errno == 0
    assert error.levelno == logging.ERROR and error.errno == 500
    formatted = json.loads(MozlogFormatter().format(error))
    assert formatted["Fields"]["errno"] == 500
    # The message is str(exception), as with the reference library.
    assert error.getMessage() == "'boom'"
    assert formatted["Fields"]["msg"] == "'boom'"
    assert "traceback" in formatted["Fields"]


def test_log_summary_error_message_survives_a_broken_str(caplog):
    class Broken(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no text")

    caplog.set_level(logging.INFO, logger="request.summary")
    fields = summary_fields(
        method="GET", path="/x", agent="", lang="", uid="", rid="r", t=1, errno=500, code=500
    )
    log_summary(fields, Broken())
    (error,) = caplog.records
    assert error.getMessage() == "Broken"
    assert error.levelno == logging.ERROR


def test_log_summary_error_message_with_percent_signs_is_kept_as_is(caplog):
    caplog.set_level(logging.INFO, logger="request.summary")
    fields = summary_fields(
        method="GET", path="/x", agent="", lang="", uid="", rid="r", t=1, errno=500, code=500
    )
    log_summary(fields, ValueError("100% %s %d broken"))
    (error,) = caplog.records
    assert error.getMessage() == "100% %s %d broken"


def test_generated_ids_are_uuid4():
    from dockerflow.request import generate_request_id

    ids = {generate_request_id() for _ in range(1000)}
    assert len(ids) == 1000
    for rid in list(ids)[:50]:
        parsed = uuid.UUID(rid)
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
        assert str(parsed) == rid


def test_log_summary_honours_level_and_record_factory(caplog):
    fields = summary_fields(
        method="GET", path="/", agent="", lang="", uid="", rid="r", t=1, errno=0, code=200
    )
    logger = logging.getLogger("request.summary")
    caplog.set_level(logging.WARNING, logger="request.summary")
    log_summary(fields)
    assert caplog.records == []
    caplog.set_level(logging.INFO, logger="request.summary")
    original = logging.getLogRecordFactory()

    def factory(*args, **kwargs):
        record = original(*args, **kwargs)
        record.custom = "from-factory"
        return record

    logging.setLogRecordFactory(factory)
    try:
        log_summary(fields)
    finally:
        logging.setLogRecordFactory(original)
    (record,) = caplog.records
    assert record.custom == "from-factory"
    assert record.name == logger.name
    assert record.path == "/"


def test_log_summary_on_another_logger_logs_through_it() -> None:
    import logging as _logging

    from dockerflow.request import log_summary

    logger = _logging.getLogger("core_test.replaced_summary")
    seen: list[_logging.LogRecord] = []
    collector = _logging.Handler()
    collector.emit = seen.append  # type: ignore[method-assign]
    logger.addHandler(collector)
    logger.setLevel(_logging.INFO)
    try:
        log_summary({"rid": "other-1", "code": 200}, logger=logger)
        log_summary({"rid": "other-2", "code": 500}, ValueError("text"), logger=logger)
    finally:
        logger.removeHandler(collector)
    assert [(r.name, r.levelname, r.getMessage(), r.rid) for r in seen] == [
        ("core_test.replaced_summary", "INFO", "", "other-1"),
        ("core_test.replaced_summary", "ERROR", "text", "other-2"),
    ]
    assert seen[1].exc_info is not None and seen[1].exc_info[0] is ValueError
