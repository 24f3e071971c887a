"""The check messages and the registry API documented by the reference library."""

from __future__ import annotations

import functools

import pytest

from dockerflow import checks
from dockerflow.checks import CheckRegistry


@pytest.fixture(autouse=True)
def _empty_default_registry():
    checks.clear_checks()
    yield
    checks.clear_checks()


def test_levels_and_statuses():
    assert (checks.DEBUG, checks.INFO, checks.WARNING, checks.ERROR, checks.CRITICAL) == (
        10,
        20,
        30,
        40,
        50,
    )
    assert checks.STATUSES[0] == "ok"
    assert [checks.level_to_text(level) for level in (0, 10, 20, 30, 40, 50)] == [
        "ok",
        "debug",
        "info",
        "warning",
        "error",
        "critical",
    ]
    assert checks.level_to_text(35) == "unknown"


@pytest.mark.parametrize(
    ("cls", "level"),
    [
        (checks.Debug, 10),
        (checks.Info, 20),
        (checks.Warning, 30),
        (checks.Error, 40),
        (checks.Critical, 50),
    ],
)
def test_message_classes_carry_their_level(cls, level):
    message = cls("something happened", hint="do this", id="acme.health.X001")
    assert message.level == level
    assert message.msg == "something happened"
    assert message.hint == "do this"
    assert message.id == "acme.health.X001"
    assert message.is_serious() is (level >= checks.ERROR)
    assert message.is_serious(checks.DEBUG)
    assert message == cls("something happened", hint="do this", id="acme.health.X001")
    assert message != cls("something else", hint="do this", id="acme.health.X001")
    assert "acme.health.X001" in str(message)
    assert cls.__name__ in repr(message)


def test_check_message_level_must_be_an_int():
    with pytest.raises(TypeError, match="level"):
        checks.CheckMessage("bad", level="high")  # type: ignore[arg-type]


def test_register_plain_decorator_keeps_function_callable():
    @checks.register
    def check_thing():
        return [checks.Info("fine", id="t.I1")]

    assert checks.get_checks() == {"check_thing": check_thing}
    assert check_thing() == [checks.Info("fine", id="t.I1")]


def test_register_with_parentheses_and_name():
    @checks.register()
    def first():
        return []

    @checks.register(name="renamed")
    def second():
        return []

    assert list(checks.get_checks()) == ["first", "renamed"]


def test_register_partial_binds_arguments():
    def check_value(value):
        return [checks.Error(f"value is {value}", id="t.E1")] if value else []

    checks.register_partial(check_value, 3)
    checks.register_partial(check_value, 0, name="zero")
    registered = checks.get_checks()
    assert list(registered) == ["check_value", "zero"]
    assert registered["check_value"]() == [checks.Error("value is 3", id="t.E1")]
    assert registered["zero"]() == []
    assert isinstance(registered["zero"], functools.partial)


def test_clear_checks_empties_the_default_registry():
    checks.register(lambda: [], name="x")
    assert checks.get_checks()
    checks.clear_checks()
    assert checks.get_checks() == {}


def test_registries_are_independent():
    one, two = CheckRegistry(), CheckRegistry()

    @one.register
    def only_in_one():
        return []

    assert "only_in_one" in one
    assert "only_in_one" not in two
    assert len(one) == 1 and len(two) == 0
    assert checks.get_checks() == {}
    one.unregister("only_in_one")
    assert len(one) == 0


def test_register_rejects_bad_timeout_and_non_callables():
    with pytest.raises(ValueError, match="timeout"):
        checks.register(lambda: [], name="x", timeout=0)
    with pytest.raises(ValueError, match="timeout"):
        checks.register(lambda: [], name="x", timeout=-1)
    with pytest.raises(TypeError, match="callable"):
        checks.register("not a function")  # type: ignore[call-overload]


def test_registered_checks_reads_the_default_registry_through_get_checks() -> None:
    from unittest import mock

    from dockerflow import checks as module

    def fake() -> list[module.CheckMessage]:
        return []

    own = module.CheckRegistry()
    own.register(fake, name="own")
    with mock.patch("dockerflow.checks.get_checks", return_value={"patched": fake}):
        assert list(module.registered_checks(module.default_registry)) == ["patched"]
        assert list(module.registered_checks(own)) == ["own"]
    assert module.registered_checks(module.default_registry) is module.default_registry.get_checks()
