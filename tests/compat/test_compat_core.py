"""Differential scenarios for dockerflow-core, the public surface, and the suite itself.

See ``compat_harness`` for how a scenario runs and how to add one.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from compat_harness import (
    MIGRATION_GUIDE,
    MISSING,
    diff,
    reference_python,
    run_source,
    scenario,
    signature_problems,
    surface_problems,
    unintended,
)
from compat_observe import normalise
from intended import INTENDED

# -- the suite's own rules ------------------------------------------------------------------


def test_every_intended_difference_is_in_the_migration_guide() -> None:
    guide = MIGRATION_GUIDE.read_text(encoding="utf-8")
    missing = [entry.migration for entry in INTENDED if entry.migration not in guide]
    assert not missing, f"intended differences without their docs/migration.rst entry: {missing}"
    assert all(entry.reason.strip() for entry in INTENDED)


def test_diff_reports_changes_and_allows_additions_below_the_top_level() -> None:
    reference = {"a": {"x": 1, "y": [1, 2]}, "b": [{"m": "hi"}], "gone": 1}
    ours = {"a": {"x": 2, "y": [1], "extra": True}, "b": [{"m": "hi", "more": 1}], "new": 1}
    found = {
        (d.path, json_value(d.reference), json_value(d.ours)) for d in diff(reference, ours, "s")
    }
    assert found == {
        ("a.x", 1, 2),
        ("a.y", (1, 2), (1,)),
        ("gone", 1, MISSING),
        ("new", MISSING, 1),
    }


def json_value(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def test_only_listed_differences_are_intended() -> None:
    listed = {"line": {"Fields": {"msg": "x"}}}
    assert (
        unintended(
            diff(listed, {"line": {"Fields": {"msg": "y"}}}, "core_formatter_jsonlike_message")
        )
        == []
    )
    assert unintended(diff(listed, {"line": {"Fields": {"msg": "y"}}}, "another_scenario")) != []


def test_normalise_hides_what_changes_from_run_to_run() -> None:
    value = {
        "Timestamp": 1,
        "Pid": 2,
        "t": 3,
        "rid": "0a1b2c3d-0000-4000-8000-000000000000",
        "text": "<object at 0x7f00deadbeef>",
        "keep": (1, "x"),
    }
    assert normalise(value) == {
        "Timestamp": "<int>",
        "Pid": "<int>",
        "t": "<int>",
        "rid": "<uuid>",
        "text": "<object at 0x?>",
        "keep": [1, "x"],
    }


@pytest.mark.parametrize(
    ("reference", "ours", "problem"),
    [
        ([["a", "POSITIONAL_OR_KEYWORD", False]], [["a", "POSITIONAL_OR_KEYWORD", False]], None),
        ([["a", "POSITIONAL_OR_KEYWORD", False]], [["b", "POSITIONAL_OR_KEYWORD", False]], "is 'b'"),
        ([["a", "POSITIONAL_OR_KEYWORD", True]], [["a", "POSITIONAL_OR_KEYWORD", False]], "default"),
        ([], [["extra", "KEYWORD_ONLY", False]], "no default"),
        ([], [["extra", "KEYWORD_ONLY", True]], None),
        ([["k", "KEYWORD_ONLY", True]], [["kw", "VAR_KEYWORD", False]], None),
        ([["k", "KEYWORD_ONLY", True]], [], "not accepted"),
        ([["a", "POSITIONAL_OR_KEYWORD", False], ["b", "POSITIONAL_OR_KEYWORD", True]],
         [["a", "POSITIONAL_OR_KEYWORD", False]], "position 1"),
        ([["args", "VAR_POSITIONAL", False]], [], "*args"),
    ],
)  # fmt: skip
def test_signature_compatibility_rules(
    reference: list[list[Any]], ours: list[list[Any]], problem: str | None
) -> None:
    found = signature_problems(reference, ours)
    if problem is None:
        assert found == []
    else:
        assert any(problem in p for p in found), found


# -- the public surface -----------------------------------------------------------------------

_SURFACE_SOURCE = "from compat_surface import dump\n"


@pytest.fixture(scope="session")
def reference_surface(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The reference's module tree and the public surface of each module."""
    run = run_source(
        reference_python(), _SURFACE_SOURCE, "dump", {}, tmp_path_factory.mktemp("ref"), "reference"
    )
    assert "__raised__" not in run.observations, run.stderr
    surface: dict[str, Any] = run.observations["surface"]
    return surface


@pytest.fixture(scope="session")
def our_surface(tmp_path_factory: pytest.TempPathFactory, reference_surface: dict[str, Any]) -> Any:
    run = run_source(
        Path(sys.executable),
        _SURFACE_SOURCE,
        "dump",
        {"expected": {m: sorted(s.get("names", {})) for m, s in reference_surface.items()}},
        tmp_path_factory.mktemp("ours"),
        "our",
    )
    assert "__raised__" not in run.observations, run.stderr
    return run.observations["surface"]


_INTEGRATIONS = ("django", "fastapi", "flask", "sanic")


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in _INTEGRATIONS else "core"


@pytest.mark.parametrize(
    "part",
    [
        "core",
        "flask",
        "sanic",
        "django",
        "fastapi",
    ],
)  # fmt: skip
def test_public_surface(
    part: str, reference_surface: dict[str, Any], our_surface: dict[str, Any]
) -> None:
    """Every module of the reference's tree imports from ours, and every public name of
    those modules and of their classes exists in ours with a compatible signature."""
    modules = {m: s for m, s in reference_surface.items() if _part(m) == part}
    assert modules, f"the reference ships no {part} module?"
    problems = surface_problems(modules, our_surface)
    assert not problems, "\n".join(problems)


