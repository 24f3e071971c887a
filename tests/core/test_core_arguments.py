"""dockerflow.config.require_object: what can never work is refused at setup."""

from __future__ import annotations

import types
from typing import Any
from unittest import mock

import pytest

from dockerflow.config import require_object


class Client:
    def ping(self) -> bool:
        return True


class Lazy:
    """An engine that exists only inside a context, like Flask-SQLAlchemy's."""

    @property
    def engine(self) -> Any:
        raise RuntimeError("Working outside of application context.")


class Holder:
    def __init__(self) -> None:
        self.conn = None  # set later, as older sanic-redis releases do


class Proxy:
    def __getattr__(self, name: str) -> Any:
        return getattr(Client(), name)


@pytest.mark.parametrize(
    "value", [Client(), Lazy(), Holder(), Proxy(), mock.Mock()], ids=lambda v: type(v).__name__
)
def test_what_may_work_is_accepted(value: Any) -> None:
    require_object("thing", value, "a client", ("ping", "engine", "conn"))


@pytest.mark.parametrize(
    ("value", "given"),
    [
        (types.ModuleType("redis"), "not the module 'redis'"),
        (Client, f"not the class {Client.__module__}.Client (an instance is needed)"),
        ("redis://localhost", "not 'redis://localhost', a str without .ping"),
        (object(), "a object without .ping"),
    ],
    ids=["module", "class", "url", "object"],
)
def test_what_cannot_work_is_a_type_error_naming_the_argument(value: Any, given: str) -> None:
    with pytest.raises(TypeError) as info:
        require_object("redis", value, "a redis-py client", ("ping",))
    message = str(info.value)
    assert message.startswith("redis= expects a redis-py client, ")
    assert given in message