def test_surface_covers_the_whole_reference_tree(reference_surface: dict[str, Any]) -> None:
    # The walk must see every integration and the nested packages (e.g. flask.checks).
    for module in (
        "dockerflow.logging",
        "dockerflow.checks.registry",
        "dockerflow.flask.checks.messages",
        "dockerflow.django.middleware",
        "dockerflow.sanic.app",
        "dockerflow.fastapi.views",
    ):
        assert module in reference_surface


# -- core scenarios ---------------------------------------------------------------------------


@scenario
def test_core_formatter_records(obs: Any) -> None:
    import json
    import logging

    from dockerflow.logging import JsonLogFormatter

    formatter = JsonLogFormatter(logger_name="compat")
    logger = logging.getLogger("compat.formatter")
    records = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger.addHandler(Keep())
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.info("plain %s", "text", extra={"a": 1, "b": [1, 2], "c": {"d": None}})
    logger.warning("no args")
    logger.error("")
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("failed")
    for index, record in enumerate(records):
        obs.record(f"record{index}", json.loads(formatter.format(record)))


@scenario
def test_core_formatter_jsonlike_message(obs: Any) -> None:
    import json
    import logging

    from dockerflow.logging import JsonLogFormatter

    record = logging.LogRecord("compat", logging.INFO, __file__, 1, '{"a": 1}', None, None)
    obs.record("line", json.loads(JsonLogFormatter().format(record)))


@scenario
def test_core_checks_registry(obs: Any) -> None:
    from dockerflow import checks

    @checks.register
    def always_fine() -> list[Any]:
        return []

    @checks.register(name="named")
    def failing() -> list[Any]:
        return [checks.Error("broken", id="compat.E001"), checks.Warning("meh", id="compat.W001")]

    obs.record("names", sorted(checks.get_checks()))
    results = checks.run_checks(checks.get_checks().items(), silenced_check_ids=["compat.W001"])
    obs.record("level", results.level)
    obs.record("statuses", results.statuses)
    obs.record("details", results.details)
    obs.record("level_text", checks.level_to_text(results.level))
    checks.clear_checks()
    obs.record("after_clear", sorted(checks.get_checks()))


@scenario
def test_core_mozlog_handler_name(obs: Any) -> None:
    import io
    import json
    import logging
    import logging.config

    from dockerflow.logging import MozlogHandler

    seen: list[Any] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(getattr(record, "logger_name", "<unset>"))

    logging.config.dictConfig(
        {
            "version": 1,
            "formatters": {"json": {"()": "dockerflow.logging.JsonLogFormatter"}},
            "handlers": {
                "console": {
                    "class": "dockerflow.logging.MozlogHandler",
                    "name": "myproject",
                    "formatter": "json",
                    "stream": "ext://sys.stderr",
                },
            },
            "loggers": {"myproject": {"handlers": ["console"], "level": "INFO"}},
        }
    )
    logger = logging.getLogger("myproject")
    handler = logger.handlers[0]
    obs.record("dictconfig.logger_name", getattr(handler, "logger_name", "<missing>"))
    stream = io.StringIO()
    handler.setStream(stream)  # type: ignore[attr-defined]
    logger.addHandler(Keep())
    logger.info("hello")
    obs.record("dictconfig.line", json.loads(stream.getvalue()))
    obs.record("dictconfig.seen_by_the_next_handler", seen)

    direct = io.StringIO()
    plain = MozlogHandler(direct, name="direct")
    obs.record("plain.logger_name", plain.logger_name)
    other = logging.getLogger("other")
    other.propagate = False
    other.addHandler(plain)
    other.warning("w")
    obs.record("plain.line", json.loads(direct.getvalue()))


@scenario
def test_core_mozlog_handler_fileconfig(obs: Any) -> None:
    import json
    import logging
    import logging.config
    import sys

    with open("logging.ini", "w") as fp:
        fp.write(
            "[loggers]\nkeys=root,app\n\n"
            "[handlers]\nkeys=mozlog\n\n"
            "[formatters]\nkeys=json\n\n"
            "[logger_root]\nlevel=WARNING\nhandlers=\n\n"
            "[logger_app]\nlevel=INFO\nhandlers=mozlog\nqualname=app\npropagate=0\n\n"
            "[handler_mozlog]\nclass=dockerflow.logging.MozlogHandler\nformatter=json\n"
            "args=(sys.stderr, 'from-ini')\n\n"
            "[formatter_json]\nclass=dockerflow.logging.MozlogFormatter\n"
        )
    outcome = obs.outcome("fileconfig", logging.config.fileConfig, "logging.ini")
    del outcome
    logger = logging.getLogger("app")
    handlers = logger.handlers
    obs.record("handler_names", [getattr(h, "logger_name", "<missing>") for h in handlers])
    if handlers:
        import io

        stream = io.StringIO()
        handlers[0].setStream(stream)  # type: ignore[attr-defined]
        logger.info("from %s", "ini")
        obs.record("line", json.loads(stream.getvalue()))
    sys.stderr.flush()


@scenario
def test_core_logging_configured_after_import(obs: Any) -> None:
    import logging
    import logging.config
    import warnings

    from dockerflow import checks  # before the configuration, as settings files do

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        from dockerflow.logging import JsonLogFormatter

        JsonLogFormatter()
    obs.record("json_formatter_warnings", [type(w.message).__name__ for w in caught])
    logging.config.dictConfig({"version": 1, "root": {"level": "DEBUG", "handlers": []}})

    @checks.register
    def failing() -> list[Any]:
        return [checks.Error("broken", id="compat.E001")]

    with obs.capture_logs("logs"):
        checks.run_checks(checks.get_checks().items())
